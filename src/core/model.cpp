#include "gpuplan/model.hpp"

#include <algorithm>
#include <cmath>

namespace gpuplan {

bool is_moe(const ModelArch& a) {
  return a.num_experts > 0;
}
bool is_mla(const ModelArch& a) {
  return a.kv_lora_rank > 0;
}
bool is_moe_layer(const ModelArch& a, double layer) {
  if (!is_moe(a) || layer < a.first_dense_layers) return false;
  return a.moe_every <= 0 || std::fmod(layer, a.moe_every) == a.moe_offset;
}

bool is_routed_expert(TensorRole role) {
  return role == TensorRole::ffn_gate_exps || role == TensorRole::ffn_up_exps || role == TensorRole::ffn_down_exps;
}

bool is_sliding_layer(const ModelArch& a, double layer) {
  if (a.sliding_window <= 0) return false;
  if (a.global_every <= 0) return true;
  return std::fmod(layer + 1, a.global_every) != 0;
}

const char* to_string(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::none: return "none";
    case RecurrentKind::mamba: return "mamba";
    case RecurrentKind::mamba2: return "mamba2";
    case RecurrentKind::gated_deltanet: return "gated_deltanet";
  }
  return "none";
}

bool is_recurrent(const ModelArch& a) {
  return a.recurrent != RecurrentKind::none;
}

bool is_recurrent_layer(const ModelArch& a, double layer) {
  if (!is_recurrent(a) || layer < 0 || layer >= a.num_layers) return false;
  return a.attention_every <= 0 || std::fmod(layer, a.attention_every) != a.attention_offset;
}

double num_recurrent_layers(const ModelArch& a) {
  if (!is_recurrent(a)) return 0;
  if (a.attention_every <= 0) return a.num_layers;
  // Attention layers: offset, offset + every, ... below num_layers.
  const double attention = a.attention_offset < a.num_layers
                               ? std::floor((a.num_layers - 1 - a.attention_offset) / a.attention_every) + 1
                               : 0;
  return a.num_layers - attention;
}

double num_attention_layers(const ModelArch& a) {
  return a.num_layers - num_recurrent_layers(a);
}

double recurrent_state_elements_per_layer(const ModelArch& a) {
  if (!is_recurrent(a)) return 0;
  const double conv = std::max(0.0, a.ssm_conv - 1) * (a.ssm_inner + 2 * a.ssm_groups * a.ssm_state);
  return conv + a.ssm_inner * a.ssm_state;
}

double recurrent_state_bytes(const ModelArch& a, double sequences) {
  return sequences * num_recurrent_layers(a) * recurrent_state_elements_per_layer(a) * kRecurrentStateBytes;
}

double layer_run_end(const ModelArch& a, double layer) {
  if (!is_moe(a) && !is_recurrent(a)) return a.num_layers;
  const bool hybrid = (is_recurrent(a) && a.attention_every > 0) || (is_moe(a) && a.moe_every > 0);
  if (!hybrid)
    return is_moe(a) && layer < a.first_dense_layers ? std::min(a.first_dense_layers, a.num_layers) : a.num_layers;
  const bool recurrent = is_recurrent_layer(a, layer);
  const bool moe = is_moe_layer(a, layer);
  double end = layer + 1;
  while (end < a.num_layers && is_recurrent_layer(a, end) == recurrent && is_moe_layer(a, end) == moe) ++end;
  return end;
}

