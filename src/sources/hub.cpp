// The Hugging Face Hub over HTTP(S): resolve/<revision>/<file> URLs, Range requests for headers
// (the Hub's own model-memory calculator reads safetensors headers the same way), redirects
// followed by hand (the token is sent to the endpoint's origin only, never to a CDN it redirects
// to), bounded bodies, timeouts. Responses are cached; offline mode reads only the cache.
#include <httplib.h>

#include <algorithm>

#include "byte_source.hpp"

namespace gpuplan::sources::detail {
namespace {

constexpr int kMaxRedirects = 8;
constexpr std::uint64_t kMaxIgnoredRangeBody = 64u << 20;  // a server that ignores Range: accept small files whole

struct Response {
  int status = 0;
  std::string body;
  std::uint64_t total = 0;  // whole file size (Content-Range total, or the body of a 200)
};

class Client {
 public:
  explicit Client(const SourceOptions& o) : o_(o) {
    auto e = split_url(o.endpoint);
    if (e) endpoint_origin_ = e.value().origin;
  }

  // GET with an optional inclusive byte range; bodies above max_bytes are refused.
  Result<Response> get(std::string url, const std::uint64_t* range, std::uint64_t max_bytes) {
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      auto u = split_url(url);
      if (!u) return u.error();
      httplib::Client cli(u.value().origin);
      cli.set_connection_timeout(o_.connect_timeout_s, 0);
      cli.set_read_timeout(o_.read_timeout_s, 0);
      cli.set_write_timeout(o_.read_timeout_s, 0);
      cli.set_follow_location(false);
      cli.set_keep_alive(false);
      if (!o_.ca_file.empty()) cli.set_ca_cert_path(o_.ca_file);
      cli.enable_server_certificate_verification(o_.verify_tls);
      httplib::Headers headers{{"User-Agent", "gpuplan/0.1"}, {"Accept-Encoding", "identity"}};
      if (range) headers.emplace("Range", "bytes=" + std::to_string(range[0]) + "-" + std::to_string(range[1]));
      if (!o_.token.empty() && u.value().origin == endpoint_origin_) {
        headers.emplace("Authorization", "Bearer " + o_.token);
      }
      Response r;
      bool too_big = false;
      const std::uint64_t cap =
          range ? std::max<std::uint64_t>(range[1] - range[0] + 1, kMaxIgnoredRangeBody) : max_bytes;
      auto res = cli.Get(
          u.value().path, headers, [&](const httplib::Response&) { return true; },
          [&](const char* data, std::size_t n) {
            if (r.body.size() + n > cap) {
              too_big = true;
              return false;
            }
            r.body.append(data, n);
            return true;
          });
      if (!res) {
        if (too_big) {
          return make_error(ErrorCode::invalid_argument, url + ": response larger than " + std::to_string(cap) +
                                                             " bytes" +
                                                             (range ? " (the server ignored the Range request)" : ""));
        }
        return make_error(ErrorCode::invalid_argument, "cannot reach " + u.value().origin + " (" +
                                                           httplib::to_string(res.error()) +
                                                           "); --offline or HF_HUB_OFFLINE=1 uses the cache only");
      }
      r.status = res->status;
      if (r.status >= 300 && r.status < 400 && res->has_header("Location")) {
        const std::string loc = res->get_header_value("Location");
        url = loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0 ? loc : u.value().origin + loc;
        continue;
      }
      if (r.status == 206) r.total = content_range_total(res->get_header_value("Content-Range"));
      if (r.status == 200) {
        r.total = r.body.size();
        if (range) {  // whole file sent: keep the range asked for
          r.body = range[0] < r.body.size() ? r.body.substr(range[0], range[1] - range[0] + 1) : std::string();
          r.status = 206;
        } else if (r.body.size() > max_bytes) {
          return make_error(ErrorCode::invalid_argument, url + ": larger than " + std::to_string(max_bytes) + " bytes");
        }
      }
      return r;
    }
    return make_error(ErrorCode::invalid_argument, "more than 8 redirects from " + url);
  }

 private:
  const SourceOptions& o_;
  std::string endpoint_origin_;
};

Error status_error(const SourceOptions& o, const HubSpec& s, const std::string& file, int status) {
  const std::string where = s.display() + " " + file;
  if (status == 401 || status == 403) {
    return make_error(ErrorCode::invalid_argument,
                      where + ": access denied (HTTP " + std::to_string(status) + "): " +
                          (o.token.empty() ? "the repository is gated or private (or does not exist); set HF_TOKEN "
                                             "to a token that has access"
                                           : "HF_TOKEN was sent but does not give access to this repository"));
  }
  if (status == 404) {
    return make_error(ErrorCode::unknown_name,
                      where + ": not found (HTTP 404): check the repository name, the revision and the file");
  }
  return make_error(ErrorCode::invalid_argument, where + ": HTTP " + std::to_string(status));
}

Error offline_miss(const HubSpec& s, const std::string& file, const std::string& path) {
  return make_error(ErrorCode::invalid_argument, "offline (--offline or HF_HUB_OFFLINE=1) and " + s.display() + " " +
                                                     file + " is not in the cache" +
                                                     (path.empty() ? " (no cache directory)" : " (" + path + ")"));
}

class HubFile final : public ByteSource {
 public:
  HubFile(HubSpec s, const SourceOptions& o, std::string file) : s_(std::move(s)), o_(o), file_(std::move(file)) {}

