#include "gpuplan/io/catalog_json.hpp"

#include "json_guard.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

extern const char gpuplan_models_json[];
extern const unsigned long gpuplan_models_json_size;
extern const char gpuplan_engines_json[];
extern const unsigned long gpuplan_engines_json_size;
extern const char gpuplan_runtimes_json[];
extern const unsigned long gpuplan_runtimes_json_size;
extern const char gpuplan_prices_json[];
extern const unsigned long gpuplan_prices_json_size;
extern const char gpuplan_links_json[];
extern const unsigned long gpuplan_links_json_size;
extern const char gpuplan_gpus_json[];
extern const unsigned long gpuplan_gpus_json_size;

namespace gpuplan::io {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxString = 4096;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Reader {
  std::string where;  // "models[3] (llama-3.1-8b)"
  std::string error;

  bool fail(const std::string& field, const std::string& why) {
    if (error.empty()) error = where + ": field '" + field + "' " + why;
    return false;
  }
  double number(const json& obj, const char* key, double fallback, bool required = false, double max = 1e15) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return fallback;
    }
    if (!it->is_number()) {
      fail(key, "must be a number");
      return fallback;
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0 || v > max) {
      fail(key, "must be a finite non-negative number below " + std::to_string(max));
      return fallback;
    }
    return v;
  }
  bool boolean(const json& obj, const char* key, bool fallback) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      fail(key, "must be true or false");
      return fallback;
    }
    return it->get<bool>();
  }
  std::string string(const json& obj, const char* key, bool required = false) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return {};
    }
    if (!it->is_string()) {
      fail(key, "must be a string");
      return {};
    }
    std::string s = it->get<std::string>();
    if (s.size() > kMaxString) {
      fail(key, "is longer than 4096 characters");
      return {};
    }
    if (required && s.empty()) fail(key, "must not be empty");  // an id, a source: "" names nothing
    return s;
  }
  std::vector<std::string> strings(const json& obj, const char* key) {
    std::vector<std::string> out;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > 256) {
      fail(key, "must be an array of at most 256 strings");
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string() || v.get_ref<const std::string&>().size() > 256) {
        fail(key, "must hold strings of at most 256 characters");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  // A sourced figure: {"value": x, "source": "...", "as_of": "..."} (a bare number is accepted for user files).
  double figure(const json& obj, const char* key, Gpu& gpu, bool required, double max = 1e15) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(key, "is missing");
      return 0;
    }
    if (it->is_number()) return number(obj, key, 0, required, max);
    if (!it->is_object()) {
      fail(key, "must be a number or {value, source, as_of}");
      return 0;
    }
    const auto value = it->find("value");
    if (value == it->end() || !value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0 ||
        value->get<double>() > max) {
      fail(key, "needs a 'value' that is a finite non-negative number below " + std::to_string(max));
      return 0;
    }
    gpu.provenance[key] = Provenance{string(*it, "source"), string(*it, "as_of")};
    return value->get<double>();
  }
};

