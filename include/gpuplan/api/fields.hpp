// The fields of a request: one table per request type gives each option its name (the JSON key,
// the CLI's long and short names), how its text is parsed (unit, range) and where it is stored.
// The CLI, the JSON parser (HTTP API, Python) and the defaults listing all read the same table, so
// an option means the same thing and takes the same units on every face.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gpuplan/result.hpp"

namespace gpuplan::api {

// How a field's text becomes a value.
enum class FieldKind {
  text,      // a name or free text (bounded length)
  tokens,    // a token length: "8192", "32k" (= 32000), "128Ki" (= 131072)
  count,     // a count with a decimal suffix: "3B", "200M"
  whole,     // a whole number in [min, max]
  bytes,     // "24GiB", "80GB"
  duration,  // "50ms", "2s", "30d": a bare number is refused (it asks for the unit)
  fraction,  // a real in (0, 1]
  positive,  // a positive real in (0, max]
  real,      // a plain real in [min, max]; "0" is accepted (a threshold, a price)
  flag,      // on when present
};
const char* to_string(FieldKind kind);
// One line on the units every field takes, for --help and the web page: k/M decimal everywhere,
// Ki/Mi and KiB/MiB/GiB binary, durations need their unit.
const char* units_note();

struct FieldInfo {
  const char* key;  // JSON key and canonical name: "gpu_memory_utilization"
  const char* cli;  // CLI11 names: "--gpu-memory-utilization,--mem-fraction-static"; "model" = positional
  FieldKind kind;
  double min;  // numeric kinds: smallest accepted (after the unit)
  double max;  // largest accepted
  const char* help;
  const char* group;       // CLI help group; "" = the command's own options
  bool takes_max = false;  // also accepts "max" (stored as kFieldMax): as many as the hardware holds
};

// The value a field that takes "max" stores for it (`--concurrency max`).
inline constexpr double kFieldMax = -1;

inline constexpr std::size_t kMaxFieldTextBytes = 4096;

// Parses the text of a numeric field by its kind and bounds; the message names the field.
Result<double> parse_field_number(const FieldInfo& info, std::string_view text);
// Checks a number given as a JSON number against the field's kind and bounds.
Result<double> check_field_number(const FieldInfo& info, double value);
// Checks a text field (length, no control characters).
Result<std::string> check_field_text(const FieldInfo& info, std::string_view text);
// "gpu-memory-utilization" / "--gpu_memory_utilization" -> "gpu_memory_utilization".
std::string field_key(std::string_view name);

template <class R>
struct Field {
  FieldInfo info;
  std::variant<std::optional<std::string> R::*, std::optional<double> R::*, bool R::*> member;
};

// Sets one field from its text (as typed on the command line or given as a JSON string).
template <class R>
Result<bool> assign_text(R& request, const Field<R>& field, std::string_view text) {
  if (auto* s = std::get_if<std::optional<std::string> R::*>(&field.member)) {
    auto checked = check_field_text(field.info, text);
    if (!checked) return checked.error();
    request.*(*s) = std::move(checked).value();
  } else if (auto* d = std::get_if<std::optional<double> R::*>(&field.member)) {
    auto v = parse_field_number(field.info, text);
    if (!v) return v.error();
    request.*(*d) = v.value();
  } else {
    const auto* b = std::get_if<bool R::*>(&field.member);
    if (text == "true" || text == "1" || text == "on" || text.empty()) {
      request.*(*b) = true;
    } else if (text == "false" || text == "0" || text == "off") {
      request.*(*b) = false;
    } else {
      return make_error(ErrorCode::invalid_argument, std::string(field.info.key) + ": true or false");
    }
  }
  return true;
}

// The field whose key or CLI name is `name`; nullptr when none.
template <class R>
const Field<R>* find_field(const std::vector<Field<R>>& fields, std::string_view name) {
  const std::string key = field_key(name);
  for (const auto& f : fields) {
    if (key == f.info.key) return &f;
  }
  for (const auto& f : fields) {  // the CLI's other long names (--ctx, --mem-fraction-static)
    std::string_view names = f.info.cli;
    while (!names.empty()) {
      const auto comma = names.find(',');
      const std::string_view one = names.substr(0, comma);
      if (one.size() > 2 && one.substr(0, 2) == "--" && field_key(one) == key) return &f;
      names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
    }
  }
  return nullptr;
}

// Every key of a field table (for suggestions and the OpenAPI document).
template <class R>
std::vector<std::string> field_keys(const std::vector<Field<R>>& fields) {
  std::vector<std::string> keys;
  keys.reserve(fields.size());
  for (const auto& f : fields) keys.emplace_back(f.info.key);
  return keys;
}

}  // namespace gpuplan::api
