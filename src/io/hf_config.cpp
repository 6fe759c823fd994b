#include "gpuplan/io/hf_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>

#include "json_guard.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::json;

constexpr double kMaxCount = 1e9;

// Reads counts and flags from one JSON object (the text config). Keys are tried in order; null
// counts as absent. `guessed` collects the fields an unknown family filled from assumptions.
class Cfg {
 public:
  Cfg(const json& j, std::vector<std::string>& warnings) : j_(j), warnings_(warnings) {}

  [[nodiscard]] const json& raw() const { return j_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  std::vector<std::string> guessed;

  std::optional<double> count(std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      const auto it = j_.find(k);
      if (it == j_.end() || it->is_null()) continue;
      if (it->is_boolean() || !it->is_number()) {
        fail(std::string("'") + k + "' must be a number");
        return std::nullopt;
      }
      const double v = it->get<double>();
      if (!std::isfinite(v) || v < 0 || v > kMaxCount || std::floor(v) != v) {
        fail(std::string("'") + k + "' must be a whole number between 0 and 1e9");
        return std::nullopt;
      }
      return v;
    }
    return std::nullopt;
  }
  // A field with a known default (transformers' config class).
  double count_or(std::initializer_list<const char*> keys, double fallback) { return count(keys).value_or(fallback); }
  // A field every config of the family carries.
  double required(std::initializer_list<const char*> keys) {
    if (auto v = count(keys)) return *v;
    std::string names;
    for (const char* k : keys) names += std::string(names.empty() ? "" : ", ") + k;
    fail("missing '" + std::string(*keys.begin()) + "'" +
         (keys.size() > 1 ? " (also looked for " + names.substr(names.find(',') + 2) + ")" : std::string()));
    return 0;
  }
  // A field an unknown family may lack: the fallback is recorded as a guess when it is used.
  double guess(std::initializer_list<const char*> keys, double fallback, const std::string& what) {
    if (auto v = count(keys)) return *v;
    guessed.push_back(what);
    return fallback;
  }
  bool flag(std::initializer_list<const char*> keys, bool fallback) {
    for (const char* k : keys) {
      const auto it = j_.find(k);
      if (it == j_.end() || it->is_null()) continue;
      if (!it->is_boolean()) {
        fail(std::string("'") + k + "' must be true or false");
        return fallback;
      }
      return it->get<bool>();
    }
    return fallback;
  }
  [[nodiscard]] bool has(const char* key) const {
    const auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  [[nodiscard]] std::string str(const char* key) const {
    const auto it = j_.find(key);
    return it != j_.end() && it->is_string() ? it->get<std::string>().substr(0, 256) : std::string();
  }
  void fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }
  void warn(const std::string& w) { warnings_.push_back(w); }

 private:
  const json& j_;
  std::vector<std::string>& warnings_;
  std::string error_;
};

// transformers' defaults for the fields below, per config class (0: the config must say).
struct Defaults {
  double hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, intermediate = 0, vocab = 0, context = 0;
  bool tie = false;
};

void common(Cfg& c, ModelArch& a, const Defaults& d) {
  a.hidden_size = d.hidden > 0 ? c.count_or({"hidden_size"}, d.hidden) : c.required({"hidden_size"});
  a.num_layers = d.layers > 0 ? c.count_or({"num_hidden_layers"}, d.layers) : c.required({"num_hidden_layers"});
  a.num_heads = d.heads > 0 ? c.count_or({"num_attention_heads"}, d.heads) : c.required({"num_attention_heads"});
  a.num_kv_heads = c.count_or({"num_key_value_heads"}, d.kv_heads > 0 ? d.kv_heads : a.num_heads);
  const double split = a.num_heads > 0 ? std::floor(a.hidden_size / a.num_heads) : 0;
  a.head_dim = c.count_or({"head_dim"}, d.head_dim > 0 ? d.head_dim : split);
  a.intermediate_size =
      d.intermediate > 0 ? c.count_or({"intermediate_size"}, d.intermediate) : c.required({"intermediate_size"});
  a.vocab_size = d.vocab > 0 ? c.count_or({"vocab_size"}, d.vocab) : c.required({"vocab_size"});
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, d.tie);
  a.context_length = c.count_or({"max_position_embeddings"}, d.context);
}

// ---- families: each maps its config class onto the architecture fields ----

void llama(Cfg& c, ModelArch& a) {  // LlamaConfig; also granite, smollm3, mistral-like derivatives
  common(c, a, {});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.mlp_bias = c.flag({"mlp_bias"}, false);
}

void mistral(Cfg& c, ModelArch& a) {  // MistralConfig: sliding_window defaults to 4096
  common(c, a, {});
  const auto it = c.raw().find("sliding_window");
  a.sliding_window = it == c.raw().end() ? 4096 : c.count_or({"sliding_window"}, 0);
}

void mixtral(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.sliding_window = c.count_or({"sliding_window"}, 0);
  a.num_experts = c.count_or({"num_local_experts"}, 8);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 2);
  a.moe_intermediate_size = a.intermediate_size;
}

// Qwen2/Qwen3 slide only when use_sliding_window is set, and then only above max_window_layers;
// gpuplan keeps one window for all layers, so a partial window is a warning.
void qwen_window(Cfg& c, ModelArch& a) {
  if (!c.flag({"use_sliding_window"}, false)) return;
  a.sliding_window = c.count_or({"sliding_window"}, 0);
  const double mwl = c.count_or({"max_window_layers"}, a.num_layers);
  if (mwl > 0 && mwl < a.num_layers)
    c.warn("sliding window only above layer " + std::to_string(static_cast<long long>(mwl)) +
           "; applied to all layers");
}

