// gpuplan inspect: what a model spec says -- a catalog entry, a config.json, a folder of
// safetensors, a GGUF file, a Hub repository: architecture, parameters (total / active), tensors
// by dtype, KV-cache bytes per token, the stored format, and what was guessed.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

using nlohmann::ordered_json;

const char* kind_label(const std::string& kind) {
  if (kind == "catalog") return "built-in catalog";
  if (kind == "config") return "config.json";
  if (kind == "safetensors") return "config.json + safetensors headers";
  if (kind == "gguf") return "GGUF header";
  return "model";
}

double kv_bytes_per_token_f16(const ModelArch& a) {
  return kv_cache_bytes(a, 1, 1, 2.0);
}

std::string arch_line(const ModelArch& a) {
  std::string s = fmt::format("{} layers, hidden {}", a.num_layers, a.hidden_size);
  if (is_recurrent(a)) {
    s += fmt::format(", {} {} layers (inner {}, state {}, conv {})", num_recurrent_layers(a), to_string(a.recurrent),
                     a.ssm_inner, a.ssm_state, a.ssm_conv);
    if (num_attention_layers(a) <= 0) s += ", no attention";
  }
  if (num_attention_layers(a) <= 0) {
    // pure state-space model: no heads to show
  } else if (is_mla(a)) {
    s += fmt::format(", {} heads, MLA (kv rank {}, rope {}, q rank {})", a.num_heads, a.kv_lora_rank,
                     a.qk_rope_head_dim, a.q_lora_rank);
  } else {
    s += fmt::format(", {} heads / {} KV heads x {}", a.num_heads, a.num_kv_heads, a.head_dim);
  }
  if (is_moe(a)) {
    s += fmt::format(", MoE {} experts ({} active) x {}", a.num_experts, a.experts_per_token, a.moe_intermediate_size);
    if (a.shared_expert_intermediate_size > 0) s += fmt::format(" + shared {}", a.shared_expert_intermediate_size);
    if (a.first_dense_layers > 0) s += fmt::format(", {} dense layers first", a.first_dense_layers);
    if (a.moe_every > 1) s += fmt::format(" every {} layers, MLP {} between", a.moe_every, a.intermediate_size);
  } else if (a.intermediate_size > 0) {
    s += fmt::format(", MLP {} {}", a.intermediate_size, a.mlp == MlpKind::gated ? "gated" : "plain");
  }
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

std::string text_report(const sources::LoadedModel& m) {
  std::string out;
  out += fmt::format("Model         {}  ({}, {})\n", m.model.name, kind_label(m.kind), m.location);
  if (!m.model_type.empty()) {
    out +=
        fmt::format("Type          {}{}{}\n", m.model_type, m.architecture.empty() ? "" : " (" + m.architecture + ")",
                    m.torch_dtype.empty() ? "" : ", " + m.torch_dtype);
  }
  if (m.has_architecture) {
    const ModelArch& a = m.model.arch;
    const ParamCounts p = count_params(a);
    out += fmt::format("Architecture  {}\n", arch_line(a));
    if (a.context_length > 0) out += fmt::format("Context       {} tokens\n", format_tokens(a.context_length));
    out += fmt::format("Params        {} total ({:.0f}), {} active per token", format_count(p.total), p.total,
                       format_count(p.active));
    if (p.mtp > 0) out += fmt::format("; + {} in MTP modules", format_count(p.mtp));
    out += "  (from the architecture)\n";
    const double kv = kv_bytes_per_token_f16(a);
    out +=
        fmt::format("KV cache      {:.1f} KiB per token (f16, {}){}\n", kv / kKiB,
                    num_attention_layers(a) < a.num_layers ? fmt::format("{} attention layers", num_attention_layers(a))
                                                           : fmt::format("all {} layers", a.num_layers),
                    a.sliding_window > 0 ? "; sliding layers stop growing at the window" : "");
    if (is_recurrent(a)) {
      out += fmt::format("State         {:.2f} MiB per sequence, fixed ({} recurrent layers x {:.0f} elements, f32)\n",
                         recurrent_state_bytes(a, 1) / kMiB, num_recurrent_layers(a),
                         recurrent_state_elements_per_layer(a));
    }
  }
  if (m.has_tensors) {
    const auto& t = m.tensors;
    out += fmt::format("Tensors       {:.0f} tensors in {} file{}, {:.0f} params, {} ({})\n", t.tensors, m.files,
                       m.files == 1 ? "" : "s", t.params, format_gib(t.bytes), format_gb(t.bytes));
    for (const auto& d : t.by_dtype) {
      out += fmt::format("  {:<10} {:>7.0f} tensors {:>16.0f} elements {:>12}\n", d.dtype, d.tensors, d.elements,
                         format_gib(d.bytes));
    }
    if (t.weights.routed_experts > 0) out += fmt::format("  routed experts {}\n", format_gib(t.weights.routed_experts));
  }
  std::string stored = m.precision.empty() ? std::string("unknown") : m.precision;
  if (!m.quantization.method.empty()) {
    stored += " (" + m.quantization.method + (m.quantization.detail.empty() ? "" : ", " + m.quantization.detail) + ")";
  }
  if (m.has_tensors && !m.tensors.quantization.empty()) stored += "; tensors: " + m.tensors.quantization;
  out += "Stored as     " + stored + "\n";
  if (!m.warnings.empty()) {
    out += "Warnings\n";
    for (const auto& w : m.warnings) out += "  - " + w + "\n";
  }
  return out;
}

// Counts as JSON integers; a value no int64 can hold (a hostile file's products) stays a double.
ordered_json whole(double v) {
  if (std::isfinite(v) && std::fabs(v) < 9.0e18) return static_cast<std::int64_t>(v);
  return v;
}

ordered_json arch_json(const ModelArch& a) {
  ordered_json j;
  j["hidden_size"] = whole(a.hidden_size);
  j["num_layers"] = whole(a.num_layers);
  j["num_heads"] = whole(a.num_heads);
  j["num_kv_heads"] = whole(a.num_kv_heads);
  j["head_dim"] = whole(a.head_dim);
  j["intermediate_size"] = whole(a.intermediate_size);
  j["vocab_size"] = whole(a.vocab_size);
  j["tie_word_embeddings"] = a.tie_word_embeddings;
  j["mlp"] = a.mlp == MlpKind::gated ? "gated" : "plain";
  j["qkv_bias"] = a.qkv_bias;
  j["o_bias"] = a.o_bias;
  j["mlp_bias"] = a.mlp_bias;
  j["norms_per_layer"] = whole(a.norms_per_layer);
  j["final_norm"] = whole(a.final_norm);
  j["qk_norm"] = a.qk_norm == QkNorm::none ? "none" : a.qk_norm == QkNorm::per_head ? "per_head" : "full";
  j["learned_positions"] = whole(a.learned_positions);
  j["attn_sinks"] = a.attn_sinks;
  j["sliding_window"] = whole(a.sliding_window);
  j["global_every"] = whole(a.global_every);
  if (is_recurrent(a)) {
    j["recurrent"] = to_string(a.recurrent);
    j["attention_every"] = whole(a.attention_every);
    j["attention_offset"] = whole(a.attention_offset);
    j["ssm_inner"] = whole(a.ssm_inner);
    j["ssm_state"] = whole(a.ssm_state);
    j["ssm_conv"] = whole(a.ssm_conv);
    j["ssm_groups"] = whole(a.ssm_groups);
    j["ssm_dt_rank"] = whole(a.ssm_dt_rank);
  }
  j["num_experts"] = whole(a.num_experts);
  j["experts_per_token"] = whole(a.experts_per_token);
  j["moe_intermediate_size"] = whole(a.moe_intermediate_size);
  j["num_shared_experts"] = whole(a.num_shared_experts);
  j["shared_expert_intermediate_size"] = whole(a.shared_expert_intermediate_size);
  j["shared_expert_gate"] = a.shared_expert_gate;
  j["first_dense_layers"] = whole(a.first_dense_layers);
  j["router_bias"] = a.router_bias;
  j["expert_bias"] = a.expert_bias;
  j["score_correction_bias"] = a.score_correction_bias;
  j["q_lora_rank"] = whole(a.q_lora_rank);
  j["kv_lora_rank"] = whole(a.kv_lora_rank);
  j["qk_nope_head_dim"] = whole(a.qk_nope_head_dim);
  j["qk_rope_head_dim"] = whole(a.qk_rope_head_dim);
  j["v_head_dim"] = whole(a.v_head_dim);
  j["mtp_layers"] = whole(a.mtp_layers);
  j["vision_params"] = whole(a.vision_params);
  j["context_length"] = whole(a.context_length);
  return j;
}

std::string json_report(const sources::LoadedModel& m) {
  ordered_json j;
  j["schema"] = "gpuplan-inspect/1";
  j["source"] = {{"kind", m.kind}, {"location", m.location}, {"files", m.files}};
  j["model"] = {{"id", m.model.id},
                {"name", m.model.name},
                {"model_type", m.model_type},
                {"architecture", m.architecture},
                {"torch_dtype", m.torch_dtype},
                {"hf_repo", m.model.hf_repo}};
  if (m.has_architecture) {
    const ParamCounts p = count_params(m.model.arch);
    j["architecture"] = arch_json(m.model.arch);
    j["params"] = {{"total", whole(p.total)},
                   {"active", whole(p.active)},
                   {"embedding", whole(p.embedding)},
                   {"lm_head", whole(p.lm_head)},
                   {"routed_experts", whole(p.routed_experts)},
                   {"mtp", whole(p.mtp)},
                   {"vision", whole(p.vision)}};
    j["kv_bytes_per_token"] = whole(kv_bytes_per_token_f16(m.model.arch));
  } else {
    j["architecture"] = nullptr;
    j["params"] = nullptr;
    j["kv_bytes_per_token"] = nullptr;
  }
  if (m.has_tensors) {
    const auto& t = m.tensors;
    ordered_json dtypes = ordered_json::array();
    for (const auto& d : t.by_dtype) {
      dtypes.push_back({{"dtype", d.dtype},
                        {"tensors", whole(d.tensors)},
                        {"elements", whole(d.elements)},
                        {"bytes", whole(d.bytes)}});
    }
    j["tensors"] = {{"count", whole(t.tensors)},
                    {"params", whole(t.params)},
                    {"routed_expert_params", whole(t.routed_expert_params)},
                    {"stored_elements", whole(t.stored_elements)},
                    {"aux_elements", whole(t.aux_elements)},
                    {"bytes", whole(t.bytes)},
                    {"token_embedding_bytes", whole(t.weights.token_embedding)},
                    {"routed_expert_bytes", whole(t.weights.routed_experts)},
                    {"vision_bytes", whole(t.weights.vision)},
                    {"quantization", t.quantization},
                    {"by_dtype", dtypes}};
  } else {
    j["tensors"] = nullptr;
  }
  if (!m.quantization.method.empty()) {
    j["quantization"] = {{"method", m.quantization.method},
                         {"bits", m.quantization.bits},
                         {"group_size", m.quantization.group_size},
                         {"detail", m.quantization.detail},
                         {"precision", m.quantization.precision}};
  } else {
    j["quantization"] = nullptr;
  }
  j["precision"] = m.precision;
  j["warnings"] = m.warnings;
  return io::dump_json(j) + "\n";
}

}  // namespace

