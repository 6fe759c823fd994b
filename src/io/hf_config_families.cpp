// config.json of transformer families (dense and MoE): each maps its config class onto the
// architecture fields.
#include <algorithm>
#include <cmath>

#include "hf_config_reader.hpp"

namespace gpuplan::io::detail {

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

namespace {

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
  if (c.has("index_topk")) {  // DeepSeek Sparse Attention (GLM-5's glm_moe_dsa; DeepSeek-V3.2)
    a.index_heads = c.count_or({"index_n_heads"}, 64);
    a.index_head_dim = c.count_or({"index_head_dim"}, 128);
  }
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

}  // namespace

const std::vector<Family>& transformer_families() {
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
      // zai-org/GLM-5: DeepSeek-V3's MLA + MoE layout (its DSA indexer is not counted).
      {"glm_moe_dsa", [](Cfg& c, ModelArch& a) { deepseek(c, a, true); }},
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
  };
  return all;
}

}  // namespace gpuplan::io::detail