// Catalogs need 4 levels of nesting: anything past 64 is refused before the parser builds it
// (a 32 MiB document of '[' would otherwise cost over 1 GB).
Result<json> parse_document(std::string_view text, const char* schema_prefix, const char* list_key) {
  if (text.size() > kMaxCatalogBytes) {
    return make_error(ErrorCode::parse_error, "catalog is larger than 32 MiB");
  }
  if (detail::json_nesting_depth(text) > 64) {
    return make_error(ErrorCode::parse_error, "catalog nests arrays/objects deeper than 64 levels");
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return make_error(ErrorCode::parse_error, "catalog is not valid JSON");
  if (!doc.is_object()) return make_error(ErrorCode::parse_error, "catalog must be a JSON object");
  const auto schema = doc.find("schema");
  if (schema != doc.end() &&
      (!schema->is_string() || schema->get_ref<const std::string&>().rfind(schema_prefix, 0) != 0)) {
    return make_error(ErrorCode::parse_error, std::string("catalog schema must start with '") + schema_prefix + "'");
  }
  const auto list = doc.find(list_key);
  if (list == doc.end() || !list->is_array()) {
    return make_error(ErrorCode::parse_error, std::string("catalog needs an array '") + list_key + "'");
  }
  if (list->size() > kMaxCatalogEntries) {
    return make_error(ErrorCode::parse_error, "catalog has more than 20000 entries");
  }
  return doc;
}

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

Tier parse_tier(Reader& r, const std::string& s) {
  if (s == "consumer") return Tier::consumer;
  if (s == "workstation") return Tier::workstation;
  if (s == "datacenter" || s.empty()) return Tier::datacenter;
  r.fail("tier", "must be consumer, workstation or datacenter");
  return Tier::datacenter;
}

Result<Gpu> parse_gpu(const json& j, std::size_t index) {
  Reader r{"gpus[" + std::to_string(index) + "]", {}};
  if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
  Gpu g;
  g.id = r.string(j, "id", true);
  if (!g.id.empty()) r.where += " (" + g.id + ")";
  g.name = r.string(j, "name");
  if (g.name.empty()) g.name = g.id;
  g.vendor = r.string(j, "vendor");
  g.tier = parse_tier(r, r.string(j, "tier"));
  g.architecture = r.string(j, "architecture");
  g.aliases = r.strings(j, "aliases");
  g.unified_memory = r.boolean(j, "unified_memory", false);
  g.memory_bytes = r.figure(j, "memory_gib", g, true, 1e6) * kGiB;
  if (const auto it = j.find("memory_options_gib"); it != j.end() && it->is_array() && it->size() <= 64) {
    for (const auto& v : *it) {
      if (v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0) {
        g.memory_options_gib.push_back(v.get<double>());
      }
    }
  }
  g.memory_bandwidth_bytes_per_s = r.figure(j, "memory_bandwidth_gbps", g, true, 1e6) * 1e9;
  if (const auto it = j.find("dense_tflops"); it != j.end() && it->is_object()) {
    Reader sub{r.where + " dense_tflops", {}};
    auto tf = [&](const char* key) { return sub.figure(*it, key, g, false, 1e7) * 1e12; };
    g.dense_flops.fp32 = tf("fp32");
    g.dense_flops.tf32 = tf("tf32");
    g.dense_flops.fp16 = tf("fp16");
    g.dense_flops.bf16 = tf("bf16");
    g.dense_flops.fp8 = tf("fp8");
    g.dense_flops.int8 = tf("int8");
    g.dense_flops.int4 = tf("int4");
    g.dense_flops.fp4 = tf("fp4");
    if (!sub.error.empty()) r.error = sub.error;
  }
  g.tdp_w = r.figure(j, "tdp_w", g, false, 1e5);
  if (const auto it = j.find("interconnect"); it != j.end() && it->is_object()) {
    g.host_link = r.string(*it, "host");
    g.peer_link = r.string(*it, "peer");
    g.host_link_bytes_per_s = r.figure(*it, "host_gbps", g, false, 1e5) * 1e9;
    g.peer_link_bytes_per_s = r.figure(*it, "peer_gbps", g, false, 1e5) * 1e9;
  }
  g.launch_year = r.number(j, "launch_year", 0, false, 3000);
  g.launch_price_usd = r.figure(j, "launch_price_usd", g, false, 1e8);
  if (const auto it = j.find("rent_usd_per_hour"); it != j.end() && it->is_object()) {
    g.rent_usd_per_hour = r.figure(j, "rent_usd_per_hour", g, false, 1e4);
    g.rent_low_usd_per_hour = r.number(*it, "low", 0, false, 1e4);
    g.rent_high_usd_per_hour = r.number(*it, "high", 0, false, 1e4);
  } else {
    g.rent_usd_per_hour = r.figure(j, "rent_usd_per_hour", g, false, 1e4);
  }
  g.notes = r.string(j, "notes");
  if (r.error.empty() && g.memory_bytes <= 0) r.fail("memory_gib", "must be positive");
  if (r.error.empty() && g.memory_bandwidth_bytes_per_s <= 0) r.fail("memory_bandwidth_gbps", "must be positive");
  if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
  return g;
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_list(const json& list, Parse parse) {
  std::vector<T> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto item = parse(list[i], i);
    if (!item) return item.error();
    out.push_back(std::move(item).value());
  }
  return out;
}

template <typename T>
void merge_by_id(std::vector<T>& into, std::vector<T> extra) {
  for (auto& e : extra) {
    bool replaced = false;
    for (auto& existing : into) {
      if (existing.id == e.id) {
        existing = e;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(std::move(e));
  }
}

}  // namespace

Result<std::vector<Model>> parse_models_json(std::string_view text) {
  try {
    auto doc = parse_document(text, "gpuplan-models/", "models");
    if (!doc) return doc.error();
    return parse_list<Model>(doc.value()["models"], parse_model);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("model catalog: ") + e.what());
  }
}

Result<std::vector<Gpu>> parse_gpus_json(std::string_view text, Catalog* catalog) {
  try {
    auto doc = parse_document(text, "gpuplan-gpus/", "gpus");
    if (!doc) return doc.error();
    const json& d = doc.value();
    if (catalog) {
      if (const auto it = d.find("as_of"); it != d.end() && it->is_string())
        catalog->gpus_as_of = it->get<std::string>();
      if (const auto it = d.find("sources"); it != d.end() && it->is_object() && it->size() < kMaxCatalogEntries) {
        for (const auto& [key, value] : it->items()) {
          if (value.is_string()) catalog->gpu_sources.emplace_back(key, value.get<std::string>());
        }
      }
    }
    return parse_list<Gpu>(d["gpus"], parse_gpu);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("GPU catalog: ") + e.what());
  }
}

