// The catalog listings (gpuplan models | gpus | quants): which entries a filter keeps, and the
// --json documents (documents.hpp).
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/precision.hpp"

namespace gpuplan::api {
namespace {

using nlohmann::ordered_json;

ordered_json model_entry(const Model& m) {
  return {{"id", m.id},
          {"name", m.name},
          {"family", m.family},
          {"hf_repo", m.hf_repo},
          {"params", io::params_json(count_params(m.arch))},
          {"context_length", static_cast<long long>(m.arch.context_length)},
          {"aliases", m.aliases},
          {"source", m.source},
          {"as_of", m.as_of}};
}

ordered_json gpu_entry(const Gpu& g) {
  ordered_json prov = ordered_json::object();
  for (const auto& [field, p] : g.provenance) prov[field] = {{"source", p.source}, {"as_of", p.as_of}};
  const DenseFlops& f = g.dense_flops;
  return {{"id", g.id},
          {"name", g.name},
          {"vendor", g.vendor},
          {"tier", to_string(g.tier)},
          {"aliases", g.aliases},
          {"unified_memory", g.unified_memory},
          {"memory_bytes", static_cast<long long>(g.memory_bytes)},
          {"memory_bandwidth_bytes_per_s", g.memory_bandwidth_bytes_per_s},
          {"dense_flops",
           {{"fp32", f.fp32},
            {"tf32", f.tf32},
            {"fp16", f.fp16},
            {"fp16_acc16", f.fp16_acc16},
            {"bf16", f.bf16},
            {"fp8", f.fp8},
            {"int8", f.int8},
            {"int4", f.int4},
            {"fp4", f.fp4}}},
          {"tdp_w", g.tdp_w},
          {"host_link", g.host_link},
          {"peer_link", g.peer_link},
          {"peer_link_bytes_per_s", g.peer_link_bytes_per_s},
          {"launch_price_usd", g.launch_price_usd},
          {"rent_usd_per_hour", g.rent_usd_per_hour},
          {"provenance", prov}};
}

}  // namespace

std::vector<const Model*> models_matching(const Catalog& catalog, std::string_view family) {
  std::vector<const Model*> out;
  for (const auto& m : catalog.models) {
    if (family.empty() || canonical_name(m.family) == canonical_name(family)) out.push_back(&m);
  }
  return out;
}

Result<std::vector<const Gpu*>> gpus_matching(const Catalog& catalog, std::string_view tier, std::string_view vendor) {
  if (!tier.empty() && tier != "consumer" && tier != "workstation" && tier != "datacenter") {
    const std::string shown(tier.substr(0, 64));
    return make_error(ErrorCode::unknown_name, "unknown --tier '" + shown + "'" +
                                                   suggestion_suffix(shown, {"consumer", "workstation", "datacenter"}));
  }
  std::vector<const Gpu*> out;
  for (const auto& g : catalog.gpus) {
    if (!tier.empty() && to_string(g.tier) != tier) continue;
    if (!vendor.empty() && canonical_name(g.vendor) != canonical_name(vendor)) continue;
    out.push_back(&g);
  }
  return out;
}

ordered_json models_document(const Catalog& catalog, std::string_view family) {
  ordered_json list = ordered_json::array();
  for (const Model* m : models_matching(catalog, family)) list.push_back(model_entry(*m));
  return {{"schema", "gpuplan-models/2"}, {"models", list}};
}

Result<ordered_json> gpus_document(const Catalog& catalog, std::string_view tier, std::string_view vendor) {
  auto gpus = gpus_matching(catalog, tier, vendor);
  if (!gpus) return gpus.error();
  ordered_json list = ordered_json::array();
  for (const Gpu* g : gpus.value()) list.push_back(gpu_entry(*g));
  return ordered_json{{"schema", "gpuplan-gpus/2"}, {"as_of", catalog.gpus_as_of}, {"gpus", list}};
}

ordered_json quants_document() {
  ordered_json list = ordered_json::array();
  for (const auto& p : precisions()) {
    list.push_back(
        {{"name", p.name}, {"bits_per_weight", p.linear_bits}, {"description", p.description}, {"quality", p.quality}});
  }
  return {{"schema", "gpuplan-quants/2"}, {"precisions", list}};
}

}  // namespace gpuplan::api
