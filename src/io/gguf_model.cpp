// What a GGUF header says about the model: the architecture from <arch>.* metadata (llama.cpp's
// LLM_KV names) with the flags the metadata does not carry (biases, tied output, QK norms, norm
// count, MoE router extras) read off the tensor table; weights exactly from the table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "gpuplan/io/gguf.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

// llama.cpp enum llama_ftype (include/llama.h) -> name, and gpuplan's --quant name when it has one.
struct FileType {
  int id;
  std::string_view name;
  std::string_view precision;
};
constexpr FileType kFileTypes[] = {
    {0, "F32", "fp32"},         {1, "F16", "f16"},        {2, "Q4_0", "q4_0"},      {3, "Q4_1", "q4_1"},
    {7, "Q8_0", "q8_0"},        {8, "Q5_0", "q5_0"},      {9, "Q5_1", "q5_1"},      {10, "Q2_K", "q2_k"},
    {11, "Q3_K_S", "q3_k_s"},   {12, "Q3_K_M", "q3_k_m"}, {13, "Q3_K_L", "q3_k_l"}, {14, "Q4_K_S", "q4_k_s"},
    {15, "Q4_K_M", "q4_k_m"},   {16, "Q5_K_S", "q5_k_s"}, {17, "Q5_K_M", "q5_k_m"}, {18, "Q6_K", "q6_k"},
    {19, "IQ2_XXS", "iq2_xxs"}, {20, "IQ2_XS", ""},       {21, "Q2_K_S", ""},       {22, "IQ3_XS", ""},
    {23, "IQ3_XXS", "iq3_xxs"}, {24, "IQ1_S", "iq1_s"},   {25, "IQ4_NL", "iq4_nl"}, {26, "IQ3_S", ""},
    {27, "IQ3_M", "iq3_m"},     {28, "IQ2_S", ""},        {29, "IQ2_M", "iq2_m"},   {30, "IQ4_XS", "iq4_xs"},
    {31, "IQ1_M", "iq1_m"},     {32, "BF16", "bf16"},     {36, "TQ1_0", ""},        {37, "TQ2_0", ""},
    {38, "MXFP4_MOE", "mxfp4"}};

// Local/global layer patterns llama.cpp hard-codes per architecture when the file does not say.
double default_global_every(std::string_view arch) {
  if (arch == "gemma2" || arch == "gpt-oss") return 2;
  if (arch == "gemma3") return 6;
  if (arch == "cohere2") return 4;
  return 0;
}

struct Table {
  std::map<std::string, const GgufTensor*> by_name;
  const GgufTensor* find(const std::string& name) const {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  double dim(const std::string& name, int d) const {
    const GgufTensor* t = find(name);
    return t ? static_cast<double>(t->ne[static_cast<std::size_t>(d)]) : 0;
  }
};

struct Meta {
  const GgufFile& f;
  std::string arch;
  std::vector<std::string>& warnings;

