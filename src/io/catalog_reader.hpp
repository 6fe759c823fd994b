// Internal to gpuplan_io: what every catalog parser (catalog_*_json.cpp) shares. A Reader
// type-checks and bounds one entry's fields and keeps the first error, naming the entry and the
// field; parse_document bounds and parses a whole catalog; parse_list and merge_by_id work on its
// list of entries.
#pragma once
#include <cmath>
#include <cstddef>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io::detail {

using nlohmann::json;
inline constexpr std::size_t kMaxString = 4096;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Reader {
  std::string where;  // "models[3] (llama-3.1-8b)"
  std::string error;

  bool fail(const std::string& field, const std::string& why) {
    if (error.empty()) error = where + ": field '" + field + "' " + why;
    return false;
  }
  double number(const json& obj, const char* key, double fallback, bool required = false, double max = 1e15) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return fallback;
    }
    if (!it->is_number()) {
      fail(key, "must be a number");
      return fallback;
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0 || v > max) {
      fail(key, "must be a finite non-negative number below " + std::to_string(max));
      return fallback;
    }
    return v;
  }
  bool boolean(const json& obj, const char* key, bool fallback) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      fail(key, "must be true or false");
      return fallback;
    }
    return it->get<bool>();
  }
  std::string string(const json& obj, const char* key, bool required = false) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return {};
    }
    if (!it->is_string()) {
      fail(key, "must be a string");
      return {};
    }
    std::string s = it->get<std::string>();
    if (s.size() > kMaxString) {
      fail(key, "is longer than 4096 characters");
      return {};
    }
    if (required && s.empty()) fail(key, "must not be empty");  // an id, a source: "" names nothing
    return s;
  }
  std::vector<std::string> strings(const json& obj, const char* key) {
    std::vector<std::string> out;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > 256) {
      fail(key, "must be an array of at most 256 strings");
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string() || v.get_ref<const std::string&>().size() > 256) {
        fail(key, "must hold strings of at most 256 characters");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  // A sourced figure: {"value": x, "source": "...", "as_of": "..."} (a bare number is accepted for user files).
  double figure(const json& obj, const char* key, Gpu& gpu, bool required, double max = 1e15) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return 0;
    }
    if (it->is_number()) return number(obj, key, 0, required, max);
    if (!it->is_object()) {
      fail(key, "must be a number or {value, source, as_of}");
      return 0;
    }
    const auto value = it->find("value");
    if (value == it->end() || !value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0 ||
        value->get<double>() > max) {
      fail(key, "needs a 'value' that is a finite non-negative number below " + std::to_string(max));
      return 0;
    }
    gpu.provenance.set(key, Provenance{string(*it, "source"), string(*it, "as_of")});
    return value->get<double>();
  }
};

// Catalogs need 4 levels of nesting: anything past 64 is refused before the parser builds it
// (a 32 MiB document of '[' would otherwise cost over 1 GB). The document is an object whose
// "schema" (if any) starts with `schema_prefix` and whose `list_key` is an array of at most
// kMaxCatalogEntries entries.
Result<json> parse_document(std::string_view text, const char* schema_prefix, const char* list_key);

// parse_document, then `read(document)`; an exception from nlohmann::json (a type error the
// Reader did not catch) becomes an Error starting with `what` ("link catalog: ...").
template <typename T, typename Read>
Result<T> read_catalog(std::string_view text, const char* schema_prefix, const char* list_key, const char* what,
                       Read read) {
  try {
    auto doc = parse_document(text, schema_prefix, list_key);
    if (!doc) return doc.error();
    return read(static_cast<const json&>(doc.value()));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string(what) + ": " + e.what());
  }
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_list(const json& list, Parse parse) {
  std::vector<T> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto item = parse(list[i], i);
    if (!item) return item.error();
    out.push_back(std::move(item).value());
  }
  return out;
}

template <typename T>
void merge_by_id(std::vector<T>& into, std::vector<T> extra) {
  for (auto& e : extra) {
    bool replaced = false;
    for (auto& existing : into) {
      if (existing.id == e.id) {
        existing = e;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(std::move(e));
  }
}

}  // namespace gpuplan::io::detail
