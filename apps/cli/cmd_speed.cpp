// gpuplan speed: time to first token, time per output token, tokens/s, and which resource binds.
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/speed_report.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_speed_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "speed", "How fast? TTFT, TPOT and throughput: llama.cpp's roofline, or vLLM/SGLang/TensorRT-LLM under load");
  auto b = bind_fields(cmd, api::speed_fields());
  cmd->footer(
      "Examples:\n"
      "  gpuplan speed llama-3.1-8b --gpu rtx-4090 --quant q4_k_m --prompt 2000 --output 500\n"
      "  gpuplan speed llama-3.1-70b --gpu h100-sxm --gpus 4 --concurrency 32 --runtime vllm\n"
      "  gpuplan speed llama-3-8b --gpu m2-ultra --quant q4_k_m --runtime llama.cpp --prompt 512 --output 128\n"
      "  gpuplan speed llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --runtime llama.cpp -ngl 40\n"
      "  gpuplan speed qwen3-30b-a3b --gpu rtx-4090 --quant q4_k_m --curve 8 --json\n"
      "  gpuplan speed llama-3.1-8b --gpu h100-sxm --runtime vllm --concurrency max --prompt 1024 --output 256\n"
      "  gpuplan speed deepseek-r1 --gpu b200 --gpus 8 --runtime sglang --data-parallel-size 8 "
      "--enable-expert-parallel --concurrency 256\n"
      "vLLM, SGLang, TensorRT-LLM: --concurrency requests in flight, closed loop (vllm bench serve "
      "--max-concurrency); TPOT excludes the first token.\n"
      "Speeds carry a low-high range from the calibration residuals; uncalibrated runtimes say so.");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto given = b->collect();
    if (!given) return fail("speed", given.error(), b->json);
    auto ctx = make_context(global);
    if (!ctx) return fail("speed", ctx.error(), b->json);
    auto calibrated = apply_calibration(b->request.calibration_file, ctx.value());
    if (!calibrated) return fail("speed", calibrated.error(), b->json);
    auto r = api::run_speed(ctx.value().context, b->request);
    if (!r) return fail("speed", r.error(), b->json);
    const api::SpeedResponse& s = r.value();
    for (const auto& w : s.resolved.warnings) warn("speed", w);
    const io::SpeedReport report = api::speed_report(s);
    write_out(b->json ? io::dump_json(io::speed_json(report)) + "\n" : io::speed_table(report));
    return 0;
  };
}

}  // namespace gpuplan::cli