Result<bool> parse_runtimes_json(std::string_view text, Catalog& catalog) {
  try {
    auto doc = parse_document(text, "gpuplan-runtimes/", "runtimes");
    if (!doc) return doc.error();
    const json& list = doc.value()["runtimes"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& j = list[i];
      Reader r{"runtimes[" + std::to_string(i) + "]", {}};
      if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
      RuntimeModel m;
      m.id = r.string(j, "id", true);
      m.runtime = r.string(j, "runtime", true);
      m.calibrated = r.boolean(j, "calibrated", false);
      m.calibration = r.string(j, "calibration", true);
      m.bandwidth_efficiency = r.number(j, "bandwidth_efficiency", 0, true, 1.5);
      m.layer_overhead_s = r.number(j, "layer_overhead_s", 0, true, 1.0);
      m.compute_efficiency_float = r.number(j, "compute_efficiency_float", 0, true, 1.5);
      m.compute_efficiency_quant = r.number(j, "compute_efficiency_quant", 0, true, 1.5);
      m.attention_efficiency = r.number(j, "attention_efficiency", 0, false, 1.0);
      m.moe_ratio_low = r.number(j, "moe_ratio_low", 0, false, 100);
      m.moe_ratio_median = r.number(j, "moe_ratio_median", 0, false, 100);
      m.moe_ratio_high = r.number(j, "moe_ratio_high", 0, false, 100);
      m.decode_ratio_low = r.number(j, "decode_ratio_low", 0, true, 10);
      m.decode_ratio_high = r.number(j, "decode_ratio_high", 0, true, 10);
      m.prefill_ratio_low = r.number(j, "prefill_ratio_low", 0, true, 10);
      m.prefill_ratio_high = r.number(j, "prefill_ratio_high", 0, true, 10);
      m.ubatch = r.number(j, "ubatch", 512, false, 1e6);
      m.default_split = r.string(j, "default_split");
      if (m.default_split.empty()) m.default_split = "layer";
      std::string vendors;
      for (const auto& v : r.strings(j, "vendors")) vendors += v + ",";
      if (r.error.empty() && (m.bandwidth_efficiency <= 0 || m.compute_efficiency_float <= 0 ||
                              m.compute_efficiency_quant <= 0 || m.ubatch < 1)) {
        r.fail("efficiency", "factors must be positive");
      }
      if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
      catalog.runtimes.push_back(std::move(m));
      catalog.runtime_vendors.push_back(vendors);
    }
    return true;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("runtime catalog: ") + e.what());
  }
}

