// gpuplan inspect: what a model spec says -- a catalog entry, a config.json, a folder of
// safetensors, a GGUF file, a Hub repository: architecture, parameters (total / active), tensors
// by dtype, KV-cache bytes per token, the stored format, and what was guessed (api::run_inspect).
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_inspect_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "inspect", "What a model says: architecture, params (total/active), tensors by dtype, KV bytes per token");
  auto b = bind_fields(cmd, api::inspect_fields());
  cmd->footer(
      "Examples:\n"
      "  gpuplan inspect ./Meta-Llama-3.1-8B/\n"
      "  gpuplan inspect ./Qwen3-30B-A3B-Q4_K_M.gguf --json\n"
      "  gpuplan inspect hf:Qwen/Qwen3-8B\n"
      "Reads only headers. Hub: HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE; cache under $XDG_CACHE_HOME/gpuplan/hub.\n"
      "--json prints gpuplan-inspect/2 (schemas/inspect.schema.json).");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto ctx = make_context(global);
    if (!ctx) return fail("inspect", ctx.error(), b->json);
    auto given = b->collect();
    if (!given) return fail("inspect", given.error(), b->json);
    auto r = api::run_inspect(ctx.value().context, b->request);
    if (!r) return fail("inspect", r.error(), b->json);
    const io::InspectReport& report = r.value().report;
    write_out(b->json ? io::dump_json(io::inspect_json(report)) + "\n" : io::inspect_table(report));
    return 0;
  };
}

}  // namespace gpuplan::cli
