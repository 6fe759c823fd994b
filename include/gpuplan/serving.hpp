// Serving under load: a step model of the engines that batch continuously (vLLM, SGLang,
// TensorRT-LLM) and the closed loop the benchmark tools run (`vllm bench serve --max-concurrency`,
// aiperf, genai-perf): C requests in flight, each a prompt of I tokens and an output of O tokens.
//
// One engine step = prefill tokens (chunks of the prompts being read) + one token for every
// decoding sequence. Its time is the sum of its operations, each at its own roofline:
//   dense linear layers  max(2·N·params / (peak of the GEMM path · gemm_eff · N/(N + n½)), bytes / (bw · bw_eff))
//   routed experts       the experts the N tokens touch, over the expert-parallel ranks
//   attention            decode: KV bytes at bandwidth; prefill: QK^T + AV FLOPs at the BF16 peak
//   tensor-parallel      two all-reduces per layer over NVLink (ring, latency per message)
//   expert-parallel      two all-to-alls per MoE layer
//   host                 a per-step scheduler/sampling overhead + a per-layer launch overhead
// and, in TTFT, a per-request overhead (tokenisation, HTTP, scheduling).
// The efficiencies and overheads are fitted per (engine, GPU architecture) on measured runs
// (data/serving_calibration.json, written by `gpuplan calibrate-serving`); none exceeds 1 of the
// peak it divides.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/model.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/speed.hpp"

namespace gpuplan {

// The tensor-core path a GEMM runs on: what its weights and activations are computed in.
enum class GemmPath { bf16, fp16_acc16, fp8, fp4, int8 };
const char* to_string(GemmPath path);

// The engines' parallel layouts, by their flag names: --tensor-parallel-size, --pipeline-parallel-size,
// --data-parallel-size (attention data parallel: each rank attends to its own sequences) and
// --expert-parallel-size (routed experts spread over ranks; the rest of the replica's GPUs slice
// each expert: moe_tp = gpus / ep).
struct ServingLayout {
  double tensor_parallel = 1;
  double pipeline_parallel = 1;
  double data_parallel = 1;    // attention data parallel inside one replica
  double expert_parallel = 1;  // 1: experts sliced by tensor parallelism like the dense layers
  [[nodiscard]] double gpus() const { return tensor_parallel * pipeline_parallel * data_parallel; }
};

// What an (engine, architecture) pair achieves, fitted on measurements. Efficiencies are shares of
// the peak they divide (<= 1); overheads in seconds.
struct ServingCalibration {
  std::string engine = "generic";        // vllm | sglang | tensorrt-llm | generic
  std::string architecture = "generic";  // hopper | blackwell-datacenter | ... | generic
  double gemm_efficiency = 0.6;          // achieved / peak of the GEMM path, large GEMMs
  // GEMMs of few tokens (decode, an expert's share of the batch) reach less of the peak: the share
  // is gemm_efficiency x n / (n + gemm_half_tokens) for n tokens per GEMM (tile occupancy).
  double gemm_half_tokens = 16;
  double request_overhead_s = 0.01;    // per request, in TTFT: tokenisation, HTTP, scheduling, first step
  double bandwidth_efficiency = 0.75;  // achieved / peak memory bandwidth (weights and KV reads)
  double step_overhead_s = 2e-3;       // per step: scheduler, sampling, detokenisation
  double layer_overhead_s = 5e-6;      // per layer per step: launches not hidden by CUDA graphs
  double link_efficiency = 0.6;        // achieved / peak NVLink bandwidth in all-reduce and all-to-all
  // Share of a run's requests that start in the benchmark's opening burst (all C at once): their
  // TTFT is the chunked prefill of every prompt; the rest arrive one by one as others finish.
  double burst_share = 0.3;
  // Provenance: what the constants rest on.
  bool calibrated = false;
  std::string fitted_on;  // "vllm on hopper"
  std::string measured;   // when the rows were measured ("2025-10-29 to 2026-04-20")
  double fit_rows = 0, fit_systems = 0, held_out_rows = 0;
  std::string held_out_by;  // what a leave-one-out round held out
  // Held-out |predicted / measured - 1| of TPOT and TTFT: median and 90th percentile.
  double median_error = 0, p90_error = 0;
  double ttft_median_error = 0, ttft_p90_error = 0;
  std::string fallback;  // empty: its own pair; else the chain it stands for ("architecture -> engine")
};

struct ServingInputs {
  const ModelArch* arch = nullptr;
  const Precision* precision = nullptr;  // weights as stored (bytes)
  GemmPath gemm_path = GemmPath::bf16;   // what the GEMMs compute in
  double kv_bytes = 2;
  ComputeSpec hardware;
  double scale_out_bytes_per_s = 50e9;  // between nodes (InfiniBand NDR 400 Gb/s per GPU)
  double gpus_per_node = 8;
  ServingLayout layout;
  ServingCalibration calibration;
  double max_batched_tokens = 8192;  // the engine's per-step token budget (chunked prefill)
  // Tokens the replica's KV pool holds (< 0: unlimited; 0: the weights leave no room). Sequences
  // beyond what it holds wait in the queue: their wait is part of TTFT. serving_kv_pool_tokens()
  // gives the engines' usual pool.
  double kv_pool_tokens = -1;
};

// The KV pool of a replica on cards of `gpu_memory_bytes` each with `utilization` of it for the
// engine (vLLM --gpu-memory-utilization, SGLang --mem-fraction-static): what the weights and a
// per-card reserve for activations and CUDA graphs leave, in tokens of this model's KV (MLA's latent
// and KV heads fewer than the TP ranks are replicated per rank).
double serving_kv_pool_tokens(const ServingInputs& in, double gpu_memory_bytes, double utilization);

// One step's work: `prefill_tokens` prompt tokens (of prompts `prompt_tokens` long) and
// `decode_sequences` sequences decoding one token each at mean depth `decode_context`.
struct StepWork {
  double prefill_tokens = 0;
  double prompt_tokens = 0;
  double decode_sequences = 0;
  double decode_context = 0;
};

// The parts of one step, seconds (they add up to total_s).
struct StepTime {
  double dense_s = 0;
  double experts_s = 0;
  double attention_s = 0;
  double communication_s = 0;
  double overhead_s = 0;
  double total_s = 0;
};

StepTime serving_step(const ServingInputs& in, const StepWork& work);

// The closed loop at steady state. Metrics as benchmark tools define them: TTFT from request to
// first token (wait for a slot in the step schedule included); TPOT = (latency - TTFT) / (O - 1),
// excluding the first token; ITL = TPOT for a steady stream; throughput over the whole replica.
struct ServingLoad {
  bool fits = true;  // false: the KV pool holds not one sequence (every figure 0)
  double concurrency = 0;
  double ttft_s = 0;
  double tpot_s = 0;
  double itl_s = 0;
  double request_latency_s = 0;
  double requests_per_s = 0;
  double output_tokens_per_s = 0;  // the replica
  double total_tokens_per_s = 0;   // prompt + output
  double output_tokens_per_s_per_gpu = 0;
  double decode_sequences = 0;  // mean sequences decoding in a step
  double admitted = 0;          // sequences the KV pool holds at once (<= concurrency)
  double queue_wait_s = 0;      // part of TTFT: waiting for room in the KV pool
  double prefill_tokens_per_step = 0;
  StepTime step;  // the mean steady-state step
  Ranged ttft_range_s, tpot_range_s;
};

ServingLoad serve_closed_loop(const ServingInputs& in, double concurrency, double prompt_tokens, double output_tokens);

// The GEMM path an engine takes for weights stored in `p` on a card with `flops`: FP8 weights on
// FP8 tensor cores, NVFP4/MXFP4 on FP4 tensor cores where the card has them (Blackwell) else FP8
// or BF16, weight-only INT4/INT8 dequantised to BF16 (Marlin), float weights in BF16 (FP16 where
// the card has no BF16).
GemmPath serving_gemm_path(const Precision& p, const DenseFlops& flops);
double gemm_path_flops(const DenseFlops& flops, GemmPath path);

}  // namespace gpuplan

