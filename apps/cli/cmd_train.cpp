// gpuplan train: layout, step time, MFU, GPU-hours, days, energy and cost of a training run;
// a search for the cheapest layout (within a deadline) when no layout is given.
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/train_report.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("train", "Training at scale: layout, step time, MFU, GPU-hours, days, energy, cost");
  auto b = bind_fields(cmd, api::train_fields());
  cmd->footer(
      "Examples:\n"
      "  gpuplan train llama-3.1-70b --tokens 2T --gpu h100-sxm --gpus 1024\n"
      "  gpuplan train mistral-7b --method lora --tokens 200M --gpu rtx-4090\n"
      "  gpuplan train --params 13B --tokens 260B --gpu a100-80gb --gpus 64 --layout tp=8,pp=2,dp=4 --zero 1\n"
      "  gpuplan train llama-3.1-8b --tokens 1T --gpu h100-sxm --budget 500000 --deadline 30d\n"
      "  gpuplan train llama-3.1-70b --tokens 2T --gpu h100-sxm --gpus 1024 --precision fp8   # FP8 GEMMs\n"
      "  gpuplan train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus 64 --framework fsdp     # PyTorch FSDP\n"
      "  gpuplan train llama-3.1-8b --tokens 1T --gpu h100-sxm --layout tp=2,pp=1,dp=4,sp=off,mb=2,recompute=none\n"
      "--global-batch is sequences per step (Megatron --global-batch-size); --global-batch-tokens the token form\n"
      "(default 4M tokens). Without --layout the layouts of every GPU count (or of --gpus) are searched: the\n"
      "cheapest within --deadline (default 90 days pre-training, 7 days fine-tuning) is shown, and any printed\n"
      "layout is accepted back by --layout. Exit status 0 with a result, 1 when no layout meets the limits,\n"
      "2 on bad input.");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto given = b->collect();
    if (!given) return fail("train", given.error(), b->json);
    auto ctx = make_context(global);
    if (!ctx) return fail("train", ctx.error(), b->json);
    auto r = api::run_train(ctx.value().context, b->request);
    if (!r) return fail("train", r.error(), b->json);
    const io::TrainReport& report = r.value().report;
    for (const auto& w : r.value().resolved.warnings) warn("train", w);
    write_out(b->json ? io::dump_json(io::train_json(report)) + "\n" : io::train_table(report));
    if (!report.found && !b->json) {
      warn("train", io::train_infeasible_message(report));
    }
    return report.found ? 0 : 1;
  };
}

}  // namespace gpuplan::cli
