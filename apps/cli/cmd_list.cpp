// gpuplan models | gpus | quants: the built-in catalogs, as tables or JSON.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

using nlohmann::ordered_json;

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

std::function<int()> add_models_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("models", "List the built-in models with their exact parameter counts");
  auto json = std::make_shared<bool>(false);
  auto family = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_option("--family", *family, "Only this architecture family (llama, qwen3_moe, gemma3, ...)");
  return [json, family, &global]() -> int {
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) return fail("models", catalog.error(), *json);
    ordered_json list = ordered_json::array();
    std::string out = fmt::format("{:<22} {:>10} {:>10} {:>6} {:>8} {:<12} {}\n", "id", "params", "active", "layers",
                                  "context", "family", "aliases");
    std::size_t shown = 0;
    for (const auto& m : catalog.value().models) {
      if (!family->empty() && canonical_name(m.family) != canonical_name(*family)) continue;
      const ParamCounts c = count_params(m.arch);
      ++shown;
      std::string aliases;
      for (std::size_t i = 0; i < m.aliases.size() && i < 3; ++i) aliases += (i ? ", " : "") + m.aliases[i];
      out += fmt::format("{:<22} {:>10} {:>10} {:>6} {:>8} {:<12} {}\n", m.id, format_count(c.total),
                         format_count(c.active), m.arch.num_layers, format_tokens(m.arch.context_length), m.family,
                         aliases);
      list.push_back({{"id", m.id},
                      {"name", m.name},
                      {"family", m.family},
                      {"hf_repo", m.hf_repo},
                      {"params", io::params_json(c)},
                      {"context_length", static_cast<long long>(m.arch.context_length)},
                      {"aliases", m.aliases},
                      {"source", m.source},
                      {"as_of", m.as_of}});
    }
    if (*json) {
      print(io::dump_json(ordered_json{{"schema", "gpuplan-models/2"}, {"models", list}}) + "\n");
    } else {
      print(out + fmt::format("{} models. Use an id or alias with 'gpuplan fit'.\n", shown));
    }
    return 0;
  };
}

std::function<int()> add_gpus_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("gpus", "List the built-in accelerators: memory, bandwidth, dense FLOPS, prices");
  auto json = std::make_shared<bool>(false);
  auto tier = std::make_shared<std::string>();
  auto vendor = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_option("--tier", *tier, "consumer | workstation | datacenter");
  cmd->add_option("--vendor", *vendor, "nvidia | amd | intel | apple | google");
  return [json, tier, vendor, &global]() -> int {
    if (!tier->empty() && *tier != "consumer" && *tier != "workstation" && *tier != "datacenter") {
      return fail(
          "gpus",
          make_error(ErrorCode::unknown_name, "unknown --tier '" + *tier + "'" +
                                                  suggestion_suffix(*tier, {"consumer", "workstation", "datacenter"})),
          *json);
    }
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) return fail("gpus", catalog.error(), *json);
    ordered_json list = ordered_json::array();
    std::string out = fmt::format("{:<20} {:<12} {:>9} {:>9} {:>10} {:>9} {:>7} {:>10} {:>9}\n", "id", "tier", "memory",
                                  "GB/s", "bf16 TFLOPS", "fp8", "watts", "launch $", "rent $/h");
    std::size_t shown = 0;
    for (const auto& g : catalog.value().gpus) {
      if (!tier->empty() && to_string(g.tier) != *tier) continue;
      if (!vendor->empty() && canonical_name(g.vendor) != canonical_name(*vendor)) continue;
      ++shown;
      const double bf16 = g.dense_flops.bf16 > 0 ? g.dense_flops.bf16 : g.dense_flops.fp16;
      auto money = [](double v, const char* f) { return v > 0 ? fmt::format(fmt::runtime(f), v) : std::string("-"); };
      out += fmt::format("{:<20} {:<12} {:>5.0f} GiB {:>9.0f} {:>10.1f} {:>9} {:>7.0f} {:>10} {:>9}\n", g.id,
                         to_string(g.tier), g.memory_bytes / kGiB, g.memory_bandwidth_bytes_per_s / 1e9, bf16 / 1e12,
                         g.dense_flops.fp8 > 0 ? fmt::format("{:.0f}", g.dense_flops.fp8 / 1e12) : "-", g.tdp_w,
                         money(g.launch_price_usd, "{:.0f}"), money(g.rent_usd_per_hour, "{:.2f}"));
      ordered_json prov = ordered_json::object();
      for (const auto& [field, p] : g.provenance) prov[field] = {{"source", p.source}, {"as_of", p.as_of}};
      list.push_back({{"id", g.id},
                      {"name", g.name},
                      {"vendor", g.vendor},
                      {"tier", to_string(g.tier)},
                      {"aliases", g.aliases},
                      {"unified_memory", g.unified_memory},
                      {"memory_bytes", static_cast<long long>(g.memory_bytes)},
                      {"memory_bandwidth_bytes_per_s", g.memory_bandwidth_bytes_per_s},
                      {"dense_flops",
                       {{"fp32", g.dense_flops.fp32},
                        {"tf32", g.dense_flops.tf32},
                        {"fp16", g.dense_flops.fp16},
                        {"fp16_acc16", g.dense_flops.fp16_acc16},
                        {"bf16", g.dense_flops.bf16},
                        {"fp8", g.dense_flops.fp8},
                        {"int8", g.dense_flops.int8},
                        {"int4", g.dense_flops.int4},
                        {"fp4", g.dense_flops.fp4}}},
                      {"tdp_w", g.tdp_w},
                      {"host_link", g.host_link},
                      {"peer_link", g.peer_link},
                      {"peer_link_bytes_per_s", g.peer_link_bytes_per_s},
                      {"launch_price_usd", g.launch_price_usd},
                      {"rent_usd_per_hour", g.rent_usd_per_hour},
                      {"provenance", prov}});
    }
    if (*json) {
      print(io::dump_json(
                ordered_json{{"schema", "gpuplan-gpus/2"}, {"as_of", catalog.value().gpus_as_of}, {"gpus", list}}) +
            "\n");
    } else {
      print(out + fmt::format("{} accelerators (dense FLOPS, no sparsity; prices as of {}; sources: --json).\n", shown,
                              catalog.value().gpus_as_of));
    }
    return 0;
  };
}

std::function<int()> add_quants_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("quants", "List the precisions --quant accepts, with their true storage cost");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  return [json]() -> int {
    ordered_json list = ordered_json::array();
    std::string out = fmt::format("{:<10} {:>9}  {:<70} {}\n", "name", "bits/w", "what", "quality");
    for (const auto& p : precisions()) {
      out += fmt::format("{:<10} {:>9.4f}  {:<70} {}\n", p.name, p.linear_bits, p.description, p.quality);
      list.push_back({{"name", p.name},
                      {"bits_per_weight", p.linear_bits},
                      {"description", p.description},
                      {"quality", p.quality}});
    }
    if (*json) {
      print(io::dump_json(ordered_json{{"schema", "gpuplan-quants/2"}, {"precisions", list}}) + "\n");
    } else {
      print(out +
            "bits/w: storage of linear weights incl. scales; GGUF mixes give some tensors more bits "
            "(see 'fit' for the per-model average).\n");
    }
    return 0;
  };
}

}  // namespace gpuplan::cli