// Qwen MoE: mlp_only_layers and decoder_sparse_step decide which layers are dense; gpuplan models
// dense layers as a leading block (first_dense_layers).
void qwen_moe_layers(Cfg& c, ModelArch& a) {
  std::vector<double> dense;
  if (const auto it = c.raw().find("mlp_only_layers"); it != c.raw().end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_number_unsigned() && v.get<double>() < a.num_layers) dense.push_back(v.get<double>());
    }
  }
  const double step = c.count_or({"decoder_sparse_step"}, 1);
  std::sort(dense.begin(), dense.end());
  dense.erase(std::unique(dense.begin(), dense.end()), dense.end());
  bool prefix = true;
  for (std::size_t i = 0; i < dense.size(); ++i) prefix = prefix && dense[i] == static_cast<double>(i);
  if (step > 1 || !prefix) {
    c.warn(
        "dense layers interleaved with MoE layers (decoder_sparse_step / mlp_only_layers) are counted as a "
        "leading dense block");
    double n_dense = static_cast<double>(dense.size());
    if (step > 1) n_dense = a.num_layers - std::floor(a.num_layers / step);
    a.first_dense_layers = std::min(a.num_layers, n_dense);
  } else {
    a.first_dense_layers = static_cast<double>(dense.size());
  }
}

void qwen2(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = true;  // Qwen2Attention: q, k, v with bias, o without
  qwen_window(c, a);
}

void qwen2_moe(Cfg& c, ModelArch& a) {
  qwen2(c, a);
  a.num_experts = c.count_or({"num_experts"}, 60);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 4);
  a.moe_intermediate_size = c.count_or({"moe_intermediate_size"}, 1408);
  a.shared_expert_intermediate_size = c.count_or({"shared_expert_intermediate_size"}, 5632);
  a.num_shared_experts = a.shared_expert_intermediate_size > 0 ? 1 : 0;
  a.shared_expert_gate = a.shared_expert_intermediate_size > 0;  // sigmoid gate Linear(h, 1)
  qwen_moe_layers(c, a);
}

void qwen3(Cfg& c, ModelArch& a) {
  common(c, a, {0, 0, 0, 0, 128, 0, 0, 0, false});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.qk_norm = QkNorm::per_head;  // q_norm, k_norm: RMSNorm(head_dim)
  qwen_window(c, a);
}

void qwen3_moe(Cfg& c, ModelArch& a) {
  qwen3(c, a);
  a.num_experts = c.count_or({"num_experts"}, 128);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 8);
  a.moe_intermediate_size = c.count_or({"moe_intermediate_size"}, 768);
  qwen_moe_layers(c, a);
}

void gemma(Cfg& c, ModelArch& a) {
  common(c, a, {0, 0, 0, 0, 256, 0, 256000, 8192, true});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
}

void gemma2(Cfg& c, ModelArch& a) {
  common(c, a, {0, 0, 0, 0, 256, 0, 256000, 8192, true});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.norms_per_layer = 4;  // input, post_attention, pre_feedforward, post_feedforward
  a.sliding_window = c.count_or({"sliding_window"}, 4096);
  a.global_every = 2;  // even layers slide, odd layers attend globally
}

// Layer pattern from layer_types ["sliding_attention", ..., "full_attention"]: the period when the
// list repeats with one full layer at the end of each period.
std::optional<double> period_from_layer_types(const json& j, double layers) {
  const auto it = j.find("layer_types");
  if (it == j.end() || !it->is_array() || it->empty()) return std::nullopt;
  std::vector<bool> full;
  for (const auto& v : *it) {
    if (!v.is_string()) return std::nullopt;
    full.push_back(v.get<std::string>().find("full") != std::string::npos);
  }
  if (static_cast<double>(full.size()) != layers) return std::nullopt;
  if (std::none_of(full.begin(), full.end(), [](bool f) { return !f; })) return 1.0;  // all global
  if (std::none_of(full.begin(), full.end(), [](bool f) { return f; })) return 0.0;   // all sliding
  std::size_t period = 0;
  while (period < full.size() && !full[period]) ++period;
  ++period;
  for (std::size_t i = 0; i < full.size(); ++i) {
    if (full[i] != ((i + 1) % period == 0)) return std::nullopt;
  }
  return static_cast<double>(period);
}

void gemma3_text(Cfg& c, ModelArch& a) {
  // Gemma3TextConfig defaults (the 4B/12B/27B checkpoints leave most of them out).
  common(c, a, {2304, 26, 8, 4, 256, 9216, 262208, 131072, true});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.norms_per_layer = 4;
  a.qk_norm = QkNorm::per_head;
  a.sliding_window = c.count_or({"sliding_window"}, 4096);
  if (auto p = period_from_layer_types(c.raw(), a.num_layers)) {
    a.global_every = *p;
    if (*p == 1) a.sliding_window = 0;
  } else {
    a.global_every = c.count_or({"sliding_window_pattern", "_sliding_window_pattern"}, 6);
  }
}

void phi3(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.sliding_window = c.count_or({"sliding_window"}, 0);
  if (a.context_length > 0 && a.sliding_window >= a.context_length) a.sliding_window = 0;
}

void phimoe(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.norms_per_layer = 4;  // LayerNorm with bias, twice per layer
  a.final_norm = 2;
  a.num_experts = c.count_or({"num_local_experts"}, 16);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 2);
  a.moe_intermediate_size = a.intermediate_size;
  a.sliding_window = c.count_or({"sliding_window"}, 0);
  if (c.flag({"lm_head_bias"}, false)) {
    c.warn("lm_head bias (" + std::to_string(static_cast<long long>(a.vocab_size)) + " values) is not counted");
  }
}

