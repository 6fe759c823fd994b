// Fuzz target: the pure text side of the Hugging Face Hub source (src/sources/hub_spec.cpp, linked
// alone: no network, no cpp-httplib): parse_hub_spec, resolve_url, split_url, percent_encode and
// content_range_total, on the input as text. Invariants:
//  - an accepted spec has org, name and revision of 1-256 characters from [A-Za-z0-9._-] without
//    "..", a file (if any) of those and '/', and parses back to itself from its display form;
//  - the resolve URL of an accepted spec, under the default endpoint, splits into the endpoint's
//    origin and a path under /<org>/<name>/resolve/<revision>/ of URL-safe characters only;
//  - split_url of any text: a success has an http(s) origin with a host and a path that starts
//    with '/';
//  - percent_encode leaves only alphanumerics, the kept characters and %XX escapes, and decodes
//    back to the input;
//  - content_range_total never exceeds 2^60 x 10 + 9 (the parser's cap).
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hub_spec.hpp"

namespace {

namespace d = gpuplan::sources::detail;

void check(bool ok, const char* what, const std::string& text) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_hub_spec: invariant violated: %s (input '%s')\n", what, text.c_str());
  std::abort();
}

bool name_ok(const std::string& s, bool allow_slash) {
  if (s.empty() || s.size() > 256 || s.find("..") != std::string::npos) return false;
  for (const char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || (allow_slash && c == '/')))
      return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX; checks that nothing else but alphanumerics and `keep` appears.
bool decode(const std::string& encoded, const std::string& keep, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return false;
      const int hi = hex_value(encoded[i + 1]), lo = hex_value(encoded[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || keep.find(c) != std::string::npos) {
      out += c;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  // The spec as given, and with the "hf:" prefix added (most mutants lack it).
  for (const std::string& spec : {text, "hf:" + text}) {
    const auto parsed = d::parse_hub_spec(spec);
    if (!parsed) {
      check(!parsed.error().message.empty(), "error without a message", spec);
      continue;
    }
    const d::HubSpec& s = parsed.value();
    check(name_ok(s.org, false) && name_ok(s.name, false) && name_ok(s.revision, false), "org/name/revision", spec);
    check(s.file.empty() || name_ok(s.file, true), "file name", spec);
    const auto again = d::parse_hub_spec(s.display() + (s.file.empty() ? "" : "/" + s.file));
    check(again && again.value().org == s.org && again.value().name == s.name && again.value().revision == s.revision &&
              again.value().file == s.file,
          "display form parses back", spec);

    const gpuplan::sources::SourceOptions options;
    const std::string file = s.file.empty() ? "config.json" : s.file;
    const std::string url = d::resolve_url(options, s, file);
    const auto u = d::split_url(url);
    check(u && u.value().origin == "https://huggingface.co", "resolve URL origin", spec);
    const std::string prefix = "/" + s.org + "/" + s.name + "/resolve/" + s.revision + "/";
    check(u.value().path.rfind(prefix, 0) == 0, "resolve URL path", spec);
    for (const char c : u.value().path) {
      check(std::isalnum(static_cast<unsigned char>(c)) || std::string("-_.~/%").find(c) != std::string::npos,
            "resolve URL character", spec);
    }
  }

  if (const auto u = d::split_url(text)) {
    const std::string& o = u.value().origin;
    check(o.rfind("http://", 0) == 0 || o.rfind("https://", 0) == 0, "split_url scheme", text);
    check(o.size() > o.find("://") + 3, "split_url host", text);
    check(!u.value().path.empty() && u.value().path[0] == '/', "split_url path", text);
  }

  for (const std::string keep : {"-_.~/", "-_.@"}) {
    std::string back;
    check(decode(d::percent_encode(text, keep), keep, back) && back == text, "percent_encode round trip", text);
  }

  check(d::content_range_total(text) <= (1ull << 60) * 10 + 9, "content_range_total cap", text);
  return 0;
}