  // <arch>.<key> as a whole non-negative number; arrays (per-layer values) give their largest element.
  double num(const std::string& key, double fallback = 0) const {
    const GgufValue* v = f.find(arch + "." + key);
    if (!v) return fallback;
    if (v->type == GgufType::array) {
      if (v->numbers.empty()) return fallback;
      const double hi = *std::max_element(v->numbers.begin(), v->numbers.end());
      const double lo = *std::min_element(v->numbers.begin(), v->numbers.end());
      if (hi != lo) {
        warnings.push_back(arch + "." + key + " varies by layer (" + format_whole(lo) + ".." + format_whole(hi) +
                           "); the largest is used");
      }
      return clean(hi, key, fallback);
    }
    if (v->type == GgufType::string) return fallback;
    return clean(v->number, key, fallback);
  }
  double clean(double x, const std::string& key, double fallback) const {
    if (!std::isfinite(x) || x < 0 || x > 1e12 || std::floor(x) != x) {
      warnings.push_back(arch + "." + key + " = " + std::to_string(x) + " is not a count; ignored");
      return fallback;
    }
    return x;
  }
};

std::string text_of(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  return v && v->type == GgufType::string ? v->text.substr(0, 256) : std::string();
}

// Vectors (in units of hidden_size) of the norm weights and biases of one block.
double norm_vectors(const GgufFile& f, const std::string& block, double hidden) {
  double elements = 0;
  for (const auto& t : f.tensors) {
    if (t.name.rfind(block, 0) != 0) continue;
    const std::string rest = t.name.substr(block.size());
    if (rest.find("norm") == std::string::npos) continue;
    if (rest.rfind("attn_q_norm", 0) == 0 || rest.rfind("attn_k_norm", 0) == 0 || rest.rfind("attn_q_a_norm", 0) == 0 ||
        rest.rfind("attn_kv_a_norm", 0) == 0 || rest.rfind("ssm_", 0) == 0) {  // ssm_*norm: part of the mixer
      continue;
    }
    elements += static_cast<double>(t.elements);
  }
  return hidden > 0 ? elements / hidden : 0;
}

void moe_fields(const Meta& m, const Table& t, double layers, ModelArch& a) {
  a.num_experts = m.num("expert_count");
  if (a.num_experts <= 0) return;
  a.experts_per_token = m.num("expert_used_count");
  a.first_dense_layers = m.num("leading_dense_block_count");
  const std::string last = "blk." + format_whole(std::max(0.0, layers - 1)) + ".";
  a.moe_intermediate_size = m.num("expert_feed_forward_length", t.dim(last + "ffn_up_exps.weight", 1));
  a.num_shared_experts = m.num("expert_shared_count");
  double shared = m.num("expert_shared_feed_forward_length", t.dim(last + "ffn_up_shexp.weight", 1));
  if (shared <= 0 && a.num_shared_experts > 0) shared = a.num_shared_experts * a.moe_intermediate_size;
  a.shared_expert_intermediate_size = shared;
  if (a.num_shared_experts <= 0 && shared > 0) a.num_shared_experts = 1;
  a.shared_expert_gate = t.has(last + "ffn_gate_inp_shexp.weight");
  a.router_bias = t.has(last + "ffn_gate_inp.bias");
  a.expert_bias = t.has(last + "ffn_up_exps.bias") || t.has(last + "ffn_down_exps.bias");
  a.score_correction_bias = t.has(last + "exp_probs_b.bias") || t.has(last + "exp_probs_b");
  if (a.intermediate_size <= 0) a.intermediate_size = a.moe_intermediate_size;
}

// Layers i with has(i), as "every N from offset K" when they repeat regularly. {0, 0} when none.
template <typename Has>
std::optional<std::pair<double, double>> layer_pattern(double layers, Has has) {
  std::vector<double> on;
  for (double i = 0; i < layers; ++i) {
    if (has(i)) on.push_back(i);
  }
  if (on.empty()) return std::make_pair(0.0, 0.0);
  const double period = on.size() > 1 ? on[1] - on[0] : layers;
  if (on[0] >= period) return std::nullopt;
  for (std::size_t k = 0; k < on.size(); ++k) {
    if (on[k] != on[0] + static_cast<double>(k) * period) return std::nullopt;
  }
  if (on.back() + period < layers) return std::nullopt;
  return std::make_pair(period, on[0]);
}

// Recurrent layers (llama.cpp's ssm.* keys; see ModelArch): Mamba, Mamba-2, Jamba, Qwen3-Next.
// Attention layers are the blocks with an attn_k tensor; MoE layers those with routed experts.
void ssm_fields(const Meta& m, const Table& t, ModelArch& a) {
  const double conv = m.num("ssm.conv_kernel");
  if (conv <= 0) return;
  RecurrentKind kind = RecurrentKind::none;
  if (m.arch == "mamba" || m.arch == "jamba") kind = RecurrentKind::mamba;
  if (m.arch == "mamba2") kind = RecurrentKind::mamba2;
  if (m.arch == "qwen3next") kind = RecurrentKind::gated_deltanet;
  if (kind == RecurrentKind::none) {
    m.warnings.push_back(m.arch + " has recurrent (ssm) layers that gpuplan does not model; the architecture " +
                         "counts them as attention layers (weights still come from the tensor table)");
    return;
  }
  a.recurrent = kind;
  a.ssm_conv = conv;
  a.ssm_inner = m.num("ssm.inner_size");
  a.ssm_state = m.num("ssm.state_size");
  a.ssm_dt_rank = m.num("ssm.time_step_rank");
  a.ssm_groups = m.num("ssm.group_count");
  auto block = [](double i) { return "blk." + format_whole(i) + "."; };
  const auto attention = layer_pattern(a.num_layers, [&](double i) { return t.has(block(i) + "attn_k.weight"); });
  if (!attention) {
    m.warnings.push_back("attention layers do not repeat regularly; counted as all recurrent");
  } else {
    a.attention_every = attention->first;
    a.attention_offset = attention->second;
  }
  double first = 0;
  while (first + 1 < a.num_layers && !is_recurrent_layer(a, first)) ++first;
  a.ssm_conv_bias = t.has(block(first) + "ssm_conv1d.bias");
  a.ssm_proj_bias = t.has(block(first) + "ssm_in.bias");
  a.ssm_dt_norms = t.has(block(first) + "ssm_dt_norm.weight");
  if (a.attention_every > 0) {
    const std::string q = block(a.attention_offset) + "attn_q.weight";
    a.attn_output_gate = a.num_heads > 0 && t.dim(q, 1) == 2 * attention_q_width(a);  // q and its gate
    if (a.num_kv_heads <= 0 || a.num_kv_heads > a.num_heads) {
      a.num_kv_heads = t.dim(block(a.attention_offset) + "attn_k.weight", 1) / std::max(1.0, a.head_dim);
    }
  }
  if (is_moe(a)) {
    const auto moe = layer_pattern(a.num_layers, [&](double i) { return t.has(block(i) + "ffn_up_exps.weight"); });
    if (moe && moe->first > 1) {
      a.moe_every = moe->first;
      a.moe_offset = moe->second;
      const double dense = t.dim(block(a.moe_offset == 0 ? 1 : 0) + "ffn_up.weight", 1);
      if (dense > 0) a.intermediate_size = dense;
    }
  }
}

void mla_fields(const Meta& m, ModelArch& a) {
  a.kv_lora_rank = m.num("attention.kv_lora_rank");
  if (a.kv_lora_rank <= 0) return;
  a.q_lora_rank = m.num("attention.q_lora_rank");
  const double rope = m.num("rope.dimension_count", 64);
  const double key = m.num("attention.key_length_mla", m.num("attention.key_length", 192));
  a.qk_rope_head_dim = rope;
  a.qk_nope_head_dim = key > rope ? key - rope : 0;
  a.v_head_dim = m.num("attention.value_length_mla", m.num("attention.value_length", 128));
  a.head_dim = key;
  a.num_kv_heads = a.num_heads;
}

}  // namespace

