// data/models.json (or a user catalog): architectures and provenance of each model.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {
namespace {

using namespace detail;

MlpKind parse_mlp(Reader& r, const json& a) {
  const std::string mlp = r.string(a, "mlp");
  if (mlp.empty() || mlp == "gated") return MlpKind::gated;
  if (mlp == "plain") return MlpKind::plain;
  r.fail("mlp", "must be 'gated' or 'plain'");
  return MlpKind::gated;
}

RecurrentKind parse_recurrent(Reader& r, const json& a) {
  const std::string v = r.string(a, "recurrent");
  if (v.empty() || v == "none") return RecurrentKind::none;
  if (v == "mamba") return RecurrentKind::mamba;
  if (v == "mamba2") return RecurrentKind::mamba2;
  if (v == "gated_deltanet") return RecurrentKind::gated_deltanet;
  r.fail("recurrent", "must be none, mamba, mamba2 or gated_deltanet");
  return RecurrentKind::none;
}

QkNorm parse_qk_norm(Reader& r, const json& a) {
  const std::string v = r.string(a, "qk_norm");
  if (v.empty() || v == "none") return QkNorm::none;
  if (v == "per_head") return QkNorm::per_head;
  if (v == "full") return QkNorm::full;
  r.fail("qk_norm", "must be none, per_head or full");
  return QkNorm::none;
}

ModelArch parse_arch(Reader& r, const json& a) {
  ModelArch m;
  m.hidden_size = r.number(a, "hidden_size", 0, true, 1e7);
  m.num_layers = r.number(a, "num_layers", 0, true, 1e4);
  m.num_heads = r.number(a, "num_heads", 0, true, 1e5);
  m.num_kv_heads = r.number(a, "num_kv_heads", m.num_heads, false, 1e5);
  m.head_dim = r.number(a, "head_dim", m.num_heads > 0 ? std::floor(m.hidden_size / m.num_heads) : 0, false, 1e5);
  m.intermediate_size = r.number(a, "intermediate_size", 0, false, 1e8);
  m.vocab_size = r.number(a, "vocab_size", 0, true, 1e8);
  m.tie_word_embeddings = r.boolean(a, "tie_word_embeddings", false);
  m.mlp = parse_mlp(r, a);
  m.qkv_bias = r.boolean(a, "qkv_bias", false);
  m.o_bias = r.boolean(a, "o_bias", false);
  m.mlp_bias = r.boolean(a, "mlp_bias", false);
  m.norms_per_layer = r.number(a, "norms_per_layer", 2, false, 64);
  m.final_norm = r.number(a, "final_norm", 1, false, 8);
  m.qk_norm = parse_qk_norm(r, a);
  m.learned_positions = r.number(a, "learned_positions", 0, false, 1e8);
  m.attn_sinks = r.boolean(a, "attn_sinks", false);
  m.sliding_window = r.number(a, "sliding_window", 0, false, 1e9);
  m.global_every = r.number(a, "global_every", 0, false, 1e5);
  m.num_experts = r.number(a, "num_experts", 0, false, 1e5);
  m.experts_per_token = r.number(a, "experts_per_token", 0, false, 1e5);
  m.moe_intermediate_size = r.number(a, "moe_intermediate_size", 0, false, 1e8);
  m.num_shared_experts = r.number(a, "num_shared_experts", 0, false, 1e5);
  m.shared_expert_intermediate_size = r.number(a, "shared_expert_intermediate_size", 0, false, 1e8);
  m.shared_expert_gate = r.boolean(a, "shared_expert_gate", false);
  m.first_dense_layers = r.number(a, "first_dense_layers", 0, false, 1e5);
  m.router_bias = r.boolean(a, "router_bias", false);
  m.expert_bias = r.boolean(a, "expert_bias", false);
  m.score_correction_bias = r.boolean(a, "score_correction_bias", false);
  m.q_lora_rank = r.number(a, "q_lora_rank", 0, false, 1e7);
  m.kv_lora_rank = r.number(a, "kv_lora_rank", 0, false, 1e7);
  m.qk_nope_head_dim = r.number(a, "qk_nope_head_dim", 0, false, 1e5);
  m.qk_rope_head_dim = r.number(a, "qk_rope_head_dim", 0, false, 1e5);
  m.v_head_dim = r.number(a, "v_head_dim", 0, false, 1e5);
  m.index_heads = r.number(a, "index_heads", 0, false, 1e5);
  m.index_head_dim = r.number(a, "index_head_dim", 0, false, 1e5);
  m.mtp_layers = r.number(a, "mtp_layers", 0, false, 1e3);
  m.vision_params = r.number(a, "vision_params", 0, false, 1e12);
  // Hybrid MoE pattern and recurrent (state-space) layers; see ModelArch.
  m.attn_output_gate = r.boolean(a, "attn_output_gate", false);
  m.moe_every = r.number(a, "moe_every", 0, false, 1e4);
  m.moe_offset = r.number(a, "moe_offset", 0, false, 1e4);
  m.recurrent = parse_recurrent(r, a);
  m.attention_every = r.number(a, "attention_every", 0, false, 1e4);
  m.attention_offset = r.number(a, "attention_offset", 0, false, 1e4);
  m.ssm_inner = r.number(a, "ssm_inner", 0, false, 1e7);
  m.ssm_state = r.number(a, "ssm_state", 0, false, 1e5);
  m.ssm_conv = r.number(a, "ssm_conv", 0, false, 1e3);
  m.ssm_groups = r.number(a, "ssm_groups", 0, false, 1e5);
  m.ssm_dt_rank = r.number(a, "ssm_dt_rank", 0, false, 1e6);
  m.ssm_conv_bias = r.boolean(a, "ssm_conv_bias", true);
  m.ssm_proj_bias = r.boolean(a, "ssm_proj_bias", false);
  m.ssm_dt_norms = r.boolean(a, "ssm_dt_norms", false);
  return m;
}

Result<Model> parse_model(const json& j, std::size_t index) {
  Reader r{"models[" + std::to_string(index) + "]", {}};
  if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
  Model m;
  m.id = r.string(j, "id", true);
  if (!m.id.empty()) r.where += " (" + m.id + ")";
  m.name = r.string(j, "name");
  if (m.name.empty()) m.name = m.id;
  m.family = r.string(j, "family");
  m.hf_repo = r.string(j, "hf_repo");
  m.source = r.string(j, "source");
  m.as_of = r.string(j, "as_of");
  m.license = r.string(j, "license");
  m.aliases = r.strings(j, "aliases");
  const std::string dtype = r.string(j, "weights_dtype");
  if (!dtype.empty()) m.weights_dtype = dtype;
  const auto arch = j.find("arch");
  if (arch == j.end() || !arch->is_object()) {
    r.fail("arch", "must be an object");
  } else {
    m.arch = parse_arch(r, *arch);
  }
  m.arch.context_length = r.number(j, "context_length", 0, false, 1e9);
  const auto published = j.find("published_params");
  if (published != j.end() && published->is_object()) {
    m.published_params = r.number(*published, "value", 0, false, 1e14);
    m.published_source = r.string(*published, "source");
  } else if (published != j.end() && !published->is_null()) {
    r.fail("published_params", "must be {value, source, as_of}");
  }
  if (r.error.empty()) {
    const std::string why = validate_arch(m.arch);
    if (!why.empty()) r.fail("arch", why);
  }
  if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
  return m;
}

// The keys a variant takes from the entry it names: what the architecture decides. The checkpoint's
// own keys (id, name, hf_repo, aliases, source, as_of, weights_dtype) are the variant's.
constexpr const char* kInheritedKeys[] = {"family", "license", "context_length", "arch", "published_params"};

// "variant_of": "<id>" names an earlier entry of the same document whose architecture this
// checkpoint shares (NVIDIA's NVFP4 and FP8 quantisations of a released model): its inherited keys
// are copied unless the variant gives them. Variants of variants are refused (one level suffices).
Result<json> expand_variants(const json& list) {
  json out = json::array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    const auto base_id = entry.is_object() ? entry.find("variant_of") : entry.end();
    if (!entry.is_object() || base_id == entry.end()) {
      out.push_back(entry);
      continue;
    }
    const std::string where = "models[" + std::to_string(i) + "]: field 'variant_of' ";
    if (!base_id->is_string()) return make_error(ErrorCode::parse_error, where + "must be a string");
    const json* base = nullptr;
    for (std::size_t k = 0; k < i && base == nullptr; ++k) {
      const auto id = list[k].is_object() ? list[k].find("id") : list[k].end();
      if (id != list[k].end() && *id == *base_id && !list[k].contains("variant_of")) base = &list[k];
    }
    if (base == nullptr) {
      return make_error(ErrorCode::parse_error, where +
                                                    "must name an earlier entry of the same file that is not "
                                                    "itself a variant ('" +
                                                    base_id->get<std::string>() + "')");
    }
    json merged = entry;
    merged.erase("variant_of");
    for (const char* key : kInheritedKeys) {
      if (!merged.contains(key) && base->contains(key)) merged[key] = (*base)[key];
    }
    out.push_back(std::move(merged));
  }
  return out;
}

}  // namespace

Result<std::vector<Model>> parse_models_json(std::string_view text) {
  return read_catalog<std::vector<Model>>(text, "gpuplan-models/", "models", "model catalog",
                                          [&](const json& doc) -> Result<std::vector<Model>> {
                                            auto list = expand_variants(doc["models"]);
                                            if (!list) return list.error();
                                            return parse_list<Model>(list.value(), parse_model);
                                          });
}

Result<bool> merge_models_json(Catalog& catalog, std::string_view text) {
  auto models = parse_models_json(text);
  if (!models) return models.error();
  merge_by_id(catalog.models, std::move(models).value());
  return true;
}

}  // namespace gpuplan::io
