// The built-in catalogs (data/*.json), parsed once per fuzz process, for targets that need real
// models and cards next to their fuzzed input.
#pragma once
#include "gpuplan/catalog.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan::fuzz {

inline const Catalog& builtin() {
  static const Catalog catalog = io::builtin_catalog().value();
  return catalog;
}

}  // namespace gpuplan::fuzz
