// Requests from JSON (the HTTP API and Python): the keys are the field table's (the CLI's long
// option names with '_' or '-'), values as the CLI takes them ("32k", "50ms") or as JSON numbers
// in the field's base unit (tokens, bytes, counts; durations need their unit as a string).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "gpuplan/api/fields.hpp"
#include "gpuplan/names.hpp"

namespace gpuplan::api {

inline constexpr std::size_t kMaxRequestKeys = 256;

template <class R>
Result<R> request_from_json(const nlohmann::json& doc, const std::vector<Field<R>>& fields) {
  if (!doc.is_object()) return make_error(ErrorCode::parse_error, "a request is a JSON object");
  if (doc.size() > kMaxRequestKeys) return make_error(ErrorCode::out_of_range, "too many keys in the request");
  R request;
  for (const auto& [key, value] : doc.items()) {
    const Field<R>* f = find_field(fields, key);
    if (f == nullptr) {
      return make_error(ErrorCode::unknown_name, "unknown key '" + key.substr(0, 64) + "'" +
                                                     suggestion_suffix(key.substr(0, 64), field_keys(fields)));
    }
    if (value.is_null()) continue;
    Result<bool> ok = true;
    if (value.is_string()) {
      ok = assign_text(request, *f, value.template get_ref<const std::string&>());
    } else if (value.is_boolean() && f->info.kind == FieldKind::flag) {
      ok = assign_text(request, *f, value.template get<bool>() ? "true" : "false");
    } else if (value.is_number() && f->info.kind != FieldKind::flag && f->info.kind != FieldKind::text) {
      auto v = check_field_number(f->info, value.template get<double>());
      if (!v) return v.error();
      request.*(std::get<std::optional<double> R::*>(f->member)) = v.value();
    } else {
      return make_error(ErrorCode::invalid_argument, "'" + key + "': expected " +
                                                         (f->info.kind == FieldKind::flag   ? "true or false"
                                                          : f->info.kind == FieldKind::text ? "a string"
                                                                                            : "a number or a string"));
    }
    if (!ok) return ok.error();
  }
  return request;
}

inline constexpr std::size_t kMaxRequestBytes = 1 << 20;
inline constexpr std::size_t kMaxRequestDepth = 8;  // a request is flat: an object of values

// JSON text of a request, bounded before the parser builds anything: at most kMaxRequestBytes,
// nesting at most kMaxRequestDepth, no key given twice at the top level.
Result<nlohmann::json> parse_request_json(std::string_view text);

// Parses JSON text (bounded) into a request.
template <class R>
Result<R> request_from_json_text(std::string_view text, const std::vector<Field<R>>& fields) {
  auto doc = parse_request_json(text);
  if (!doc) return doc.error();
  return request_from_json(doc.value(), fields);
}

}  // namespace gpuplan::api
