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
  // The closed loop under load, when the runtime's speed model is the serving step model (speed
  // then carries its TTFT, TPOT and throughput).
  bool has_load = false;
  ServingLoad load;
  bool has_engine = false;
  // The engine starts, but its KV pool holds fewer sequences of the context than the batch asked.
  bool batch_exceeds_concurrency = false;
  EngineMemory engine;  // when the scenario names an engine (--runtime): its own memory plan
};

Estimate estimate(const Scenario& scenario);

// What an estimated scenario gives the serving closed loop: the tokens its KV pool holds (the
// engine's pool, times the attention data-parallel ranks, each holding its own sequences; else the
// generic memory model's largest batch at the scenario's context; < 0 unlimited) and the engine's
// per-step token budget (its max_num_batched_tokens as the engine plan resolved it; 0 = the flag or
// the step model's default).
struct ServingPool {
  double kv_pool_tokens = -1;
  double max_batched_tokens = 0;
};
ServingPool serving_pool(const Scenario& scenario, const Estimate& estimate);

// The ranks an engine's memory plan spreads the weights over: tensor x pipeline ranks; with expert
// parallelism every rank of the replica (engine_weights_per_rank adds back the attention weights
// each data-parallel rank holds).
double engine_weight_ranks(const Scenario& scenario);
// Weight bytes on one rank of a paged engine spread over `ranks`: everything / ranks, except with
// attention data parallel and expert parallel together, where the routed experts spread over every
// rank and the rest (attention, dense layers, shared experts, embeddings) is held by each
// data-parallel rank's tensor-parallel group (gpus / dp ranks).
double engine_weights_per_rank(const Scenario& scenario, double ranks);

// The speed of a scenario at its concurrency: the runtime's speed model (the roofline of
// speed.hpp, or the serving closed loop with `pool`).
struct ScenarioSpeed {
  Speed speed;
  bool has_load = false;
  ServingLoad load;
};
ScenarioSpeed scenario_speed(const Scenario& scenario, const ServingPool& pool, double host_layer_share = 0);
// TPOT and TTFT alone (what plan's latency search probes): scenario_speed's two figures without
// the rest (no roofline figures beside the serving loop). Infinite when the pool holds no sequence.
struct Latency {
  double tpot_s = 0;
  double ttft_s = 0;
};
Latency scenario_latency(const Scenario& scenario, const ServingPool& pool);
// The serving step model's inputs for a scenario (its layout, calibration, step budget, pool).
ServingInputs serving_inputs(const Scenario& scenario, const ServingPool& pool);

// Largest value in [1, upper] for which fits(value) holds, or 0; fits must be monotone.
template <typename Fits>
double largest_fitting(double upper, Fits fits) {
  if (upper < 1 || !fits(1.0)) return 0;
  double lo = 1;
  double hi = upper;
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    double mid = std::floor((lo + hi) / 2);
    if (mid <= lo) mid = lo + 1;  // a fractional upper bound within 2 of lo: the one whole value left
    if (fits(mid))
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

// largest_fitting(upper, [&](double x) { return need(x) <= limit; }) for a non-decreasing need,
// found in fewer probes: a few steps interpolate need linearly between the bracket's ends (a
// near-linear need lands next to the boundary at once), then bisection closes the bracket. Each
// probe keeps fits(lo) and not fits(hi) as the bisection does, so the answer is the same.
template <typename Need>
double largest_within(double upper, double limit, Need need) {
  if (upper < 1) return 0;
  double need_lo = need(1.0);
  if (!(need_lo <= limit)) return 0;
  double need_hi = need(upper);
  if (need_hi <= limit) return upper;
  double lo = 1;
  double hi = upper;
  for (int step = 0; step < 4 && hi - lo > 1; ++step) {
    double guess = std::floor(lo + (limit - need_lo) / (need_hi - need_lo) * (hi - lo));
    if (!(guess > lo)) guess = lo + 1;             // also when the interpolation is not a number
    if (!(guess < hi)) guess = std::ceil(hi) - 1;  // the largest whole value below hi
    if (!(guess > lo)) break;
    const double n = need(guess);
    if (n <= limit) {
      lo = guess;
      need_lo = n;
    } else {
      hi = guess;
      need_hi = n;
    }
  }
  while (hi - lo > 1) {
    double mid = std::floor((lo + hi) / 2);
    if (mid <= lo) mid = lo + 1;  // a fractional upper bound within 2 of lo: the one whole value left
    if (need(mid) <= limit)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

}  // namespace gpuplan