std::function<int()> add_inspect_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "inspect", "What a model says: architecture, params (total/active), tensors by dtype, KV bytes per token");
  auto spec = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("model", *spec,
                  "A catalog name, a folder (config.json + *.safetensors), a config.json, a .safetensors or .gguf "
                  "file, or hf:org/name[@revision][/file.gguf]")
      ->required();
  cmd->add_flag("--json", *json, "Print one JSON object (schema gpuplan-inspect/1, in README)");
  cmd->footer(
      "Examples:\n"
      "  gpuplan inspect ./Meta-Llama-3.1-8B/\n"
      "  gpuplan inspect ./Qwen3-30B-A3B-Q4_K_M.gguf --json\n"
      "  gpuplan inspect hf:Qwen/Qwen3-8B\n"
      "Reads only headers. Hub: HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE; cache under $XDG_CACHE_HOME/gpuplan/hub.");
  return [cmd, spec, json, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto ctx = make_context(global);
    if (!ctx) {
      std::fprintf(stderr, "gpuplan: %s\n", ctx.error().message.c_str());
      return 2;
    }
    auto loaded = sources::load_model_source(*spec, *ctx.value().catalog, ctx.value().context.sources);
    if (!loaded) {
      std::fprintf(stderr, "gpuplan inspect: %s\n", loaded.error().message.c_str());
      return 2;
    }
    const std::string text = *json ? json_report(loaded.value()) : text_report(loaded.value());
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
