// The measured serving runs of shared/reference/serving_aic_silicon.csv as serving questions.
#pragma once
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "catalog_fixture.hpp"
#include "csv.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/serving.hpp"

namespace gpuplan::testing {

struct ServingRow {
  ServingObservation observation;
  std::string engine;  // vllm | sglang | tensorrt-llm
  ArchFamily family = ArchFamily::other;
  std::string model_id;
  std::string gpu_id;
  std::string precision;
  std::string measured_on;  // the run's date as its source gives it
};

inline std::string engine_name(const std::string& backend) {
  if (backend == "trtllm") return "tensorrt-llm";
  return backend;
}

// model_path (org/name) -> catalog id: as written, else the name without org and the
// -Instruct / -FP8 / -NVFP4 suffixes of the same weights.
inline const Model* serving_model(const std::string& path) {
  if (auto m = find_model(catalog(), path)) return m.value();
  std::string name = path.substr(path.find('/') + 1);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* suffix : {"-instruct", "-fp8", "-nvfp4"}) {
    const std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
      name.resize(name.size() - s.size());
  }
  auto m = find_model(catalog(), name);
  return m ? m.value() : nullptr;
}

inline std::string serving_precision(const std::string& gemm_mode) {
  if (gemm_mode.empty()) return "bf16";
  if (gemm_mode == "fp8" || gemm_mode == "fp8_block") return "fp8";
  if (gemm_mode == "int4_wo") return "awq-int4";
  if (gemm_mode == "nvfp4") return "nvfp4";
  return gemm_mode;
}

inline double number_or(const std::string& text, double fallback) {
  if (text.empty()) return fallback;
  try {
    return std::stod(text);
  } catch (...) {
    return fallback;
  }
}

inline std::string measured_date(const std::string& source) {
  const auto at = source.find("measured=");
  if (at != std::string::npos) return source.substr(at + 9, 10);
  const auto dump = source.find("db-dump/");
  if (dump != std::string::npos) return source.substr(dump + 8, 10);
  return "";
}

// Rows that cannot be expressed (model or precision missing) are listed in `skipped`.
inline std::vector<ServingRow> serving_rows(std::vector<std::string>* skipped) {
  static const std::vector<CsvRow> csv = read_csv(std::string(GPUPLAN_REFERENCE_DIR) + "/serving_aic_silicon.csv");
  static std::map<std::string, Precision> precisions;
  std::vector<ServingRow> rows;
  for (const auto& r : csv) {
    ServingRow row;
    row.engine = engine_name(r.at("backend"));
    const std::string system = r.at("system");
    row.gpu_id = system == "h100_sxm" ? "h100-sxm" : system == "b200_sxm" ? "b200" : "";
    const Model* model = serving_model(r.at("model_path"));
    auto gpu = find_gpu(catalog(), row.gpu_id.empty() ? "-" : row.gpu_id);
    row.precision = serving_precision(r.at("gemm_quant_mode"));
    if (!precisions.count(row.precision)) {
      if (auto p = find_precision(row.precision)) precisions.emplace(row.precision, p.value());
    }
    const std::string label = r.at("id");
    const double pp = number_or(r.at("pp_size"), 1);
    if (model == nullptr || !gpu || !precisions.count(row.precision) || pp != 1) {
      if (skipped) {
        skipped->push_back(label + (model == nullptr ? " (model not in the catalog)"
                                    : !gpu           ? " (card not in the catalog)"
                                    : pp != 1        ? " (pipeline parallel)"
                                                     : " (precision " + row.precision + " unknown)"));
      }
      continue;
    }
    row.model_id = model->id;
    row.family = arch_family(gpu.value()->architecture);
    row.measured_on = measured_date(r.at("silicon_data_source"));
    ServingObservation& o = row.observation;
    o.inputs.arch = &model->arch;
    o.inputs.precision = &precisions.at(row.precision);
    o.inputs.hardware = compute_spec(*gpu.value());
    o.inputs.gemm_path = serving_gemm_path(*o.inputs.precision, gpu.value()->dense_flops);
    o.inputs.layout.tensor_parallel = std::max(1.0, number_or(r.at("tp_size"), 1));
    o.inputs.layout.data_parallel = std::max(1.0, number_or(r.at("attention_dp_size"), 1));
    o.inputs.layout.expert_parallel = std::max(1.0, number_or(r.at("moe_ep_size"), 1));
    // The engines' default share of each card (vLLM --gpu-memory-utilization 0.9; SGLang and
    // TensorRT-LLM reserve about as much).
    o.inputs.kv_pool_tokens = serving_kv_pool_tokens(o.inputs, gpu.value()->memory_bytes, 0.9);
    o.concurrency = number_or(r.at("batch_size"), 1);
    o.prompt_tokens = number_or(r.at("isl"), 0);
    o.output_tokens = number_or(r.at("osl"), 0);
    o.measured_ttft_s = number_or(r.at("silicon_ttft_ms"), 0) / 1e3;
    o.measured_tpot_s = number_or(r.at("silicon_tpot_ms"), 0) / 1e3;
    o.group = row.engine + " " + system + " " + row.model_id;
    o.label = label;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace gpuplan::testing
