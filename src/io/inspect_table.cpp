// The text report of `inspect`: one labelled line per fact, tensors by dtype, warnings last.
#include <fmt/format.h>

#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

const char* kind_label(ModelSourceKind kind) {
  switch (kind) {
    case ModelSourceKind::catalog: return "built-in catalog";
    case ModelSourceKind::config: return "config.json";
    case ModelSourceKind::safetensors: return "config.json + safetensors headers";
    case ModelSourceKind::gguf: return "GGUF header";
  }
  return "model";
}

std::string attention_text(const ModelArch& a) {
  if (num_attention_layers(a) <= 0) return {};  // pure state-space model: no heads to show
  if (is_mla(a)) {
    return fmt::format(", {} heads, MLA (kv rank {}, rope {}, q rank {})", a.num_heads, a.kv_lora_rank,
                       a.qk_rope_head_dim, a.q_lora_rank);
  }
  return fmt::format(", {} heads / {} KV heads x {}", a.num_heads, a.num_kv_heads, a.head_dim);
}

std::string mlp_text(const ModelArch& a) {
  if (!is_moe(a)) {
    return a.intermediate_size > 0
               ? fmt::format(", MLP {} {}", a.intermediate_size, a.mlp == MlpKind::gated ? "gated" : "plain")
               : std::string();
  }
  std::string s =
      fmt::format(", MoE {} experts ({} active) x {}", a.num_experts, a.experts_per_token, a.moe_intermediate_size);
  if (a.shared_expert_intermediate_size > 0) s += fmt::format(" + shared {}", a.shared_expert_intermediate_size);
  if (a.first_dense_layers > 0) s += fmt::format(", {} dense layers first", a.first_dense_layers);
  if (a.moe_every > 1) s += fmt::format(" every {} layers, MLP {} between", a.moe_every, a.intermediate_size);
  return s;
}

std::string arch_line(const ModelArch& a) {
  std::string s = fmt::format("{} layers, hidden {}", a.num_layers, a.hidden_size);
  if (is_recurrent(a)) {
    s += fmt::format(", {} {} layers (inner {}, state {}, conv {})", num_recurrent_layers(a), to_string(a.recurrent),
                     a.ssm_inner, a.ssm_state, a.ssm_conv);
    if (num_attention_layers(a) <= 0) s += ", no attention";
  }
  s += attention_text(a) + mlp_text(a);
  s += fmt::format(", vocab {}, {}", a.vocab_size, a.tie_word_embeddings ? "tied" : "untied");
  if (a.sliding_window > 0) {
    s += a.global_every > 0 ? fmt::format(", window {} (every {}th layer global)", a.sliding_window, a.global_every)
                            : fmt::format(", window {}", a.sliding_window);
  }
  if (a.qk_norm != QkNorm::none) s += a.qk_norm == QkNorm::per_head ? ", QK-norm per head" : ", QK-norm";
  if (a.qkv_bias || a.o_bias || a.mlp_bias) s += ", biases";
  if (a.vision_params > 0) s += fmt::format(", vision tower {}", format_count(a.vision_params));
  return s;
}

std::string architecture_lines(const InspectReport& r, const ParamCounts& p) {
  const ModelArch& a = r.model.arch;
  std::string out = fmt::format("Architecture  {}\n", arch_line(a));
  if (a.context_length > 0) out += fmt::format("Context       {} tokens\n", format_tokens(a.context_length));
  out += fmt::format("Params        {} total ({:.0f}), {} active per token", format_count(p.total), p.total,
                     format_count(p.active));
  if (p.mtp > 0) out += fmt::format("; + {} in MTP modules", format_count(p.mtp));
  out += "  (from the architecture)\n";
  out +=
      fmt::format("KV cache      {:.1f} KiB per token ({}, {}){}\n", r.kv_cache_bytes_per_token / kKiB, r.kv_dtype,
                  num_attention_layers(a) < a.num_layers ? fmt::format("{} attention layers", num_attention_layers(a))
                                                         : fmt::format("all {} layers", a.num_layers),
                  a.sliding_window > 0 ? "; sliding layers stop growing at the window" : "");
  if (is_recurrent(a)) {
    out +=
        fmt::format("State         {:.2f} MiB per sequence, fixed ({} recurrent layers x {:.0f} elements, f32)\n",
                    recurrent_state_bytes(a, 1) / kMiB, num_recurrent_layers(a), recurrent_state_elements_per_layer(a));
  }
  return out;
}

std::string tensor_lines(const TensorSummary& t, std::size_t files) {
  std::string out = fmt::format("Tensors       {:.0f} tensors in {} file{}, {:.0f} params, {} ({})\n", t.tensors, files,
                                files == 1 ? "" : "s", t.params, format_gib(t.bytes), format_gb(t.bytes));
  for (const auto& d : t.by_dtype) {
    out += fmt::format("  {:<10} {:>7.0f} tensors {:>16.0f} elements {:>12}\n", d.dtype, d.tensors, d.elements,
                       format_gib(d.bytes));
  }
  if (t.weights.routed_experts > 0) out += fmt::format("  routed experts {}\n", format_gib(t.weights.routed_experts));
  return out;
}

std::string stored_line(const InspectReport& r) {
  std::string stored = r.precision.empty() ? std::string("unknown") : r.precision;
  const QuantizationConfig& q = r.quantization;
  if (!q.method.empty()) stored += " (" + q.method + (q.detail.empty() ? "" : ", " + q.detail) + ")";
  if (r.tensors && !r.tensors->quantization.empty()) stored += "; tensors: " + r.tensors->quantization;
  return "Stored as     " + stored + "\n";
}

}  // namespace

std::string inspect_table(const InspectReport& r) {
  std::string out = fmt::format("Model         {}  ({}, {})\n", r.model.name, kind_label(r.kind), r.location);
  if (!r.model_type.empty()) {
    out +=
        fmt::format("Type          {}{}{}\n", r.model_type, r.architecture.empty() ? "" : " (" + r.architecture + ")",
                    r.torch_dtype.empty() ? "" : ", " + r.torch_dtype);
  }
  if (r.params) out += architecture_lines(r, *r.params);
  if (r.tensors) out += tensor_lines(*r.tensors, r.files);
  out += stored_line(r);
  if (!r.warnings.empty()) {
    out += "Warnings\n";
    for (const auto& w : r.warnings) out += "  - " + w + "\n";
  }
  return out;
}

}  // namespace gpuplan::io
