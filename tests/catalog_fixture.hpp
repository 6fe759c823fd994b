// The built-in catalog, loaded once per test binary.
#pragma once
#include <gtest/gtest.h>

#include "gpuplan/advice.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan::testing {

inline const Catalog& catalog() {
  static const Catalog c = [] {
    auto r = io::builtin_catalog();
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return Catalog{};
    }
    return std::move(r).value();
  }();
  return c;
}

inline const Model& model(const char* name) {
  auto m = find_model(catalog(), name);
  if (!m) throw std::runtime_error(m.error().message);
  return *m.value();
}

inline const Gpu& gpu(const char* name) {
  auto g = find_gpu(catalog(), name);
  if (!g) throw std::runtime_error(g.error().message);
  return *g.value();
}

inline Scenario scenario(const char* model_name, const char* precision, const char* gpu_name, double context = 4096,
                         double batch = 1, Mode mode = Mode::inference) {
  Scenario s;
  s.arch = model(model_name).arch;
  s.precision = find_precision(precision).value();
  s.gpu_memory_bytes = usable_memory_bytes(gpu(gpu_name));
  s.workload.mode = mode;
  s.workload.context = context;
  s.workload.batch = batch;
  return s;
}

}  // namespace gpuplan::testing
