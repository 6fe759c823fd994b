#include "gpuplan/precision.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>

#include "gpuplan/names.hpp"

namespace gpuplan {

// Block layouts from ggml's ggml-common.h (block_q4_0 = fp16 d + 16 bytes, ...), QK_K = 256.
const std::vector<GgmlType>& ggml_types() {
  static const std::vector<GgmlType> types = {
      {"F32", 1, 4},       {"F16", 1, 2},        {"BF16", 1, 2},      {"Q8_0", 32, 34},     {"Q8_1", 32, 36},
      {"Q5_1", 32, 24},    {"Q5_0", 32, 22},     {"Q4_1", 32, 20},    {"Q4_0", 32, 18},     {"Q8_K", 256, 292},
      {"Q6_K", 256, 210},  {"Q5_K", 256, 176},   {"Q4_K", 256, 144},  {"Q3_K", 256, 110},   {"Q2_K", 256, 84},
      {"IQ4_NL", 32, 18},  {"IQ4_XS", 256, 136}, {"IQ3_S", 256, 110}, {"IQ3_XXS", 256, 98}, {"IQ2_S", 256, 82},
      {"IQ2_XS", 256, 74}, {"IQ2_XXS", 256, 66}, {"IQ1_M", 256, 56},  {"IQ1_S", 256, 50},   {"TQ2_0", 256, 66},
      {"TQ1_0", 256, 54},  {"MXFP4", 32, 17},    {"I8", 1, 1},        {"I16", 1, 2},        {"I32", 1, 4},
      {"F64", 1, 8},       {"I64", 1, 8}};
  return types;
}

namespace {

// A name of at most 7 characters and its length as one integer (every ggml type name fits), so the
// exact-name lookup compares integers; 0 for longer names.
constexpr std::uint64_t packed_name(std::string_view name) {
  if (name.size() > 7) return 0;
  std::uint64_t key = static_cast<std::uint64_t>(name.size()) << 56;
  for (std::size_t i = 0; i < name.size(); ++i)
    key |= static_cast<std::uint64_t>(static_cast<unsigned char>(name[i])) << (8 * i);
  return key;
}

}  // namespace

const GgmlType* find_ggml_type(std::string_view name) {
  const std::vector<GgmlType>& types = ggml_types();
  static const std::vector<std::uint64_t> keys = [&types] {
    std::vector<std::uint64_t> k;
    for (const auto& t : types) k.push_back(packed_name(t.name));
    return k;
  }();
  if (const std::uint64_t key = packed_name(name); key != 0) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &types[i];  // fast path: canonical upper-case names
    }
  } else {
    for (const auto& t : types) {
      if (t.name == name) return &t;
    }
  }
  for (const auto& t : ggml_types()) {
    if (t.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(name[i])) == t.name[i];
    }
    if (same) return &t;
  }
  return nullptr;
}

