// The serving step model (see serving.hpp): one continuous-batching step, operation by operation.
#include "gpuplan/serving.hpp"

#include <algorithm>
#include <cmath>

#include "gpuplan/memory.hpp"

namespace gpuplan {
namespace {

// One-shot all-reduce and all-to-all latency per message over NVLink (vLLM's custom all-reduce,
// TensorRT-LLM's; ~2 synchronisation phases of ~3 us) and across PCIe or nodes (NCCL ~25 us).
constexpr double kNvlinkMessageLatencyS = 6e-6;
constexpr double kSlowMessageLatencyS = 25e-6;
constexpr double kActivationBytes = 2;                    // bf16 activations cross the links
constexpr double kDispatchBytes = 1.5;                    // MoE dispatch in fp8, combine in bf16: mean per element
constexpr double kCardReserveBytes = 3.0 * (1ull << 30);  // activations, CUDA graphs, NCCL buffers per card

// What a step costs that does not depend on the step: parameter and byte totals of the model.
struct ModelTotals {
  double dense_params = 0;  // per token through non-expert matmuls (attention, dense MLPs, shared experts, head)
  double dense_bytes = 0;   // their weights
  double expert_params_active = 0;       // routed-expert parameters one token passes through
  double expert_bytes = 0;               // all routed experts
  double resident_non_expert_bytes = 0;  // every stored weight but the routed experts (held per replica)
  double moe_layers = 0;
};

ModelTotals model_totals(const ServingInputs& in) {
  const ModelArch& a = *in.arch;
  ModelTotals t;
  const ParamCounts p = count_params(a);
  const double head = a.vocab_size * a.hidden_size;
  const double routed_active =
      is_moe(a) && a.num_experts > 0 ? p.routed_experts * a.experts_per_token / a.num_experts : 0;
  t.dense_params = p.active - routed_active - p.vision - p.embedding + (a.tie_word_embeddings ? head : 0);
  t.expert_params_active = routed_active;
  const WeightBytes b = weight_bytes_breakdown(a, *in.precision);
  t.expert_bytes = b.routed_experts;
  t.resident_non_expert_bytes = b.total - b.routed_experts;
  t.dense_bytes = b.total - b.vision - b.routed_experts - (a.tie_word_embeddings ? 0 : b.token_embedding);
  if (is_moe(a)) {
    for (double l = 0; l < a.num_layers; ++l) t.moe_layers += is_moe_layer(a, l) ? 1 : 0;
  }
  return t;
}

double link_bytes_per_s(const ServingInputs& in, double group) {
  const bool leaves_node = group > in.gpus_per_node;
  const double link = leaves_node ? in.scale_out_bytes_per_s : in.hardware.link_bytes_per_s;
  return std::max(1.0, link * in.calibration.link_efficiency);
}

double message_latency_s(const ServingInputs& in, double group) {
  const bool nvlink = in.hardware.link_latency_s > 0 && in.hardware.link_latency_s < 5e-6;
  return nvlink && group <= in.gpus_per_node ? kNvlinkMessageLatencyS : kSlowMessageLatencyS;
}

// A GEMM's time at its roofline: compute or weight reads, whichever binds. `tokens`: the rows of
// one GEMM (a GEMM of few rows fills few tiles and reaches less of the peak).
double gemm_s(const ServingInputs& in, double flops, double bytes, double tokens) {
  const ServingCalibration& c = in.calibration;
  const double peak = std::max(1.0, gemm_path_flops(in.hardware.dense_flops, in.gemm_path));
  const double n = std::max(1.0, tokens);
  const double occupancy = n / (n + std::max(0.0, c.gemm_half_tokens));
  const double compute = flops / (peak * c.gemm_efficiency * occupancy);
  const double memory = bytes / (std::max(1.0, in.hardware.memory_bandwidth_bytes_per_s) * c.bandwidth_efficiency);
  return std::max(compute, memory);
}

double kv_replication(const ServingInputs& in) {
  const ModelArch& a = *in.arch;
  const double tp = std::max(1.0, in.layout.tensor_parallel);
  if (is_mla(a)) return tp;
  return std::max(1.0, tp / std::max(1.0, a.num_kv_heads));
}

StepTime step_with(const ServingInputs& in, const ModelTotals& m, const StepWork& w) {
  const ModelArch& a = *in.arch;
  const ServingLayout& l = in.layout;
  const double tp = std::max(1.0, l.tensor_parallel);
  const double dp = std::max(1.0, l.data_parallel);
  const double gpus = tp * dp;
  const double tokens = std::max(0.0, w.prefill_tokens) + std::max(0.0, w.decode_sequences);
  const double rank_tokens = tokens / dp;  // attention data parallel: each rank its own sequences
  StepTime t;
  t.dense_s = gemm_s(in, 2.0 * rank_tokens * m.dense_params / tp, m.dense_bytes / tp, rank_tokens);
  if (m.expert_bytes > 0 && a.num_experts > 0) {
    const double touched = 1.0 - std::pow(1.0 - a.experts_per_token / a.num_experts, std::max(1.0, tokens));
    // Each touched expert's GEMM carries its share of the step's token-expert pairs.
    const double per_expert = tokens * a.experts_per_token / std::max(1.0, a.num_experts * touched);
    t.experts_s = gemm_s(in, 2.0 * tokens * m.expert_params_active / gpus, m.expert_bytes * touched / gpus, per_expert);
  }
  // Attention: KV heads split over tensor-parallel ranks down to one head each; MLA's latent is
  // replicated on every rank.
  const double kv_heads = std::max(1.0, a.num_kv_heads);
  const double kv_share = is_mla(a) ? 1.0 : std::max(1.0 / tp, 1.0 / kv_heads);
  const double bandwidth =
      std::max(1.0, in.hardware.memory_bandwidth_bytes_per_s) * in.calibration.bandwidth_efficiency;
  const double decode_kv =
      kv_cache_bytes(a, std::max(1.0, w.decode_context), w.decode_sequences / dp, in.kv_bytes) * kv_share;
  const double prompts = w.prompt_tokens > 0 ? w.prefill_tokens / w.prompt_tokens : 0;
  const double prefill_flops = prompts / dp * attention_flops_prompt(a, w.prompt_tokens) / tp;
  const double decode_flops = w.decode_sequences / dp * attention_flops_per_token(a, w.decode_context) / tp;
  const double attention_peak = std::max(1.0, gemm_path_flops(in.hardware.dense_flops, GemmPath::bf16));
  t.attention_s =
      decode_kv / bandwidth + (prefill_flops + decode_flops) / (attention_peak * in.calibration.gemm_efficiency);
  // Tensor parallel: two all-reduces per layer of the rank's activations.
  if (tp > 1) {
    const double message = rank_tokens * a.hidden_size * kActivationBytes;
    const double all_reduce = message_latency_s(in, tp) + 2.0 * (tp - 1) / tp * message / link_bytes_per_s(in, tp);
    t.communication_s += 2.0 * a.num_layers * all_reduce;
  }
  // Expert parallel: dispatch and combine, two all-to-alls per MoE layer.
  const double ep = std::max(1.0, l.expert_parallel);
  if (ep > 1 && m.moe_layers > 0) {
    const double message = tokens / gpus * a.experts_per_token * a.hidden_size * kDispatchBytes * (ep - 1) / ep;
    t.communication_s += 2.0 * m.moe_layers * (message_latency_s(in, ep) + message / link_bytes_per_s(in, ep));
  }
  if (l.pipeline_parallel > 1) {
    const double message = rank_tokens * a.hidden_size * kActivationBytes;
    t.communication_s += (l.pipeline_parallel - 1) * (message_latency_s(in, gpus) + message / link_bytes_per_s(in, 2));
  }
  t.overhead_s = in.calibration.step_overhead_s + a.num_layers * in.calibration.layer_overhead_s;
  t.total_s = t.dense_s + t.experts_s + t.attention_s + t.communication_s + t.overhead_s;
  return t;
}

}  // namespace

const char* to_string(GemmPath path) {
  switch (path) {
    case GemmPath::bf16: return "bf16";
    case GemmPath::fp16_acc16: return "fp16-acc16";
    case GemmPath::fp8: return "fp8";
    case GemmPath::fp4: return "fp4";
    case GemmPath::int8: return "int8";
  }
  return "bf16";
}

double gemm_path_flops(const DenseFlops& f, GemmPath path) {
  const double half = f.bf16 > 0 ? f.bf16 : f.fp16;
  switch (path) {
    case GemmPath::bf16: return half > 0 ? half : f.fp32;
    case GemmPath::fp16_acc16: return f.fp16_acc16 > 0 ? f.fp16_acc16 : (f.fp16 > 0 ? f.fp16 : half);
    case GemmPath::fp8: return f.fp8 > 0 ? f.fp8 : half;
    case GemmPath::fp4: return f.fp4 > 0 ? f.fp4 : (f.fp8 > 0 ? f.fp8 : half);
    case GemmPath::int8: return f.int8 > 0 ? f.int8 : half;
  }
  return half;
}

GemmPath serving_gemm_path(const Precision& p, const DenseFlops& f) {
  const std::string& n = p.name;
  if ((n == "nvfp4" || n == "mxfp4") && f.fp4 > 0) return GemmPath::fp4;
  if ((n == "nvfp4" || n == "mxfp4" || n == "fp8" || n == "fp8-block") && f.fp8 > 0) return GemmPath::fp8;
  return GemmPath::bf16;  // float weights; weight-only INT4/INT8 dequantise into BF16 GEMMs
}

double serving_kv_pool_tokens(const ServingInputs& in, double gpu_memory_bytes, double utilization) {
  const ModelTotals m = model_totals(in);
  const ServingLayout& l = in.layout;
  const double gpus = std::max(1.0, l.gpus());
  const double weights = m.resident_non_expert_bytes * std::max(1.0, l.data_parallel) + m.expert_bytes;
  const double pool = gpus * (gpu_memory_bytes * utilization - kCardReserveBytes) - weights;
  const double per_token = kv_cache_bytes(*in.arch, 1, 1, in.kv_bytes) * kv_replication(in);
  return pool > 0 && per_token > 0 ? pool / per_token : 0.0;
}

StepTime serving_step(const ServingInputs& in, const StepWork& work) {
  return step_with(in, model_totals(in), work);
}

ServingLoad serve_closed_loop(const ServingInputs& in, double concurrency, double prompt_tokens, double output_tokens) {
  ServingLoad r;
  double c = std::max(1.0, concurrency);
  const double prompt = std::max(1.0, prompt_tokens);
  const double output = std::max(1.0, output_tokens);
  const double budget = std::max(1.0, in.max_batched_tokens);
  const double depth = prompt + output / 2;  // mean decode depth over the output
  const ModelTotals m = model_totals(in);
  r.concurrency = concurrency;
  // The KV pool admits as many sequences as it holds at their mean length; the others wait.
  const double held = in.kv_pool_tokens >= 0 ? std::floor(in.kv_pool_tokens / (prompt + output / 2)) : c;
  const double requested = c;
  if (held < 1) {
    r.fits = false;
    return r;
  }
  c = std::clamp(held, 1.0, requested);
  r.admitted = c;

  // Opening burst: all C prompts at once, read in chunks of the step budget; the k-th prompt's first
  // token comes with the step that finishes it, so the mean over the burst is (K + 1) / 2 chunks.
  const double burst_tokens = c * prompt;
  const double chunks = std::ceil(burst_tokens / budget);
  const double chunk_tokens = std::min(budget, burst_tokens);
  const double chunk_s = step_with(in, m, StepWork{chunk_tokens, prompt, 0, 0}).total_s;
  const double ttft_burst = chunk_s * (chunks + 1) / 2;

  // Steady state (Little's law): requests finish at rate lambda = C / (TTFT + (O - 1) TPOT); each
  // step carries the prefill tokens of the requests that joined during it and one token of every
  // decoding sequence. Fixed point on the step time.
  double tpot = step_with(in, m, StepWork{0, prompt, c, depth}).total_s;
  double ttft_steady = tpot;
  StepTime step;
  for (int i = 0; i < 40; ++i) {
    const double lifetime = ttft_steady + (output - 1) * tpot;
    const double lambda = c / std::max(1e-9, lifetime);
    const double decoding = output > 1 ? c * (output - 1) * tpot / lifetime : 0;
    const double free_budget = std::max(1.0, budget - decoding);
    const double prefill = std::min(lambda * prompt * tpot, free_budget);
    step = step_with(in, m, StepWork{prefill, prompt, decoding, depth});
    // A joining request waits for the running step to end, then its prompt rides in the next
    // ceil(I / free budget) steps, each carrying at least its own chunk.
    const double own_chunk = std::max(prefill, std::min(prompt, free_budget));
    const double with_own = step_with(in, m, StepWork{own_chunk, prompt, decoding, depth}).total_s;
    const double next_ttft = step.total_s / 2 + std::ceil(prompt / free_budget) * with_own;
    const double next_tpot = step.total_s;
    const bool settled =
        std::abs(next_tpot - tpot) < 1e-4 * tpot && std::abs(next_ttft - ttft_steady) < 1e-4 * ttft_steady;
    tpot = 0.5 * (tpot + next_tpot);
    ttft_steady = 0.5 * (ttft_steady + next_ttft);
    r.decode_sequences = decoding;
    r.prefill_tokens_per_step = prefill;
    if (settled) break;
  }
  const double share = std::clamp(in.calibration.burst_share, 0.0, 1.0);
  const double lifetime = ttft_steady + (output - 1) * tpot;
  r.queue_wait_s = (requested - c) * lifetime / c;  // Little's law on the queue in front of the pool
  r.ttft_s = share * ttft_burst + (1 - share) * ttft_steady + r.queue_wait_s +
             std::max(0.0, in.calibration.request_overhead_s);
  r.tpot_s = output > 1 ? tpot : 0;
  r.itl_s = r.tpot_s;
  r.request_latency_s = r.ttft_s + (output - 1) * tpot;
  r.requests_per_s = requested / std::max(1e-9, r.request_latency_s);
  r.output_tokens_per_s = r.requests_per_s * output;
  r.total_tokens_per_s = r.requests_per_s * (output + prompt);
  r.output_tokens_per_s_per_gpu = r.output_tokens_per_s / std::max(1.0, in.layout.gpus());
  r.step = step;
  // Ranges: the calibration's held-out 90th-percentile error either way.
  const double tpot_spread = std::max(0.0, in.calibration.p90_error);
  const double ttft_spread = std::max(0.0, in.calibration.ttft_p90_error);
  r.ttft_range_s = Ranged{r.ttft_s / (1 + ttft_spread), r.ttft_s, r.ttft_s * (1 + ttft_spread)};
  r.tpot_range_s = Ranged{r.tpot_s / (1 + tpot_spread), r.tpot_s, r.tpot_s * (1 + tpot_spread)};
  return r;
}

}  // namespace gpuplan
