// The speed of a scenario by its runtime's speed model: the single-stream roofline (speed.cpp) or
// the serving closed loop (serving.cpp) with the scenario's layout, calibration and KV pool. Every
// command that prints a speed (speed, fit, cost, plan) comes through here.
#include <algorithm>
#include <cmath>

#include "gpuplan/estimate.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/precision.hpp"

namespace gpuplan {
namespace {

// The engine's per-step token budget: the flag, else the engine's default (vLLM V0: 0 =
// max(max_model_len, 2048)), else the step model's.
double step_token_budget(const Scenario& s, const ServingPool& pool) {
  if (pool.max_batched_tokens > 0) return pool.max_batched_tokens;
  if (s.engine.max_num_batched_tokens > 0) return s.engine.max_num_batched_tokens;
  if (s.engine_spec.family != EngineFamily::paged) return ServingInputs{}.max_batched_tokens;
  if (s.engine_spec.max_num_batched_tokens > 0) return s.engine_spec.max_num_batched_tokens;
  return std::max(s.engine.max_model_len, 2048.0);
}

Ranged rate_of(double amount, const Ranged& time_s) {
  auto rate = [amount](double t) { return t > 0 ? amount / t : 0.0; };
  return Ranged{rate(time_s.high), rate(time_s.expected), rate(time_s.low)};
}

// Scales `r` so its expected value is `expected`, keeping its relative spread.
Ranged rescaled(const Ranged& r, double expected) {
  if (r.expected <= 0) return Ranged{expected, expected, expected};
  const double k = expected / r.expected;
  return Ranged{r.low * k, expected, r.high * k};
}

}  // namespace

ServingInputs serving_inputs(const Scenario& s, const ServingPool& pool) {
  ServingInputs in;
  in.arch = &s.arch;
  in.precision = &s.precision;
  in.gemm_path = serving_gemm_path(s.precision, s.hardware.dense_flops);
  in.kv_bytes = s.workload.kv_bytes;
  in.hardware = s.hardware;
  const double gpus = std::max(1.0, s.gpus);
  const double dp = std::max(1.0, s.data_parallel);
  double pp = std::max(1.0, s.pipeline_parallel);
  if (s.speed.split == Split::layer && pp == 1) pp = std::max(1.0, std::floor(gpus / dp));
  in.layout.data_parallel = dp;
  in.layout.pipeline_parallel = pp;
  in.layout.tensor_parallel = std::max(1.0, std::floor(gpus / (dp * pp)));
  in.layout.expert_parallel = std::max(1.0, s.expert_parallel);
  in.calibration = s.serving_calibration;
  in.max_batched_tokens = step_token_budget(s, pool);
  in.kv_pool_tokens = pool.kv_pool_tokens;
  return in;
}

double engine_weight_ranks(const Scenario& s) {
  const double gpus = std::max(1.0, s.gpus);
  return s.expert_parallel > 1 ? gpus : std::max(1.0, gpus / std::max(1.0, s.data_parallel));
}

double engine_weights_per_rank(const Scenario& s, double ranks) {
  const double total = scenario_weights_bytes(s);
  const double n = std::max(1.0, ranks);
  const double dp = std::max(1.0, s.data_parallel);
  if (s.expert_parallel <= 1 || dp <= 1 || !is_moe(s.arch)) return total / n;
  double routed = s.measured_weights.routed_experts;
  if (!(s.measured_weights.total > 0 && routed > 0)) {
    const WeightBytes b = weight_bytes_breakdown(s.arch, s.precision);
    routed = s.measured_weights.total > 0 && b.total > 0 ? s.measured_weights.total * b.routed_experts / b.total
                                                         : b.routed_experts;
  }
  const double attention_ranks = std::max(1.0, std::floor(std::max(1.0, s.gpus) / dp));
  return routed / n + std::max(0.0, total - routed) / attention_ranks;
}

ServingPool serving_pool(const Scenario& s, const Estimate& e) {
  ServingPool pool;
  if (e.has_engine && s.engine_spec.family == EngineFamily::paged) {
    pool.kv_pool_tokens = std::max(0.0, e.engine.kv_cache_tokens) * std::max(1.0, s.data_parallel);
    pool.max_batched_tokens = e.engine.max_num_batched_tokens;
  } else if (!e.has_engine) {
    pool.kv_pool_tokens = e.max_batch >= 1 ? e.max_batch * std::max(1.0, s.workload.context) : 0.0;
  }  // llama.cpp: slots of n_ctx, not a shared pool (its speed is the roofline's)
  return pool;
}

ScenarioSpeed scenario_speed(const Scenario& s, const ServingPool& pool, double host_layer_share) {
  ScenarioSpeed out;
  SpeedInputs roofline = speed_inputs(s);
  roofline.workload.host_layer_share = host_layer_share;
  out.speed = estimate_speed(roofline);
  if (s.runtime.speed_model != SpeedModel::serving) return out;
  const ServingInputs in = serving_inputs(s, pool);
  const double concurrency = std::max(1.0, s.speed.concurrency);
  out.load = serve_closed_loop(in, concurrency, s.speed.prompt_tokens, s.speed.output_tokens);
  out.has_load = true;
  if (!out.load.fits) return out;
  // The figures under load replace the single-stream ones; prefill speed is one prompt alone.
  Speed& sp = out.speed;
  const double prompt = std::max(1.0, s.speed.prompt_tokens);
  const double alone_s = serving_step(in, StepWork{prompt, prompt, 0, 0}).total_s;
  sp.ttft_s = out.load.ttft_range_s;
  sp.tpot_s = out.load.tpot_range_s;
  sp.prefill_tokens_per_s = rescaled(rate_of(prompt, out.load.ttft_range_s), alone_s > 0 ? prompt / alone_s : 0);
  sp.decode_tokens_per_s = rate_of(1.0, out.load.tpot_range_s);
  sp.aggregate_tokens_per_s = rescaled(rate_of(1.0, out.load.tpot_range_s), out.load.output_tokens_per_s);
  sp.communication_s_per_token = out.load.step.communication_s;
  return out;
}

Latency scenario_latency(const Scenario& s, const ServingPool& pool) {
  if (s.runtime.speed_model != SpeedModel::serving) {
    const Speed sp = estimate_speed(speed_inputs(s));
    return {sp.tpot_s.expected, sp.ttft_s.expected};
  }
  const double concurrency = std::max(1.0, s.speed.concurrency);
  const ServingLoad load =
      serve_closed_loop(serving_inputs(s, pool), concurrency, s.speed.prompt_tokens, s.speed.output_tokens);
  if (!load.fits) return {HUGE_VAL, HUGE_VAL};
  return {load.tpot_s, load.ttft_s};
}

}  // namespace gpuplan