namespace {

double ggml_bits(std::string_view type) {
  const GgmlType* t = find_ggml_type(type);
  return t ? t->bits_per_weight() : 16.0;
}

Precision floating(std::string name, std::string description, double bits, std::string quality) {
  Precision p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.kind = QuantKind::floating;
  p.linear_bits = bits;
  p.embed_bits = bits;
  p.vector_bits = bits >= 16 ? bits : 16;
  p.quality = std::move(quality);
  p.compute_bytes = bits >= 32 ? 4 : 2;
  return p;
}

Precision grouped(std::string name, std::string description, double bits, std::string quality,
                  QuantKind kind = QuantKind::grouped) {
  Precision p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.kind = kind;
  p.linear_bits = bits;
  p.embed_bits = 16;
  p.vector_bits = 16;
  p.quality = std::move(quality);
  return p;
}

Precision gguf(std::string name, std::string_view base, std::string quality) {
  Precision p;
  p.name = std::move(name);
  p.description = "llama.cpp GGUF file type " + std::string(base) + " mix";
  p.kind = QuantKind::gguf_mix;
  p.base_type = base;
  p.linear_bits = ggml_bits(base);
  p.embed_bits = p.linear_bits;
  p.vector_bits = 32;  // llama.cpp keeps 1-D tensors in F32
  p.quality = std::move(quality);
  return p;
}

std::vector<Precision> make_precisions() {
  // Group-scale costs: GPTQ/AWQ group 128 with an fp16 scale and a 4-bit zero per group
  // (AutoGPTQ/AutoAWQ packing): 4 + (16 + 4) / 128 = 4.15625 bits. NF4 (Dettmers et al. 2023):
  // block 64 with an fp32 absmax = 4.5 bits; double quantisation stores absmax in 8 bit with one
  // fp32 per 256 blocks: 4 + 8/64 + 32/(64*256) = 4.127 bits. MXFP4 (OCP MX spec): 32 FP4 values
  // share one 8-bit exponent = 4.25 bits. INT8 weight-only: per-channel fp16 scale (negligible).
  std::vector<Precision> v;
  v.push_back(floating("fp32", "IEEE float32", 32, "reference precision; twice the memory of bf16 for no gain"));
  v.push_back(floating("bf16", "bfloat16 (training and serving default)", 16, "no loss: the checkpoint's own format"));
  v.push_back(floating("fp16", "IEEE float16", 16, "no loss for inference"));
  v.push_back(grouped("fp8", "FP8 E4M3 weights (per-tensor/channel scales); embeddings and head in bf16", 8.0,
                      "near-lossless (typically <1% on benchmarks)"));
  v.push_back(
      grouped("int8", "INT8 weight-only (W8A16) with per-channel scales", 8.0, "near-lossless for weights-only 8-bit"));
  v.push_back(grouped("gptq-int4", "GPTQ 4-bit, group size 128 (fp16 scale + 4-bit zero per group)", 4.0 + 20.0 / 128.0,
                      "small loss (~1-3% on benchmarks); calibrated"));
  v.push_back(grouped("awq-int4", "AWQ 4-bit, group size 128 (fp16 scale + 4-bit zero per group)", 4.0 + 20.0 / 128.0,
                      "small loss (~1-3% on benchmarks); calibrated"));
  v.push_back(grouped("nf4", "bitsandbytes NF4, block 64, fp32 absmax (no double quantisation)", 4.5,
                      "small loss; QLoRA base format"));
  v.push_back(grouped("nf4-dq", "bitsandbytes NF4 with double quantisation (QLoRA default)",
                      4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0), "small loss; QLoRA base format"));
  v.push_back(grouped("mxfp4", "MXFP4 routed experts (32 values share an 8-bit scale), rest bf16", 4.25,
                      "native format of gpt-oss experts", QuantKind::experts));
  // NVFP4 (NVIDIA, Blackwell; TensorRT Model Optimizer): E2M1 values in blocks of 16 sharing an FP8
  // E4M3 scale, plus one FP32 scale per tensor (negligible): 4 + 8/16 = 4.5 bits. ModelOpt quantises
  // the linear layers of the blocks; embeddings and LM head stay bf16.
  v.push_back(grouped("nvfp4", "NVFP4 linear weights (16 E2M1 values share an FP8 E4M3 scale + FP32 per tensor)",
                      4.0 + 8.0 / 16.0, "small loss (NVIDIA: ~1% on benchmarks); needs Blackwell for FP4 math"));
  // compressed-tensors pack-quantized INT4, group 32, symmetric, one bf16 scale per group: 4 + 16/32
  // = 4.5 bits (Kimi K2 Thinking / K2.5 quantisation-aware training; attention, shared experts and
  // dense MLPs are in its ignore list and stay bf16).
  v.push_back(grouped("int4-experts", "INT4 routed experts, group 32 with a bf16 scale (compressed-tensors), rest bf16",
                      4.0 + 16.0 / 32.0, "native format of Kimi K2.5 experts (QAT)", QuantKind::experts));
  v.push_back(gguf("f16", "F16", "no loss"));
  v.push_back(gguf("q8_0", "Q8_0", "near-lossless (perplexity +0.01%)"));
  v.push_back(gguf("q6_k", "Q6_K", "near-lossless (perplexity +0.1%)"));
  v.push_back(gguf("q5_k_m", "Q5_K", "very small loss (perplexity +~0.5%)"));
  v.push_back(gguf("q5_k_s", "Q5_K", "very small loss (perplexity +~0.6%)"));
  v.push_back(gguf("q5_1", "Q5_1", "small loss (legacy type)"));
  v.push_back(gguf("q5_0", "Q5_0", "small loss (legacy type)"));
  v.push_back(gguf("q4_k_m", "Q4_K", "small loss (perplexity +~1-2%); the usual local default"));
  v.push_back(gguf("q4_k_s", "Q4_K", "small loss (perplexity +~2%)"));
  v.push_back(gguf("iq4_xs", "IQ4_XS", "small loss; needs an importance matrix for best results"));
  v.push_back(gguf("iq4_nl", "IQ4_NL", "small loss"));
  v.push_back(gguf("q4_1", "Q4_1", "noticeable loss (legacy type)"));
  v.push_back(gguf("q4_0", "Q4_0", "noticeable loss (legacy type)"));
  v.push_back(gguf("q3_k_l", "Q3_K", "noticeable loss (perplexity +~4%)"));
  v.push_back(gguf("q3_k_m", "Q3_K", "noticeable loss (perplexity +~5%)"));
  v.push_back(gguf("q3_k_s", "Q3_K", "large loss (perplexity +~10%)"));
  v.push_back(gguf("iq3_m", "IQ3_S", "noticeable loss; needs an importance matrix"));
  v.push_back(gguf("iq3_xxs", "IQ3_XXS", "large loss; needs an importance matrix"));
  v.push_back(gguf("q2_k", "Q2_K", "large loss (perplexity +~20% on 7-8B models)"));
  v.push_back(gguf("iq2_m", "IQ2_S", "large loss; needs an importance matrix"));
  v.push_back(gguf("iq2_xxs", "IQ2_XXS", "very large loss; only for the largest models"));
  v.push_back(gguf("iq1_m", "IQ1_M", "very large loss; only for the largest models"));
  v.push_back(gguf("iq1_s", "IQ1_S", "very large loss; only for the largest models"));
  return v;
}

