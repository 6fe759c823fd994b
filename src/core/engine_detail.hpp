// Internal: what the engine files share (engine.cpp, engine_paged.cpp, engine_llamacpp.cpp): the
// KV widths and activation sizes both families use, and each family's memory plan. Not part of
// the public headers.
#pragma once
#include <algorithm>
#include <cmath>

#include "gpuplan/engine.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan::engine_detail {

inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kF32 = 4.0;  // llama.cpp compute buffers, logits and recurrent state are f32

inline double positive(double x) {
  return std::isfinite(x) && x > 0 ? x : 0.0;
}
inline double round_up(double x, double to) {
  return to > 0 ? std::ceil(x / to) * to : x;
}

// K and V elements per token of one attention layer, per rank. MLA's latent is one vector (vLLM
// and llama.cpp keep it whole on every rank); GQA heads split across ranks, replicated when
// there are fewer KV heads than ranks (vLLM: max(1, num_kv_heads // tp)).
struct KvWidth {
  double k = 0, v = 0;
};
inline KvWidth kv_width_per_rank(const ModelArch& a, double tp) {
  if (is_mla(a)) return {kv_elements_per_token_per_layer(a), 0.0};
  const double heads = std::max(1.0, std::floor(a.num_kv_heads / std::max(1.0, tp)));
  return {heads * attention_qk_head_dim(a), heads * attention_v_head_dim(a)};
}

inline double attention_layers(const ModelArch& a) {
  return std::max(0.0, a.num_layers - num_recurrent_layers(a));
}

// Per-token activation bytes of the profiling forward pass at its MLP peak: the hidden states
// (residual, normed input, output: 3h), gate_up (2 x width) and act(gate) (width) per rank; a fused
// MoE adds its top-k expert outputs (vLLM fused_moe intermediate_cache3).
inline double profile_bytes_per_token(const ModelArch& a, double act_bytes, double tp) {
  double elements = 3.0 * a.hidden_size + 3.0 * active_mlp_width(a) / std::max(1.0, tp);
  if (is_moe(a)) elements += a.experts_per_token * a.hidden_size;
  return act_bytes * elements;
}

// vLLM, SGLang, TensorRT-LLM (engine_paged.cpp).
EngineMemory paged_memory(const Scenario& s);
// llama.cpp and Ollama (engine_llamacpp.cpp).
EngineMemory llamacpp_memory(const Scenario& s);

}  // namespace gpuplan::engine_detail
