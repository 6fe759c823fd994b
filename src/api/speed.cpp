// speed: the fit scenario at prompt + output tokens per sequence, with the runtime's speed model.
#include <algorithm>
#include <cmath>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

Result<Split> parse_split(const std::string& text) {
  const std::string split = canonical_name(text);
  if (split == "layer" || split == "pipeline") return Split::layer;
  if (split == "tensor" || split == "row") return Split::tensor;
  return make_error(ErrorCode::unknown_name,
                    "--split must be 'layer' or 'tensor'" + suggestion_suffix(text, {"layer", "tensor"}));
}

// Partial offload (llama.cpp / Ollama with fewer than all layers on the GPU, from -ngl or the
// engine's own fit): the GPU runs its share of the layers; the layers in system RAM stream their
// share of the step's bytes at host memory bandwidth, and the activations cross the host link to
// them and back each step. decode = GPU share x GPU step + host bytes / host bandwidth + hop.
// Returns the share of the layers in system RAM (0: all on the GPU).
double apply_partial_offload(const Resolved& r, Estimate& e) {
  const Scenario& s = r.scenario;
  const double layers = s.arch.num_layers;
  if (!e.has_speed || !e.has_engine || s.engine_spec.family != EngineFamily::llamacpp || layers <= 0 ||
      e.engine.gpu_layers >= layers) {
    return 0;
  }
  const double host = (layers - std::max(0.0, e.engine.gpu_layers)) / layers;
  const double host_bw =
      r.gpu.unified_memory ? r.gpu.memory_bandwidth_bytes_per_s : defaults::kHostMemoryBandwidthBytesPerS;
  Speed& sp = e.speed;
  const double concurrency = std::max(1.0, s.speed.concurrency);
  const double message = concurrency * s.arch.hidden_size * 2.0;  // bf16 activations
  const double hop = 2.0 * (s.hardware.link_latency_s + message / std::max(1.0, s.hardware.link_bytes_per_s));
  const double host_s = host * sp.decode_bytes_per_step / std::max(1.0, host_bw) + hop;
  auto step = [&](double gpu_s) { return (1.0 - host) * gpu_s + host_s; };
  sp.tpot_s = Ranged{step(sp.tpot_s.low), step(sp.tpot_s.expected), step(sp.tpot_s.high)};
  auto rate = [](double t) { return t > 0 ? 1.0 / t : 0.0; };
  sp.decode_tokens_per_s = Ranged{rate(sp.tpot_s.high), rate(sp.tpot_s.expected), rate(sp.tpot_s.low)};
  sp.aggregate_tokens_per_s =
      Ranged{concurrency * sp.decode_tokens_per_s.low, concurrency * sp.decode_tokens_per_s.expected,
             concurrency * sp.decode_tokens_per_s.high};
  return host;
}

}  // namespace

Result<SpeedResponse> run_speed(const Context& ctx, const SpeedRequest& q) {
  const double prompt = q.prompt_tokens.value_or(defaults::kSpeedPromptTokens);
  const double output = q.output_tokens.value_or(defaults::kSpeedOutputTokens);
  const double concurrency = q.concurrency.value_or(defaults::kSpeedConcurrency);
  // Memory is checked at the longest context the run reaches: prompt + output, for every sequence.
  ModelInputs in;
  in.context_tokens = prompt + output;
  auto resolved = resolve_model(ctx, q, in);
  if (!resolved) return resolved.error();
  SpeedResponse out;
  out.resolved = std::move(resolved).value();
  Resolved& r = out.resolved;
  Scenario& s = r.scenario;
  s.workload.batch = concurrency;
  const std::string runtime_name = q.runtime.value_or(default_serving_runtime(r.gpu, s.precision));
  auto runtime = find_runtime(*ctx.catalog, runtime_name, r.gpu.vendor);
  if (!runtime) return runtime.error();
  s.runtime = runtime.value();
  if (q.runtime && find_engine(*ctx.catalog, *q.runtime)) {
    // A named engine: memory (and the verdict) in its own terms, at prompt + output per sequence.
    auto applied = apply_engine(ctx, q, true, true, r);
    if (!applied) return applied.error();
  } else if (has_engine_options(q)) {
    return make_error(ErrorCode::conflict,
                      "engine options (-ngl, --gpu-memory-utilization, ...) need --runtime <engine>");
  }
  s.workload.ubatch = q.ubatch_tokens.value_or(s.runtime.ubatch);
  if (s.engine_spec.family != EngineFamily::none && !q.ubatch_tokens) s.engine.n_ubatch = 0;
  s.hardware = compute_spec(r.gpu);
  s.with_speed = true;
  s.speed.prompt_tokens = prompt;
  s.speed.output_tokens = output;
  s.speed.concurrency = concurrency;
  s.speed.gpus = s.gpus;
  Split split = s.runtime.default_split;
  if (q.split) {
    auto parsed = parse_split(*q.split);
    if (!parsed) return parsed.error();
    split = parsed.value();
  }
  s.speed.split = split;
  if (split == Split::tensor) {
    auto tp = check_tensor_parallel(s.arch, s.gpus, "use --split layer or a divisor of the heads");
    if (!tp) return tp.error();
  }
  out.estimate = estimate(s);
  if (const double host = apply_partial_offload(r, out.estimate); host > 0) {
    const double layers = s.arch.num_layers;
    add_warning(r, "note: partial offload: " + whole_text(std::round(layers * host)) + " of " + whole_text(layers) +
                       " layers decode from system RAM at ~" +
                       whole_text(r.gpu.unified_memory ? r.gpu.memory_bandwidth_bytes_per_s / 1e9
                                                       : defaults::kHostMemoryBandwidthBytesPerS / 1e9) +
                       " GB/s, plus the PCIe hop per token; the context curve is for all layers on the GPU");
  }
  const SpeedInputs inputs = speed_inputs(s);
  if (q.curve_points) {
    const double top = std::max(2.0, out.estimate.max_context > 0 ? out.estimate.max_context : s.arch.context_length);
    out.curve = context_curve(inputs, top, static_cast<int>(*q.curve_points));
  }
  out.compute_bound_concurrency = compute_bound_concurrency(inputs, prompt + output / 2);
  return out;
}

}  // namespace gpuplan::api