std::string normalise(std::string_view name) {
  std::string s;
  for (char c : name) {
    s += (c == '-' || c == '.') ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

struct Alias {
  std::string_view alias;
  std::string_view name;
};

constexpr Alias kAliases[] = {
    {"float32", "fp32"},    {"f32", "fp32"},       {"float16", "fp16"},   {"half", "fp16"},    {"bfloat16", "bf16"},
    {"fp8_e4m3", "fp8"},    {"f8", "fp8"},         {"e4m3", "fp8"},       {"w8a16", "int8"},   {"llm_int8", "int8"},
    {"bnb_int8", "int8"},   {"int4", "gptq_int4"}, {"gptq", "gptq_int4"}, {"awq", "awq_int4"}, {"w4a16", "gptq_int4"},
    {"bnb_nf4", "nf4"},     {"4bit", "nf4_dq"},    {"qlora", "nf4_dq"},   {"q4", "q4_k_m"},    {"q4km", "q4_k_m"},
    {"q4ks", "q4_k_s"},     {"q5km", "q5_k_m"},    {"q5ks", "q5_k_s"},    {"q3km", "q3_k_m"},  {"q3kl", "q3_k_l"},
    {"q3ks", "q3_k_s"},     {"q6", "q6_k"},        {"q8", "q8_0"},        {"q2", "q2_k"},      {"8bit", "int8"},
    {"mxfp4_moe", "mxfp4"}, {"gguf_f16", "f16"},   {"nv_fp4", "nvfp4"}};

}  // namespace

const std::vector<Precision>& precisions() {
  static const std::vector<Precision> all = make_precisions();
  return all;
}

Result<Precision> find_precision(std::string_view name) {
  const std::string key = normalise(name);
  std::string target = key;
  for (const auto& a : kAliases) {
    if (key == a.alias) target = std::string(a.name);
  }
  // Compared as normalise() would write p.name, without building the string on every row.
  auto same = [&](std::string_view stored) {
    if (stored.size() != target.size()) return false;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const char c = stored[i];
      const char n = (c == '-' || c == '.') ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n != target[i]) return false;
    }
    return true;
  };
  std::vector<std::string> names;
  for (const auto& p : precisions()) {
    if (same(p.name)) return p;
  }
  for (const auto& p : precisions()) names.push_back(p.name);
  return make_error(ErrorCode::unknown_name, "unknown precision '" + std::string(name) + "'" +
                                                 suggestion_suffix(name, names) +
                                                 " (run 'gpuplan quants' for the list)");
}

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

Result<double> kv_bytes_per_element(std::string_view name) {
  const std::string key = normalise(name);
  if (key == "f32" || key == "fp32") return 4.0;
  if (key == "f16" || key == "fp16" || key == "bf16" || key == "auto") return 2.0;
  if (key == "fp8" || key == "fp8_e4m3" || key == "fp8_e5m2" || key == "int8" || key == "i8") return 1.0;
  if (key == "q8_0") return 34.0 / 32.0;
  if (key == "q5_1") return 24.0 / 32.0;
  if (key == "q5_0") return 22.0 / 32.0;
  if (key == "q4_1") return 20.0 / 32.0;
  if (key == "q4_0" || key == "iq4_nl") return 18.0 / 32.0;
  const std::vector<std::string> names = {"f32", "f16", "bf16", "fp8", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0"};
  return make_error(ErrorCode::unknown_name,
                    "unknown KV-cache type '" + std::string(name) + "'" + suggestion_suffix(name, names));
}

}  // namespace gpuplan
