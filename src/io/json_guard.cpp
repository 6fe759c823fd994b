#include "json_guard.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace gpuplan::io::detail {

std::size_t json_nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<nlohmann::json> parse_json_bounded(std::string_view text, const JsonLimits& limits) {
  const std::string what = limits.what;
  if (limits.max_bytes > 0 && text.size() > limits.max_bytes) {
    return make_error(ErrorCode::parse_error, what + " is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (json_nesting_depth(text) > limits.max_depth) {
    return make_error(ErrorCode::parse_error,
                      what + " nests arrays/objects deeper than " + std::to_string(limits.max_depth) + " levels");
  }
  // One key set per open object at the checked depth (objects there are parsed one after another).
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  const int check = limits.unique_keys_depth;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (check < 0) return true;
    if (event == nlohmann::json::parse_event_t::object_start && depth == check) keys.emplace_back();
    if (event == nlohmann::json::parse_event_t::key && depth == check + 1 && !keys.empty()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second && duplicate.empty()) duplicate = k;
    }
    if (event == nlohmann::json::parse_event_t::object_end && depth == check && !keys.empty()) keys.pop_back();
    return true;
  };
  try {
    nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return make_error(ErrorCode::parse_error, what + " is not valid JSON");
    if (!duplicate.empty()) {
      return make_error(ErrorCode::parse_error, what + " has the key '" + duplicate.substr(0, 200) + "' twice");
    }
    return doc;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, what + ": " + e.what());
  }
}

}  // namespace gpuplan::io::detail
