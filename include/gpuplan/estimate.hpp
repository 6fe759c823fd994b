// estimate(scenario) -> Estimate: memory per GPU, the verdict, and the limits that still fit.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "gpuplan/codes.hpp"
#include "gpuplan/engine.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan {

struct Estimate {
  ParamCounts params;
  double trainable_params = 0;
  MemoryBreakdown memory;     // per GPU
  double capacity_bytes = 0;  // usable memory per GPU
  double headroom_bytes = 0;  // capacity - total (negative when it does not fit)
  bool fits = false;
  double max_context = 0;                   // largest context (sequence length) that fits at the given batch; 0 if none
  bool max_context_is_model_limit = false;  // capped by the model's own context length
  double max_batch = 0;                     // largest batch (concurrent sequences / micro-batch) at the given context
  MemoryTerm binding = MemoryTerm::weights;  // largest memory term
  double min_gpus = 0;                       // cards of this kind needed with an ideal even split
  bool has_speed = false;
  Speed speed;  // when the scenario asks for speed (inference)
  bool has_engine = false;
  // The engine starts, but its KV pool holds fewer sequences of the context than the batch asked.
  bool batch_exceeds_concurrency = false;
  EngineMemory engine;  // when the scenario names an engine (--runtime): its own memory plan
};

Estimate estimate(const Scenario& scenario);

// Largest value in [1, upper] for which fits(value) holds, or 0; fits must be monotone.
template <typename Fits>
double largest_fitting(double upper, Fits fits) {
  if (upper < 1 || !fits(1.0)) return 0;
  double lo = 1;
  double hi = upper;
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    const double mid = std::floor((lo + hi) / 2);
    if (fits(mid))
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

}  // namespace gpuplan
