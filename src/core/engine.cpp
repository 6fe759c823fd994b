// Engine-faithful memory: the dispatch by engine family, transformers (eager), and the settings
// every engine shares. Paged engines: engine_paged.cpp; llama.cpp: engine_llamacpp.cpp. Each
// engine's arithmetic follows its own source (file named at each function); its constants come
// from data/engines.json.
#include "gpuplan/engine.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine_detail.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan {

using engine_detail::positive;

namespace {

// ---------------------------------------------------------------- transformers (eager)

// transformers generate(): weights, a DynamicCache that grows with the tokens, the prompt's
// forward pass at once (no chunking), plus the CUDA context; the generic model's terms.
EngineMemory eager_memory(const Scenario& s) {
  const MemoryBreakdown mem = estimate_memory(eager_as_generic(s));
  EngineMemory m;
  m.engine = s.engine_spec.id;
  m.family = s.engine_spec.family;
  m.tp = std::max(1.0, s.gpus);
  m.visible_bytes = s.gpu_memory_bytes;
  m.weights_bytes = mem.weights_bytes;
  m.kv_cache_bytes = mem.kv_cache_bytes;
  m.activation_peak_bytes = mem.activations_bytes;
  m.non_torch_bytes = mem.overhead_bytes;
  m.max_model_len = s.workload.context;
  m.max_concurrency = s.workload.batch;
  m.kv_cache_tokens = s.workload.context * s.workload.batch;
  m.fits = mem.total_bytes <= s.gpu_memory_bytes;
  if (!m.fits) {
    m.error = "torch.OutOfMemoryError: CUDA out of memory (" + format_gib(mem.total_bytes) + " needed per GPU, " +
              format_gib(s.gpu_memory_bytes) + " on the card)";
  }
  EngineDevice d;
  d.name = "CUDA0";
  d.weights_bytes = mem.weights_bytes;
  d.kv_cache_bytes = mem.kv_cache_bytes;
  d.compute_buffer_bytes = mem.activations_bytes;
  d.other_bytes = mem.overhead_bytes;
  d.total_bytes = mem.total_bytes;
  d.capacity_bytes = s.gpu_memory_bytes;
  d.layers = s.arch.num_layers;
  m.devices.push_back(d);
  m.vram_bytes = mem.total_bytes * m.tp;
  return m;
}

}  // namespace

const char* to_string(EngineFamily family) {
  switch (family) {
    case EngineFamily::none: return "generic";
    case EngineFamily::paged: return "paged";
    case EngineFamily::llamacpp: return "llama.cpp";
    case EngineFamily::eager: return "eager";
  }
  return "generic";
}

Scenario eager_as_generic(const Scenario& s) {
  Scenario t = s;
  t.workload.ubatch = std::max(1.0, s.workload.context * s.workload.batch);
  t.runtime_overhead_bytes = s.engine_spec.overhead_bytes;
  t.engine_spec.family = EngineFamily::none;
  return t;
}

double cuda_visible_bytes(const EngineSpec& spec, double nominal_bytes) {
  return positive(nominal_bytes) * (1.0 - std::clamp(spec.cuda_reserved_fraction, 0.0, 0.5));
}

double default_memory_fraction(const EngineSpec& spec, double tp) {
  if (spec.fraction_by_tp.empty()) return spec.memory_fraction;
  std::size_t i = 0;
  for (double t = 1; t * 2 <= tp && i + 1 < spec.fraction_by_tp.size(); t *= 2) ++i;
  return spec.fraction_by_tp[i];
}

EngineMemory engine_memory(const Scenario& s) {
  switch (s.engine_spec.family) {
    case EngineFamily::paged: return engine_detail::paged_memory(s);
    case EngineFamily::llamacpp: return engine_detail::llamacpp_memory(s);
    case EngineFamily::eager: return eager_memory(s);
    case EngineFamily::none: break;
  }
  return EngineMemory{};
}

}  // namespace gpuplan
