// Advice for `fit`: when a scenario does not fit, what would make it fit.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/estimate.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan {

struct FitSuggestion {
  std::string kind;  // precision | context | batch | kv_cache | method | optimizer | recompute | bigger_gpu | more_gpus
  std::string text;  // one line a person reads
  std::string value;  // the concrete setting (e.g. "q4_k_m", "24576", "rtx-a6000", "4")
};

// Every suggestion is checked: run as printed (--quant, --gpu, --gpus, ...) the scenario fits, and
// no format is suggested that the card cannot run (fp8 without FP8 tensor cores, bf16 without BF16).
// `current`: the card of the scenario; nullptr: every catalog card of its usable memory.
std::vector<FitSuggestion> fit_suggestions(const Scenario& scenario, const Estimate& estimate,
                                           const std::vector<Gpu>& gpus, const Gpu* current);
std::vector<FitSuggestion> fit_suggestions(const Scenario& scenario, const Estimate& estimate,
                                           const std::vector<Gpu>& gpus);

}  // namespace gpuplan