void deepseek(Cfg& c, ModelArch& a, bool v3) {
  common(c, a, {});
  a.q_lora_rank = c.count_or({"q_lora_rank"}, 0);
  a.kv_lora_rank = c.required({"kv_lora_rank"});
  a.qk_nope_head_dim = c.count_or({"qk_nope_head_dim"}, 128);
  a.qk_rope_head_dim = c.count_or({"qk_rope_head_dim"}, 64);
  a.v_head_dim = c.count_or({"v_head_dim"}, 128);
  a.head_dim = a.qk_nope_head_dim + a.qk_rope_head_dim;
  a.num_kv_heads = a.num_heads;
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.num_experts = c.count_or({"n_routed_experts"}, 0);
  if (a.num_experts > 0) {
    a.experts_per_token = c.required({"num_experts_per_tok"});
    a.moe_intermediate_size = c.required({"moe_intermediate_size"});
    a.num_shared_experts = c.count_or({"n_shared_experts"}, 0);
    a.shared_expert_intermediate_size = a.num_shared_experts * a.moe_intermediate_size;
    a.first_dense_layers = c.count_or({"first_k_dense_replace"}, 0);
    if (c.count_or({"moe_layer_freq"}, 1) > 1) {
      c.warn("moe_layer_freq > 1 (MoE every few layers) is counted as MoE on every layer after the dense ones");
    }
    a.score_correction_bias = c.str("topk_method") == "noaux_tc" || (v3 && c.str("topk_method").empty());
  }
  a.mtp_layers = c.count_or({"num_nextn_predict_layers"}, 0);
}

void gpt_oss(Cfg& c, ModelArch& a) {
  common(c, a, {0, 0, 0, 0, 64, 0, 0, 0, false});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, true);
  a.attn_sinks = true;
  a.num_experts = c.required({"num_local_experts"});
  a.experts_per_token = c.count_or({"num_experts_per_tok", "experts_per_token"}, 4);
  a.moe_intermediate_size = a.intermediate_size;
  a.router_bias = true;
  a.expert_bias = true;
  a.sliding_window = c.count_or({"sliding_window"}, 128);
  a.global_every = period_from_layer_types(c.raw(), a.num_layers).value_or(2);
}

void falcon(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"hidden_size", "n_embed"});
  a.num_layers = c.required({"num_hidden_layers", "n_layer"});
  a.num_heads = c.required({"num_attention_heads", "n_head"});
  a.vocab_size = c.count_or({"vocab_size"}, 65024);
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  const bool new_arch = c.flag({"new_decoder_architecture"}, false);
  if (new_arch) {
    a.num_kv_heads = c.count_or({"num_kv_heads", "n_head_kv"}, a.num_heads);
    a.norms_per_layer = 2 * c.count_or({"num_ln_in_parallel_attn"}, 2);  // ln_attn + ln_mlp, with bias
  } else {
    a.num_kv_heads = c.flag({"multi_query"}, true) ? 1 : a.num_heads;
    a.norms_per_layer = c.flag({"parallel_attn"}, true) ? 2 : 4;
  }
  a.intermediate_size = c.count_or({"ffn_hidden_size"}, 4 * a.hidden_size);
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = c.flag({"bias"}, false);
  a.final_norm = 2;
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, true);
  a.context_length = c.count_or({"max_position_embeddings"}, 2048);
}

// GPT-2 family: learned positions, biases everywhere, LayerNorms with bias, plain GELU MLP, tied head.
void gpt2(Cfg& c, ModelArch& a, bool multi_query) {
  a.hidden_size = c.required({"n_embd", "hidden_size"});
  a.num_layers = c.required({"n_layer", "num_hidden_layers"});
  a.num_heads = c.required({"n_head", "num_attention_heads"});
  a.num_kv_heads = multi_query && c.flag({"multi_query"}, true) ? 1 : a.num_heads;
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  a.intermediate_size = c.count_or({"n_inner"}, 4 * a.hidden_size);
  a.vocab_size = c.count_or({"vocab_size"}, 50257);
  a.learned_positions = c.count_or({"n_positions"}, 1024);
  a.context_length = a.learned_positions;
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = true;
  a.norms_per_layer = 4;
  a.final_norm = 2;
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, true);
}

void gpt_neox(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, true);
  a.mlp_bias = true;
  a.norms_per_layer = 4;
  a.final_norm = 2;
}

void gptj(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"n_embd", "hidden_size"});
  a.num_layers = c.required({"n_layer", "num_hidden_layers"});
  a.num_heads = c.required({"n_head", "num_attention_heads"});
  a.num_kv_heads = a.num_heads;
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  a.intermediate_size = c.count_or({"n_inner"}, 4 * a.hidden_size);
  a.vocab_size = c.count_or({"vocab_size"}, 50400);
  a.context_length = c.count_or({"n_positions"}, 2048);
  a.mlp = MlpKind::plain;
  a.mlp_bias = true;      // fc_in, fc_out; q/k/v/out_proj have none
  a.norms_per_layer = 2;  // ln_1 only: attention and MLP run in parallel
  a.final_norm = 2;
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, false);
  c.warn("lm_head bias (" + std::to_string(static_cast<long long>(a.vocab_size)) + " values) is not counted");
}

