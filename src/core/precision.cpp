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
