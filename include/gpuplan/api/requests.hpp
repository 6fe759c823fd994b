// Typed requests: what a person or a program asks, before defaults are applied. Every field is
// optional (empty = the default of api/defaults.hpp); quantities are in base units named in the
// field (tokens, bytes, seconds, USD). Each request has one field table (fit_fields(), ...): the
// CLI builds its options from it, request_from_json() reads JSON through it.
#pragma once
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "gpuplan/api/fields.hpp"

namespace gpuplan::api {

using Text = std::optional<std::string>;
using Number = std::optional<double>;

// Model and hardware: every estimate takes these.
struct ModelArgs {
  Text model;               // catalog name, config.json, safetensors folder, .gguf, hf:org/name
  Number params;            // only a size known: a Llama-shaped architecture is assumed
  Text gpu;                 // catalog name or alias
  Number gpus;              // cards sharing the model
  Number gpu_memory_bytes;  // usable memory per card (override)
  Text quant;               // weights precision
  Text kv_dtype;
  bool no_flash_attention = false;
  Number overhead_bytes;  // runtime overhead per card (override)
};

// The serving engine and its own options (--runtime and what vLLM / llama.cpp call them).
struct EngineArgs {
  Text runtime;
  Number memory_fraction;  // --gpu-memory-utilization / --mem-fraction-static / --kv-cache-free-gpu-mem-fraction
  Number block_size;
  Number max_num_seqs;
  Number max_num_batched_tokens;
  Number tensor_parallel_size;
  // Parallel layouts by the engines' flag names (the serving step model runs them; see
  // apply_serving_layout): GPUs = tensor x pipeline x data parallel.
  Number pipeline_parallel_size;
  Number data_parallel_size;  // attention data parallel (DeepSeek-style) inside one replica
  Number expert_parallel_size;
  bool enable_expert_parallel = false;  // vLLM: experts over tensor x data parallel ranks
  bool enforce_eager = false;
  Text n_gpu_layers;  // a count or "all"
  Number n_batch;
  Number parallel;
  Text flash_attn;  // on | off | auto
  Text split_mode;  // layer | row | none
  Text cache_type_k, cache_type_v;
};

struct FitRequest : ModelArgs, EngineArgs {
  Number context_tokens;
  Number batch;
  Text mode;
  Number ubatch_tokens;
  Text optimizer;
  Text recompute;
  bool offload_optimizer = false;
  bool optimizer_in_backward = false;
  bool no_master_weights = false;
  Number lora_rank;
  Text lora_targets;
  Number loss_chunks;
};

struct SpeedRequest : ModelArgs, EngineArgs {
  Number prompt_tokens;
  Number output_tokens;
  Number concurrency;
  Number ubatch_tokens;
  Text split;  // layer | tensor
  Number curve_points;
  Text calibration_file;  // read by the face into the catalog (sources::load_serving_calibration)
};

// Serving workload shared by cost and plan: the same names, defaults and rules.
struct ServeArgs {
  Number context_tokens;  // longest request
  Number prompt_tokens;   // average
  Number output_tokens;   // average
  Number users;           // peak requests in flight
  Number ttft_s;
  Number tpot_s;
  Number tokens_per_month;
  // The serving engines' MoE layouts, applied to every candidate replica of N GPUs.
  bool enable_expert_parallel = false;  // routed experts over the N ranks (vLLM --enable-expert-parallel)
  bool enable_dp_attention = false;     // attention data parallel over the N ranks (SGLang --enable-dp-attention)
  Text calibration_file;                // read by the face into the catalog (sources::load_serving_calibration)
};

struct PriceArgs {
  Number years;
  Number power_usd_per_kwh;
  Number pue;
  Number hosting_usd_per_kw_month;
  Number rent_usd_per_gpu_hour;
  Number committed_usd_per_gpu_hour;
  Number purchase_usd_per_gpu;
  Number capex_extra_usd_per_gpu;
  Number api_input_usd_per_million;
  Number api_output_usd_per_million;
};

struct CostRequest : ModelArgs, ServeArgs, PriceArgs {
  Text runtime;
  Number utilization;
  Number gpu_hours;
  Text sweep;  // utilization=LO:HI[:N] | tokens=LO:HI[:N]
  Text prices_file;
};

struct PlanArgs : ServeArgs {
  Text model;
  Number params;
  Text gpus;    // comma-separated filter
  Text quants;  // comma-separated filter
  Text kv_dtype;
  bool no_flash_attention = false;
  Text tier;
  Number max_gpus;
  Number gpus_per_node;
  Text runtime;
  Text pay;
  Text method;
  Number tokens;
  Number seq_tokens;
  Number global_batch;  // sequences per step
  Number global_batch_tokens;
  Number deadline_s;
  Number budget_usd;
  Text network;
  Text framework;
  // Work limits for a server (no CLI flag): scenarios evaluated at most, and a flag another thread
  // may set to stop the search; the plan then says it stopped early (Plan::stopped).
  Number max_evaluated;
  const std::atomic<bool>* cancel = nullptr;
  Number top;  // ranked candidates listed in the JSON document's "candidates"
};
using PlanQuery = PlanArgs;

struct TrainRequest : ModelArgs {
  Number tokens;
  Number epochs;
  Text method;
  Text layout;
  Number zero;
  Text recompute;
  Number seq_tokens;
  Number global_batch;  // sequences per step (Megatron's --global-batch-size)
  Number global_batch_tokens;
  Number micro_batch;
  Text optimizer;
  bool offload_optimizer = false;
  bool no_overlap_grad_reduce = false;
  bool fp32_grad_reduce = false;
  Text network;
  Number gpus_per_node;
  Number budget_usd;
  Number deadline_s;
  Number max_gpus;
  Number usd_per_gpu_hour;
  Number efficiency;
  Text framework;
  Number headroom;
  Number max_evaluated;                       // layouts evaluated at most (a server's work budget); empty: no limit
  const std::atomic<bool>* cancel = nullptr;  // set by another thread to stop the layout search
};

// What a model spec says: its architecture, parameters, tensors and stored format.
struct InspectRequest {
  Text model;     // catalog name, config.json, safetensors folder, .gguf, hf:org/name
  Text kv_dtype;  // prices the KV cache bytes per token
};

// Idle capacity from GPU telemetry. The face reads the bytes (a file, standard input, an upload)
// into `telemetry`; nothing below the faces reads a path.
struct IdleRequest {
  Text file;  // where the telemetry came from ('-': standard input); the report names it
  Number price_per_hour_usd;
  Number threshold_pct;
  Number max_gap_s;       // empty: max(5 minutes, 3 x the median interval)
  Number interval_s;      // between scrapes of a DCGM dump without timestamps
  Text format;            // auto | nvidia-smi | dcgm
  std::string telemetry;  // the log's bytes, at most io::kMaxTelemetryBytes (no field: filled by the face)
};

const std::vector<Field<FitRequest>>& fit_fields();
const std::vector<Field<SpeedRequest>>& speed_fields();
const std::vector<Field<CostRequest>>& cost_fields();
const std::vector<Field<PlanQuery>>& plan_fields();
const std::vector<Field<TrainRequest>>& train_fields();
const std::vector<Field<InspectRequest>>& inspect_fields();
const std::vector<Field<IdleRequest>>& idle_fields();

}  // namespace gpuplan::api
