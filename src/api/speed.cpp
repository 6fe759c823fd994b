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

}  // namespace

Result<SpeedResponse> run_speed(const Context& ctx, const SpeedRequest& q) {
  const double prompt = q.prompt_tokens.value_or(defaults::kSpeedPromptTokens);
  const double output = q.output_tokens.value_or(defaults::kSpeedOutputTokens);
  const bool at_max = q.concurrency == kFieldMax;  // --concurrency max: as many as the KV pool holds
  const double concurrency = at_max ? 1.0 : q.concurrency.value_or(defaults::kSpeedConcurrency);
  // Memory is checked at the longest context the run reaches: prompt + output, for every sequence.
  ModelInputs in;
  in.context_tokens = prompt + output;
  SpeedResponse out;
  auto resolved = resolve_model(ctx, q, in, out.resolved);
  if (!resolved) return resolved.error();
  Resolved& r = out.resolved;
  Scenario& s = r.scenario;
  s.workload.batch = concurrency;
  const std::string runtime_name = q.runtime.value_or(default_serving_runtime(r.gpu, s.precision));
  auto runtime = find_runtime(*ctx.catalog, runtime_name, r.gpu.vendor);
  if (!runtime) return runtime.error();
  s.runtime = runtime.value();
  s.serving_calibration =
      find_serving_calibration(ctx.catalog->serving_calibrations, s.runtime.runtime, arch_family(r.gpu.architecture));
  if (q.runtime && find_engine(*ctx.catalog, *q.runtime)) {
    // A named engine: memory (and the verdict) in its own terms, at prompt + output per sequence.
    auto applied = apply_engine(ctx, q, q, true, true, r);
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
    const double tp = s.gpus / (s.pipeline_parallel * s.data_parallel);
    auto checked = check_tensor_parallel(s.arch, tp, "use --split layer or a divisor of the heads");
    if (!checked) return checked.error();
  }
  if (at_max) {  // the pool's sequences at prompt + output each: the engine's (or the generic) memory plan
    s.with_speed = false;
    const Estimate pool = estimate(s);
    s.with_speed = true;
    const double most = std::max(1.0, pool.max_batch);  // none fits: one, and the verdict says so
    s.workload.batch = s.speed.concurrency = most;
    if (s.engine_spec.family == EngineFamily::llamacpp) s.engine.n_seq = most;
  }
  // Layers llama.cpp leaves in system RAM are read at the host's bandwidth (Apple: the unified memory's).
  s.speed.host_bandwidth_bytes_per_s =
      r.gpu.unified_memory ? r.gpu.memory_bandwidth_bytes_per_s : defaults::kHostMemoryBandwidthBytesPerS;
  out.estimate = estimate(s);
  SpeedInputs inputs = speed_inputs(s);
  if (out.estimate.has_engine) inputs.workload.host_layer_share = host_layer_share(s, out.estimate.engine);
  if (const double host = inputs.workload.host_layer_share; host > 0) {
    const double layers = s.arch.num_layers;
    add_warning(r, "note: partial offload: " + whole_text(std::round(layers * host)) + " of " + whole_text(layers) +
                       " layers decode from system RAM at ~" + whole_text(s.speed.host_bandwidth_bytes_per_s / 1e9) +
                       " GB/s plus the host-link hop per token, and prefill uploads their weights over the host "
                       "link once per ubatch");
  }
  if (q.curve_points) {
    const double top = std::max(2.0, out.estimate.max_context > 0 ? out.estimate.max_context : s.arch.context_length);
    out.curve = context_curve(inputs, top, static_cast<int>(*q.curve_points));
  }
  out.compute_bound_concurrency = compute_bound_concurrency(inputs, prompt + output / 2);
  return out;
}

}  // namespace gpuplan::api
