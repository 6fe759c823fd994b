// The request context the tests and benchmarks run against: the built-in catalog, no network,
// no cache on disk. One copy for test_api, test_api_answers, test_threads and bench_api.
#pragma once
#include "gpuplan/api/api.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan::testing {

inline const Catalog& builtin_catalog() {
  static const Catalog c = io::builtin_catalog().value();
  return c;
}

inline api::Context offline_context() {
  api::Context ctx;
  ctx.catalog = &builtin_catalog();
  ctx.sources.offline = true;
  ctx.sources.cache_dir.clear();
  return ctx;
}

}  // namespace gpuplan::testing
