// gpuplan models | gpus | quants: the built-in catalogs, as tables or JSON.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_models_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("models", "List the built-in models with their exact parameter counts");
  auto json = std::make_shared<bool>(false);
  auto family = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_option("--family", *family, api::extra_options(api::Command::models)[0].help);
  return [json, family, &global]() -> int {
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) return fail("models", catalog.error(), *json);
    if (*json) {
      write_out(io::dump_json(api::models_document(catalog.value(), *family)) + "\n");
      return 0;
    }
    std::string out = fmt::format("{:<22} {:>10} {:>10} {:>6} {:>8} {:<12} {}\n", "id", "params", "active", "layers",
                                  "context", "family", "aliases");
    const auto shown = api::models_matching(catalog.value(), *family);
    for (const Model* m : shown) {
      const ParamCounts c = count_params(m->arch);
      std::string aliases;
      for (std::size_t i = 0; i < m->aliases.size() && i < 3; ++i) aliases += (i ? ", " : "") + m->aliases[i];
      out += fmt::format("{:<22} {:>10} {:>10} {:>6} {:>8} {:<12} {}\n", m->id, format_count(c.total),
                         format_count(c.active), m->arch.num_layers, format_tokens(m->arch.context_length), m->family,
                         aliases);
    }
    write_out(out + fmt::format("{} models. Use an id or alias with 'gpuplan fit'.\n", shown.size()));
    return 0;
  };
}

std::function<int()> add_gpus_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("gpus", "List the built-in accelerators: memory, bandwidth, dense FLOPS, prices");
  auto json = std::make_shared<bool>(false);
  auto tier = std::make_shared<std::string>();
  auto vendor = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->add_option("--tier", *tier, api::extra_options(api::Command::gpus)[0].help);
  cmd->add_option("--vendor", *vendor, api::extra_options(api::Command::gpus)[1].help);
  return [json, tier, vendor, &global]() -> int {
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) return fail("gpus", catalog.error(), *json);
    auto shown = api::gpus_matching(catalog.value(), *tier, *vendor);
    if (!shown) return fail("gpus", shown.error(), *json);
    if (*json) {
      write_out(io::dump_json(api::gpus_document(catalog.value(), *tier, *vendor).value()) + "\n");
      return 0;
    }
    std::string out = fmt::format("{:<20} {:<12} {:>9} {:>9} {:>10} {:>9} {:>7} {:>10} {:>9}\n", "id", "tier", "memory",
                                  "GB/s", "bf16 TFLOPS", "fp8", "watts", "launch $", "rent $/h");
    auto money = [](double v, const char* f) { return v > 0 ? fmt::format(fmt::runtime(f), v) : std::string("-"); };
    for (const Gpu* g : shown.value()) {
      const double bf16 = g->dense_flops.bf16 > 0 ? g->dense_flops.bf16 : g->dense_flops.fp16;
      out += fmt::format("{:<20} {:<12} {:>5.0f} GiB {:>9.0f} {:>10.1f} {:>9} {:>7.0f} {:>10} {:>9}\n", g->id,
                         to_string(g->tier), g->memory_bytes / kGiB, g->memory_bandwidth_bytes_per_s / 1e9, bf16 / 1e12,
                         g->dense_flops.fp8 > 0 ? fmt::format("{:.0f}", g->dense_flops.fp8 / 1e12) : "-", g->tdp_w,
                         money(g->launch_price_usd, "{:.0f}"), money(g->rent_usd_per_hour, "{:.2f}"));
    }
    write_out(out + fmt::format("{} accelerators (dense FLOPS, no sparsity; prices as of {}; sources: --json).\n",
                                shown.value().size(), catalog.value().gpus_as_of));
    return 0;
  };
}

std::function<int()> add_quants_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("quants", "List the precisions --quant accepts, with their true storage cost");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  return [json]() -> int {
    if (*json) {
      write_out(io::dump_json(api::quants_document()) + "\n");
      return 0;
    }
    std::string out = fmt::format("{:<10} {:>9}  {:<70} {}\n", "name", "bits/w", "what", "quality");
    for (const auto& p : precisions()) {
      out += fmt::format("{:<10} {:>9.4f}  {:<70} {}\n", p.name, p.linear_bits, p.description, p.quality);
    }
    write_out(out +
              "bits/w: storage of linear weights incl. scales; GGUF mixes give some tensors more bits "
              "(see 'fit' for the per-model average).\n");
    return 0;
  };
}

}  // namespace gpuplan::cli
