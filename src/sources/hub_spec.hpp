// Internal to gpuplan_sources: the pure text side of the Hugging Face Hub, with no network and no
// file system: "hf:org/name[@revision][/file]" specs, resolve/<revision>/<file> URLs, URL splitting,
// percent-encoding and Content-Range totals. Kept apart from hub.cpp (which needs cpp-httplib) so a
// fuzz target and unit tests can link it alone (fuzz/fuzz_hub_spec.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "gpuplan/result.hpp"
#include "gpuplan/sources/model_source.hpp"

namespace gpuplan::sources::detail {

// hf:org/name[@revision][/file]
struct HubSpec {
  std::string org, name, revision = "main", file;
  [[nodiscard]] std::string repo_id() const { return org + "/" + name; }
  [[nodiscard]] std::string display() const { return "hf:" + org + "/" + name + "@" + revision; }
};
Result<HubSpec> parse_hub_spec(const std::string& spec);

// %XX-escapes every byte that is not alphanumeric or in `keep` (URL paths, cache file names).
std::string percent_encode(const std::string& s, std::string_view keep);

struct Url {
  std::string origin;  // scheme://host[:port]
  std::string path;    // /...
};
// http(s)://host[:port][/path]; other schemes and URLs without a host are errors.
Result<Url> split_url(const std::string& url);

// <endpoint>/<org>/<name>/resolve/<revision>/<file>, each part percent-encoded.
std::string resolve_url(const SourceOptions& o, const HubSpec& s, const std::string& file);

// "bytes 0-7/12345" -> 12345; 0 when the total is absent, "*" or implausibly large.
std::uint64_t content_range_total(const std::string& v);

}  // namespace gpuplan::sources::detail
