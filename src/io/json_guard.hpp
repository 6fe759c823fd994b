// Bounded JSON parsing for untrusted text (internal to gpuplan_io): a nesting cap checked before
// the parser builds anything, and duplicate keys refused at a chosen depth (nlohmann::json keeps
// the last of two equal keys silently; a safetensors header or config.json with two
// "hidden_size" keys must be an error, not a coin toss).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "gpuplan/result.hpp"

namespace gpuplan::io::detail {

// Deepest [ / { nesting outside strings.
std::size_t json_nesting_depth(std::string_view text);

struct JsonLimits {
  std::size_t max_bytes = 0;      // 0: no limit
  std::size_t max_depth = 64;     // nesting of arrays/objects
  int unique_keys_depth = -1;     // objects at this depth must not repeat a key (-1: not checked)
  const char* what = "document";  // names the input in errors ("config.json", "safetensors header")
};

// Parses `text` as one JSON value within `limits`; errors say what and where.
Result<nlohmann::json> parse_json_bounded(std::string_view text, const JsonLimits& limits);

}  // namespace gpuplan::io::detail