Result<bool> parse_prices_json(std::string_view text, Catalog& catalog) {
  try {
    auto doc = parse_document(text, "gpuplan-prices/", "api");
    if (!doc) return doc.error();
    const json& d = doc.value();
    PriceBook book;
    Reader r{"prices", {}};
    book.as_of = r.string(d, "as_of");
    auto sourced = [&r](const json& parent, const char* group, const char* key, double max) {
      SourcedValue v;
      const auto g = parent.find(group);
      if (g == parent.end() || !g->is_object()) {
        r.fail(group, "must be an object");
        return v;
      }
      const auto it = g->find(key);
      if (it == g->end() || !it->is_object()) {
        r.fail(std::string(group) + "." + key, "must be {value, source, as_of}");
        return v;
      }
      v.value = r.number(*it, "value", 0, true, max);
      v.source = r.string(*it, "source", true);
      v.as_of = r.string(*it, "as_of", true);
      return v;
    };
    book.power_usd_per_kwh = sourced(d, "electricity", "usd_per_kwh", 100);
    book.pue = sourced(d, "electricity", "pue", 10);
    book.hosting_usd_per_kw_month = sourced(d, "hosting", "usd_per_kw_month", 1e5);
    book.server_power_factor = sourced(d, "hosting", "server_power_factor", 10);
    book.committed_discount = sourced(d, "rent", "committed_discount", 0.99);
    const json& api = d["api"];
    for (std::size_t i = 0; i < api.size() && r.error.empty(); ++i) {
      Reader e{"prices.api[" + std::to_string(i) + "]", {}};
      if (!api[i].is_object()) return make_error(ErrorCode::parse_error, e.where + ": must be an object");
      ApiOffer o;
      o.model = e.string(api[i], "model", true);
      o.provider = e.string(api[i], "provider");
      o.usd_per_million_input = e.number(api[i], "usd_per_1m_input", 0, true, 1e4);
      o.usd_per_million_output = e.number(api[i], "usd_per_1m_output", 0, true, 1e4);
      o.source = e.string(api[i], "source", true);
      o.as_of = e.string(api[i], "as_of", true);
      if (!e.error.empty()) return make_error(ErrorCode::parse_error, e.error);
      book.api.push_back(std::move(o));
    }
    if (book.pue.value < 1 && r.error.empty()) r.fail("electricity.pue", "must be at least 1");
    if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
    catalog.prices = std::move(book);
    return true;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("price catalog: ") + e.what());
  }
}

Result<bool> parse_links_json(std::string_view text, Catalog& catalog) {
  try {
    auto doc = parse_document(text, "gpuplan-links/", "links");
    if (!doc) return doc.error();
    const json& list = doc.value()["links"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      Reader r{"links[" + std::to_string(i) + "]", {}};
      if (!list[i].is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
      Catalog::NamedLink l;
      l.id = r.string(list[i], "id", true);
      l.kind = r.string(list[i], "kind", true);
      l.bytes_per_s = r.number(list[i], "gbps", 0, true, 1e5) * 1e9;
      l.latency_s = r.number(list[i], "latency_us", 0, true, 1e6) * 1e-6;
      l.bus_efficiency = r.number(list[i], "bus_efficiency", 1, false, 1.2);
      l.source = r.string(list[i], "source", true);
      l.as_of = r.string(list[i], "as_of", true);
      if (r.error.empty() && l.bytes_per_s <= 0) r.fail("gbps", "must be positive");
      if (r.error.empty() && l.bus_efficiency <= 0) r.fail("bus_efficiency", "must be positive");
      if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
      catalog.links.push_back(std::move(l));
    }
    return true;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("link catalog: ") + e.what());
  }
}

