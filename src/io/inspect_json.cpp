// gpuplan-inspect/2: what a model spec says, on the shared vocabulary (model.params.total, ...).
#include <nlohmann/json.hpp>

#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/memory.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

const char* qk_norm_name(QkNorm n) {
  switch (n) {
    case QkNorm::none: return "none";
    case QkNorm::per_head: return "per_head";
    case QkNorm::full: return "full";
  }
  return "none";
}

// Every ModelArch field by its config-like name (recurrent fields only for recurrent models).
ordered_json arch_json(const ModelArch& a) {
  const auto n = [](double v) { return whole_or_null(v); };
  ordered_json j = {{"hidden_size", n(a.hidden_size)},
                    {"num_layers", n(a.num_layers)},
                    {"num_heads", n(a.num_heads)},
                    {"num_kv_heads", n(a.num_kv_heads)},
                    {"head_dim", n(a.head_dim)},
                    {"intermediate_size", n(a.intermediate_size)},
                    {"vocab_size", n(a.vocab_size)},
                    {"tie_word_embeddings", a.tie_word_embeddings},
                    {"mlp", a.mlp == MlpKind::gated ? "gated" : "plain"},
                    {"qkv_bias", a.qkv_bias},
                    {"o_bias", a.o_bias},
                    {"mlp_bias", a.mlp_bias},
                    {"norms_per_layer", n(a.norms_per_layer)},
                    {"final_norm", n(a.final_norm)},
                    {"qk_norm", qk_norm_name(a.qk_norm)},
                    {"learned_positions", n(a.learned_positions)},
                    {"attn_sinks", a.attn_sinks},
                    {"sliding_window", n(a.sliding_window)},
                    {"global_every", n(a.global_every)}};
  if (is_recurrent(a)) {
    j.update(ordered_json{{"recurrent", to_string(a.recurrent)},
                          {"attention_every", n(a.attention_every)},
                          {"attention_offset", n(a.attention_offset)},
                          {"ssm_inner", n(a.ssm_inner)},
                          {"ssm_state", n(a.ssm_state)},
                          {"ssm_conv", n(a.ssm_conv)},
                          {"ssm_groups", n(a.ssm_groups)},
                          {"ssm_dt_rank", n(a.ssm_dt_rank)}});
  }
  j.update(ordered_json{{"num_experts", n(a.num_experts)},
                        {"experts_per_token", n(a.experts_per_token)},
                        {"moe_intermediate_size", n(a.moe_intermediate_size)},
                        {"num_shared_experts", n(a.num_shared_experts)},
                        {"shared_expert_intermediate_size", n(a.shared_expert_intermediate_size)},
                        {"shared_expert_gate", a.shared_expert_gate},
                        {"first_dense_layers", n(a.first_dense_layers)},
                        {"router_bias", a.router_bias},
                        {"expert_bias", a.expert_bias},
                        {"score_correction_bias", a.score_correction_bias},
                        {"q_lora_rank", n(a.q_lora_rank)},
                        {"kv_lora_rank", n(a.kv_lora_rank)},
                        {"qk_nope_head_dim", n(a.qk_nope_head_dim)},
                        {"qk_rope_head_dim", n(a.qk_rope_head_dim)},
                        {"v_head_dim", n(a.v_head_dim)},
                        {"mtp_layers", n(a.mtp_layers)},
                        {"vision_params", n(a.vision_params)},
                        {"context_length", n(a.context_length)}});
  return j;
}

// model: the vocabulary's id, name and params (all null without an architecture), what the config
// names it, and -- with an architecture -- the summary fit prints under the same keys.
ordered_json model_object(const InspectReport& r) {
  const ordered_json unknown = {
      {"total", nullptr}, {"active", nullptr}, {"embedding", nullptr}, {"trainable", nullptr}};
  ordered_json m = model_json(r.model.id, r.model.name, r.params ? params_json(*r.params) : unknown);
  m.update(ordered_json{{"model_type", r.model_type},
                        {"architecture", r.architecture},
                        {"torch_dtype", r.torch_dtype},
                        {"hf_repo", r.model.hf_repo}});
  if (!r.params) return m;
  const ParamCounts& p = *r.params;
  const ModelArch& a = r.model.arch;
  m.update(architecture_json(a, p, r.kv_cache_bytes_per_token));
  m.update(ordered_json{{"lm_head_params", whole_or_null(p.lm_head)},
                        {"routed_expert_params", whole_or_null(p.routed_experts)},
                        {"vision_params", whole_or_null(p.vision)}});
  return m;
}

ordered_json tensors_object(const TensorSummary& t) {
  ordered_json dtypes = ordered_json::array();
  for (const auto& d : t.by_dtype) {
    dtypes.push_back({{"dtype", d.dtype},
                      {"tensors", whole_or_null(d.tensors)},
                      {"elements", whole_or_null(d.elements)},
                      {"bytes", whole_or_null(d.bytes)}});
  }
  return {{"count", whole_or_null(t.tensors)},
          {"params", whole_or_null(t.params)},
          {"routed_expert_params", whole_or_null(t.routed_expert_params)},
          {"stored_elements", whole_or_null(t.stored_elements)},
          {"aux_elements", whole_or_null(t.aux_elements)},
          {"bytes", whole_or_null(t.bytes)},
          {"token_embedding_bytes", whole_or_null(t.weights.token_embedding)},
          {"routed_expert_bytes", whole_or_null(t.weights.routed_experts)},
          {"vision_bytes", whole_or_null(t.weights.vision)},
          {"quantization", t.quantization},
          {"by_dtype", dtypes}};
}

ordered_json quantization_object(const QuantizationConfig& q) {
  if (q.method.empty()) return nullptr;
  return {{"method", q.method},
          {"bits", number_or_null(q.bits, q.bits > 0)},
          {"group_size", q.group_size > 0 ? whole_or_null(q.group_size) : ordered_json(nullptr)},
          {"detail", q.detail},
          {"precision", q.precision.empty() ? ordered_json(nullptr) : ordered_json(q.precision)}};
}

}  // namespace

const char* to_string(ModelSourceKind kind) {
  switch (kind) {
    case ModelSourceKind::catalog: return "catalog";
    case ModelSourceKind::config: return "config";
    case ModelSourceKind::safetensors: return "safetensors";
    case ModelSourceKind::gguf: return "gguf";
  }
  return "catalog";
}

std::optional<ModelSourceKind> parse_model_source_kind(std::string_view text) {
  for (const auto k :
       {ModelSourceKind::catalog, ModelSourceKind::config, ModelSourceKind::safetensors, ModelSourceKind::gguf}) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

ordered_json inspect_json(const InspectReport& r) {
  ordered_json j;
  j["schema"] = "gpuplan-inspect/2";
  j["source"] = {{"kind", to_string(r.kind)}, {"location", r.location}, {"files", r.files}};
  j["model"] = model_object(r);
  j["architecture"] = r.params ? arch_json(r.model.arch) : ordered_json(nullptr);
  j["precision"] = {{"name", r.precision.empty() ? ordered_json(nullptr) : ordered_json(r.precision)},
                    {"kv_dtype", r.kv_dtype}};
  j["tensors"] = r.tensors ? tensors_object(*r.tensors) : ordered_json(nullptr);
  j["quantization"] = quantization_object(r.quantization);
  j["warnings"] = r.warnings;
  return j;
}

}  // namespace gpuplan::io