  Result<std::string> read(std::uint64_t offset, std::uint64_t length) override {
    if (length == 0) return std::string();
    if (size_ > 0 && offset >= size_) return std::string();
    if (size_ > 0) length = std::min(length, size_ - offset);
    if (offset == last_offset_ && length == last_.size() && !last_.empty()) return last_;  // the probe, read again
    auto r = fetch(offset, length);
    if (r) {
      last_offset_ = offset;
      last_ = r.value();
    }
    return r;
  }

 private:
  Result<std::string> fetch(std::uint64_t offset, std::uint64_t length) {
    const std::uint64_t range[2] = {offset, offset + length - 1};
    std::string suffix(1, '@');  // appended: GCC 12 -Wrestrict misfires on "@" + string
    suffix += std::to_string(range[0]);
    suffix += '-';
    suffix += std::to_string(range[1]);
    const std::string path = cache_path(o_, s_, file_, suffix);
    const std::string size_path = cache_path(o_, s_, file_, "@size");
    auto from_cache = [&]() -> std::optional<std::string> {
      auto bytes = cache_read(path);
      auto size = cache_read(size_path);
      if (!bytes || !size) return std::nullopt;
      size_ = std::strtoull(size->c_str(), nullptr, 10);
      return bytes;
    };
    if (o_.offline) {
      if (auto hit = from_cache()) return *hit;
      return offline_miss(s_, file_ + " bytes " + std::to_string(range[0]) + "-" + std::to_string(range[1]), path);
    }
    Client client(o_);
    auto r = client.get(resolve_url(o_, s_, file_), range, length);
    if (!r) {
      if (auto hit = from_cache()) return *hit;  // network down: fall back to what we have
      return r.error();
    }
    if (r.value().status == 416) return std::string();
    if (r.value().status == 404) {
      missing_ = true;
      return status_error(o_, s_, file_, 404);
    }
    if (r.value().status != 206) return status_error(o_, s_, file_, r.value().status);
    if (r.value().total > 0) size_ = r.value().total;
    if (size_ == 0) size_ = offset + r.value().body.size();
    cache_write(size_path, std::to_string(size_));
    cache_write(path, r.value().body);
    return std::move(r).value().body;
  }

 public:
  [[nodiscard]] std::uint64_t size() const override { return size_; }
  [[nodiscard]] std::string name() const override { return s_.display() + "/" + file_; }
  [[nodiscard]] bool missing() const { return missing_; }

 private:
  HubSpec s_;
  const SourceOptions& o_;
  std::string file_;
  std::uint64_t size_ = 0;
  bool missing_ = false;
  std::uint64_t last_offset_ = 0;
  std::string last_;  // the last range read (small: the 8-byte probe or a header)
};

class HubRepo final : public Repo {
 public:
  HubRepo(HubSpec s, const SourceOptions& o) : s_(std::move(s)), o_(o) {}

  Result<std::optional<std::string>> text(const std::string& file, std::uint64_t max_bytes) override {
    const std::string path = cache_path(o_, s_, file, "");
    const std::string absent = cache_path(o_, s_, file, "@absent");
    if (o_.offline) {
      if (auto hit = cache_read(path)) return std::optional<std::string>(std::move(*hit));
      if (cache_read(absent)) return std::optional<std::string>();
      return offline_miss(s_, file, path);
    }
    Client client(o_);
    auto r = client.get(resolve_url(o_, s_, file), nullptr, max_bytes);
    if (!r) {
      if (auto hit = cache_read(path)) return std::optional<std::string>(std::move(*hit));
      return r.error();
    }
    if (r.value().status == 404) {
      cache_write(absent, "404");
      return std::optional<std::string>();
    }
    if (r.value().status != 200) return status_error(o_, s_, file, r.value().status);
    cache_write(path, r.value().body);
    return std::optional<std::string>(std::move(r).value().body);
  }

  Result<std::unique_ptr<ByteSource>> open(const std::string& file) override {
    auto f = std::make_unique<HubFile>(s_, o_, file);
    auto probe = f->read(0, 8);  // learns the size; a 404 means absent
    if (!probe) {
      if (f->missing()) return std::unique_ptr<ByteSource>();
      return probe.error();
    }
    return std::unique_ptr<ByteSource>(std::move(f));
  }

  [[nodiscard]] std::vector<std::string> list_safetensors() const override { return {}; }
  [[nodiscard]] std::string location() const override { return s_.display(); }

 private:
  HubSpec s_;
  const SourceOptions& o_;
};

}  // namespace

std::unique_ptr<Repo> hub_repo(const HubSpec& spec, const SourceOptions& options) {
  return std::make_unique<HubRepo>(spec, options);
}

}  // namespace gpuplan::sources::detail
