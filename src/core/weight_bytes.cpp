// Weight bytes per tensor and per layer: llama.cpp's file-type mixes (GGUF) and the simple formats.
#include <algorithm>
#include <cmath>
#include <string_view>

#include "gpuplan/precision.hpp"

namespace gpuplan {
// ---------------------------------------------------------------------------------------------
// llama.cpp file-type mixes. Mirrors the decisions of llama_tensor_get_type() in llama.cpp's
// src/llama-quant.cpp (read at ggml-org/llama.cpp, 2025) for the tensor roles that carry weight:
// output, attn_v (and MLA attn_kv_b), attn_k, attn_output, ffn_down; other tensors take the
// file's base type; 1-D tensors stay F32; rows not divisible by the block fall back as llama.cpp does.
// ---------------------------------------------------------------------------------------------
namespace {

bool use_more_bits(double i, double n) {
  const auto il = static_cast<long long>(i);
  const auto nl = static_cast<long long>(n);
  return il < nl / 8 || il >= 7 * nl / 8 || (il - nl / 8) % 3 == 2;
}

std::string_view fallback_type(std::string_view type) {
  if (type == "Q4_K") return "Q5_0";
  if (type == "Q5_K") return "Q5_1";
  if (type == "Q6_K") return "Q8_0";
  if (type == "Q2_K" || type == "Q3_K" || type == "IQ4_XS" || type.substr(0, 3) == "IQ1" ||
      type.substr(0, 3) == "IQ2" || type.substr(0, 3) == "IQ3") {
    return "IQ4_NL";
  }
  return type;
}

enum class Ftype {
  other,
  f16,
  q8_0,
  q6_k,
  q5_k_m,
  q5_k_s,
  q4_k_m,
  q4_k_s,
  q3_k_l,
  q3_k_m,
  q3_k_s,
  q2_k,
  iq4_xs,
  iq4_nl,
  iq3_m,
  iq3_xxs,
  iq2_m,
  iq2_xxs,
  iq1_m,
  iq1_s
};

Ftype ftype_of(std::string_view name) {
  struct Entry {
    std::string_view name;
    Ftype ftype;
  };
  constexpr Entry entries[] = {
      {"f16", Ftype::f16},         {"q8_0", Ftype::q8_0},     {"q6_k", Ftype::q6_k},       {"q5_k_m", Ftype::q5_k_m},
      {"q5_k_s", Ftype::q5_k_s},   {"q4_k_m", Ftype::q4_k_m}, {"q4_k_s", Ftype::q4_k_s},   {"q3_k_l", Ftype::q3_k_l},
      {"q3_k_m", Ftype::q3_k_m},   {"q3_k_s", Ftype::q3_k_s}, {"q2_k", Ftype::q2_k},       {"iq4_xs", Ftype::iq4_xs},
      {"iq4_nl", Ftype::iq4_nl},   {"iq3_m", Ftype::iq3_m},   {"iq3_xxs", Ftype::iq3_xxs}, {"iq2_m", Ftype::iq2_m},
      {"iq2_xxs", Ftype::iq2_xxs}, {"iq1_m", Ftype::iq1_m},   {"iq1_s", Ftype::iq1_s}};
  for (const auto& e : entries) {
    if (e.name == name) return e.ftype;
  }
  return Ftype::other;
}

struct MixContext {
  Ftype f;
  double n_layers;
  double gqa;  // num_heads / num_kv_heads
  double n_expert;
  bool is_70b;  // llama.cpp LLM_TYPE_70B bump for attn_v
};

bool layer_dependent(TensorRole role) {
  return role == TensorRole::attn_v || role == TensorRole::attn_kv_b || role == TensorRole::ffn_down ||
         role == TensorRole::ffn_down_exps || role == TensorRole::ffn_down_shexp;
}

std::string_view mix_type(const MixContext& m, std::string_view base, TensorRole role, double layer) {
  using F = Ftype;
  const F f = m.f;
  const bool iq_low = f == F::iq2_xxs || f == F::iq1_s || f == F::iq1_m || f == F::iq2_m;
  switch (role) {
    case TensorRole::output:
      if (iq_low) return "Q5_K";
      return base == "Q8_0" ? "Q8_0" : "Q6_K";
    case TensorRole::token_embd:
      if (f == F::iq2_xxs || f == F::iq1_s || f == F::iq1_m) return "Q2_K";
      if (f == F::iq2_m || f == F::iq3_xxs) return "IQ3_S";
      return base;
    case TensorRole::attn_v:
    case TensorRole::attn_kv_b: {
      if (iq_low) return (m.gqa >= 4 || m.n_expert >= 4) ? "Q4_K" : (f == F::iq2_m ? "IQ3_S" : "Q2_K");
      std::string_view t = base;
      if (f == F::q2_k)
        t = m.gqa >= 4 ? "Q4_K" : "Q3_K";
      else if (f == F::iq3_xxs)
        t = m.gqa >= 4 ? "Q4_K" : "IQ3_S";
      else if (f == F::iq3_m)
        t = "Q4_K";
      else if (f == F::q3_k_m)
        t = layer < 2 ? "Q5_K" : "Q4_K";
      else if (f == F::q3_k_l)
        t = "Q5_K";
      else if ((f == F::iq4_nl || f == F::iq4_xs) && m.gqa >= 4)
        t = "Q5_K";
      else if ((f == F::q4_k_m || f == F::q5_k_m) && use_more_bits(layer, m.n_layers))
        t = "Q6_K";
      else if (f == F::q4_k_s && layer < 4)
        t = "Q5_K";
      if (m.is_70b && (t == "Q3_K" || t == "Q4_K")) t = "Q5_K";
      if (m.n_expert == 8) t = "Q8_0";
      return t;
    }
    case TensorRole::attn_k:
      if (m.n_expert == 8 && !iq_low) return "Q8_0";
      if (f == F::iq3_xxs) return "IQ2_S";
      return base;
    case TensorRole::attn_o:
      if (m.n_expert == 8) {
        if (f == F::q2_k || f == F::iq3_xxs || f == F::q3_k_s || f == F::q3_k_m || f == F::iq4_nl || f == F::q4_k_s ||
            f == F::q4_k_m || f == F::iq3_m || f == F::iq4_xs) {
          return "Q5_K";
        }
        return base;
      }
      if (f == F::q2_k) return "Q3_K";
      if (f == F::iq3_xxs) return "IQ3_S";
      if (f == F::q3_k_m || f == F::iq3_m) return "Q4_K";
      if (f == F::q3_k_l) return "Q5_K";
      if (f == F::iq2_m) return "IQ3_S";
      if (f == F::iq1_s || f == F::iq1_m) return "IQ2_XXS";
      return base;
    case TensorRole::ffn_down:
    case TensorRole::ffn_down_exps:
    case TensorRole::ffn_down_shexp: {
      const double n = m.n_layers;
      if (iq_low) return layer < n / 8 ? (f == F::iq2_m ? "IQ3_S" : "Q2_K") : base;
      if (f == F::q2_k) return "Q3_K";
      if (f == F::iq3_xxs) return layer < n / 8 ? "Q4_K" : "Q3_K";
      if (f == F::q3_k_m) return layer < n / 16 ? "Q5_K" : "Q4_K";
      if (f == F::iq3_m && layer < n / 8) return "Q4_K";
      if (f == F::q3_k_l) return "Q5_K";
      if (f == F::q4_k_m && use_more_bits(layer, n)) return "Q6_K";
      if ((f == F::iq4_nl || f == F::iq4_xs) && layer < n / 8) return "Q5_K";
      if (f == F::q5_k_m && use_more_bits(layer, n)) return "Q6_K";
      if (f == F::q4_k_s && layer < n / 8) return "Q5_K";
      return base;
    }
    default: return base;
  }
}

// Tensors llama.cpp keeps in f32 whatever the file type: norms and biases (1-D), the router
// (ffn_gate_inp), and Mamba's ssm_conv1d / ssm_a / ssm_d (llama-quant.cpp: "do not quantize Mamba's
// small yet 2D weights"; convert_hf_to_gguf.py writes them as F32).
bool kept_f32(TensorRole role) {
  return role == TensorRole::vector || role == TensorRole::router || role == TensorRole::ssm_conv ||
         role == TensorRole::ssm_a || role == TensorRole::ssm_d;
}

double gguf_tensor_bytes(const MixContext& m, std::string_view base, const WeightTensor& w, double layer) {
  if (w.cols <= 1 || kept_f32(w.role)) return w.elements * 4.0;
  if (w.role == TensorRole::vision) return w.elements * 2.0;  // mmproj is usually shipped in f16
  std::string_view type = (base == "F16" || base == "BF16" || base == "F32") ? base : mix_type(m, base, w.role, layer);
  const GgmlType* t = find_ggml_type(type);
  if (t && std::fmod(w.cols, t->block_size) != 0) {
    if (w.role == TensorRole::output || w.role == TensorRole::token_embd) {
      type = "Q8_0";
    } else {
      type = fallback_type(type);
    }
    t = find_ggml_type(type);
    if (t && std::fmod(w.cols, t->block_size) != 0) t = find_ggml_type("F16");
  }
  return w.elements * (t ? t->bits_per_weight() : 16.0) / 8.0;
}

double simple_tensor_bytes(const Precision& p, const WeightTensor& w) {
  if (w.role == TensorRole::vision) return w.elements * 2.0;
  if (w.cols <= 1 || kept_f32(w.role)) {  // not nn.Linear weights: quantisers leave them alone
    return w.elements * p.vector_bits / 8.0;
  }
  switch (p.kind) {
    case QuantKind::floating: return w.elements * p.linear_bits / 8.0;
    case QuantKind::grouped:
      if (w.role == TensorRole::token_embd || w.role == TensorRole::pos_embd || w.role == TensorRole::output) {
        return w.elements * p.embed_bits / 8.0;
      }
      return w.elements * p.linear_bits / 8.0;
    case QuantKind::experts: return w.elements * (is_routed_expert(w.role) ? p.linear_bits : p.embed_bits) / 8.0;
    case QuantKind::gguf_mix: break;
  }
  return w.elements * p.linear_bits / 8.0;
}

// Bytes of one weight tensor in precision `p`; GGUF mixes follow llama.cpp's per-tensor rules.
class TensorPricer {
 public:
  TensorPricer(const ModelArch& arch, const Precision& p)
      : p_(p),
        mix_{ftype_of(p.name), arch.num_layers, arch.num_kv_heads > 0 ? arch.num_heads / arch.num_kv_heads : 1.0,
             arch.num_experts, arch.num_layers == 80 && arch.hidden_size == 8192} {}
  double operator()(const WeightTensor& w, double layer) const {
    return p_.kind == QuantKind::gguf_mix ? gguf_tensor_bytes(mix_, p_.base_type, w, layer)
                                          : simple_tensor_bytes(p_, w);
  }