std::vector<TensorEntry> gguf_tensor_entries(const GgufFile& file) {
  std::vector<TensorEntry> out;
  out.reserve(file.tensors.size());
  for (const auto& t : file.tensors) {
    TensorEntry e;
    e.name = t.name;
    e.dtype = std::string(t.type_name);
    e.shape.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    e.elements = static_cast<double>(t.elements);
    e.bytes = static_cast<double>(t.bytes);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// general.file_type, named as llama.cpp names it, and the gpuplan precision it is.
void file_type_fields(const GgufFile& f, GgufModel& g) {
  const GgufValue* ft = f.find("general.file_type");
  if (!ft || !ft->is_integer) return;
  for (const auto& e : kFileTypes) {
    if (e.id == ft->integer) {
      g.file_type = std::string(e.name);
      g.precision = std::string(e.precision);
    }
  }
  if (g.file_type.empty()) g.warnings.push_back("unknown general.file_type " + std::to_string(ft->integer));
}

// The attention and embedding shape: the `<arch>.*` keys, the tensor table where they are silent.
void attention_fields(const GgufFile& f, const Meta& m, const Table& t, const std::string& architecture,
                      std::vector<std::string>& warnings, ModelArch& a) {
  a.hidden_size = m.num("embedding_length", t.dim("token_embd.weight", 0));
  a.num_layers = m.num("block_count");
  a.num_heads = m.num("attention.head_count");
  a.num_kv_heads = m.num("attention.head_count_kv", a.num_heads);
  a.head_dim = m.num("attention.key_length", a.num_heads > 0 ? std::floor(a.hidden_size / a.num_heads) : 0);
  a.intermediate_size = m.num("feed_forward_length");
  a.context_length = m.num("context_length");
  a.sliding_window = m.num("attention.sliding_window");
  if (a.sliding_window > 0)
    a.global_every = m.num("attention.sliding_window_pattern", default_global_every(architecture));
  if (const GgufValue* tokens = f.find("tokenizer.ggml.tokens"); tokens && tokens->type == GgufType::array) {
    a.vocab_size = static_cast<double>(tokens->array_length);
  }
  if (a.vocab_size <= 0) a.vocab_size = m.num("vocab_size", t.dim("token_embd.weight", 1));
  if (const double rows = t.dim("token_embd.weight", 1); rows > 0 && rows != a.vocab_size) {
    warnings.push_back("tokenizer has " + format_whole(a.vocab_size) + " tokens but token_embd has " +
                       format_whole(rows) + " rows; the rows are used");
    a.vocab_size = rows;
  }
  a.tie_word_embeddings = !t.has("output.weight");
  a.learned_positions = t.dim("position_embd.weight", 1);
  a.qkv_bias = t.has("blk.0.attn_q.bias") || t.has("blk.0.attn_qkv.bias");
  a.o_bias = t.has("blk.0.attn_output.bias");
  a.mlp_bias = t.has("blk.0.ffn_up.bias");
  a.attn_sinks = t.has("blk.0.attn_sinks.weight") || t.has("blk.0.attn_sinks");
  if (const GgufTensor* qn = t.find("blk.0.attn_q_norm.weight")) {
    a.qk_norm = static_cast<double>(qn->elements) == a.head_dim ? QkNorm::per_head : QkNorm::full;
  }
  a.norms_per_layer = norm_vectors(f, "blk.0.", a.hidden_size);
  a.final_norm =
      a.hidden_size > 0 ? (t.dim("output_norm.weight", 0) + t.dim("output_norm.bias", 0)) / a.hidden_size : 0;
}

// Gated MLP or not, and NextN (multi-token prediction) blocks, from the last block's tensors.
void block_fields(const Meta& m, const Table& t, ModelArch& a) {
  // Gated MLP: a gate tensor, or (Phi-3) gate and up fused into one ffn_up of twice the width.
  const std::string last = "blk." + format_whole(std::max(0.0, a.num_layers - 1)) + ".";
  const bool gate =
      t.has("blk.0.ffn_gate.weight") || t.has(last + "ffn_gate_exps.weight") || t.has(last + "ffn_gate_shexp.weight");
  const bool fused = a.intermediate_size > 0 && t.dim("blk.0.ffn_up.weight", 1) == 2 * a.intermediate_size;
  a.mlp = gate || fused || (!t.has("blk.0.ffn_up.weight") && !t.has(last + "ffn_up_exps.weight")) ? MlpKind::gated
                                                                                                  : MlpKind::plain;
  // NextN (multi-token prediction) blocks: llama.cpp counts them in block_count, as the last blocks.
  const double nextn = m.num("nextn_predict_layers");
  if (nextn > 0 && a.num_layers > nextn && t.has(last + "nextn.eh_proj.weight")) {
    a.mtp_layers = nextn;
    a.num_layers -= nextn;
  }
}

// The tensor table against the arithmetic, and a label for a file without a known file type.
void weight_checks(GgufModel& g) {
  const ModelArch& a = g.model.arch;
  const double formula = count_params(a).total + count_params(a).mtp;
  if (g.tensors.params > 0 && std::fabs(formula - g.tensors.params) > 1e-4 * g.tensors.params) {
    g.warnings.push_back("the architecture gives " + format_whole(formula) + " parameters, the tensor table holds " +
                         format_whole(g.tensors.params) +
                         "; weights come from the table, KV cache and compute from the architecture");
  }
  if (!g.precision.empty() || g.tensors.params <= 0) return;
  // Label the file with the GGUF mix whose average bits are nearest to the file's own.
  const double bits = 8.0 * g.tensors.bytes / g.tensors.params;
  double best = 1e9;
  for (const auto& p : precisions()) {
    if (p.kind != QuantKind::gguf_mix) continue;
    const double d = std::fabs(p.linear_bits - bits);
    if (d < best) {
      best = d;
      g.precision = p.name;
    }
  }
  g.warnings.push_back("file type " + (g.file_type.empty() ? std::string("(none)") : g.file_type) +
                       " is labelled as the nearest gpuplan precision, " + g.precision +
                       " (weights bytes come from the file)");
}

}  // namespace

Result<GgufModel> gguf_model(const GgufFile& f) {
  GgufModel g;
  g.warnings = f.warnings;
  g.architecture = text_of(f, "general.architecture");
  if (g.architecture.empty()) {
    return make_error(ErrorCode::parse_error, "GGUF: general.architecture is missing or not a string");
  }
  g.tensors = summarize_tensors(gguf_tensor_entries(f));
  g.tensors.quantization.clear();
  Table t;
  for (const auto& x : f.tensors) t.by_name.emplace(x.name, &x);
  const Meta m{f, g.architecture, g.warnings};
  Model& model = g.model;
  model.family = g.architecture;
  model.name = text_of(f, "general.name");
  model.id = model.name;
  file_type_fields(f, g);
  ModelArch& a = model.arch;
  attention_fields(f, m, t, g.architecture, g.warnings, a);
  mla_fields(m, a);
  moe_fields(m, t, a.num_layers, a);
  ssm_fields(m, t, a);
  block_fields(m, t, a);
  const std::string why = validate_arch(a);
  if (!why.empty()) return make_error(ErrorCode::parse_error, "GGUF (" + g.architecture + "): " + why);
  weight_checks(g);
  model.weights_dtype = g.precision;
  return g;
}

}  // namespace gpuplan::io