void opt(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"hidden_size"});
  a.num_layers = c.required({"num_hidden_layers"});
  a.num_heads = c.required({"num_attention_heads"});
  a.num_kv_heads = a.num_heads;
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  a.intermediate_size = c.required({"ffn_dim"});
  a.vocab_size = c.required({"vocab_size"});
  a.context_length = c.count_or({"max_position_embeddings"}, 2048);
  a.learned_positions = a.context_length + 2;  // OPTLearnedPositionalEmbedding keeps an offset of 2
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = c.flag({"enable_bias"}, true);
  a.norms_per_layer = c.flag({"layer_norm_elementwise_affine"}, true) ? 4 : 0;
  a.final_norm = c.flag({"do_layer_norm_before"}, true) ? 2 : 0;
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, true);
  const double proj = c.count_or({"word_embed_proj_dim"}, a.hidden_size);
  if (proj != a.hidden_size)
    c.warn("word_embed_proj_dim differs from hidden_size: embeddings and projections are approximate");
}

void bloom(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"hidden_size", "n_embed"});
  a.num_layers = c.required({"n_layer", "num_hidden_layers"});
  a.num_heads = c.required({"n_head", "num_attention_heads"});
  a.num_kv_heads = a.num_heads;
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  a.intermediate_size = 4 * a.hidden_size;
  a.vocab_size = c.count_or({"vocab_size"}, 250880);
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = true;
  a.norms_per_layer = 4;
  a.final_norm = 4;  // ln_f and word_embeddings_layernorm, with biases
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, true);
}

void mpt(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"d_model"});
  a.num_layers = c.required({"n_layers"});
  a.num_heads = c.required({"n_heads"});
  a.num_kv_heads = a.num_heads;
  if (const auto it = c.raw().find("attn_config"); it != c.raw().end() && it->is_object()) {
    std::vector<std::string> ignored;
    Cfg attn(*it, ignored);
    a.num_kv_heads = attn.count_or({"kv_n_heads"}, a.num_heads);
    if (!attn.error().empty()) c.fail("attn_config: " + attn.error());
  }
  a.head_dim = std::floor(a.hidden_size / std::max(1.0, a.num_heads));
  a.intermediate_size = c.count_or({"expansion_ratio"}, 4) * a.hidden_size;
  a.vocab_size = c.count_or({"vocab_size"}, 50368);
  a.context_length = c.count_or({"max_seq_len"}, 2048);
  a.mlp = MlpKind::plain;
  const bool bias = !c.flag({"no_bias"}, true);
  a.qkv_bias = a.o_bias = a.mlp_bias = bias;
  a.norms_per_layer = bias ? 4 : 2;
  a.final_norm = bias ? 2 : 1;
  a.tie_word_embeddings = true;
}

void starcoder2(Cfg& c, ModelArch& a) {
  common(c, a, {0, 0, 0, 0, 0, 0, 0, 0, true});
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = c.flag({"use_bias"}, true);
  a.norms_per_layer = 4;
  a.final_norm = 2;
  a.sliding_window = c.count_or({"sliding_window"}, 0);
}

void olmo(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.norms_per_layer = 0;  // OlmoLayerNorm has no parameters
  a.final_norm = 0;
}

void olmo2(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.qk_norm = QkNorm::full;  // q_norm over heads x head_dim, k_norm over kv_heads x head_dim
}

void olmoe(Cfg& c, ModelArch& a) {
  olmo2(c, a);
  a.num_experts = c.count_or({"num_experts"}, 64);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 8);
  a.moe_intermediate_size = a.intermediate_size;
}

void cohere(Cfg& c, ModelArch& a, bool cohere2) {
  common(c, a, {0, 0, 0, 0, 0, 0, 0, 0, true});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.norms_per_layer = 1;  // one bias-free LayerNorm feeding attention and MLP in parallel
  a.final_norm = 1;
  if (c.flag({"use_qk_norm"}, false)) a.qk_norm = QkNorm::full;
  if (cohere2) {
    a.sliding_window = c.count_or({"sliding_window"}, 4096);
    a.global_every = c.count_or({"sliding_window_pattern"}, 4);
  }
}

void stablelm(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.qkv_bias = c.flag({"use_qkv_bias"}, false);
  a.norms_per_layer = c.flag({"use_parallel_residual"}, false) ? 2 : 4;
  a.final_norm = 2;
  if (c.flag({"qk_layernorm"}, false)) a.qk_norm = QkNorm::full;
}

void phi(Cfg& c, ModelArch& a) {  // PhiForCausalLM (phi-1.5, phi-2)
  common(c, a, {});
  a.mlp = MlpKind::plain;
  a.qkv_bias = a.o_bias = a.mlp_bias = true;
  a.norms_per_layer = 2;  // input_layernorm only (parallel block), with bias
  a.final_norm = 2;
  if (c.flag({"qk_layernorm"}, false)) c.warn("qk_layernorm weights are not counted");
  c.warn("lm_head bias (" + std::to_string(static_cast<long long>(a.vocab_size)) + " values) is not counted");
}

// ---- recurrent and hybrid families (Mamba, Mamba-2, Jamba, Qwen3-Next) ----

// dt_rank / time_step_rank: a number, or "auto" = ceil(hidden / 16) (MambaConfig, JambaConfig).
double dt_rank(Cfg& c, const char* key, double hidden) {
  const auto it = c.raw().find(key);
  if (it == c.raw().end() || it->is_null() || (it->is_string() && it->get<std::string>() == "auto")) {
    return std::ceil(hidden / 16);
  }
  return c.required({key});
}