namespace {

// Mamba / Mamba-2 / Gated DeltaNet mixer, tensor by tensor as transformers builds them
// (MambaMixer, Mamba2Mixer, JambaMambaMixer, Qwen3NextGatedDeltaNet).
void add_recurrent_mixer(const ModelArch& a, LayerTensors& t) {
  const double h = a.hidden_size;
  const double inner = a.ssm_inner;
  const double state = a.ssm_state;
  const double conv = a.ssm_conv;
  const double heads = a.ssm_dt_rank;
  const double proj_bias = a.ssm_proj_bias ? 1 : 0;
  switch (a.recurrent) {
    case RecurrentKind::none: return;
    case RecurrentKind::mamba: {
      t.add(TensorRole::ssm_in, h * 2 * inner + proj_bias * 2 * inner, h);   // x and gate z
      t.add(TensorRole::ssm_conv, inner * conv, conv);                       // depthwise conv1d
      t.add(TensorRole::ssm_x, inner * (a.ssm_dt_rank + 2 * state), inner);  // x_proj -> dt, B, C
      t.add(TensorRole::ssm_dt, a.ssm_dt_rank * inner, a.ssm_dt_rank);       // dt_proj
      t.add(TensorRole::ssm_a, inner * state, state);                        // A_log
      t.add(TensorRole::ssm_d, inner, 1);                                    // D
      t.add(TensorRole::ssm_out, inner * h + proj_bias * h, inner);
      double vectors = inner;                                    // dt_proj bias
      if (a.ssm_conv_bias) vectors += inner;                     // conv1d bias
      if (a.ssm_dt_norms) vectors += a.ssm_dt_rank + 2 * state;  // Jamba dt/B/C layernorms
      t.add(TensorRole::vector, vectors, 1);
      return;
    }
    case RecurrentKind::mamba2: {
      const double conv_dim = inner + 2 * a.ssm_groups * state;
      const double in_width = inner + conv_dim + heads;  // z, xBC, dt
      t.add(TensorRole::ssm_in, h * in_width + proj_bias * in_width, h);
      t.add(TensorRole::ssm_conv, conv_dim * conv, conv);
      t.add(TensorRole::ssm_a, heads, 1);
      t.add(TensorRole::ssm_d, heads, 1);
      t.add(TensorRole::ssm_out, inner * h + proj_bias * h, inner);
      // dt_bias, gated RMSNorm over d_inner, conv bias.
      t.add(TensorRole::vector, heads + inner + (a.ssm_conv_bias ? conv_dim : 0), 1);
      return;
    }
    case RecurrentKind::gated_deltanet: {
      const double key_dim = a.ssm_groups * state;           // num_k_heads x head_k_dim
      const double conv_dim = 2 * key_dim + inner;           // q, k, v
      t.add(TensorRole::ssm_in, h * (conv_dim + inner), h);  // in_proj_qkvz
      t.add(TensorRole::ssm_ba, h * 2 * heads, h);           // in_proj_ba
      t.add(TensorRole::ssm_conv, conv_dim * conv, conv);
      t.add(TensorRole::ssm_a, heads, 1);
      t.add(TensorRole::ssm_out, inner * h, inner);
      // dt_bias per value head, gated RMSNorm over head_v_dim (shared by the heads), conv bias.
      const double head_v_dim = heads > 0 ? inner / heads : 0;
      t.add(TensorRole::vector, heads + head_v_dim + (a.ssm_conv_bias ? conv_dim : 0), 1);
      return;
    }
  }
}

void add_attention(const ModelArch& a, LayerTensors& t) {
  const double h = a.hidden_size;
  const double q_width = attention_q_width(a);
  const double o_width = attention_output_width(a);
  if (is_mla(a)) {
    if (a.q_lora_rank > 0) {
      t.add(TensorRole::attn_q_a, h * a.q_lora_rank, h);
      t.add(TensorRole::vector, a.q_lora_rank, a.q_lora_rank);  // q_a_layernorm
      t.add(TensorRole::attn_q_b, a.q_lora_rank * q_width, a.q_lora_rank);
    } else {
      t.add(TensorRole::attn_q, h * q_width, h);
    }
    t.add(TensorRole::attn_kv_a, h * mla_kv_latent_width(a), h);  // kv_a_proj_with_mqa
    t.add(TensorRole::vector, a.kv_lora_rank, a.kv_lora_rank);    // kv_a_layernorm
    t.add(TensorRole::attn_kv_b, a.kv_lora_rank * attention_kv_projection_width(a), a.kv_lora_rank);
    t.add(TensorRole::attn_o, o_width * h, o_width);
    if (a.index_head_dim > 0 && a.index_heads > 0) {  // DSA lightning indexer (DeepSeek-V3.2 Indexer)
      const double q_in = a.q_lora_rank > 0 ? a.q_lora_rank : h;
      t.add(TensorRole::attn_q, q_in * a.index_heads * a.index_head_dim, q_in);  // wq_b
      t.add(TensorRole::attn_k, h * a.index_head_dim, h);                        // wk
      t.add(TensorRole::attn_q, h * a.index_heads, h);                           // weights_proj
      t.add(TensorRole::vector, 2 * a.index_head_dim, 1);                        // k_norm (LayerNorm)
    }
    return;
  }
  const double kv_width = attention_kv_projection_width(a) / 2;  // k_proj and v_proj, half each
  t.add(TensorRole::attn_q, h * q_width * (a.attn_output_gate ? 2 : 1), h);
  t.add(TensorRole::attn_k, h * kv_width, h);
  t.add(TensorRole::attn_v, h * kv_width, h);
  t.add(TensorRole::attn_o, o_width * h, o_width);
  double vectors = 0;
  if (a.qkv_bias) vectors += q_width + 2 * kv_width;
  if (a.o_bias) vectors += h;
  if (a.qk_norm == QkNorm::per_head) vectors += 2 * a.head_dim;
  if (a.qk_norm == QkNorm::full) vectors += q_width + kv_width;
  if (a.attn_sinks) vectors += a.num_heads;
  t.add(TensorRole::vector, vectors, 1);
}

// A dense MLP of width `width`: gated (gate, up, down; SwiGLU/GeGLU) or plain (up, down).
void add_mlp(const ModelArch& a, double width, LayerTensors& t, TensorRole gate, TensorRole up, TensorRole down,
             double copies, bool bias) {
  const double h = a.hidden_size;
  if (a.mlp == MlpKind::gated) t.add(gate, copies * h * width, h);
  t.add(up, copies * h * width, h);
  t.add(down, copies * width * h, width);
  if (bias) t.add(TensorRole::vector, copies * ((a.mlp == MlpKind::gated ? 2 : 1) * width + h), 1);
}

void add_ffn(const ModelArch& a, double layer, LayerTensors& t) {
  if (!is_moe_layer(a, layer)) {
    if (a.intermediate_size <= 0) return;  // Mamba blocks have no MLP
    add_mlp(a, a.intermediate_size, t, TensorRole::ffn_gate, TensorRole::ffn_up, TensorRole::ffn_down, 1, a.mlp_bias);
    return;
  }
  const double h = a.hidden_size;
  const double e = a.num_experts;
  t.add(TensorRole::router, h * e, h);
  t.add(TensorRole::vector, (a.router_bias ? e : 0) + (a.score_correction_bias ? e : 0), 1);
  add_mlp(a, a.moe_intermediate_size, t, TensorRole::ffn_gate_exps, TensorRole::ffn_up_exps, TensorRole::ffn_down_exps,
          e, false);
  if (a.expert_bias) {  // counted with the routed experts: they are per expert
    t.add(TensorRole::ffn_up_exps, e * ((a.mlp == MlpKind::gated ? 2 : 1) * a.moe_intermediate_size + h), 1);
  }
  if (a.shared_expert_intermediate_size > 0) {  // all shared experts as one MLP of their total width
    add_mlp(a, a.shared_expert_intermediate_size, t, TensorRole::ffn_gate_shexp, TensorRole::ffn_up_shexp,
            TensorRole::ffn_down_shexp, 1, false);
  }
  if (a.shared_expert_gate) t.add(TensorRole::vector, h, 1);
}

double sum_elements(const LayerTensors& t) {
  double s = 0;
  for (std::size_t i = 0; i < t.count; ++i) s += t.tensors[i].elements;
  return s;
}

double routed_elements(const LayerTensors& t) {
  double s = 0;
  for (std::size_t i = 0; i < t.count; ++i) {
    if (is_routed_expert(t.tensors[i].role)) s += t.tensors[i].elements;
  }
  return s;
}

}  // namespace

