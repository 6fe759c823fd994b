// Catalog: the models and GPUs gpuplan knows, with name lookup that suggests near matches.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/gpu.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan {

struct Catalog {
  std::vector<Model> models;
  std::vector<Gpu> gpus;
  std::string models_as_of;
  std::string gpus_as_of;
  std::vector<std::pair<std::string, std::string>> gpu_sources;  // key -> description
};

// By id or alias; case, '-', '_', '.', ' ' insensitive where unambiguous.
Result<const Model*> find_model(const Catalog& catalog, std::string_view name);
Result<const Gpu*> find_gpu(const Catalog& catalog, std::string_view name);

}  // namespace gpuplan
