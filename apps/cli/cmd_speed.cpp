// gpuplan speed: time to first token, time per output token, tokens/s, and which resource binds.
#include <cstdio>

#include "commands.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/speed_report.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

struct SpeedOptions {
  std::string runtime;
  std::string prompt = "512";
  std::string output = "128";
  std::string concurrency = "1";
  std::string split;
  std::string curve;
};

Result<double> whole(const std::string& text, const char* what, double min) {
  auto v = parse_tokens(text, what);
  if (!v && min == 0 && text == "0") return 0.0;
  if (!v) return v;
  if (v.value() > 1e8)
    return make_error(ErrorCode::out_of_range, std::string(what) + ": '" + text + "' is absurdly large");
  return v;
}

// Default runtime: the plan's (llama.cpp for GGUF types and Apple, vLLM otherwise), and llama.cpp on
// consumer and workstation cards too.
std::string default_runtime(const Gpu& gpu, const Precision& p) {
  if (gpu.tier != Tier::datacenter) return "llama.cpp";
  return default_serving_runtime(gpu, p);
}

}  // namespace

std::function<int()> add_speed_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("speed", "How fast? Prefill and decode speed from a calibrated roofline");
  auto fit = std::make_shared<FitOptions>();
  auto opts = std::make_shared<SpeedOptions>();
  add_model_options(cmd, *fit);
  cmd->add_option("--runtime", opts->runtime,
                  "llama.cpp, ollama, vllm, sglang, tensorrt-llm, transformers (default: llama.cpp for GGUF, "
                  "Apple and consumer cards; vllm for datacenter cards)");
  cmd->add_option("--prompt,-p,--context,--ctx", opts->prompt,
                  "Prompt tokens (the context depth decoding starts from), e.g. 2000, 32k")
      ->capture_default_str();
  cmd->add_option("--output,-n", opts->output, "Output tokens generated per sequence")->capture_default_str();
  cmd->add_option("--concurrency,--batch,-b", opts->concurrency, "Sequences decoded together")->capture_default_str();
  cmd->add_option("--split", opts->split, "Multi-GPU: layer (pipeline, llama.cpp default) or tensor (vLLM default)");
  cmd->add_option("--curve", opts->curve, "Also print N points of speed vs context depth, up to the largest that fits");
  cmd->footer(
      "Examples:\n"
      "  gpuplan speed llama-3.1-8b --gpu rtx-4090 --quant q4_k_m --prompt 2000 --output 500\n"
      "  gpuplan speed llama-3.1-70b --gpu h100-sxm --gpus 4 --concurrency 32 --runtime vllm\n"
      "  gpuplan speed llama-3-8b --gpu m2-ultra --quant q4_k_m --runtime llama.cpp --prompt 512 --output 128\n"
      "  gpuplan speed qwen3-30b-a3b --gpu rtx-4090 --quant q4_k_m --curve 8 --json\n"
      "Speeds carry a low-high range from the calibration residuals; uncalibrated runtimes say so.");
  return [cmd, fit, opts, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "gpuplan speed: %s\n", message.c_str());
      return 2;
    };
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) return fail(catalog.error().message);
    auto prompt = whole(opts->prompt, "--prompt", 0);
    if (!prompt) return fail(prompt.error().message);
    auto output = whole(opts->output, "--output", 1);
    if (!output) return fail(output.error().message);
    auto concurrency = parse_count(opts->concurrency, "--concurrency");
    if (!concurrency) return fail(concurrency.error().message);
    if (concurrency.value() < 1 || concurrency.value() != std::floor(concurrency.value()) ||
        concurrency.value() > 1e6) {
      return fail("--concurrency: must be a whole number from 1 to 1000000, got '" + opts->concurrency + "'");
    }
    // Memory is checked at the longest context the run reaches: prompt + output, for every sequence.
    FitOptions f = *fit;
    f.context = fmt_count(prompt.value() + output.value());
    f.batch = fmt_count(concurrency.value());
    auto resolved = resolve_fit(catalog.value(), f);
    if (!resolved) return fail(resolved.error().message);
    Resolved r = std::move(resolved).value();
    if (!r.warning.empty()) std::fprintf(stderr, "gpuplan speed: %s\n", r.warning.c_str());
    Scenario& s = r.scenario;
    const std::string runtime_name = opts->runtime.empty() ? default_runtime(r.gpu, s.precision) : opts->runtime;
    auto runtime = find_runtime(catalog.value(), runtime_name, r.gpu.vendor);
    if (!runtime) return fail(runtime.error().message);
    s.runtime = runtime.value();
    if (!opts->runtime.empty() && find_engine(catalog.value(), opts->runtime)) {
      // A named engine: memory (and the verdict) in its own terms, at prompt + output tokens per sequence.
      FitOptions ef = f;
      ef.runtime = opts->runtime;
      auto applied = apply_engine_options(catalog.value(), ef, r);
      if (!applied) return fail(applied.error().message);
    }
    s.workload.ubatch = s.runtime.ubatch;
    s.hardware = compute_spec(r.gpu);
    s.with_speed = true;
    s.speed.prompt_tokens = prompt.value();
    s.speed.output_tokens = output.value();
    s.speed.concurrency = concurrency.value();
    const std::string split = opts->split.empty() ? s.runtime.default_split : canonical_name(opts->split);
    if (split != "layer" && split != "tensor" && split != "pipeline" && split != "row") {
      return fail("--split must be 'layer' or 'tensor'" + suggestion_suffix(opts->split, {"layer", "tensor"}));
    }
    s.speed.split = split == "tensor" || split == "row" ? Split::tensor : Split::layer;
    if (s.speed.split == Split::tensor && s.gpus > 1 && s.arch.num_kv_heads > 0 &&
        std::fmod(s.arch.num_kv_heads, s.gpus) != 0 && std::fmod(s.gpus, s.arch.num_kv_heads) != 0) {
      return fail(fmt_count(s.gpus) + " GPUs cannot split " + fmt_count(s.arch.num_kv_heads) +
                  " KV heads evenly for tensor parallelism; use --split layer or a divisor of the KV heads");
    }
    const Estimate e = estimate(s);
    const SpeedInputs in = speed_inputs(s);
    std::vector<CurvePoint> curve;
    if (!opts->curve.empty()) {
      auto points = parse_count(opts->curve, "--curve");
      if (!points || points.value() < 2 || points.value() > 64) return fail("--curve: give 2 to 64 points");
      const double top = std::max(2.0, e.max_context > 0 ? e.max_context : s.arch.context_length);
      curve = context_curve(in, top, static_cast<int>(points.value()));
    }
    const std::vector<FitSuggestion> none;
    const io::SpeedReport report{io::FitReport{r.model, r.architecture_assumed, r.gpu, s, e, none}, curve,
                                 compute_bound_concurrency(in, prompt.value() + output.value() / 2)};
    const std::string text = fit->json ? io::speed_json(report) + "\n" : io::speed_table(report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
