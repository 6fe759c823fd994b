#include "gpuplan/estimate.hpp"

#include <algorithm>
#include <cmath>

namespace gpuplan {
namespace {

constexpr double kMaxBatch = 1 << 20;
constexpr double kMaxContextWithoutModelLimit = 16.0 * 1024 * 1024;

std::string largest_term(const MemoryBreakdown& m) {
  struct Term {
    const char* name;
    double bytes;
  };
  const Term terms[] = {{"weights", m.weights_bytes},         {"kv_cache", m.kv_cache_bytes},
                        {"activations", m.activations_bytes}, {"gradients", m.gradients_bytes},
                        {"optimizer", m.optimizer_bytes},     {"adapters", m.adapter_bytes},
                        {"overhead", m.overhead_bytes}};
  const Term* best = &terms[0];
  for (const auto& t : terms) {
    if (t.bytes > best->bytes) best = &t;
  }
  return best->name;
}

}  // namespace

double scenario_weights_bytes(const Scenario& s) {
  return s.measured_weights.total > 0 ? s.measured_weights.total : weights_bytes(s.arch, s.precision);
}

SpeedInputs speed_inputs(const Scenario& s) {
  SpeedInputs in;
  in.arch = &s.arch;
  in.precision = &s.precision;
  if (s.measured_weights.total > 0) in.measured_weights = &s.measured_weights;
  in.kv_bytes = s.workload.kv_bytes;
  in.hardware = s.hardware;
  in.runtime = s.runtime;
  in.workload = s.speed;
  in.workload.gpus = std::max(1.0, s.gpus);
  return in;
}

Estimate estimate(const Scenario& s) {
  Estimate e;
  e.params = count_params(s.arch);
  e.trainable_params = trainable_params(s);
  const MemoryBreakdown fixed = fixed_memory(s);
  e.memory = with_sequence_memory(s, fixed, s.workload.context, s.workload.batch);
  e.capacity_bytes = s.gpu_memory_bytes;
  e.headroom_bytes = e.capacity_bytes - e.memory.total_bytes;
  e.fits = e.memory.total_bytes <= e.capacity_bytes;
  e.binding = largest_term(e.memory);

  auto fits_at = [&](double context, double batch) {
    return with_sequence_memory(s, fixed, context, batch).total_bytes <= e.capacity_bytes;
  };
  const double model_limit = s.arch.context_length > 0 ? s.arch.context_length : kMaxContextWithoutModelLimit;
  e.max_context = largest_fitting(model_limit, [&](double c) { return fits_at(c, s.workload.batch); });
  e.max_context_is_model_limit = e.max_context >= model_limit;
  e.max_batch = largest_fitting(kMaxBatch, [&](double b) { return fits_at(s.workload.context, b); });

  // Cards needed with an even split of everything but the per-card overhead and workspace.
  const double shared = e.memory.total_bytes - e.memory.overhead_bytes - e.memory.activations_bytes;
  const double per_card = e.capacity_bytes - e.memory.overhead_bytes - e.memory.activations_bytes;
  const double n = std::max(1.0, s.gpus);
  e.min_gpus = per_card > 0 ? std::max(1.0, std::ceil(shared * n / per_card - 1e-9)) : 0;
  if (s.with_speed && !is_training(s.workload.mode)) {
    e.speed = estimate_speed(speed_inputs(s));
    e.has_speed = true;
  }
  return e;
}

}  // namespace gpuplan