// MambaConfig (also FalconMambaConfig, whose extra B/C/dt RMSNorms carry no weights): every layer is
// norm + MambaMixer, no MLP; intermediate_size is the mixer's d_inner.
void mamba(Cfg& c, ModelArch& a) {
  a.hidden_size = c.required({"hidden_size", "d_model"});
  a.num_layers = c.required({"num_hidden_layers", "n_layer"});
  a.vocab_size = c.count_or({"vocab_size"}, 50280);
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, true);
  a.context_length = c.count_or({"max_position_embeddings"}, 0);
  a.recurrent = RecurrentKind::mamba;
  a.ssm_inner = c.count_or({"intermediate_size"}, c.count_or({"expand"}, 2) * a.hidden_size);
  a.ssm_state = c.count_or({"state_size", "d_state"}, 16);
  a.ssm_conv = c.count_or({"conv_kernel", "d_conv"}, 4);
  a.ssm_dt_rank = dt_rank(c, "time_step_rank", a.hidden_size);
  a.ssm_conv_bias = c.flag({"use_conv_bias"}, true);
  a.ssm_proj_bias = c.flag({"use_bias"}, false);
  a.norms_per_layer = 1;
  a.final_norm = 1;
}

// Mamba2Config: norm + Mamba2Mixer per layer (in_proj to z, xBC, dt; grouped B/C; gated RMSNorm).
void mamba2(Cfg& c, ModelArch& a) {
  a.hidden_size = c.count_or({"hidden_size"}, 4096);
  a.num_layers = c.count_or({"num_hidden_layers"}, 64);
  a.vocab_size = c.count_or({"vocab_size"}, 32768);
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, false);
  a.context_length = c.count_or({"max_position_embeddings"}, 0);
  a.recurrent = RecurrentKind::mamba2;
  const double heads = c.count_or({"num_heads"}, 128);
  const double head_dim = c.count_or({"head_dim"}, 64);
  a.ssm_inner = c.count_or({"expand"}, 2) * a.hidden_size;  // Mamba2Mixer: int(expand * hidden_size)
  if (heads * head_dim != a.ssm_inner) {
    c.warn("num_heads x head_dim (" + std::to_string(static_cast<long long>(heads * head_dim)) +
           ") differs from expand x hidden_size; the mixer is counted with expand x hidden_size");
  }
  a.ssm_dt_rank = heads;
  a.ssm_state = c.count_or({"state_size"}, 128);
  a.ssm_conv = c.count_or({"conv_kernel"}, 4);
  a.ssm_groups = c.count_or({"n_groups"}, 8);
  a.ssm_conv_bias = c.flag({"use_conv_bias"}, true);
  a.ssm_proj_bias = c.flag({"use_bias"}, false);
  a.norms_per_layer = 1;
  a.final_norm = 1;
}

// JambaConfig: attention on layer i when i % attn_layer_period == attn_layer_offset, Mamba elsewhere;
// MoE MLP when i % expert_layer_period == expert_layer_offset, dense MLP elsewhere.
void jamba(Cfg& c, ModelArch& a) {
  common(c, a, {4096, 32, 32, 8, 0, 14336, 65536, 262144, false});
  a.recurrent = RecurrentKind::mamba;
  a.attention_every = c.count_or({"attn_layer_period"}, 8);
  a.attention_offset = c.count_or({"attn_layer_offset"}, 4);
  const double experts = c.count_or({"num_experts"}, 16);
  if (experts > 1) {  // JambaSparseMoeBlock only when there is more than one expert
    a.num_experts = experts;
    a.experts_per_token = c.count_or({"num_experts_per_tok"}, 2);
    a.moe_intermediate_size = a.intermediate_size;
    a.moe_every = c.count_or({"expert_layer_period"}, 2);
    a.moe_offset = c.count_or({"expert_layer_offset"}, 1);
  }
  a.ssm_inner = c.count_or({"mamba_expand"}, 2) * a.hidden_size;
  a.ssm_state = c.count_or({"mamba_d_state"}, 16);
  a.ssm_conv = c.count_or({"mamba_d_conv"}, 4);
  a.ssm_dt_rank = dt_rank(c, "mamba_dt_rank", a.hidden_size);
  a.ssm_conv_bias = c.flag({"mamba_conv_bias"}, true);
  a.ssm_proj_bias = c.flag({"mamba_proj_bias"}, false);
  a.ssm_dt_norms = true;  // JambaMambaMixer: dt_layernorm, b_layernorm, c_layernorm
  if (a.attention_every > 0 && a.attention_offset >= a.attention_every)
    c.fail("'attn_layer_offset' must be below 'attn_layer_period'");
  if (a.moe_every > 0 && a.moe_offset >= a.moe_every)
    c.fail("'expert_layer_offset' must be below 'expert_layer_period'");
}

// Layer pattern from layer_types ["linear_attention", ..., "full_attention"]: the period and the
// offset of the full-attention layers when they repeat regularly.
std::optional<std::pair<double, double>> attention_pattern(const json& j, double layers) {
  const auto it = j.find("layer_types");
  if (it == j.end() || !it->is_array() || it->empty() || static_cast<double>(it->size()) != layers) return std::nullopt;
  std::vector<std::size_t> full;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string()) return std::nullopt;
    if (v.get<std::string>().find("full") != std::string::npos) full.push_back(i);
  }
  if (full.empty()) return std::make_pair(0.0, 0.0);
  const std::size_t period = full.size() > 1 ? full[1] - full[0] : it->size();
  if (period == 0 || full[0] >= period) return std::nullopt;
  for (std::size_t i = 0; i < full.size(); ++i) {
    if (full[i] != full[0] + i * period) return std::nullopt;
  }
  if (full.back() + period < it->size()) return std::nullopt;  // a full layer is missing at the end
  return std::make_pair(static_cast<double>(period), static_cast<double>(full[0]));
}

