// config.json of recurrent and hybrid families (Mamba, Mamba-2, Jamba, Qwen3-Next).
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "hf_config_reader.hpp"

namespace gpuplan::io::detail {
namespace {

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

}  // namespace

const std::vector<Family>& recurrent_families() {
  static const std::vector<Family> all = {
      {"mamba", mamba},           {"falcon_mamba", mamba},          {"mamba2", mamba2}, {"jamba", jamba},
      {"qwen3_next", qwen3_next}, {"qwen3_5_moe_text", qwen3_next},  // Qwen3.5-MoE's text tower reuses Qwen3-Next's
                                                                     // blocks
  };
  return all;
}

}  // namespace gpuplan::io::detail
