// config.json readers of the 2025-26 MoE families that need their own keys: MiniMax-M2 and
// Llama 4 (text tower). The MLA ones (Kimi K2.5, GLM-5) read as DeepSeek-V3 and Qwen3.5-MoE as
// Qwen3-Next (hf_config_families.cpp, hf_config_recurrent.cpp).
#include <string>

#include "hf_config_reader.hpp"

namespace gpuplan::io::detail {
namespace {

// MiniMaxM2Config (MiniMaxAI/MiniMax-M2, M2.1, M2.5): every layer full attention and a sparse MoE of
// num_local_experts of intermediate_size with sigmoid routing and e_score_correction_bias
// (use_routing_bias), no shared expert. use_qk_norm with qk_norm_type "per_layer" normalises all q
// heads together (and all k heads): one weight the width of q and one of k.
void minimax_m2(Cfg& c, ModelArch& a) {
  common(c, a, {});
  a.num_experts = c.required({"num_local_experts"});
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 8);
  a.moe_intermediate_size = a.intermediate_size;
  a.score_correction_bias = c.flag({"use_routing_bias"}, true);
  if (c.flag({"use_qk_norm"}, true)) a.qk_norm = c.str("qk_norm_type") == "per_head" ? QkNorm::per_head : QkNorm::full;
  if (c.count_or({"shared_intermediate_size"}, 0) > 0) {
    a.shared_expert_intermediate_size = c.count_or({"shared_intermediate_size"}, 0);
    a.num_shared_experts = 1;
  }
  // num_mtp_modules (3 in M2.5) of mtp_transformer_layers each: their layout is not in the config
  // (gpuplan's MTP count is DeepSeek's, a full MoE layer each), so they are left out and said so.
  if (c.flag({"use_mtp"}, false) && c.count_or({"num_mtp_modules"}, 0) > 0) {
    c.warn("the " + std::to_string(static_cast<long long>(c.count_or({"num_mtp_modules"}, 0))) +
           " multi-token-prediction modules are not counted");
  }
}

// Llama4TextConfig: routed experts (num_local_experts of intermediate_size, top num_experts_per_tok)
// plus one shared expert of the same width on every interleave_moe_layer_step-th layer (layer i is
// MoE when (i + 1) % step == 0), dense MLPs of intermediate_size_mlp elsewhere. Chunked local
// attention (attention_chunk_size) on all layers but every no_rope_layer_interval-th, which attends
// globally without RoPE; a chunk caches at most attention_chunk_size tokens, as a sliding window of
// that size does. The QK norm is a weightless L2 norm.
void llama4_text(Cfg& c, ModelArch& a) {
  common(c, a, {5120, 48, 40, 8, 128, 8192, 202048, 131072, false});
  a.moe_intermediate_size = a.intermediate_size;
  a.intermediate_size = c.count_or({"intermediate_size_mlp"}, 16384);
  a.num_experts = c.count_or({"num_local_experts"}, 16);
  a.experts_per_token = c.count_or({"num_experts_per_tok"}, 1);
  a.shared_expert_intermediate_size = a.moe_intermediate_size;
  a.num_shared_experts = 1;
  const double step = c.count_or({"interleave_moe_layer_step"}, 1);
  if (step > 1) {
    a.moe_every = step;
    a.moe_offset = step - 1;
  }
  a.qkv_bias = a.o_bias = c.flag({"attention_bias"}, false);
  a.sliding_window = c.count_or({"attention_chunk_size"}, 8192);
  a.global_every = a.sliding_window > 0 ? c.count_or({"no_rope_layer_interval"}, 4) : 0;
}

}  // namespace

const std::vector<Family>& moe_families() {
  static const std::vector<Family> all = {{"minimax_m2", minimax_m2}, {"llama4_text", llama4_text}};
  return all;
}

}  // namespace gpuplan::io::detail