// Qwen3NextConfig: Gated DeltaNet on three of every four layers, gated full attention on the fourth
// (full_attention_interval), a sparse MoE with a gated shared expert on every layer.
void qwen3_next(Cfg& c, ModelArch& a) {
  common(c, a, {2048, 48, 16, 2, 256, 5632, 151936, 32768, false});
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.qk_norm = QkNorm::per_head;
  a.attn_output_gate = true;  // Qwen3NextAttention: q_proj emits query and gate
  a.num_experts = c.count_or({"num_experts"}, 512);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 10);
  a.moe_intermediate_size = c.count_or({"moe_intermediate_size"}, 512);
  a.shared_expert_intermediate_size = c.count_or({"shared_expert_intermediate_size"}, 512);
  a.num_shared_experts = a.shared_expert_intermediate_size > 0 ? 1 : 0;
  a.shared_expert_gate = a.shared_expert_intermediate_size > 0;
  qwen_moe_layers(c, a);
  a.recurrent = RecurrentKind::gated_deltanet;
  const double interval = c.count_or({"full_attention_interval"}, 4);
  a.attention_every = interval;
  a.attention_offset = interval > 0 ? interval - 1 : 0;
  if (c.has("layer_types")) {
    if (const auto p = attention_pattern(c.raw(), a.num_layers)) {
      a.attention_every = p->first;
      a.attention_offset = p->second;
    } else {
      c.warn("layer_types is not a regular pattern; full attention counted every " +
             std::to_string(static_cast<long long>(interval)) + " layers");
    }
  }
  const double k_heads = c.count_or({"linear_num_key_heads"}, 16);
  const double v_heads = c.count_or({"linear_num_value_heads"}, 32);
  a.ssm_groups = k_heads;
  a.ssm_state = c.count_or({"linear_key_head_dim"}, 128);
  a.ssm_dt_rank = v_heads;
  a.ssm_inner = v_heads * c.count_or({"linear_value_head_dim"}, 128);
  a.ssm_conv = c.count_or({"linear_conv_kernel_dim"}, 4);
  a.ssm_conv_bias = false;
  // The checkpoints ship one MTP layer (mtp.*) that the config does not name; vLLM's qwen3_next_mtp
  // reads num_nextn_predict_layers with a default of 1.
  a.mtp_layers = c.count_or({"mtp_num_hidden_layers", "num_nextn_predict_layers"}, 1);
}

struct Family {
  const char* model_type;
  std::function<void(Cfg&, ModelArch&)> read;
};

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"llama", llama},
      {"granite", llama},
      {"smollm3", llama},
      {"mistral", mistral},
      {"ministral", mistral},
      {"mixtral", mixtral},
      {"qwen2", qwen2},
      {"qwen2_moe", qwen2_moe},
      {"qwen3", qwen3},
      {"qwen3_moe", qwen3_moe},
      {"gemma", gemma},
      {"gemma2", gemma2},
      {"gemma3_text", gemma3_text},
      {"phi3", phi3},
      {"phimoe", phimoe},
      {"deepseek_v2", [](Cfg& c, ModelArch& a) { deepseek(c, a, false); }},
      {"deepseek_v3", [](Cfg& c, ModelArch& a) { deepseek(c, a, true); }},
      {"gpt_oss", gpt_oss},
      {"falcon", falcon},
      {"gpt2", [](Cfg& c, ModelArch& a) { gpt2(c, a, false); }},
      {"gpt_bigcode", [](Cfg& c, ModelArch& a) { gpt2(c, a, true); }},
      {"gpt_neox", gpt_neox},
      {"gptj", gptj},
      {"opt", opt},
      {"bloom", bloom},
      {"mpt", mpt},
      {"starcoder2", starcoder2},
      {"olmo", olmo},
      {"olmo2", olmo2},
      {"olmoe", olmoe},
      {"cohere", [](Cfg& c, ModelArch& a) { cohere(c, a, false); }},
      {"cohere2", [](Cfg& c, ModelArch& a) { cohere(c, a, true); }},
      {"stablelm", stablelm},
      {"phi", phi},
      {"mamba", mamba},
      {"falcon_mamba", mamba},
      {"mamba2", mamba2},
      {"jamba", jamba},
      {"qwen3_next", qwen3_next},
  };
  return all;
}

// Multimodal wrappers whose language model sits in text_config, and the family to read it as when
// the text_config names none.
std::string text_family_of(const std::string& outer) {
  if (outer == "gemma3") return "gemma3_text";
  if (outer == "mistral3") return "mistral";
  if (outer == "paligemma") return "gemma";
  if (outer == "llava" || outer == "llava_next" || outer == "mllama") return "llama";
  if (outer == "qwen2_vl" || outer == "qwen2_5_vl") return "qwen2";
  return {};
}

