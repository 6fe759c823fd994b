// Speed: a roofline model of inference (Williams et al. 2009; for LLMs Yuan et al. 2024,
// LLM-Viewer). Prefill is timed from FLOPs against the card's dense FLOPS, decode from the
// bytes each step reads (weights actually touched + KV cache) against memory bandwidth; each
// takes the max of its compute and memory times, plus a per-layer overhead, with efficiency
// factors fitted per runtime and hardware family on measured data (data/runtimes.json).
#pragma once
#include <string>
#include <vector>

#include "gpuplan/codes.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/precision.hpp"

namespace gpuplan {

enum class Split { layer, tensor };

// How achievable throughput relates to peak on one runtime + hardware family.
struct RuntimeModel {
  std::string id = "generic";             // llama.cpp-cuda, llama.cpp-metal, vllm, ...
  std::string runtime = "generic";        // llama.cpp, vllm, sglang, tensorrt-llm, transformers, ollama
  bool calibrated = false;                // fitted on measured data for this family
  std::string calibration;                // what it rests on (or why it is not calibrated)
  double bandwidth_efficiency = 0.8;      // decode: achieved / peak memory bandwidth
  double layer_overhead_s = 50e-6;        // per layer per forward pass (kernel launches, syncs)
  double compute_efficiency_float = 0.6;  // prefill: achieved / dense peak, float weights
  double compute_efficiency_quant = 0.5;  // prefill: achieved / dense peak, quantised weights (dequantisation)
  double decode_ratio_low = 0.7, decode_ratio_high = 1.2;  // measured/predicted spread (10th/90th pct)
  double prefill_ratio_low = 0.6, prefill_ratio_high = 1.3;
  double ubatch = 512;                 // tokens per prefill pass
  Split default_split = Split::layer;  // layer (pipeline, llama.cpp) or tensor (vLLM, TensorRT-LLM)
  double attention_efficiency = 0;     // training: fused attention core, achieved / dense peak; 0 = as GEMMs
  // Training: predicted / measured throughput of MoE runs (min, median, max; 0 = none on file).
  double moe_ratio_low = 0, moe_ratio_median = 0, moe_ratio_high = 0;
  SpeedModel speed_model = SpeedModel::roofline;
  // 16-bit float weights multiply with FP16 accumulation (llama.cpp's CUDA cuBLAS path): the card's
  // fp16_acc16 peak (2x the FP32-accumulate peak on GeForce), not the bf16/fp16 one.
  bool fp16_accumulate = false;
};

// The hardware side of a speed estimate, copied out of a Gpu (no strings on the hot path).
struct ComputeSpec {
  double memory_bandwidth_bytes_per_s = 0;
  DenseFlops dense_flops;
  double link_bytes_per_s = 0;  // GPU-to-GPU: NVLink/Infinity Fabric if present, else PCIe host link
  double link_latency_s = 0;    // per message
};
ComputeSpec compute_spec(const Gpu& gpu);

struct SpeedWorkload {
  double prompt_tokens = 512;
  double output_tokens = 128;
  double concurrency = 1;  // sequences decoded together
  double gpus = 1;
  Split split = Split::layer;
  // Partial offload (llama.cpp -ngl below all layers): the share of the layers kept in system RAM
  // and the bandwidth they are read at. Decode streams their bytes from RAM and hops the host link
  // twice a step; prefill uploads their weights over the host link once per ubatch (ggml's CUDA
  // backend runs batches of 32+ tokens on the GPU). 0: every layer on the GPU.
  double host_layer_share = 0;
  double host_bandwidth_bytes_per_s = 0;
  // `concurrency` as requests in flight of a closed loop (a new request as one finishes, as
  // llama-server's parallel slots or `vllm bench serve --max-concurrency` run them): the others'
  // prompts share the card with the decodes. false: a static batch decoding together.
  bool closed_loop = true;
  double step_tokens = 2048;  // tokens per engine step (llama.cpp's n_batch): a prompt's chunks
};

// A figure with its calibrated range.
struct Ranged {
  double low = 0, expected = 0, high = 0;
};

struct Speed {
  Ranged prefill_tokens_per_s;    // prompt processing, one sequence
  Ranged decode_tokens_per_s;     // per sequence, averaged over the output (context grows)
  Ranged aggregate_tokens_per_s;  // decode tokens/s over all concurrent sequences
  Ranged ttft_s;                  // time to first token (prefill of the prompt)
  Ranged tpot_s;                  // time per output token
  double prefill_flops = 0;
  double decode_flops_per_step = 0;
  double decode_bytes_per_step = 0;
  double arithmetic_intensity = 0;       // decode FLOPs per byte read, at the given concurrency
  double machine_balance = 0;            // the card's FLOPs per byte: above it compute binds
  Bound bound = Bound::memory;           // decode
  Bound prefill_bound = Bound::compute;  // prefill
  double compute_flops_per_s = 0;        // dense peak used
  double communication_s_per_token = 0;  // tensor-parallel all-reduce or pipeline hops, per decode step
  // Under load (closed loop, concurrency > 1): TTFT and TPOT above include the others' prompts.
  bool under_load = false;
  double prefill_share = 0;      // of the card's time, spent on the others' prompts
  double queue_wait_s = 0;       // part of TTFT: the prompts ahead of a new one
  double requests_per_s = 0;     // the closed loop's completions (0: not under load)
  double request_latency_s = 0;  // TTFT + (output - 1) x TPOT
};

struct SpeedInputs {
  const ModelArch* arch = nullptr;
  const Precision* precision = nullptr;
  const WeightBytes* measured_weights = nullptr;  // bytes read off the checkpoint's tensor table; null: from precision
  double kv_bytes = 2;
  ComputeSpec hardware;
  RuntimeModel runtime;
  SpeedWorkload workload;
};

Speed estimate_speed(const SpeedInputs& in);

// Attention FLOPs (QK^T and AV, all layers) of one token attending to `context` earlier tokens,
// and of a causal prompt of `tokens` tokens (the sum over its positions); sliding windows honoured.
double attention_flops_per_token(const ModelArch& arch, double context);
double attention_flops_prompt(const ModelArch& arch, double tokens);

// One decode step (all concurrent sequences advance one token at `context` depth), seconds.
double decode_step_s(const SpeedInputs& in, double context, double concurrency);
// Prefill of `tokens` prompt tokens starting at depth 0, seconds.
double prefill_s(const SpeedInputs& in, double tokens);

// Raw roofline terms for calibration: times at 100 % efficiency and the layer count.
struct RooflineTerms {
  double memory_s = 0;   // bytes / peak bandwidth
  double compute_s = 0;  // FLOPs / dense peak
  double passes = 0;     // forward passes (decode: 1 per step; prefill: ceil(tokens / ubatch))
  double layers = 0;
};
RooflineTerms decode_terms(const SpeedInputs& in, double context, double concurrency);
RooflineTerms prefill_terms(const SpeedInputs& in, double tokens);

// Dense FLOP/s the runtime computes with for these weights (fp8 on FP8-capable cards for fp8
// weights; otherwise bf16/fp16 tensor throughput with fp32 accumulate).
double compute_flops(const ComputeSpec& hw, const Precision& p);
// The peak the runtime's matmuls run at: compute_flops, or fp16_acc16 for 16-bit float weights on a
// runtime that accumulates in FP16 (RuntimeModel::fp16_accumulate).
double matmul_flops(const ComputeSpec& hw, const Precision& p, const RuntimeModel& rt);

// Smallest concurrency at which a decode step at `context` becomes compute-bound (0: never below 1e6).
double compute_bound_concurrency(const SpeedInputs& in, double context);

// Points of a speed curve: decode and prefill speed at growing context depth.
struct CurvePoint {
  double context = 0;
  double tpot_s = 0;
  double decode_tokens_per_s = 0;
  double prefill_tokens_per_s = 0;  // a prompt of this length
};
std::vector<CurvePoint> context_curve(const SpeedInputs& in, double max_context, int points);

// The closed loop on a roofline runtime: C requests in flight, the single-stream times below.
// Prefill of the others' prompts takes a share rho = lambda x prefill x (C - 1) / C of the card
// (lambda = C / request latency, Little's law); decode advances in the rest (TPOT = step / (1 - rho));
// a new prompt waits for those ahead of it (M/D/1: rho x prefill / (2 (1 - rho))) and shares its
// chunks with the others' decode steps. At C = 1 it is the single-stream figures exactly.
struct LoadInputs {
  double concurrency = 1;
  double prompt_tokens = 512;
  double output_tokens = 128;
  double prefill_one_s = 0;  // one prompt alone
  double tpot_one_s = 0;     // decode step of one sequence
  double tpot_all_s = 0;     // decode step of all C sequences
  double step_tokens = 2048;
};
struct RooflineLoad {
  double ttft_s = 0, tpot_s = 0;
  double prefill_share = 0;
  double queue_wait_s = 0;
  double request_latency_s = 0;
  double requests_per_s = 0;
  double output_tokens_per_s = 0;
};
RooflineLoad roofline_closed_loop(const LoadInputs& in);

}  // namespace gpuplan