LayerTensors layer_tensors(const ModelArch& a, double layer) {
  LayerTensors t;
  t.add(TensorRole::vector, a.norms_per_layer * a.hidden_size, 1);
  if (is_recurrent_layer(a, layer)) {
    add_recurrent_mixer(a, t);
  } else {
    add_attention(a, t);
  }
  add_ffn(a, layer, t);
  return t;
}

LayerTensors outer_tensors(const ModelArch& a) {
  LayerTensors t;
  const double h = a.hidden_size;
  t.add(TensorRole::token_embd, a.vocab_size * h, h);
  t.add(TensorRole::pos_embd, a.learned_positions * h, h);
  t.add(TensorRole::vector, a.final_norm * h, 1);
  if (!a.tie_word_embeddings) t.add(TensorRole::output, a.vocab_size * h, h);
  t.add(TensorRole::vision, a.vision_params, 1);
  return t;
}

ParamCounts count_params(const ModelArch& a) {
  ParamCounts c;
  const LayerTensors outer = outer_tensors(a);
  for (std::size_t i = 0; i < outer.count; ++i) {
    const auto& w = outer.tensors[i];
    if (w.role == TensorRole::token_embd || w.role == TensorRole::pos_embd) c.embedding += w.elements;
    if (w.role == TensorRole::output) c.lm_head = w.elements;
    if (w.role == TensorRole::vision) c.vision = w.elements;
  }
  c.total = sum_elements(outer);
  // Runs of layers with one shape (dense / MoE, attention / recurrent): count one and multiply.
  for (double first = 0; first < a.num_layers;) {
    const double end = layer_run_end(a, first);
    const LayerTensors t = layer_tensors(a, first);
    c.total += (end - first) * sum_elements(t);
    c.routed_experts += (end - first) * routed_elements(t);
    first = end;
  }
  const double active_fraction = is_moe(a) ? a.experts_per_token / a.num_experts : 1.0;
  c.active = c.total - c.routed_experts * (1.0 - active_fraction);
  if (a.mtp_layers > 0) {
    // DeepSeek-V3 MTP module: a decoder layer, enorm + hnorm, eh_proj (2h x h), shared head norm.
    const double h = a.hidden_size;
    c.mtp = a.mtp_layers * (sum_elements(layer_tensors(a, a.num_layers)) + 2 * h + 2 * h * h + h);
  }
  return c;
}