 private:
  const Precision& p_;
  MixContext mix_;
};

// The five predicates llama.cpp's per-layer rules see (attn_v / attn_kv_b / ffn_down), as bits.
unsigned layer_rule_key(double layer, double n) {
  return (use_more_bits(layer, n) ? 1u : 0u) | (layer < 2 ? 2u : 0u) | (layer < 4 ? 4u : 0u) |
         (layer < n / 16 ? 8u : 0u) | (layer < n / 8 ? 16u : 0u);
}

}  // namespace

WeightBytes weight_bytes_breakdown(const ModelArch& arch, const Precision& p) {
  const TensorPricer bytes_of(arch, p);
  WeightBytes out;
  auto add = [&out](TensorRole role, double bytes) {
    out.total += bytes;
    if (role == TensorRole::token_embd || role == TensorRole::pos_embd) out.token_embedding += bytes;
    if (is_routed_expert(role)) out.routed_experts += bytes;
    if (role == TensorRole::vision) out.vision += bytes;
  };
  const LayerTensors outer = outer_tensors(arch);
  for (std::size_t i = 0; i < outer.count; ++i) {
    WeightTensor w = outer.tensors[i];
    // llama.cpp quantises a tied token embedding with the output tensor's rules.
    if (arch.tie_word_embeddings && w.role == TensorRole::token_embd && p.kind == QuantKind::gguf_mix) {
      add(TensorRole::token_embd, bytes_of(WeightTensor{TensorRole::output, w.elements, w.cols}, 0));
      continue;
    }
    add(w.role, bytes_of(w, 0));
  }
  const bool per_layer = p.kind == QuantKind::gguf_mix;  // mixes vary per layer; plain formats per layer kind
  auto add_layers = [&](double first, double end) {
    if (end <= first) return;
    const LayerTensors t = layer_tensors(arch, first);
    for (std::size_t i = 0; i < t.count; ++i) {
      const WeightTensor& w = t.tensors[i];
      if (!per_layer || !layer_dependent(w.role)) {
        add(w.role, (end - first) * bytes_of(w, first));
        continue;
      }
      // Per-layer rules touch only attn_v / attn_kv_b / ffn_down, and see a layer only through
      // five predicates: price each combination once.
      std::array<double, 32> memo{};
      memo.fill(-1);
      const double n = arch.num_layers;
      for (double layer = first; layer < end; ++layer) {
        const unsigned key = layer_rule_key(layer, n);
        if (memo[key] < 0) memo[key] = bytes_of(w, layer);
        add(w.role, memo[key]);
      }
    }
  };
  // Runs of layers with one tensor shape (dense / MoE, attention / recurrent).
  for (double first = 0; first < arch.num_layers; first = layer_run_end(arch, first)) {
    add_layers(first, layer_run_end(arch, first));
  }
  return out;
}

LayerWeightBytes layer_weight_bytes(const ModelArch& arch, const Precision& p) {
  const TensorPricer bytes_of(arch, p);
  LayerWeightBytes out;
  const LayerTensors outer = outer_tensors(arch);
  for (std::size_t i = 0; i < outer.count; ++i) {
    const WeightTensor& w = outer.tensors[i];
    if (w.role == TensorRole::vision) continue;
    if (w.role == TensorRole::token_embd && arch.tie_word_embeddings && p.kind == QuantKind::gguf_mix) {
      out.token_embedding += bytes_of(WeightTensor{TensorRole::output, w.elements, w.cols}, 0);
    } else if (w.role == TensorRole::token_embd || w.role == TensorRole::pos_embd) {
      out.token_embedding += bytes_of(w, 0);
    } else {
      out.output += bytes_of(w, 0);
    }
  }
  if (arch.tie_word_embeddings) {
    // llama.cpp duplicates a tied embedding as the output tensor on the output device.
    const WeightTensor head{TensorRole::output, arch.vocab_size * arch.hidden_size, arch.hidden_size};
    out.tied_copy = bytes_of(head, 0);
    out.output += out.tied_copy;
  }
  const auto layers = static_cast<std::size_t>(std::max(0.0, std::min(arch.num_layers, 1e5)));
  out.layers.assign(layers, 0.0);
  // Layers differ only by kind (dense / MoE / recurrent) and, in GGUF mixes, by the five
  // predicates the per-layer rules look at: price each combination once.
  std::array<double, 128> memo{};
  memo.fill(-1);
  const double n = arch.num_layers;
  for (std::size_t i = 0; i < layers; ++i) {
    const double layer = static_cast<double>(i);
    const unsigned key = layer_rule_key(layer, n) | (is_moe_layer(arch, layer) ? 32u : 0u) |
                         (is_recurrent_layer(arch, layer) ? 64u : 0u);
    if (memo[key] < 0) {
      const LayerTensors t = layer_tensors(arch, layer);
      double bytes = 0;
      for (std::size_t k = 0; k < t.count; ++k) bytes += bytes_of(t.tensors[k], layer);
      memo[key] = bytes;
    }
    out.layers[i] = memo[key];
  }
  return out;
}

double weights_bytes(const ModelArch& arch, const Precision& p) {
  return weight_bytes_breakdown(arch, p).total;
}

}  // namespace gpuplan