Result<bool> parse_engines_json(std::string_view text, Catalog& catalog) {
  try {
    auto doc = parse_document(text, "gpuplan-engines/", "engines");
    if (!doc) return doc.error();
    const json& list = doc.value()["engines"];
    constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json& j = list[i];
      Reader r{"engines[" + std::to_string(i) + "]", {}};
      if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
      EngineSpec e;
      e.id = r.string(j, "id", true);
      r.where += " (" + e.id + ")";
      e.name = r.string(j, "name", true);
      e.versions = r.string(j, "versions", true);
      e.source = r.string(j, "source", true);
      e.as_of = r.string(j, "as_of", true);
      e.aliases = r.strings(j, "aliases");
      const std::string family = r.string(j, "family", true);
      if (family == "paged") {
        e.family = EngineFamily::paged;
      } else if (family == "llamacpp") {
        e.family = EngineFamily::llamacpp;
      } else if (family == "eager") {
        e.family = EngineFamily::eager;
      } else if (r.error.empty()) {
        r.fail("family", "must be paged, llamacpp or eager");
      }
      const std::string budget = r.string(j, "budget");
      if (budget.empty() || budget == "total_fraction") {
        e.budget = BudgetRule::total_fraction;
      } else if (budget == "static_fraction") {
        e.budget = BudgetRule::static_fraction;
      } else if (budget == "free_fraction") {
        e.budget = BudgetRule::free_fraction;
      } else if (r.error.empty()) {
        r.fail("budget", "must be total_fraction, static_fraction or free_fraction");
      }
      e.memory_fraction = r.number(j, "memory_fraction", 0.9, false, 1.0);
      if (j.contains("fraction_by_tp")) {
        const json& f = j["fraction_by_tp"];
        if (!f.is_array() || f.size() > 16) {
          r.fail("fraction_by_tp", "must be a list of at most 16 fractions");
        } else {
          for (const auto& v : f) {
            if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1) {
              r.fail("fraction_by_tp", "fractions must be in (0, 1]");
              break;
            }
            e.fraction_by_tp.push_back(v.get<double>());
          }
        }
      }
      e.block_size = r.number(j, "block_size", 16, false, 1e6);
      e.max_num_seqs = r.number(j, "max_num_seqs", 256, false, 1e7);
      e.max_num_batched_tokens = r.number(j, "max_num_batched_tokens", 8192, false, 1e9);
      e.large_card_bytes = r.number(j, "large_card_gib", 0, false, 1e6) * kGiB;
      e.max_num_seqs_large = r.number(j, "max_num_seqs_large", 0, false, 1e7);
      e.max_num_batched_tokens_large = r.number(j, "max_num_batched_tokens_large", 0, false, 1e9);
      e.non_torch_bytes = r.number(j, "non_torch_gib", 0, false, 1e4) * kGiB;
      e.nccl_bytes = r.number(j, "nccl_gib", 0, false, 1e4) * kGiB;
      e.sampler_bytes_per_logit = r.number(j, "sampler_bytes_per_logit", 0, false, 1e4);
      e.cuda_graph_bytes = r.number(j, "cuda_graph_gib", 0, false, 1e4) * kGiB;
      e.cuda_reserved_fraction = r.number(j, "cuda_reserved_fraction", 0, false, 0.5);
      e.error_style = r.string(j, "error_style");
      if (e.error_style.empty()) e.error_style = "v1";
      e.default_ctx = r.number(j, "default_ctx", 4096, false, 1e9);
      e.n_batch = r.number(j, "n_batch", 2048, false, 1e7);
      e.n_ubatch = r.number(j, "n_ubatch", 512, false, 1e7);
      e.n_parallel = r.number(j, "n_parallel", 1, false, 1e5);
      e.flash_attention = r.boolean(j, "flash_attention", true);
      e.ctx_pad_flash = r.number(j, "ctx_pad_flash", 256, false, 1e6);
      e.ctx_pad = r.number(j, "ctx_pad", 32, false, 1e6);
      e.context_bytes = r.number(j, "context_gib", 0, false, 1e4) * kGiB;
      e.gpu_minimum_bytes = r.number(j, "gpu_minimum_gib", 0, false, 1e4) * kGiB;
      e.auto_layers = r.boolean(j, "auto_layers", false);
      e.overhead_bytes = r.number(j, "overhead_gib", 0, false, 1e4) * kGiB;
      if (r.error.empty() && e.family == EngineFamily::paged && (e.memory_fraction <= 0 || e.block_size < 1)) {
        r.fail("memory_fraction", "paged engines need a positive memory_fraction and block_size");
      }
      if (r.error.empty() && e.family == EngineFamily::llamacpp && (e.n_batch < 1 || e.n_ubatch < 1)) {
        r.fail("n_batch", "n_batch and n_ubatch must be at least 1");
      }
      if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
      catalog.engines.push_back(std::move(e));
    }
    const json& root = doc.value();
    if (root.contains("cuda_visible")) {
      const json& cv = root["cuda_visible"];
      if (!cv.is_object() || !cv.contains("cards") || !cv["cards"].is_array() || cv["cards"].size() > 1000) {
        return make_error(ErrorCode::parse_error, "engines: cuda_visible.cards must be a list of at most 1000 cards");
      }
      for (std::size_t i = 0; i < cv["cards"].size(); ++i) {
        const json& c = cv["cards"][i];
        Reader r{"cuda_visible.cards[" + std::to_string(i) + "]", {}};
        if (!c.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
        const std::string gpu = r.string(c, "gpu", true);
        const double bytes = r.number(c, "gib", 0, true, 1e6) * kGiB;
        r.string(c, "source", true);
        if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
        catalog.cuda_visible_bytes.emplace_back(gpu, bytes);
      }
    }
    return true;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::parse_error, std::string("engine catalog: ") + e.what());
  }
}

