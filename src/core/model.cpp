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
  return is_moe(a) && layer >= a.first_dense_layers;
}

bool is_routed_expert(TensorRole role) {
  return role == TensorRole::ffn_gate_exps || role == TensorRole::ffn_up_exps || role == TensorRole::ffn_down_exps;
}

bool is_sliding_layer(const ModelArch& a, double layer) {
  if (a.sliding_window <= 0) return false;
  if (a.global_every <= 0) return true;
  return std::fmod(layer + 1, a.global_every) != 0;
}

namespace {

void add_attention(const ModelArch& a, LayerTensors& t) {
  const double h = a.hidden_size;
  if (is_mla(a)) {
    const double qk_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank > 0) {
      t.add(TensorRole::attn_q_a, h * a.q_lora_rank, h);
      t.add(TensorRole::vector, a.q_lora_rank, a.q_lora_rank);  // q_a_layernorm
      t.add(TensorRole::attn_q_b, a.q_lora_rank * a.num_heads * qk_head, a.q_lora_rank);
    } else {
      t.add(TensorRole::attn_q, h * a.num_heads * qk_head, h);
    }
    t.add(TensorRole::attn_kv_a, h * (a.kv_lora_rank + a.qk_rope_head_dim), h);
    t.add(TensorRole::vector, a.kv_lora_rank, a.kv_lora_rank);  // kv_a_layernorm
    t.add(TensorRole::attn_kv_b, a.kv_lora_rank * a.num_heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank);
    t.add(TensorRole::attn_o, a.num_heads * a.v_head_dim * h, a.num_heads * a.v_head_dim);
    return;
  }
  const double q_width = a.num_heads * a.head_dim;
  const double kv_width = a.num_kv_heads * a.head_dim;
  t.add(TensorRole::attn_q, h * q_width, h);
  t.add(TensorRole::attn_k, h * kv_width, h);
  t.add(TensorRole::attn_v, h * kv_width, h);
  t.add(TensorRole::attn_o, q_width * h, q_width);
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
  if (a.shared_expert_intermediate_size > 0) {
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
  add_attention(a, t);
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
  // Dense layers and MoE layers each have one shape: count one of each and multiply.
  const double dense_layers = is_moe(a) ? std::min(a.first_dense_layers, a.num_layers) : a.num_layers;
  const double moe_layers = a.num_layers - dense_layers;
  if (dense_layers > 0) c.total += dense_layers * sum_elements(layer_tensors(a, 0));
  if (moe_layers > 0) {
    const LayerTensors moe = layer_tensors(a, a.num_layers - 1);
    c.total += moe_layers * sum_elements(moe);
    c.routed_experts = moe_layers * routed_elements(moe);
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

double kv_elements_per_token_per_layer(const ModelArch& a) {
  if (is_mla(a)) return a.kv_lora_rank + a.qk_rope_head_dim;
  return 2.0 * a.num_kv_heads * a.head_dim;
}

double kv_token_layers(const ModelArch& a, double context) {
  if (a.sliding_window <= 0) return a.num_layers * context;
  double sliding = a.num_layers;
  if (a.global_every > 0) sliding = a.num_layers - std::floor(a.num_layers / a.global_every);
  const double global = a.num_layers - sliding;
  return global * context + sliding * std::min(context, a.sliding_window);
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
  const double dense_layers = is_moe(a) ? std::min(a.first_dense_layers, a.num_layers) : a.num_layers;
  add_layer(layer_tensors(a, 0), dense_layers);
  add_layer(layer_tensors(a, a.num_layers - 1), a.num_layers - dense_layers);
  return sum;
}

double largest_tensor_elements(const ModelArch& a) {
  double largest = 0;
  auto scan = [&](const LayerTensors& t) {
    for (std::size_t i = 0; i < t.count; ++i) largest = std::max(largest, t.tensors[i].elements);
  };
  scan(outer_tensors(a));
  scan(layer_tensors(a, a.num_layers - 1));
  return largest;
}

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
                           a.vision_params,
                           a.context_length};
  for (double v : fields) {
    if (bad(v)) return "architecture fields must be non-negative integers below 1e12";
  }
  if (a.hidden_size <= 0 || a.num_layers <= 0 || a.vocab_size <= 0) {
    return "hidden_size, num_layers and vocab_size must be positive";
  }
  if (a.num_layers > 10000) return "num_layers is implausibly large (more than 10000)";
  if (!is_mla(a)) {
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
  } else if (a.intermediate_size <= 0) {
    return "intermediate_size must be positive";
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
  const double attention = 2 * h * a.num_heads * a.head_dim + 2 * h * a.num_kv_heads * a.head_dim + 2 * h;
  const double fixed = 2 * a.vocab_size * h + h + a.num_layers * attention;
  a.intermediate_size = std::max(h, std::round((params - fixed) / (3 * h * a.num_layers)));
  return a;
}

}  // namespace gpuplan
