// The field tables of the requests: names, units, bounds and help, once for every face.
#include "field_table.hpp"
#include "gpuplan/api/requests.hpp"

namespace gpuplan::api {
namespace {

using namespace field_table;

template <class R>
void add_engine_fields(std::vector<Field<R>>& f) {
  add<R>(f,
         {"runtime", "--runtime,--engine", kText, 0, 0,
          "Serving engine: vllm (V1), vllm-v0, vllm-0.6.4, sglang, tensorrt-llm, llama.cpp, ollama, transformers "
          "(default: llama.cpp for GGUF types and Apple, vllm otherwise)",
          kEngine},
         &R::runtime);
  add<R>(f,
         {"gpu_memory_utilization", "--gpu-memory-utilization,--mem-fraction-static,--kv-cache-free-gpu-mem-fraction",
          kFraction, 0, 1, "Paged engines: fraction of the card (vLLM 0.9, SGLang 0.79-0.88 by TP, TensorRT-LLM 0.9)",
          kEngine},
         &R::memory_fraction);
  add<R>(
      f,
      {"block_size", "--block-size", kWhole, 1, 1e6, "KV block (page) size in tokens (vLLM 16, TRT-LLM 32)", kEngine},
      &R::block_size);
  add<R>(f, {"max_num_seqs", "--max-num-seqs", kWhole, 1, 1e7, "vLLM: sequences in the profiling batch", kEngine},
         &R::max_num_seqs);
  add<R>(f,
         {"max_num_batched_tokens", "--max-num-batched-tokens", kWhole, 1, 1e9, "vLLM: tokens in the profiling batch",
          kEngine},
         &R::max_num_batched_tokens);
  add<R>(f,
         {"tensor_parallel_size", "--tensor-parallel-size", kWhole, 1, 1024, "Ranks sharing weights and KV (= --gpus)",
          kEngine},
         &R::tensor_parallel_size);
  add<R>(f,
         {"pipeline_parallel_size", "--pipeline-parallel-size,--pp-size", kWhole, 1, 1024,
          "Pipeline stages (layers split over ranks)", kEngine},
         &R::pipeline_parallel_size);
  add<R>(f,
         {"data_parallel_size", "--data-parallel-size,--dp-size", kWhole, 1, 1024,
          "Attention data-parallel ranks in one replica (each attends to its own sequences)", kEngine},
         &R::data_parallel_size);
  add<R>(f,
         {"expert_parallel_size", "--expert-parallel-size,--ep-size", kWhole, 1, 1024,
          "MoE: ranks the routed experts are spread over (SGLang --ep-size, TensorRT-LLM --ep_size)", kEngine},
         &R::expert_parallel_size);
  add<R>(f,
         {"enable_expert_parallel", "--enable-expert-parallel", kFlag, 0, 0,
          "vLLM: spread the routed experts over tensor x data parallel ranks", kEngine},
         &R::enable_expert_parallel);
  add<R>(f, {"enforce_eager", "--enforce-eager", kFlag, 0, 0, "vLLM: no CUDA graphs", kEngine}, &R::enforce_eager);
  add<R>(f,
         {"n_gpu_layers", "--n-gpu-layers,--gpu-layers", kText, 0, 0,
          "llama.cpp: layers offloaded to the GPU, or all (default: as many as fit)", kEngine},
         &R::n_gpu_layers);
  add<R>(f, {"batch_size", "--batch-size", kWhole, 1, 1e7, "llama.cpp: logical batch n_batch (default 2048)", kEngine},
         &R::n_batch);
  add<R>(f, {"parallel", "--parallel", kWhole, 1, 1e5, "llama.cpp: sequences sharing n_ctx (n_seq_max)", kEngine},
         &R::parallel);
  add<R>(f, {"flash_attn", "--flash-attn", kText, 0, 0, "on | off | auto (llama.cpp default auto)", kEngine},
         &R::flash_attn);
  add<R>(f, {"split_mode", "--split-mode", kText, 0, 0, "llama.cpp multi-GPU: layer (default), row or none", kEngine},
         &R::split_mode);
  add<R>(f, {"cache_type_k", "--cache-type-k", kText, 0, 0, "llama.cpp K cache type: f16, q8_0, q4_0, ...", kEngine},
         &R::cache_type_k);
  add<R>(f,
         {"cache_type_v", "--cache-type-v", kText, 0, 0, "llama.cpp V cache type (quantised V needs flash attention)",
          kEngine},
         &R::cache_type_v);
}

// --calibration: the same field on speed, plan and cost (read by the face into the catalog).
template <class R>
void add_calibration_field(std::vector<Field<R>>& f) {
  add<R>(f,
         {"calibration", "--calibration", kText, 0, 0,
          "Serving calibration file (data/serving_calibration.json's schema): its (engine, GPU family) pairs replace "
          "the built-in ones",
          ""},
         &R::calibration_file);
}

template <class R>
void add_serve_fields(std::vector<Field<R>>& f) {
  add<R>(f,
         {"context", "--context,--ctx,-c", kTokens, 2, 1e8,
          "Longest request (prompt + output) the deployment must accept, e.g. 32k (default 8k, capped at the model's "
          "limit)",
          ""},
         &R::context_tokens);
  add<R>(f, {"prompt", "--prompt,-p", kTokens, 1, 1e8, "Average prompt tokens per request (default 1000)", ""},
         &R::prompt_tokens);
  add<R>(f, {"output", "--output,-n", kTokens, 1, 1e8, "Average output tokens per request (default 200)", ""},
         &R::output_tokens);
  add<R>(f,
         {"users", "--users,--peak-concurrency,--concurrency", kWhole, 1, 1e6,
          "Requests in flight at the peak (default 16 for plan; cost: twice the average in flight)", ""},
         &R::users);
  add<R>(f, {"ttft", "--ttft", kDuration, 0, 1e6, "Time-to-first-token target, e.g. 2s, 500ms (0 = none)", ""},
         &R::ttft_s);
  add<R>(f, {"tpot", "--tpot", kDuration, 0, 1e6, "Time-per-output-token target, e.g. 50ms (0 = none)", ""},
         &R::tpot_s);
  add<R>(f,
         {"tokens_per_month", "--tokens-per-month", kCount, 1, 1e18,
          "Input + output tokens per month, e.g. 3B (default: derived from the users)", ""},
         &R::tokens_per_month);
  add<R>(f,
         {"enable_expert_parallel", "--enable-expert-parallel", kFlag, 0, 0,
          "MoE: every replica spreads the routed experts over its GPUs (vLLM's flag)", ""},
         &R::enable_expert_parallel);
  add<R>(f,
         {"enable_dp_attention", "--enable-dp-attention", kFlag, 0, 0,
          "MoE: every replica's GPUs attend to their own sequences (SGLang's flag; attention data parallel)", ""},
         &R::enable_dp_attention);
  add_calibration_field(f);
}

template <class R>
void add_price_fields(std::vector<Field<R>>& f) {
  add<R>(f, {"years", "--years", kPositive, 0, 50, "Amortisation period of owned hardware (default 3)", kPrices},
         &R::years);
  add<R>(f, {"power_price", "--power-price", kPositive, 0, 100, "Electricity, USD per kWh", kPrices},
         &R::power_usd_per_kwh);
  add<R>(f, {"pue", "--pue", kPositive, 1, 10, "Data-centre PUE (>= 1)", kPrices}, &R::pue);
  add<R>(f,
         {"hosting_per_kw_month", "--hosting-per-kw-month", kPositive, 0, 1e5,
          "Colocation, USD per kW of node power per month (default: the price book's; consumer cards, owned at "
          "home or in an office: 0 unless given)",
          kPrices},
         &R::hosting_usd_per_kw_month);
  add<R>(f, {"rent_price", "--rent-price", kPositive, 0, 1e4, "On-demand rent, USD per GPU-hour", kPrices},
         &R::rent_usd_per_gpu_hour);
  add<R>(f, {"committed_price", "--committed-price", kPositive, 0, 1e4, "Committed rent, USD per GPU-hour", kPrices},
         &R::committed_usd_per_gpu_hour);
  add<R>(f, {"purchase_price", "--purchase-price", kPositive, 0, 1e8, "Purchase price per GPU, USD", kPrices},
         &R::purchase_usd_per_gpu);
  add<R>(f,
         {"capex_extra", "--capex-extra", kPositive, 0, 1e8,
          "Extra capital per GPU (host server share, network), USD (default 0)", kPrices},
         &R::capex_extra_usd_per_gpu);
  add<R>(
      f,
      {"api_input_price", "--api-input-price", kPositive, 0, 1e4, "Managed API, USD per million input tokens", kPrices},
      &R::api_input_usd_per_million);
  add<R>(f,
         {"api_output_price", "--api-output-price", kPositive, 0, 1e4, "Managed API, USD per million output tokens",
          kPrices},
         &R::api_output_usd_per_million);
}

std::vector<Field<FitRequest>> make_fit_fields() {
  using R = FitRequest;
  std::vector<Field<R>> f;
  add_model_fields(f);
  add<R>(f,
         {"context", "--context,--ctx,--seq,--max-model-len,-c", kTokens, 1, 1e9,
          "Tokens per sequence (inference: prompt + output; training: sequence length), e.g. 8192, 32k. Default 4096 "
          "for inference, 2048 for training (capped at the model's limit)",
          ""},
         &R::context_tokens);
  add<R>(f,
         {"batch", "--batch,--micro-batch,-b", kWhole, 1, 1e7,
          "Concurrent sequences (inference) or micro-batch per GPU (training). Default 1", ""},
         &R::batch);
  add<R>(f, {"mode", "--mode,-m", kText, 0, 0, "inference (default) | full-finetune | lora | qlora | pretrain", ""},
         &R::mode);
  add<R>(f,
         {"ubatch", "--ubatch,--ubatch-size,-u", kWhole, 1, 1e7, "Prefill chunk in tokens (n_ubatch). Default 512", ""},
         &R::ubatch_tokens);
  add_engine_fields(f);
  add<R>(f,
         {"optimizer", "--optimizer", kText, 0, 0,
          "Training: adamw (default), adamw-8bit, sgd, sgd-momentum, adafactor, lion", ""},
         &R::optimizer);
  add<R>(f, {"recompute", "--recompute", kText, 0, 0, "Training: none (default), selective, full", ""}, &R::recompute);
  add<R>(f, {"offload_optimizer", "--offload-optimizer", kFlag, 0, 0, "Training: optimizer states in CPU RAM", ""},
         &R::offload_optimizer);
  add<R>(f,
         {"optimizer_in_backward", "--optimizer-in-backward", kFlag, 0, 0,
          "Training: apply and free each gradient during backward (torchtune optimizer_in_bwd)", ""},
         &R::optimizer_in_backward);
  add<R>(f,
         {"no_master_weights", "--no-master-weights", kFlag, 0, 0,
          "Training: pure bf16 (no fp32 master copy; AdamW moments in bf16)", ""},
         &R::no_master_weights);
  add<R>(f, {"lora_rank", "--lora-rank,-r", kWhole, 1, 65536, "LoRA/QLoRA rank (default 16)", ""}, &R::lora_rank);
  add<R>(f, {"lora_targets", "--lora-targets", kText, 0, 0, "LoRA targets: all (linear layers, default) or attn", ""},
         &R::lora_targets);
  add<R>(f, {"loss_chunks", "--loss-chunks", kWhole, 1, 4096, "Training: cross-entropy in N chunks (default 1)", ""},
         &R::loss_chunks);
  return f;
}

std::vector<Field<SpeedRequest>> make_speed_fields() {
  using R = SpeedRequest;
  std::vector<Field<R>> f;
  add_model_fields(f);
  add_engine_fields(f);
  add<R>(f,
         {"prompt", "--prompt,-p,--context,--ctx", kTokens, 0, 1e8,
          "Prompt tokens (the context depth decoding starts from), e.g. 2000, 32k (default 512)", ""},
         &R::prompt_tokens);
  add<R>(f, {"output", "--output,-n", kTokens, 1, 1e8, "Output tokens generated per sequence (default 128)", ""},
         &R::output_tokens);
  add<R>(f,
         {"concurrency", "--concurrency,--batch,-b", kWhole, 1, 1e6,
          "Requests in flight (closed loop, as vllm bench serve --max-concurrency), or max: as many as the KV "
          "pool holds (default 1)",
          "", true},
         &R::concurrency);
  add<R>(
      f,
      {"ubatch", "--ubatch,--ubatch-size,-u", kWhole, 1, 1e7, "Prefill chunk in tokens (default: the runtime's)", ""},
      &R::ubatch_tokens);
  add<R>(f, {"split", "--split", kText, 0, 0, "Multi-GPU: layer (pipeline) or tensor (default: the runtime's)", ""},
         &R::split);
  add<R>(f,
         {"curve", "--curve", kWhole, 2, 64,
          "Also give N points of speed vs context depth, up to the largest that fits", ""},
         &R::curve_points);
  add_calibration_field(f);
  return f;
}

std::vector<Field<CostRequest>> make_cost_fields() {
  using R = CostRequest;
  std::vector<Field<R>> f;
  add_model_fields(f);
  add<R>(f,
         {"runtime", "--runtime", kText, 0, 0,
          "Serving runtime (default: llama.cpp for GGUF types and Apple, vllm otherwise)", ""},
         &R::runtime);
  add_serve_fields(f);
  add<R>(f,
         {"utilization", "--utilization", kFraction, 0, 1,
          "The fleet's utilisation (0-1) instead of a volume: volume = utilisation x capacity", ""},
         &R::utilization);
  add<R>(f,
         {"gpu_hours", "--gpu-hours", kCount, 1, 1e12, "Job mode: rent vs own for a job of N GPU-hours on --gpu", ""},
         &R::gpu_hours);
  add<R>(f,
         {"sweep", "--sweep", kText, 0, 0,
          "utilization=0.1:1.0[:N] or tokens=100M:100B[:N]: the crossover chart's data", ""},
         &R::sweep);
  add<R>(f, {"prices_file", "--prices-file", kText, 0, 0, "Price book (JSON, schema of data/prices.json)", kPrices},
         &R::prices_file);
  add_price_fields(f);
  return f;
}

std::vector<Field<PlanQuery>> make_plan_fields() {
  using R = PlanQuery;
  std::vector<Field<R>> f;
  add<R>(f,
         {"model", "model", kText, 0, 0,
          "Model: a catalog name (gpuplan models), a config.json / safetensors folder / .gguf, or hf:org/name", ""},
         &R::model);
  add<R>(f, {"params", "--params", kCount, 1e6, 1e14, "Only a size is known: e.g. 13B (Llama-shaped architecture)", ""},
         &R::params);
  add_serve_fields(f);
  add<R>(f,
         {"runtime", "--runtime", kText, 0, 0,
          "Serving runtime for every candidate (default: llama.cpp for GGUF types and Apple, vllm otherwise)", ""},
         &R::runtime);
  add<R>(f, {"method", "--method,--mode", kText, 0, 0, "Training plan: pretrain | full | lora | qlora", ""},
         &R::method);
  add<R>(f, {"tokens", "--tokens", kCount, 1, 1e15, "Training tokens, e.g. 50M (a training plan; --method lora)", ""},
         &R::tokens);
  add<R>(f, {"seq", "--seq", kTokens, 16, 1e7, "Training sequence length (default 4096)", ""}, &R::seq_tokens);
  add<R>(f,
         {"global_batch", "--global-batch", kWhole, 1, 1e9,
          "Training: sequences per optimizer step (Megatron --global-batch-size)", ""},
         &R::global_batch);
  add<R>(f,
         {"global_batch_tokens", "--global-batch-tokens", kTokens, 1, 1e12,
          "Training: tokens per optimizer step, e.g. 4M (default 4M)", ""},
         &R::global_batch_tokens);
  add<R>(f, {"deadline", "--deadline", kDuration, 0, 1e9, "Training: finish within, e.g. 2d, 12h", ""}, &R::deadline_s);
  add<R>(f, {"budget", "--budget", kPositive, 0, 1e12, "Training: at most this many USD", ""}, &R::budget_usd);
  add<R>(f, {"network", "--network", kText, 0, 0, "Training: network between nodes (default ib-ndr-400)", ""},
         &R::network);
  add<R>(f,
         {"framework", "--framework", kText, 0, 0,
          "Training stack: megatron, fsdp or auto (default: megatron to pre-train, fsdp to fine-tune)", ""},
         &R::framework);
  add<R>(f, {"tier", "--tier", kText, 0, 0, "Only consumer | workstation | datacenter cards", ""}, &R::tier);
  add<R>(f,
         {"max_gpus", "--max-gpus", kWhole, 1, 8192,
          "Most GPUs in the fleet or job (default 64 serving, 4096 training)", ""},
         &R::max_gpus);
  add<R>(f, {"gpus_per_node", "--gpus-per-node", kWhole, 1, 1024, "GPUs per node (default 8)", ""}, &R::gpus_per_node);
  add<R>(f, {"gpu", "--gpu", kText, 0, 0, "Only these GPUs (comma-separated catalog names)", ""}, &R::gpus);
  add<R>(f,
         {"max_evaluated", "--max-evaluated", kWhole, 1, 1e12,
          "Stop the search after this many scenarios (the best so far is the answer; default: no limit)", ""},
         &R::max_evaluated);
  add<R>(f,
         {"top", "--top", kWhole, 0, 1e6,
          "Ranked candidates listed in --json's \"candidates\" (default 50; --csv lists every one)", ""},
         &R::top);
  add<R>(f,
         {"quant", "--quant,--precision,-q", kText, 0, 0,
          "Only these precisions (comma-separated; default bf16,fp8,int8,awq-int4,q8_0,q5_k_m,q4_k_m serving)", ""},
         &R::quants);
  add<R>(f, {"kv_dtype", "--kv-dtype", kText, 0, 0, "KV-cache type: f16 (default), fp8, q8_0, q4_0", ""}, &R::kv_dtype);
  add<R>(f, {"no_flash_attention", "--no-flash-attention", kFlag, 0, 0, "Attention scores are materialised", ""},
         &R::no_flash_attention);
  add<R>(f, {"pay", "--pay", kText, 0, 0, "cheaper (of rent and own, default) | rent | own", ""}, &R::pay);
  return f;
}

}  // namespace

const std::vector<Field<FitRequest>>& fit_fields() {
  static const auto fields = make_fit_fields();
  return fields;
}
const std::vector<Field<SpeedRequest>>& speed_fields() {
  static const auto fields = make_speed_fields();
  return fields;
}
const std::vector<Field<CostRequest>>& cost_fields() {
  static const auto fields = make_cost_fields();
  return fields;
}
const std::vector<Field<PlanQuery>>& plan_fields() {
  static const auto fields = make_plan_fields();
  return fields;
}

}  // namespace gpuplan::api