// Unknown model_type: a Llama-style decoder from whatever common keys the config has.
void unknown(Cfg& c, ModelArch& a, const std::string& model_type) {
  a.hidden_size = c.required({"hidden_size", "n_embd", "d_model", "n_embed", "dim"});
  a.num_layers = c.required({"num_hidden_layers", "n_layer", "n_layers", "num_layers"});
  a.num_heads = c.required({"num_attention_heads", "n_head", "n_heads", "num_heads"});
  a.vocab_size = c.required({"vocab_size", "padded_vocab_size"});
  a.num_kv_heads = c.guess({"num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num"}, a.num_heads,
                           "num_key_value_heads (= num_attention_heads)");
  a.head_dim = c.guess({"head_dim", "kv_channels"}, std::floor(a.hidden_size / std::max(1.0, a.num_heads)),
                       "head_dim (= hidden_size / num_attention_heads)");
  a.intermediate_size = c.guess({"intermediate_size", "ffn_dim", "ffn_hidden_size", "n_inner"}, 4 * a.hidden_size,
                                "intermediate_size (= 4 x hidden_size)");
  a.context_length =
      c.guess({"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length"}, 0,
              "max_position_embeddings (unknown)");
  if (!c.has("tie_word_embeddings")) c.guessed.push_back("tie_word_embeddings (= false)");
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, false);
  a.qkv_bias = a.o_bias = c.flag({"attention_bias", "bias", "use_bias"}, false);
  a.mlp_bias = c.flag({"mlp_bias"}, false);
  const double experts = c.count_or({"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"}, 0);
  if (experts > 0) {
    a.num_experts = experts;
    a.experts_per_token =
        c.guess({"num_experts_per_tok", "moe_top_k", "top_k"}, std::min(2.0, experts), "num_experts_per_tok (= 2)");
    a.moe_intermediate_size =
        c.guess({"moe_intermediate_size"}, a.intermediate_size, "moe_intermediate_size (= intermediate_size)");
  }
  for (const char* hybrid : {"falcon_h1", "nemotron_h", "zamba", "zamba2", "bamba", "granitemoehybrid", "plamo2",
                             "lfm2", "minimax", "rwkv", "rwkv7", "recurrent_gemma", "kimi_linear"}) {
    if (model_type == hybrid) {
      c.warn("model_type '" + model_type + "' has recurrent / state-space layers that gpuplan does not model: " +
             "they are counted as attention layers, so parameters and the KV cache are rough");
    }
  }
  std::string list;
  for (const auto& g : c.guessed) list += (list.empty() ? "" : "; ") + g;
  c.warn("model_type '" + model_type.substr(0, 64) +
         "' is not one gpuplan knows: read as a Llama-style decoder (RMSNorm x2 per layer, gated MLP" +
         std::string(a.qkv_bias ? ", attention biases" : ", no biases") + ")" +
         (list.empty() ? "" : "; guessed: " + list));
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// SigLIP vision tower (SiglipVisionTransformer) + Gemma 3's projector, exactly.
double siglip_params(Cfg& v, double text_hidden, bool gemma3_projector) {
  const double h = v.count_or({"hidden_size"}, 768);
  const double inter = v.count_or({"intermediate_size"}, 3072);
  const double layers = v.count_or({"num_hidden_layers"}, 12);
  const double channels = v.count_or({"num_channels"}, 3);
  const double image = v.count_or({"image_size"}, 224);
  const double patch = std::max(1.0, v.count_or({"patch_size"}, 16));
  const double patches = std::pow(std::floor(image / patch), 2);
  double p = channels * patch * patch * h + h + patches * h;  // patch conv + bias, position table
  p += layers * (4 * (h * h + h) + 4 * h + (h * inter + inter) + (inter * h + h));
  p += 2 * h;                               // post_layernorm
  if (v.flag({"vision_use_head"}, true)) {  // attention-pooling head
    p += h + (3 * h * h + 3 * h) + (h * h + h) + 2 * h + (h * inter + inter) + (inter * h + h);
  }
  if (gemma3_projector) p += h * text_hidden + h;  // mm_input_projection + mm_soft_emb_norm
  return p;
}

void read_quantization(const json& root, ParsedConfig& out) {
  const auto it = root.find("quantization_config");
  if (it == root.end() || !it->is_object()) return;
  std::vector<std::string> sink;
  Cfg q(*it, sink);
  QuantizationConfig& qc = out.quantization;
  qc.method = lower(q.str("quant_method"));
  auto num = [&](std::initializer_list<const char*> keys) { return q.count(keys).value_or(0); };
  if (qc.method == "gptq" || qc.method == "awq" || qc.method == "autoround" || qc.method == "auto-round") {
    qc.bits = num({"bits", "w_bit"});
    if (qc.bits <= 0) qc.bits = 4;
    qc.group_size = num({"group_size", "q_group_size"});
    qc.detail = std::to_string(static_cast<int>(qc.bits)) + "-bit" +
                (qc.group_size > 0 ? ", group " + std::to_string(static_cast<long long>(qc.group_size)) : "") +
                (q.flag({"desc_act"}, false) ? ", desc_act" : "");
    if (qc.bits == 4) qc.precision = qc.method == "awq" ? "awq-int4" : "gptq-int4";
    if (qc.bits == 8) qc.precision = "int8";
  } else if (qc.method == "bitsandbytes") {
    if (q.flag({"load_in_4bit"}, false)) {
      qc.bits = 4;
      const std::string type = lower(q.str("bnb_4bit_quant_type"));
      const bool dq = q.flag({"bnb_4bit_use_double_quant"}, false);
      qc.detail = (type.empty() ? "fp4" : type) + (dq ? ", double quant" : "");
      qc.precision = dq ? "nf4-dq" : "nf4";
    } else if (q.flag({"load_in_8bit"}, false)) {
      qc.bits = 8;
      qc.detail = "LLM.int8()";
      qc.precision = "int8";
    }
  } else if (qc.method == "fp8" || qc.method == "fbgemm_fp8") {
    qc.bits = 8;
    qc.detail = q.str("fmt").empty() ? "fp8" : q.str("fmt");
    if (const auto b = it->find("weight_block_size");
        b != it->end() && b->is_array() && b->size() == 2 && (*b)[0].is_number() && (*b)[1].is_number()) {
      qc.detail +=
          ", block " + std::to_string((*b)[0].get<long long>()) + "x" + std::to_string((*b)[1].get<long long>());
    }
    qc.precision = "fp8";
  } else if (qc.method == "mxfp4") {
    qc.bits = 4;
    qc.group_size = 32;
    qc.detail = "MXFP4 experts";
    qc.precision = "mxfp4";
  } else if (qc.method == "compressed-tensors") {
    if (const auto groups = it->find("config_groups"); groups != it->end() && groups->is_object()) {
      for (const auto& [name, g] : groups->items()) {
        const auto w = g.is_object() ? g.find("weights") : g.end();
        if (!g.is_object() || w == g.end() || !w->is_object()) continue;
        std::vector<std::string> s2;
        Cfg wc(*w, s2);
        qc.bits = wc.count_or({"num_bits"}, 0);
        qc.group_size = wc.count_or({"group_size"}, 0);
        const std::string type = wc.str("type");
        qc.detail = std::to_string(static_cast<int>(qc.bits)) + "-bit " + type;
        if (qc.bits == 4 && type == "int") qc.precision = "gptq-int4";
        if (qc.bits == 8) qc.precision = type == "float" ? "fp8" : "int8";
        break;
      }
    }
  }
  if (!qc.method.empty() && qc.precision.empty()) {
    out.warnings.push_back("quantization '" + qc.method + "' has no gpuplan precision; weights bytes need the " +
                           "checkpoint's tensors (or --quant)");
  }
}

