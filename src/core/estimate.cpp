#include "gpuplan/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

namespace gpuplan {
namespace {

constexpr double kMaxBatch = 1 << 20;
constexpr double kMaxContextWithoutModelLimit = 16.0 * 1024 * 1024;

MemoryTerm largest_term(const MemoryBreakdown& m) {
  struct Term {
    MemoryTerm name;
    double bytes;
  };
  const Term terms[] = {{MemoryTerm::weights, m.weights_bytes},         {MemoryTerm::kv_cache, m.kv_cache_bytes},
                        {MemoryTerm::activations, m.activations_bytes}, {MemoryTerm::gradients, m.gradients_bytes},
                        {MemoryTerm::optimizer, m.optimizer_bytes},     {MemoryTerm::adapters, m.adapter_bytes},
                        {MemoryTerm::overhead, m.overhead_bytes}};
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
  if (s.engine_spec.family == EngineFamily::llamacpp) {
    in.workload.step_tokens = s.engine.n_batch > 0 ? s.engine.n_batch : s.engine_spec.n_batch;
  }
  return in;
}

namespace {

void set_speed(const Scenario& s, Estimate& e, double host_share) {
  ScenarioSpeed sp = scenario_speed(s, serving_pool(s, e), host_share);
  e.speed = sp.speed;
  e.has_speed = true;
  e.has_load = sp.has_load;
  e.load = sp.load;
}

// The engine's plan as the common breakdown (per GPU, rank 0 or the fullest card).
MemoryBreakdown engine_breakdown(const EngineMemory& em) {
  MemoryBreakdown m;
  const EngineDevice* fullest = nullptr;
  for (const auto& d : em.devices) {
    if (!d.host && (!fullest || d.total_bytes > fullest->total_bytes)) fullest = &d;
  }
  if (!fullest) return m;
  m.weights_bytes = fullest->weights_bytes;
  m.kv_cache_bytes = fullest->kv_cache_bytes;
  m.activations_bytes = fullest->compute_buffer_bytes;
  m.overhead_bytes = fullest->other_bytes;
  m.host_bytes = em.ram_bytes;
  m.total_bytes = fullest->total_bytes;
  return m;
}

Estimate engine_estimate(const Scenario& s);

// llama.cpp's placement and its limits both price the layers: once per estimate, not per use.
Estimate llamacpp_estimate(const Scenario& in) {
  Scenario s = in;
  s.layer_weights = std::make_shared<const LayerWeightBytes>(layer_weight_bytes(s.arch, s.precision));
  return engine_estimate(s);
}

Estimate engine_estimate(const Scenario& s) {
  Estimate e;
  e.params = count_params(s.arch);
  e.trainable_params = trainable_params(s);
  e.engine = engine_memory(s);
  e.has_engine = true;
  e.memory = engine_breakdown(e.engine);
  e.capacity_bytes = e.engine.visible_bytes > 0 ? e.engine.visible_bytes : s.gpu_memory_bytes;
  e.headroom_bytes = e.capacity_bytes - e.memory.total_bytes;
  e.fits = e.engine.fits;
  e.binding = largest_term(e.memory);
  const double model_limit = s.arch.context_length > 0 ? s.arch.context_length : kMaxContextWithoutModelLimit;
  if (s.engine_spec.family == EngineFamily::paged) {
    // Every one of `batch` sequences at once: the pool's tokens shared among them.
    const double batch = std::max(1.0, s.workload.batch);
    const double shared = batch > 1 ? std::floor(e.engine.kv_cache_tokens / batch) : e.engine.longest_sequence;
    e.max_context = std::max(0.0, std::min({e.engine.longest_sequence, shared, model_limit}));
    e.max_batch = std::floor(e.engine.max_concurrency);
    if (e.fits && batch > e.max_batch) {
      e.fits = false;
      e.batch_exceeds_concurrency = true;
    }
    // The pool is sized to the card: the GPU count that holds one max_model_len sequence.
    e.min_gpus = e.fits ? std::max(1.0, s.gpus) : 0;
  } else {
    const double n_seq = std::max(1.0, e.engine.n_seq);
    const double ngl = e.engine.gpu_layers + (e.engine.output_on_gpu ? 1.0 : 0.0);
    const LlamaLimits limits =
        llama_limits(s, ngl, model_limit * n_seq, n_seq, std::max(1.0, e.engine.max_model_len), 1024);
    e.max_context = limits.max_ctx;
    e.max_context_is_model_limit = e.max_context >= model_limit * n_seq;
    e.max_batch = limits.max_seqs;
    e.min_gpus = e.fits ? std::max(1.0, s.gpus) : 0;
  }
  if (s.with_speed) set_speed(s, e, host_layer_share(s, e.engine));
  return e;
}

}  // namespace

double host_layer_share(const Scenario& s, const EngineMemory& em) {
  const double layers = s.arch.num_layers;
  if (s.engine_spec.family != EngineFamily::llamacpp || layers <= 0 || em.gpu_layers >= layers) return 0;
  return (layers - std::max(0.0, em.gpu_layers)) / layers;
}

Estimate estimate(const Scenario& s) {
  if (!is_training(s.workload.mode) &&
      (s.engine_spec.family == EngineFamily::paged || s.engine_spec.family == EngineFamily::llamacpp)) {
    const bool price_layers = s.engine_spec.family == EngineFamily::llamacpp && !s.layer_weights;
    return price_layers ? llamacpp_estimate(s) : engine_estimate(s);
  }
  if (!is_training(s.workload.mode) && s.engine_spec.family == EngineFamily::eager) {
    Estimate e = estimate(eager_as_generic(s));
    e.engine = engine_memory(s);
    e.has_engine = true;
    return e;
  }
  Estimate e;
  e.params = count_params(s.arch);
  e.trainable_params = trainable_params(s);
  const MemoryBreakdown fixed = fixed_memory(s);
  const SequenceMemory sequences(s);
  e.memory = sequences.at(fixed, s.workload.context, s.workload.batch);
  e.capacity_bytes = s.gpu_memory_bytes;
  e.headroom_bytes = e.capacity_bytes - e.memory.total_bytes;
  e.fits = e.memory.total_bytes <= e.capacity_bytes;
  e.binding = largest_term(e.memory);

  auto need_at = [&](double context, double batch) { return sequences.at(fixed, context, batch).total_bytes; };
  const double model_limit = s.arch.context_length > 0 ? s.arch.context_length : kMaxContextWithoutModelLimit;
  e.max_context = largest_within(model_limit, e.capacity_bytes, [&](double c) { return need_at(c, s.workload.batch); });
  e.max_context_is_model_limit = e.max_context >= model_limit;
  e.max_batch = largest_within(kMaxBatch, e.capacity_bytes, [&](double b) { return need_at(s.workload.context, b); });

  // Cards needed with an even split of everything but the per-card overhead and workspace.
  const double shared = e.memory.total_bytes - e.memory.overhead_bytes - e.memory.activations_bytes;
  const double per_card = e.capacity_bytes - e.memory.overhead_bytes - e.memory.activations_bytes;
  const double n = std::max(1.0, s.gpus);
  e.min_gpus = per_card > 0 ? std::max(1.0, std::ceil(shared * n / per_card - 1e-9)) : 0;
  if (s.with_speed && !is_training(s.workload.mode)) set_speed(s, e, 0);
  return e;
}

}  // namespace gpuplan
