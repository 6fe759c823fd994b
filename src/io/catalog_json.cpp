#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"
#include "json_guard.hpp"

#include <nlohmann/json.hpp>
#include <string>

extern const char gpuplan_models_json[];
extern const unsigned long gpuplan_models_json_size;
extern const char gpuplan_engines_json[];
extern const unsigned long gpuplan_engines_json_size;
extern const char gpuplan_runtimes_json[];
extern const unsigned long gpuplan_runtimes_json_size;
extern const char gpuplan_prices_json[];
extern const unsigned long gpuplan_prices_json_size;
extern const char gpuplan_serving_calibration_json[];
extern const unsigned long gpuplan_serving_calibration_json_size;
extern const char gpuplan_links_json[];
extern const unsigned long gpuplan_links_json_size;
extern const char gpuplan_gpus_json[];
extern const unsigned long gpuplan_gpus_json_size;

namespace gpuplan::io {
namespace detail {

Result<json> parse_document(std::string_view text, const char* schema_prefix, const char* list_key) {
  if (text.size() > kMaxCatalogBytes) {
    return make_error(ErrorCode::parse_error, "catalog is larger than 32 MiB");
  }
  if (detail::json_nesting_depth(text) > 64) {
    return make_error(ErrorCode::parse_error, "catalog nests arrays/objects deeper than 64 levels");
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(ErrorCode::parse_error, "catalog is not valid JSON");
  if (!doc.is_object()) return make_error(ErrorCode::parse_error, "catalog must be a JSON object");
  const auto schema = doc.find("schema");
  if (schema != doc.end() &&
      (!schema->is_string() || schema->get_ref<const std::string&>().rfind(schema_prefix, 0) != 0)) {
    return make_error(ErrorCode::parse_error, std::string("catalog schema must start with '") + schema_prefix + "'");
  }
  const auto list = doc.find(list_key);
  if (list == doc.end() || !list->is_array()) {
    return make_error(ErrorCode::parse_error, std::string("catalog needs an array '") + list_key + "'");
  }
  if (list->size() > kMaxCatalogEntries) {
    return make_error(ErrorCode::parse_error, "catalog has more than 20000 entries");
  }
  return doc;
}

}  // namespace detail

Result<Catalog> builtin_catalog() {
  Catalog c;
  auto models = parse_models_json(std::string_view(gpuplan_models_json, gpuplan_models_json_size));
  if (!models) return make_error(models.error().code, "built-in model catalog: " + models.error().message);
  c.models = std::move(models).value();
  auto gpus = parse_gpus_json(std::string_view(gpuplan_gpus_json, gpuplan_gpus_json_size), &c);
  if (!gpus) return make_error(gpus.error().code, "built-in GPU catalog: " + gpus.error().message);
  c.gpus = std::move(gpus).value();
  auto runtimes = parse_runtimes_json(std::string_view(gpuplan_runtimes_json, gpuplan_runtimes_json_size), c);
  if (!runtimes) return make_error(runtimes.error().code, "built-in runtime catalog: " + runtimes.error().message);
  auto prices = parse_prices_json(std::string_view(gpuplan_prices_json, gpuplan_prices_json_size), c);
  if (!prices) return make_error(prices.error().code, "built-in price catalog: " + prices.error().message);
  auto links = parse_links_json(std::string_view(gpuplan_links_json, gpuplan_links_json_size), c);
  if (!links) return make_error(links.error().code, "built-in link catalog: " + links.error().message);
  auto engines = parse_engines_json(std::string_view(gpuplan_engines_json, gpuplan_engines_json_size), c);
  if (!engines) return make_error(engines.error().code, "built-in engine catalog: " + engines.error().message);
  auto serving = parse_serving_calibration_json(
      std::string_view(gpuplan_serving_calibration_json, gpuplan_serving_calibration_json_size), c);
  if (!serving) return make_error(serving.error().code, "built-in serving calibration: " + serving.error().message);
  return c;
}

}  // namespace gpuplan::io