std::string precision_of_dtype(const std::string& dtype) {
  if (dtype == "float32") return "fp32";
  if (dtype == "float16") return "fp16";
  if (dtype == "bfloat16") return "bf16";
  return {};
}

}  // namespace

const std::vector<std::string>& hf_model_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : families()) v.emplace_back(f.model_type);
    for (const char* outer :
         {"gemma3", "mistral3", "paligemma", "llava", "llava_next", "mllama", "qwen2_vl", "qwen2_5_vl"}) {
      v.emplace_back(outer);
    }
    return v;
  }();
  return names;
}

Result<ParsedConfig> parse_hf_config(std::string_view text) {
  auto doc = detail::parse_json_bounded(text, {kMaxConfigBytes, 32, 0, "config.json"});
  if (!doc) return doc.error();
  const json& root = doc.value();
  if (!root.is_object()) return make_error(ErrorCode::parse_error, "config.json must be a JSON object");
  ParsedConfig out;
  auto str = [](const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, 128) : std::string();
  };
  const std::string outer_type = str(root, "model_type");
  if (const auto arch = root.find("architectures");
      arch != root.end() && arch->is_array() && !arch->empty() && (*arch)[0].is_string()) {
    out.architecture = (*arch)[0].get<std::string>().substr(0, 128);
  }
  // The language model: the document itself, or its text_config for multimodal wrappers.
  const json* text_json = &root;
  std::string model_type = outer_type;
  const auto tc = root.find("text_config");
  const bool nested = tc != root.end() && tc->is_object() &&
                      (!text_family_of(outer_type).empty() || root.find("hidden_size") == root.end());
  if (nested) {
    text_json = &*tc;
    model_type = str(*tc, "model_type");
    if (model_type.empty() || model_type == outer_type) model_type = text_family_of(outer_type);
  }
  out.model_type = model_type;
  out.torch_dtype = str(root, "torch_dtype");
  if (out.torch_dtype.empty()) out.torch_dtype = str(root, "dtype");
  if (out.torch_dtype.empty()) out.torch_dtype = str(*text_json, "torch_dtype");

  Cfg c(*text_json, out.warnings);
  ModelArch& a = out.arch;
  const auto fam =
      std::find_if(families().begin(), families().end(), [&](const Family& f) { return model_type == f.model_type; });
  if (fam != families().end()) {
    out.known_family = true;
    fam->read(c, a);
  } else {
    unknown(c, a, model_type.empty() ? std::string("(none)") : model_type);
  }
  if (!c.error().empty()) {
    return make_error(ErrorCode::parse_error, "config.json" + std::string(nested ? " text_config" : "") +
                                                  (model_type.empty() ? std::string() : " (" + model_type + ")") +
                                                  ": " + c.error());
  }
  // Vision tower of multimodal checkpoints.
  if (nested) {
    const auto vc = root.find("vision_config");
    if (vc != root.end() && vc->is_object()) {
      Cfg v(*vc, out.warnings);
      const std::string vtype = str(*vc, "model_type");
      if (vtype == "siglip_vision_model" && outer_type == "gemma3") {
        a.vision_params = siglip_params(v, a.hidden_size, true);
      } else {
        out.warnings.push_back("vision tower" + (vtype.empty() ? std::string() : " (" + vtype + ")") +
                               " is not counted: only the language model is");
      }
      if (!v.error().empty()) return make_error(ErrorCode::parse_error, "config.json vision_config: " + v.error());
    }
  }
  read_quantization(root, out);
  out.precision = out.quantization.precision;
  if (out.precision.empty() && out.quantization.method.empty()) out.precision = precision_of_dtype(out.torch_dtype);
  const std::string why = validate_arch(a);
  if (!why.empty()) return make_error(ErrorCode::parse_error, "config.json (" + model_type + "): " + why);
  return out;
}

}  // namespace gpuplan::io
