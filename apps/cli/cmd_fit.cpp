// gpuplan fit: the memory breakdown of one scenario against one GPU, and what would make it fit.
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_fit_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("fit", "Will it fit? Memory per GPU, itemised, with the verdict and the limits");
  auto b = bind_fields(cmd, api::fit_fields());
  cmd->footer(
      "Examples:\n"
      "  gpuplan fit llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4\n"
      "  gpuplan fit mistral-7b --gpu a100-80gb --mode full-finetune --seq 4096 --micro-batch 4\n"
      "  gpuplan fit qwen2.5-7b --gpu l4 --mode qlora\n"
      "  gpuplan fit --params 13B --gpu rtx-a6000 --quant fp16\n"
      "  gpuplan fit llama-3.1-8b --gpu m2-ultra --context 128k --json\n"
      "  gpuplan fit ./Qwen3-30B-A3B-Q4_K_M.gguf --gpu rtx-4090 --context 32k\n"
      "  gpuplan fit hf:Qwen/Qwen3-8B --gpu l4\n"
      "  gpuplan fit llama-3.1-8b --gpu rtx-3090 --runtime vllm --max-model-len 20000\n"
      "  gpuplan fit qwen3-30b-a3b --quant q4_k_m --gpu rtx-4070 --runtime llama.cpp --ctx 32768\n"
      "  gpuplan fit llama-3.1-70b --gpu h100-sxm --runtime sglang --tensor-parallel-size 2\n"
      "Exit status: 0 when estimated (fits or not; see 'fits' in --json), 2 on bad input.");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto ctx = make_context(global);
    if (!ctx) return fail("fit", ctx.error(), b->json);
    auto given = b->collect();
    if (!given) return fail("fit", given.error(), b->json);
    auto r = api::run_fit(ctx.value().context, b->request);
    if (!r) return fail("fit", r.error(), b->json);
    const api::FitResponse& f = r.value();
    for (const auto& w : f.resolved.warnings) warn("fit", w);
    const io::FitReport report = api::fit_report(f);
    write_out(b->json ? io::dump_json(io::fit_json(report)) + "\n" : io::fit_table(report));
    return 0;
  };
}

}  // namespace gpuplan::cli