double active_mlp_width(const ModelArch& a) {
  if (!is_moe(a)) return a.intermediate_size;
  return a.experts_per_token * a.moe_intermediate_size + a.shared_expert_intermediate_size;
}

double attention_qk_head_dim(const ModelArch& a) {
  return is_mla(a) ? a.qk_nope_head_dim + a.qk_rope_head_dim : a.head_dim;
}
double attention_v_head_dim(const ModelArch& a) {
  return is_mla(a) ? a.v_head_dim : a.head_dim;
}
double attention_head_dims(const ModelArch& a) {
  return attention_qk_head_dim(a) + attention_v_head_dim(a);
}
double attention_q_width(const ModelArch& a) {
  return a.num_heads * attention_qk_head_dim(a);
}
double attention_output_width(const ModelArch& a) {
  return a.num_heads * attention_v_head_dim(a);
}
double attention_kv_heads(const ModelArch& a) {
  return is_mla(a) ? a.num_heads : a.num_kv_heads;
}
double attention_kv_width(const ModelArch& a) {
  return attention_kv_heads(a) * attention_head_dims(a);
}
double attention_kv_projection_width(const ModelArch& a) {
  return is_mla(a) ? a.num_heads * (a.qk_nope_head_dim + a.v_head_dim) : attention_kv_width(a);
}
double mla_kv_latent_width(const ModelArch& a) {
  return a.kv_lora_rank + a.qk_rope_head_dim;
}

