// Catalog files (data/models.json, data/gpus.json, or a user's own) <-> core values.
// Takes text, never paths. Untrusted input: sizes and counts are bounded, every field is
// type-checked, and a bad entry is an Error naming the entry and the field.
#pragma once
#include <string_view>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io {

inline constexpr std::size_t kMaxCatalogBytes = 32u << 20;  // 32 MiB
inline constexpr std::size_t kMaxCatalogEntries = 20000;

Result<std::vector<Model>> parse_models_json(std::string_view text);
// Also returns the catalog's as_of and its sources map into `catalog`.
Result<std::vector<Gpu>> parse_gpus_json(std::string_view text, Catalog* catalog = nullptr);

// data/runtimes.json: efficiency models per runtime and hardware family.
Result<bool> parse_runtimes_json(std::string_view text, Catalog& catalog);

// data/prices.json (or a user's --prices-file): replaces the catalog's price book.
Result<bool> parse_prices_json(std::string_view text, Catalog& catalog);

// data/links.json: interconnects with bandwidth and latency.
Result<bool> parse_links_json(std::string_view text, Catalog& catalog);

// data/engines.json: each serving engine's memory constants.
Result<bool> parse_engines_json(std::string_view text, Catalog& catalog);
// data/serving_calibration.json: the serving step model's constants per (engine, GPU family),
// written by tests/test_serving_validation.cpp.
Result<bool> parse_serving_calibration_json(std::string_view text, Catalog& catalog);
// A user's calibration file in the same schema: each (engine, architecture) pair replaces the
// catalog's (or is added); `source` (the file) is named in every figure that rests on it.
Result<bool> merge_serving_calibration_json(Catalog& catalog, std::string_view text, std::string_view source);

// The catalogs compiled into the binary from data/.
Result<Catalog> builtin_catalog();
// Adds (or replaces by id) entries of user catalog text to a catalog.
Result<bool> merge_models_json(Catalog& catalog, std::string_view text);
Result<bool> merge_gpus_json(Catalog& catalog, std::string_view text);

}  // namespace gpuplan::io
