// data/gpus.json (or a user catalog): each card with its sourced figures, as_of and sources.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {
namespace {

using namespace detail;

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
  g.vendor_kind = parse_vendor(g.vendor).value_or(Vendor::other);
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
    // FP16 with FP16 accumulate; absent = the FP32-accumulate rate (datacenter and workstation cards).
    g.dense_flops.fp16_acc16 = tf("fp16_acc16");
    if (g.dense_flops.fp16_acc16 <= 0) g.dense_flops.fp16_acc16 = g.dense_flops.fp16;
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

}  // namespace

Result<std::vector<Gpu>> parse_gpus_json(std::string_view text, Catalog* catalog) {
  return read_catalog<std::vector<Gpu>>(
      text, "gpuplan-gpus/", "gpus", "GPU catalog", [&](const json& d) -> Result<std::vector<Gpu>> {
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
      });
}

Result<bool> merge_gpus_json(Catalog& catalog, std::string_view text) {
  auto gpus = parse_gpus_json(text, nullptr);
  if (!gpus) return gpus.error();
  merge_by_id(catalog.gpus, std::move(gpus).value());
  return true;
}

}  // namespace gpuplan::io
