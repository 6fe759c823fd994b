// Pure text of the Hugging Face Hub (see hub_spec.hpp): specs, URLs, percent-encoding.
#include "hub_spec.hpp"

#include <algorithm>
#include <cctype>

namespace gpuplan::sources::detail {
namespace {

bool valid_name(const std::string& s, bool allow_slash) {
  if (s.empty() || s.size() > 256 || s == "." || s == ".." || s.find("..") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || (allow_slash && c == '/');
  });
}

std::string encode_path(const std::string& s) {
  return percent_encode(s, "-_.~/");
}

}  // namespace

Result<HubSpec> parse_hub_spec(const std::string& spec) {
  const std::string usage = "expected hf:org/name[@revision][/file.gguf], got '" + spec.substr(0, 200) + "'";
  if (spec.rfind("hf:", 0) != 0) return make_error(ErrorCode::invalid_argument, usage);
  std::string rest = spec.substr(3);
  while (rest.rfind("/", 0) == 0) rest.erase(0, 1);  // hf://org/name
  HubSpec s;
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return make_error(ErrorCode::invalid_argument, usage);
  s.org = rest.substr(0, slash);
  rest = rest.substr(slash + 1);
  auto next = rest.find_first_of("@/");
  s.name = rest.substr(0, next);
  rest = next == std::string::npos ? std::string() : rest.substr(next);
  if (!rest.empty() && rest[0] == '@') {
    next = rest.find('/');
    s.revision = rest.substr(1, next == std::string::npos ? std::string::npos : next - 1);
    rest = next == std::string::npos ? std::string() : rest.substr(next);
  }
  if (!rest.empty()) s.file = rest.substr(1);
  if (!valid_name(s.org, false) || !valid_name(s.name, false) || !valid_name(s.revision, false) ||
      (!s.file.empty() && !valid_name(s.file, true))) {
    return make_error(ErrorCode::invalid_argument, usage + " (names use letters, digits, '-', '_', '.')");
  }
  return s;
}

std::string percent_encode(const std::string& s, std::string_view keep) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<Url> split_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return make_error(ErrorCode::invalid_argument, "not a URL: '" + url + "'");
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return make_error(ErrorCode::invalid_argument, "unsupported URL scheme '" + scheme + "' in '" + url + "'");
  }
  const auto path_start = url.find('/', scheme_end + 3);
  Url u;
  u.origin = url.substr(0, path_start);
  u.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (u.origin.size() <= scheme_end + 3)
    return make_error(ErrorCode::invalid_argument, "URL has no host: '" + url + "'");
  return u;
}

std::string resolve_url(const SourceOptions& o, const HubSpec& s, const std::string& file) {
  std::string base = o.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + encode_path(s.org) + "/" + encode_path(s.name) + "/resolve/" + encode_path(s.revision) + "/" +
         encode_path(file);
}

std::uint64_t content_range_total(const std::string& v) {
  const auto slash = v.rfind('/');
  if (slash == std::string::npos || slash + 1 >= v.size() || v[slash + 1] == '*') return 0;
  std::uint64_t total = 0;
  for (std::size_t i = slash + 1; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i) {
    if (total > (1ull << 60)) return 0;
    total = total * 10 + static_cast<std::uint64_t>(v[i] - '0');
  }
  return total;
}

}  // namespace gpuplan::sources::detail