double kv_elements_per_token_per_layer(const ModelArch& a) {
  return is_mla(a) ? mla_kv_latent_width(a) + a.index_head_dim : attention_kv_width(a);
}

KvTokenLayers kv_token_layer_split(const ModelArch& a) {
  KvTokenLayers k;
  const double layers = num_attention_layers(a);  // recurrent layers hold no KV
  if (a.sliding_window <= 0) {
    k.global_layers = layers;
    return k;
  }
  k.sliding_layers = layers;
  if (a.global_every > 0) k.sliding_layers = layers - std::floor(layers / a.global_every);
  k.global_layers = layers - k.sliding_layers;
  k.window_tokens = a.sliding_window;
  return k;
}

double kv_token_layers(const ModelArch& a, double context) {
  return kv_token_layer_split(a).at(context);
}

double matrix_dims_sum(const ModelArch& a) {
  double sum = 0;
  auto add_layer = [&](const LayerTensors& t, double times) {
    for (std::size_t i = 0; i < t.count; ++i) {
      const auto& w = t.tensors[i];
      if (w.role == TensorRole::vector || w.role == TensorRole::vision || w.cols <= 1) continue;
      sum += times * (w.cols + w.elements / w.cols);
    }
  };
  add_layer(outer_tensors(a), 1);
  for (double first = 0; first < a.num_layers;) {
    const double end = layer_run_end(a, first);
    add_layer(layer_tensors(a, first), end - first);
    first = end;
  }
  return sum;
}

double largest_tensor_elements(const ModelArch& a) {
  double largest = 0;
  auto scan = [&](const LayerTensors& t) {
    for (std::size_t i = 0; i < t.count; ++i) largest = std::max(largest, t.tensors[i].elements);
  };
  scan(outer_tensors(a));
  for (double first = 0; first < a.num_layers; first = layer_run_end(a, first)) scan(layer_tensors(a, first));
  return largest;
}

namespace {

std::string validate_recurrent(const ModelArch& a) {
  if (!is_recurrent(a)) return {};
  if (a.ssm_inner <= 0 || a.ssm_state <= 0 || a.ssm_conv <= 0 || a.ssm_dt_rank <= 0) {
    return "recurrent layers need ssm_inner, ssm_state, ssm_conv and ssm_dt_rank";
  }
  if (a.recurrent != RecurrentKind::mamba && a.ssm_groups <= 0) {
    return "Mamba-2 and Gated DeltaNet layers need ssm_groups";
  }
  if (a.recurrent != RecurrentKind::mamba && std::fmod(a.ssm_inner, a.ssm_dt_rank) != 0) {
    return "ssm_inner must be a multiple of the head count (ssm_dt_rank)";
  }
  if (a.attention_every > 0 && a.attention_offset >= a.attention_every) {
    return "attention_offset must be below attention_every";
  }
  return {};
}

}  // namespace

