#include "gpuplan/speed.hpp"

#include <algorithm>
#include <cmath>

#include "gpuplan/memory.hpp"
#include "gpuplan/model.hpp"

namespace gpuplan {
namespace {

// GPU-to-GPU message latency: NVLink/Infinity Fabric ~3 us, PCIe peer-to-peer through the root
// complex ~10 us (NCCL all-reduce latency for small messages, nccl-tests; Pope et al. 2022 §3).
constexpr double kPeerLatencyS = 3e-6;
constexpr double kPcieLatencyS = 10e-6;
constexpr double kDefaultPcieBytesPerS = 32e9;  // PCIe 4.0 x16, one direction

struct ModelCosts {
  double linear_params = 0;  // parameters in matmuls per token (incl. LM head, excl. embedding gather)
  double head_params = 0;    // the LM head
  WeightBytes bytes;
};

ModelCosts model_costs(const SpeedInputs& in) {
  const ModelArch& a = *in.arch;
  ModelCosts c;
  const ParamCounts params = count_params(a);
  c.head_params = a.vocab_size * a.hidden_size;
  c.linear_params = params.active - params.vision - params.embedding + (a.tie_word_embeddings ? c.head_params : 0);
  const bool measured = in.measured_weights != nullptr && in.measured_weights->total > 0;
  c.bytes = measured ? *in.measured_weights : weight_bytes_breakdown(a, *in.precision);
  return c;
}

// Weight bytes one forward pass reads for `tokens` tokens: everything but the vision tower and
// the embedding gather; of the routed experts, the share `tokens` tokens touch, assuming uniform
// independent routing: 1 - (1 - k/E)^tokens.
double weights_read(const ModelArch& a, const ModelCosts& c, double tokens) {
  double bytes = c.bytes.total - c.bytes.vision - (a.tie_word_embeddings ? 0 : c.bytes.token_embedding);
  if (is_moe(a) && c.bytes.routed_experts > 0) {
    const double touched = 1.0 - std::pow(1.0 - a.experts_per_token / a.num_experts, tokens);
    bytes -= c.bytes.routed_experts * (1.0 - touched);
  }
  return bytes;
}

double efficiency_for(const RuntimeModel& r, const Precision& p) {
  return p.kind == QuantKind::floating || (p.kind == QuantKind::gguf_mix && p.base_type == "F16")
             ? r.compute_efficiency_float
             : r.compute_efficiency_quant;
}

// Communication per forward pass of `tokens` tokens across `gpus` cards.
double communication_s(const SpeedInputs& in, double tokens) {
  const double n = in.workload.gpus;
  if (n <= 1) return 0;
  const ModelArch& a = *in.arch;
  const double message = tokens * a.hidden_size * 2.0;  // bf16 activations
  const double link = in.hardware.link_bytes_per_s > 0 ? in.hardware.link_bytes_per_s : kDefaultPcieBytesPerS;
  const double latency = in.hardware.link_latency_s > 0 ? in.hardware.link_latency_s : kPcieLatencyS;
  if (in.workload.split == Split::layer) {
    return (n - 1) * (latency + message / link);  // activations hop from card to card
  }
  // Tensor parallel (Megatron): two ring all-reduces per layer (Narayanan et al. 2021; Pope et al. 2022).
  const double all_reduce = 2.0 * (n - 1) / n * message / link + 2.0 * (n - 1) * latency;
  return 2.0 * a.num_layers * all_reduce;
}

double combine(const SpeedInputs& in, const RooflineTerms& t, double tokens) {
  const double n = std::max(1.0, in.workload.gpus);
  const double share = in.workload.split == Split::tensor ? 1.0 / n : 1.0;  // layer split runs cards in turn
  const double compute = t.compute_s * share / efficiency_for(in.runtime, *in.precision);
  const double memory = t.memory_s * share / in.runtime.bandwidth_efficiency;
  return std::max(compute, memory) + t.passes * t.layers * in.runtime.layer_overhead_s +
         t.passes * communication_s(in, tokens / std::max(1.0, t.passes));
}

Ranged tokens_range(const RuntimeModel& r, double expected, bool decode) {
  const double lo = decode ? r.decode_ratio_low : r.prefill_ratio_low;
  const double hi = decode ? r.decode_ratio_high : r.prefill_ratio_high;
  return Ranged{expected * lo, expected, expected * hi};
}

Ranged time_range(const Ranged& rate, double work) {
  auto t = [work](double r) { return r > 0 ? work / r : 0.0; };
  return Ranged{t(rate.high), t(rate.expected), t(rate.low)};
}

}  // namespace

namespace {
double sliding_layers(const ModelArch& a) {
  if (a.sliding_window <= 0) return 0;
  if (a.global_every <= 0) return num_attention_layers(a);
  return num_attention_layers(a) - std::floor(num_attention_layers(a) / a.global_every);
}

}  // namespace

// Attention FLOPs of one token attending to `context` earlier tokens, all layers (QK^T and AV).
double attention_flops_per_token(const ModelArch& a, double context) {
  const double per_kv = 2.0 * a.num_heads * attention_head_dims(a);
  const double sliding = sliding_layers(a);
  const double global = num_attention_layers(a) - sliding;  // recurrent layers attend to nothing
  return per_kv * (global * context + sliding * std::min(context, a.sliding_window));
}

// Attention FLOPs of a causal prompt of `tokens` tokens: sum over positions of their KV length.
double attention_flops_prompt(const ModelArch& a, double tokens) {
  const double per_kv = 2.0 * a.num_heads * attention_head_dims(a);
  const double sliding = sliding_layers(a);
  const double global = num_attention_layers(a) - sliding;
  const double full = tokens * (tokens + 1) / 2;
  double windowed = full;
  if (a.sliding_window > 0 && tokens > a.sliding_window) {
    const double w = a.sliding_window;
    windowed = w * (w + 1) / 2 + (tokens - w) * w;
  }
  return per_kv * (global * full + sliding * windowed);
}

ComputeSpec compute_spec(const Gpu& gpu) {
  ComputeSpec s;
  s.memory_bandwidth_bytes_per_s = gpu.memory_bandwidth_bytes_per_s;
  s.dense_flops = gpu.dense_flops;
  const bool peer = !gpu.peer_link.empty() && gpu.peer_link != "none" && gpu.peer_link_bytes_per_s > 0;
  s.link_bytes_per_s = peer ? gpu.peer_link_bytes_per_s
                            : (gpu.host_link_bytes_per_s > 0 ? gpu.host_link_bytes_per_s : kDefaultPcieBytesPerS);
  s.link_latency_s = peer ? kPeerLatencyS : kPcieLatencyS;
  return s;
}

double compute_flops(const ComputeSpec& hw, const Precision& p) {
  const DenseFlops& f = hw.dense_flops;
  if (p.name == "fp8" && f.fp8 > 0) return f.fp8;
  if (p.name == "fp32") return f.tf32 > 0 ? f.tf32 : f.fp32;
  if (f.bf16 > 0) return f.bf16;
  if (f.fp16 > 0) return f.fp16;
  return f.fp32;
}

double matmul_flops(const ComputeSpec& hw, const Precision& p, const RuntimeModel& rt) {
  const bool float16 =
      (p.kind == QuantKind::floating && p.linear_bits == 16) || (p.kind == QuantKind::gguf_mix && p.base_type == "F16");
  if (rt.fp16_accumulate && float16 && hw.dense_flops.fp16_acc16 > 0) return hw.dense_flops.fp16_acc16;
  return compute_flops(hw, p);
}

namespace {

RooflineTerms decode_terms_with(const SpeedInputs& in, const ModelCosts& c, double context, double concurrency) {
  const ModelArch& a = *in.arch;
  RooflineTerms t;
  const double flops = concurrency * (2.0 * c.linear_params + attention_flops_per_token(a, context));
  // Recurrent layers read and write back their fixed state each step instead of a growing KV.
  const double bytes = weights_read(a, c, concurrency) + kv_cache_bytes(a, context, concurrency, in.kv_bytes) +
                       2.0 * recurrent_state_bytes(a, concurrency);
  t.compute_s = flops / std::max(1.0, matmul_flops(in.hardware, *in.precision, in.runtime));
  t.memory_s = bytes / std::max(1.0, in.hardware.memory_bandwidth_bytes_per_s);
  t.passes = 1;
  t.layers = a.num_layers;
  return t;
}

RooflineTerms prefill_terms_with(const SpeedInputs& in, const ModelCosts& c, double tokens) {
  const ModelArch& a = *in.arch;
  RooflineTerms t;
  const double ubatch = std::max(1.0, in.runtime.ubatch);
  t.passes = std::ceil(tokens / ubatch);
  // Logits only for the last prompt token (llama.cpp, vLLM): the LM head runs once.
  const double flops =
      2.0 * tokens * (c.linear_params - c.head_params) + 2.0 * c.head_params + attention_flops_prompt(a, tokens);
  const double bytes = t.passes * weights_read(a, c, std::min(tokens, ubatch)) +
                       kv_cache_bytes(a, tokens, 1, in.kv_bytes) +  // KV written once
                       recurrent_state_bytes(a, 1.0) * t.passes;    // state carried between chunks
  t.compute_s = flops / std::max(1.0, matmul_flops(in.hardware, *in.precision, in.runtime));
  t.memory_s = bytes / std::max(1.0, in.hardware.memory_bandwidth_bytes_per_s);
  t.layers = a.num_layers;
  return t;
}

// Layers in system RAM (partial offload): their share of the step's bytes at host bandwidth, plus
// the activations crossing the host link to them and back (bf16, one row per sequence).
double host_decode_s(const SpeedInputs& in, const RooflineTerms& t, double concurrency) {
  const double share = in.workload.host_layer_share;
  const double bytes = t.memory_s * in.hardware.memory_bandwidth_bytes_per_s;
  const double message = concurrency * in.arch->hidden_size * 2.0;
  const double hop = 2.0 * (in.hardware.link_latency_s + message / std::max(1.0, in.hardware.link_bytes_per_s));
  return share * bytes / std::max(1.0, in.workload.host_bandwidth_bytes_per_s) + hop;
}

double decode_step_with(const SpeedInputs& in, const ModelCosts& c, double context, double concurrency) {
  const RooflineTerms t = decode_terms_with(in, c, context, concurrency);
  const double gpu_s = combine(in, t, concurrency);
  const double share = std::clamp(in.workload.host_layer_share, 0.0, 1.0);
  if (share <= 0) return gpu_s;
  return (1.0 - share) * gpu_s + host_decode_s(in, t, concurrency);
}

double prefill_with(const SpeedInputs& in, const ModelCosts& c, double tokens) {
  if (tokens <= 0) return 0;
  const RooflineTerms t = prefill_terms_with(in, c, tokens);
  const double gpu_s = combine(in, t, tokens);
  const double share = std::clamp(in.workload.host_layer_share, 0.0, 1.0);
  if (share <= 0) return gpu_s;
  // Every ubatch uploads the RAM layers' weights to the GPU that computes it.
  const double upload_bytes = share * weights_read(*in.arch, c, std::min(tokens, std::max(1.0, in.runtime.ubatch)));
  return gpu_s + t.passes * upload_bytes / std::max(1.0, in.hardware.link_bytes_per_s);
}

}  // namespace

RooflineTerms decode_terms(const SpeedInputs& in, double context, double concurrency) {
  return decode_terms_with(in, model_costs(in), context, concurrency);
}

RooflineTerms prefill_terms(const SpeedInputs& in, double tokens) {
  return prefill_terms_with(in, model_costs(in), tokens);
}

double decode_step_s(const SpeedInputs& in, double context, double concurrency) {
  return decode_step_with(in, model_costs(in), context, concurrency);
}

double prefill_s(const SpeedInputs& in, double tokens) {
  return prefill_with(in, model_costs(in), tokens);
}

namespace {

// Mean step time over the output: the context grows from prompt to prompt + output (four quarter
// midpoints; the step time is piecewise linear in the context).
double mean_decode_step(const SpeedInputs& in, const ModelCosts& costs, double concurrency) {
  const SpeedWorkload& w = in.workload;
  double tpot = 0;
  const int samples = 4;
  for (int i = 0; i < samples; ++i) {
    const double depth = w.prompt_tokens + w.output_tokens * (i + 0.5) / samples;
    tpot += decode_step_with(in, costs, depth, concurrency) / samples;
  }
  return tpot;
}

Ranged scaled(const Ranged& r, double k) {
  return Ranged{r.low * k, r.expected * k, r.high * k};
}

// The figures of `s` under the closed loop of `in.workload.concurrency` requests (roofline_closed_loop):
// TTFT, TPOT and the rates keep the relative ranges of their single-stream figures.
void apply_load(const SpeedInputs& in, const ModelCosts& costs, double tpot_all_s, double prefill_one_s, Speed& s) {
  const SpeedWorkload& w = in.workload;
  const double tpot_one = mean_decode_step(in, costs, 1);
  LoadInputs load;
  load.concurrency = w.concurrency;
  load.prompt_tokens = w.prompt_tokens;
  load.output_tokens = w.output_tokens;
  load.prefill_one_s = prefill_one_s;
  load.tpot_one_s = tpot_one;
  load.tpot_all_s = tpot_all_s;
  load.step_tokens = w.step_tokens;
  const RooflineLoad r = roofline_closed_loop(load);
  s.ttft_s = scaled(s.ttft_s, s.ttft_s.expected > 0 ? r.ttft_s / s.ttft_s.expected : 1);
  s.tpot_s = scaled(s.tpot_s, r.tpot_s / tpot_all_s);
  s.decode_tokens_per_s = scaled(s.decode_tokens_per_s, tpot_all_s / r.tpot_s);
  const double aggregate = s.aggregate_tokens_per_s.expected;
  s.aggregate_tokens_per_s = scaled(s.aggregate_tokens_per_s, aggregate > 0 ? r.output_tokens_per_s / aggregate : 1);
  s.under_load = true;
  s.prefill_share = r.prefill_share;
  s.queue_wait_s = r.queue_wait_s;
  s.requests_per_s = r.requests_per_s;
  s.request_latency_s = r.request_latency_s;
}

}  // namespace

Speed estimate_speed(const SpeedInputs& in) {
  Speed s;
  const ModelCosts costs = model_costs(in);
  const SpeedWorkload& w = in.workload;
  const double concurrency = std::max(1.0, w.concurrency);
  const double tpot = mean_decode_step(in, costs, concurrency);
  const double mid = w.prompt_tokens + w.output_tokens / 2;
  const RooflineTerms d = decode_terms_with(in, costs, mid, concurrency);
  const RooflineTerms p = prefill_terms_with(in, costs, std::max(1.0, w.prompt_tokens));
  const double prefill = prefill_with(in, costs, std::max(1.0, w.prompt_tokens));

  s.compute_flops_per_s = matmul_flops(in.hardware, *in.precision, in.runtime);
  s.decode_flops_per_step = d.compute_s * s.compute_flops_per_s;
  s.decode_bytes_per_step = d.memory_s * in.hardware.memory_bandwidth_bytes_per_s;
  s.prefill_flops = p.compute_s * s.compute_flops_per_s;
  s.arithmetic_intensity = s.decode_bytes_per_step > 0 ? s.decode_flops_per_step / s.decode_bytes_per_step : 0;
  s.machine_balance = in.hardware.memory_bandwidth_bytes_per_s > 0
                          ? s.compute_flops_per_s / in.hardware.memory_bandwidth_bytes_per_s
                          : 0;
  const double eff_c = efficiency_for(in.runtime, *in.precision);
  s.bound = d.compute_s / eff_c > d.memory_s / in.runtime.bandwidth_efficiency ? Bound::compute : Bound::memory;
  s.prefill_bound = p.compute_s / eff_c > p.memory_s / in.runtime.bandwidth_efficiency ? Bound::compute : Bound::memory;
  s.communication_s_per_token = communication_s(in, concurrency);

  s.decode_tokens_per_s = tokens_range(in.runtime, tpot > 0 ? 1.0 / tpot : 0, true);
  s.aggregate_tokens_per_s = tokens_range(in.runtime, tpot > 0 ? concurrency / tpot : 0, true);
  s.tpot_s = time_range(s.decode_tokens_per_s, 1.0);
  const double prompt = std::max(1.0, w.prompt_tokens);
  s.prefill_tokens_per_s = tokens_range(in.runtime, prefill > 0 ? prompt / prefill : 0, false);
  s.ttft_s = w.prompt_tokens > 0 ? time_range(s.prefill_tokens_per_s, prompt) : Ranged{};
  if (w.closed_loop && concurrency > 1 && w.prompt_tokens > 0 && tpot > 0) apply_load(in, costs, tpot, prefill, s);
  return s;
}

double compute_bound_concurrency(const SpeedInputs& in, double context) {
  const double eff_c = efficiency_for(in.runtime, *in.precision);
  const ModelCosts costs = model_costs(in);
  auto compute_binds = [&](double b) {
    const RooflineTerms t = decode_terms_with(in, costs, context, b);
    return t.compute_s / eff_c >= t.memory_s / in.runtime.bandwidth_efficiency;
  };
  double hi = 1;
  while (hi < 1e6 && !compute_binds(hi)) hi *= 2;
  if (!compute_binds(hi)) return 0;
  double lo = hi / 2;
  if (hi == 1) return 1;
  while (hi - lo > 1) {
    const double mid = std::floor((lo + hi) / 2);
    (compute_binds(mid) ? hi : lo) = mid;
  }
  return hi;
}

std::vector<CurvePoint> context_curve(const SpeedInputs& in, double max_context, int points) {
  std::vector<CurvePoint> out;
  if (points < 2 || max_context < 2) return out;
  const double concurrency = std::max(1.0, in.workload.concurrency);
  const ModelCosts costs = model_costs(in);
  for (int i = 0; i < points; ++i) {
    // Geometric spacing from 512 (or less) up to max_context.
    const double start = std::min(512.0, max_context);
    const double ctx = std::round(start * std::pow(max_context / start, static_cast<double>(i) / (points - 1)));
    CurvePoint p;
    p.context = ctx;
    p.tpot_s = decode_step_with(in, costs, ctx, concurrency);
    p.decode_tokens_per_s = p.tpot_s > 0 ? 1.0 / p.tpot_s : 0;
    const double pf = prefill_with(in, costs, ctx);
    p.prefill_tokens_per_s = pf > 0 ? ctx / pf : 0;
    out.push_back(p);
  }
  return out;
}

}  // namespace gpuplan
