// The llama-bench rows of shared/reference/llamacpp_speed.csv as speed scenarios.
#pragma once
#include <string>
#include <vector>

#include "catalog_fixture.hpp"
#include "csv.hpp"
#include "gpuplan/speed.hpp"

namespace gpuplan::testing {

struct SpeedRow {
  std::string label;
  std::string gpu_id;
  const Gpu* gpu = nullptr;
  double gpus = 1;
  std::string model_id;
  std::string quant;
  bool decode = false;  // tg512 (true) or pp512 (false)
  double measured_tokens_per_s = 0;
};

inline std::string reference_gpu_id(const std::string& hardware) {
  struct Map {
    const char* prefix;
    const char* id;
  };
  // Longest names first: "RTX 3080 Ti" before "RTX 3080".
  const Map maps[] = {{"RTX 3080 Ti", "rtx-3080-ti"}, {"RTX 3080", "rtx-3080"},
                      {"RTX 3070", "rtx-3070"},       {"RTX 4070 Ti", "rtx-4070-ti"},
                      {"RTX 4080", "rtx-4080"},       {"RTX 3090", "rtx-3090"},
                      {"RTX 4090", "rtx-4090"},       {"Apple M1 Max", "m1-max"},
                      {"Apple M1 Ultra", "m1-ultra"}, {"Apple M1 ", "m1"},
                      {"Apple M2 Ultra", "m2-ultra"}, {"Apple M2 Max", "m2-max"},
                      {"Apple M3 Max", "m3-max"}};
  for (const auto& m : maps) {
    if (hardware.rfind(m.prefix, 0) == 0) return m.id;
  }
  return {};
}

inline std::vector<SpeedRow> reference_speed_rows(std::vector<std::string>* skipped = nullptr) {
  std::vector<SpeedRow> rows;
  for (const auto& r : read_csv(std::string(GPUPLAN_REFERENCE_DIR) + "/llamacpp_speed.csv")) {
    SpeedRow row;
    const std::string hw = r.at("hardware");
    row.label = hw + " " + r.at("model") + " " + r.at("quant") + " " + r.at("test");
    row.gpu_id = reference_gpu_id(hw);
    const auto x = hw.rfind(" x");
    if (x != std::string::npos) row.gpus = std::stod(hw.substr(x + 2));
    const std::string model = r.at("model");
    row.model_id = model == "Llama 3 8B" ? "llama-3-8b" : model == "Llama 3 70B" ? "llama-3-70b" : "";
    row.quant = r.at("quant") == "F16" ? "f16" : r.at("quant") == "Q4_K_M" ? "q4_k_m" : "";
    row.decode = r.at("test").rfind("tg", 0) == 0;
    row.measured_tokens_per_s = leading_number(r.at("tokens_per_s"));
    auto g = find_gpu(catalog(), row.gpu_id.empty() ? "-" : row.gpu_id);
    if (row.gpu_id.empty() || !g || row.model_id.empty() || row.quant.empty() || row.measured_tokens_per_s <= 0) {
      if (skipped) skipped->push_back(row.label + (row.gpu_id.empty() || !g ? " (card not in the catalog)" : ""));
      continue;
    }
    row.gpu = g.value();
    rows.push_back(row);
  }
  return rows;
}

// The llama-bench setting: pp512 = a 512-token prompt at depth 0; tg512 = 512 tokens generated
// from depth 0; one sequence; layers split across cards.
inline SpeedInputs speed_inputs(const SpeedRow& row, const RuntimeModel& runtime) {
  SpeedInputs in;
  in.arch = &model(row.model_id.c_str()).arch;
  static const Precision f16 = find_precision("f16").value();
  static const Precision q4_k_m = find_precision("q4_k_m").value();
  in.precision = row.quant == "f16" ? &f16 : &q4_k_m;
  in.kv_bytes = 2;
  in.hardware = compute_spec(*row.gpu);
  in.runtime = runtime;
  in.workload.prompt_tokens = row.decode ? 0 : 512;
  in.workload.output_tokens = row.decode ? 512 : 0;
  in.workload.concurrency = 1;
  in.workload.gpus = row.gpus;
  in.workload.split = Split::layer;
  return in;
}

inline bool is_apple(const SpeedRow& row) {
  return row.gpu->vendor == "apple";
}

}  // namespace gpuplan::testing