std::string validate_arch(const ModelArch& a) {
  auto bad = [](double v) { return !std::isfinite(v) || v < 0 || v > 1e12 || std::floor(v) != v; };
  const double fields[] = {a.hidden_size,
                           a.num_layers,
                           a.num_heads,
                           a.num_kv_heads,
                           a.head_dim,
                           a.intermediate_size,
                           a.vocab_size,
                           a.norms_per_layer,
                           a.final_norm,
                           a.learned_positions,
                           a.sliding_window,
                           a.global_every,
                           a.num_experts,
                           a.experts_per_token,
                           a.moe_intermediate_size,
                           a.num_shared_experts,
                           a.shared_expert_intermediate_size,
                           a.first_dense_layers,
                           a.q_lora_rank,
                           a.kv_lora_rank,
                           a.qk_nope_head_dim,
                           a.qk_rope_head_dim,
                           a.v_head_dim,
                           a.mtp_layers,
                           a.index_heads,
                           a.index_head_dim,
                           a.vision_params,
                           a.context_length,
                           a.moe_every,
                           a.moe_offset,
                           a.attention_every,
                           a.attention_offset,
                           a.ssm_inner,
                           a.ssm_state,
                           a.ssm_conv,
                           a.ssm_groups,
                           a.ssm_dt_rank};
  for (double v : fields) {
    if (bad(v)) return "architecture fields must be non-negative integers below 1e12";
  }
  if (a.hidden_size <= 0 || a.num_layers <= 0 || a.vocab_size <= 0) {
    return "hidden_size, num_layers and vocab_size must be positive";
  }
  if (a.num_layers > 10000) return "num_layers is implausibly large (more than 10000)";
  if (const std::string why = validate_recurrent(a); !why.empty()) return why;
  if (num_attention_layers(a) <= 0) {
    // Pure state-space model: no attention fields needed.
  } else if (!is_mla(a)) {
    if (a.num_heads <= 0 || a.num_kv_heads <= 0 || a.head_dim <= 0) {
      return "num_heads, num_kv_heads and head_dim must be positive";
    }
    if (a.num_kv_heads > a.num_heads) return "num_kv_heads cannot exceed num_heads";
  } else if (a.num_heads <= 0 || a.v_head_dim <= 0) {
    return "MLA models need num_heads and v_head_dim";
  }
  if (is_moe(a)) {
    if (a.experts_per_token <= 0 || a.experts_per_token > a.num_experts) {
      return "experts_per_token must be between 1 and num_experts";
    }
    if (a.moe_intermediate_size <= 0) return "MoE models need moe_intermediate_size";
    if (a.moe_every > 0 && a.moe_offset >= a.moe_every) return "moe_offset must be below moe_every";
    const bool dense_layers = a.first_dense_layers > 0 || a.moe_every > 1;
    if (dense_layers && a.intermediate_size <= 0 && !is_recurrent(a)) return "intermediate_size must be positive";
  } else if (a.intermediate_size <= 0 && !is_recurrent(a)) {
    return "intermediate_size must be positive";  // recurrent blocks (Mamba) may have no MLP
  }
  return {};
}

}  // namespace gpuplan

namespace gpuplan {

ModelArch assumed_arch(double params) {
  struct Shape {
    double up_to;
    double hidden;
    double layers;
    double kv_heads;
  };
  // Llama 2 7B/13B/70B, Llama 3.2 1B/3B, Llama 3.1 405B and interpolations between them.
  constexpr Shape shapes[] = {
      {0.3e9, 768, 12, 12}, {0.8e9, 1536, 16, 12}, {2.0e9, 2048, 16, 32}, {5.0e9, 3072, 28, 24}, {10e9, 4096, 32, 32},
      {20e9, 5120, 40, 40}, {45e9, 6656, 60, 8},   {110e9, 8192, 80, 8},  {250e9, 12288, 96, 8}, {1e30, 16384, 126, 8}};
  Shape s = shapes[0];
  for (const auto& shape : shapes) {
    s = shape;
    if (params <= shape.up_to) break;
  }
  ModelArch a;
  a.hidden_size = s.hidden;
  a.num_layers = s.layers;
  a.head_dim = 128;
  a.num_heads = std::max(1.0, s.hidden / 128);
  a.num_kv_heads = std::min(a.num_heads, s.kv_heads);
  a.vocab_size = 32000;
  a.norms_per_layer = 2;
  a.final_norm = 1;
  a.context_length = 4096;
  const double h = a.hidden_size;
  const double attention =
      h * (attention_q_width(a) + attention_kv_projection_width(a) + attention_output_width(a)) + 2 * h;
  const double fixed = 2 * a.vocab_size * h + h + a.num_layers * attention;
  a.intermediate_size = std::max(h, std::round((params - fixed) / (3 * h * a.num_layers)));
  return a;
}

}  // namespace gpuplan
