// Catalog: the models and GPUs gpuplan knows, with name lookup that suggests near matches.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/engine.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/prices.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/serving.hpp"
#include "gpuplan/speed.hpp"

namespace gpuplan {

struct Catalog {
  std::vector<Model> models;
  std::vector<Gpu> gpus;
  std::string models_as_of;
  std::string gpus_as_of;
  std::vector<std::pair<std::string, std::string>> gpu_sources;  // key -> description
  std::vector<RuntimeModel> runtimes;
  std::vector<std::string> runtime_vendors;  // parallel to runtimes: comma-separated vendors each entry covers
  PriceBook prices;
  struct NamedLink {
    std::string id, kind, source, as_of;  // kind: intra | inter
    double bytes_per_s = 0, latency_s = 0;
    double bus_efficiency = 1;  // achieved collective bus bandwidth / link rate (nccl-tests busbw)
  };
  std::vector<NamedLink> links;
  std::vector<EngineSpec> engines;                                 // data/engines.json
  std::vector<ServingCalibration> serving_calibrations;            // data/serving_calibration.json
  std::vector<std::pair<std::string, double>> cuda_visible_bytes;  // GPU id -> memory CUDA reports (engine logs)
};

// By id or alias; case, '-', '_', '.', ' ' insensitive where unambiguous.
Result<const Model*> find_model(const Catalog& catalog, std::string_view name);
Result<const Gpu*> find_gpu(const Catalog& catalog, std::string_view name);
// The efficiency model of `runtime` (llama.cpp, vllm, sglang, tensorrt-llm, transformers, ollama)
// on a GPU of `vendor`. When no entry covers the vendor, the runtime's first entry is returned
// with calibrated = false and the calibration text saying whose factors were borrowed.
// An engine's memory constants by id or alias (vllm, vllm-v0, sglang, tensorrt-llm, llama.cpp, ollama, transformers).
Result<const EngineSpec*> find_engine(const Catalog& catalog, std::string_view name);
Result<RuntimeModel> find_runtime(const Catalog& catalog, std::string_view runtime, std::string_view vendor);

}  // namespace gpuplan