namespace gpuplan {

// The GPU families a serving calibration is kept for (the list), from the catalog's
// architecture text ("Hopper (GH100)", "Blackwell (GB202)", ...).
enum class ArchFamily {
  ampere_datacenter,
  ampere_consumer,
  ada,
  hopper,
  blackwell_datacenter,
  blackwell_consumer,
  apple,
  cdna,
  rdna,
  other
};
const char* to_string(ArchFamily family);
ArchFamily arch_family(std::string_view architecture);

// The calibration of an (engine, family) pair, else its engine's (all families), else any
// engine's, else the built-in constants marked uncalibrated; `fallback` on the result says which
// step of the chain answered. Ranges widen with the distance: each level's held-out errors are
// those of its own leave-one-out (system, then family, then engine).
ServingCalibration find_serving_calibration(const std::vector<ServingCalibration>& calibrations,
                                            std::string_view engine, ArchFamily family);

// One measured run as a serving question, for fitting and validation.
struct ServingObservation {
  ServingInputs inputs;  // calibration replaced while fitting
  double concurrency = 1;
  double prompt_tokens = 0;
  double output_tokens = 0;
  double measured_ttft_s = 0;  // 0 = not measured
  double measured_tpot_s = 0;
  std::string group;  // the system a leave-one-out round holds out (engine, card, model)
  std::string label;
};

// Fits gemm/bandwidth efficiency, the step overhead and the burst share on the rows (least squares
// on log(predicted / measured) of TPOT and TTFT), starting from `start`; efficiencies stay <= 1.
ServingCalibration fit_serving_calibration(const std::vector<ServingObservation>& rows, ServingCalibration start);

struct ServingPrediction {
  double ttft_s = 0, tpot_s = 0;
};
ServingPrediction predict(const ServingObservation& row, const ServingCalibration& c);

}  // namespace gpuplan