Result<Catalog> builtin_catalog() {
  Catalog c;
  auto models = parse_models_json(std::string_view(gpuplan_models_json, gpuplan_models_json_size));
  if (!models) return make_error(models.error().code, "built-in model catalog: " + models.error().message);
  c.models = std::move(models).value();
  auto gpus = parse_gpus_json(std::string_view(gpuplan_gpus_json, gpuplan_gpus_json_size), &c);
  if (!gpus) return make_error(gpus.error().code, "built-in GPU catalog: " + gpus.error().message);
  c.gpus = std::move(gpus).value();
  auto runtimes = parse_runtimes_json(std::string_view(gpuplan_runtimes_json, gpuplan_runtimes_json_size), c);
  if (!runtimes) return make_error(runtimes.error().code, "built-in runtime catalog: " + runtimes.error().message);
  auto prices = parse_prices_json(std::string_view(gpuplan_prices_json, gpuplan_prices_json_size), c);
  if (!prices) return make_error(prices.error().code, "built-in price catalog: " + prices.error().message);
  auto links = parse_links_json(std::string_view(gpuplan_links_json, gpuplan_links_json_size), c);
  if (!links) return make_error(links.error().code, "built-in link catalog: " + links.error().message);
  auto engines = parse_engines_json(std::string_view(gpuplan_engines_json, gpuplan_engines_json_size), c);
  if (!engines) return make_error(engines.error().code, "built-in engine catalog: " + engines.error().message);
  return c;
}

Result<bool> merge_models_json(Catalog& catalog, std::string_view text) {
  auto models = parse_models_json(text);
  if (!models) return models.error();
  merge_by_id(catalog.models, std::move(models).value());
  return true;
}

Result<bool> merge_gpus_json(Catalog& catalog, std::string_view text) {
  auto gpus = parse_gpus_json(text, nullptr);
  if (!gpus) return gpus.error();
  merge_by_id(catalog.gpus, std::move(gpus).value());
  return true;
}

}  // namespace gpuplan::io
