// The field tables of the requests: names, units, bounds and help, once for every face.
#include "gpuplan/api/requests.hpp"

namespace gpuplan::api {
namespace {

constexpr FieldKind kText = FieldKind::text;
constexpr FieldKind kTokens = FieldKind::tokens;
constexpr FieldKind kCount = FieldKind::count;
constexpr FieldKind kWhole = FieldKind::whole;
constexpr FieldKind kBytes = FieldKind::bytes;
constexpr FieldKind kDuration = FieldKind::duration;
constexpr FieldKind kFraction = FieldKind::fraction;
constexpr FieldKind kPositive = FieldKind::positive;
constexpr FieldKind kFlag = FieldKind::flag;
constexpr const char* kEngine = "Engine (--runtime: memory as the engine allocates it)";
constexpr const char* kPrices = "Prices (defaults: the catalog and data/prices.json)";

// `member` may belong to a base of R (ModelArgs, EngineArgs, ...): converted to a member of R.
template <class R, class M, class B>
void add(std::vector<Field<R>>& out, FieldInfo info, M B::*member) {
  out.push_back(Field<R>{info, static_cast<M R::*>(member)});
}

template <class R>
void add_model_fields(std::vector<Field<R>>& f) {
  add<R>(f,
         {"model", "model", kText, 0, 0,
          "Model: a catalog name or alias (gpuplan models, e.g. llama-3.1-8b), a folder with config.json and "
          "*.safetensors, a config.json, .safetensors or .gguf file, or hf:org/name[@revision]",
          ""},
         &R::model);
  add<R>(f, {"params", "--params", kCount, 1e6, 1e14, "Only a size is known: e.g. 13B (Llama-shaped architecture)", ""},
         &R::params);
  add<R>(f, {"gpu", "--gpu", kText, 0, 0, "GPU name or alias (gpuplan gpus), e.g. rtx-4090, h100-sxm, m2-ultra", ""},
         &R::gpu);
  add<R>(f, {"gpus", "--gpus", kWhole, 1, 100000, "Number of GPUs sharing the model (default 1)", ""}, &R::gpus);
  add<R>(f, {"gpu_memory", "--gpu-memory", kBytes, 1, 1e15, "Override usable memory per GPU, e.g. 20GiB or 22GB", ""},
         &R::gpu_memory_bytes);
  add<R>(
      f,
      {"quant", "--quant,--precision,-q", kText, 0, 0,
       "Weights precision: bf16, fp16, fp8, int8, gptq-int4, awq-int4, nf4, nf4-dq, mxfp4, nvfp4, int4-experts, or a "
       "GGUF type (q8_0, q6_k, q5_k_m, q4_k_m, q3_k_m, q2_k, iq4_xs, ...). Default: the checkpoint's own format "
       "(bf16 for catalog models without one; nf4-dq for qlora)",
       ""},
      &R::quant);
  add<R>(f,
         {"kv_dtype", "--kv-dtype,--cache-type,--kv-cache-dtype", kText, 0, 0,
          "KV-cache type: f16 (default), bf16, fp8, q8_0, q4_0, f32", ""},
         &R::kv_dtype);
  add<R>(f,
         {"no_flash_attention", "--no-flash-attention", kFlag, 0, 0,
          "Attention scores are materialised (older runtimes, eager transformers)", ""},
         &R::no_flash_attention);
  add<R>(f, {"overhead", "--overhead", kBytes, 0, 1e15, "Override the runtime overhead per GPU, e.g. 1GiB", ""},
         &R::overhead_bytes);
}

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
  add<R>(f,
         {"calibration", "--calibration", kText, 0, 0,
          "Serving calibration file (data/serving_calibration.json's schema): its (engine, GPU family) pairs replace "
          "the built-in ones",
          ""},
         &R::calibration_file);
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
  add<R>(f,
         {"calibration", "--calibration", kText, 0, 0,
          "Serving calibration file (data/serving_calibration.json's schema): its (engine, GPU family) pairs replace "
          "the built-in ones",
          ""},
         &R::calibration_file);
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

std::vector<Field<TrainRequest>> make_train_fields() {
  using R = TrainRequest;
  std::vector<Field<R>> f;
  add_model_fields(f);
  add<R>(f, {"tokens", "--tokens", kCount, 1, 1e16, "Training tokens (dataset size), e.g. 2T, 200M", ""}, &R::tokens);
  add<R>(f, {"epochs", "--epochs", kPositive, 0, 1e4, "Passes over the tokens (default 1)", ""}, &R::epochs);
  add<R>(f, {"method", "--method,--mode", kText, 0, 0, "pretrain (default) | full | lora | qlora", ""}, &R::method);
  add<R>(f,
         {"layout", "--layout", kText, 0, 0,
          "e.g. tp=8,pp=2,dp=4[,cp=2,ep=8,vpp=2,mb=1,zero=1,sp=on,recompute=full] (what train prints); omit to "
          "search",
          ""},
         &R::layout);
  add<R>(f, {"zero", "--zero", kWhole, 0, 3, "ZeRO stage 0-3 (3 = FSDP)", ""}, &R::zero);
  add<R>(f, {"recompute", "--recompute", kText, 0, 0, "none | selective | full (default: searched)", ""},
         &R::recompute);
  add<R>(f, {"seq", "--seq", kTokens, 16, 1e7, "Sequence length (default 4096)", ""}, &R::seq_tokens);
  add<R>(f,
         {"global_batch", "--global-batch", kWhole, 1, 1e9,
          "Sequences per optimizer step (Megatron --global-batch-size)", ""},
         &R::global_batch);
  add<R>(f,
         {"global_batch_tokens", "--global-batch-tokens", kTokens, 1, 1e12,
          "Tokens per optimizer step, e.g. 4M, 16M (default 4M)", ""},
         &R::global_batch_tokens);
  add<R>(f, {"micro_batch", "--micro-batch", kWhole, 1, 1e6, "Sequences per micro-batch (default: searched)", ""},
         &R::micro_batch);
  add<R>(
      f,
      {"optimizer", "--optimizer", kText, 0, 0, "adamw (default), adamw-8bit, sgd, sgd-momentum, adafactor, lion", ""},
      &R::optimizer);
  add<R>(f, {"offload_optimizer", "--offload-optimizer", kFlag, 0, 0, "Optimizer states in CPU RAM", ""},
         &R::offload_optimizer);
  add<R>(f,
         {"no_overlap_grad_reduce", "--no-overlap-grad-reduce", kFlag, 0, 0,
          "Gradients all-reduced after the last micro-batch, not behind the backward pass", ""},
         &R::no_overlap_grad_reduce);
  add<R>(f,
         {"fp32_grad_reduce", "--fp32-grad-reduce", kFlag, 0, 0,
          "Gradients reduced in fp32 (Megatron-LM --accumulate-allreduce-grads-in-fp32)", ""},
         &R::fp32_grad_reduce);
  add<R>(f,
         {"network", "--network", kText, 0, 0,
          "Between nodes: ib-ndr-400 (default), ib-hdr-200, roce-400, ib-xdr-800, eth-100, ...", ""},
         &R::network);
  add<R>(f, {"gpus_per_node", "--gpus-per-node", kWhole, 1, 1024, "GPUs per node (default 8)", ""}, &R::gpus_per_node);
  add<R>(f, {"budget", "--budget", kPositive, 0, 1e12, "Search: at most this many USD", ""}, &R::budget_usd);
  add<R>(f,
         {"deadline", "--deadline", kDuration, 0, 1e9,
          "Search: at most this long, e.g. 30d, 12h (default 90d pre-training, 7d fine-tuning)", ""},
         &R::deadline_s);
  add<R>(f,
         {"max_gpus", "--max-gpus", kWhole, 1, 1e6,
          "Search: largest GPU count (default 4096 for datacenter cards, one node otherwise)", ""},
         &R::max_gpus);
  add<R>(f,
         {"max_evaluated", "--max-evaluated", kWhole, 1, 1e12,
          "Search: stop after this many layouts (the best so far is the answer; default: no limit)", ""},
         &R::max_evaluated);
  add<R>(f,
         {"price_per_gpu_hour", "--price-per-gpu-hour", kPositive, 0, 1e4,
          "USD per GPU-hour (default: the catalog's rental price)", ""},
         &R::usd_per_gpu_hour);
  add<R>(f,
         {"efficiency", "--efficiency", kFraction, 0, 1, "Override the GEMM efficiency (fraction of dense peak)", ""},
         &R::efficiency);
  add<R>(f,
         {"framework", "--framework", kText, 0, 0,
          "Training stack: megatron, fsdp or auto (default: megatron to pre-train, fsdp to fine-tune)", ""},
         &R::framework);
  add<R>(f,
         {"headroom", "--headroom", kFraction, 0, 0.5,
          "Fraction of each card kept free in the fit verdict (default 0.05)", ""},
         &R::headroom);
  return f;
}

std::vector<Field<InspectRequest>> make_inspect_fields() {
  using R = InspectRequest;
  std::vector<Field<R>> f;
  add<R>(f,
         {"model", "model", kText, 0, 0,
          "A catalog name, a folder (config.json + *.safetensors), a config.json, a .safetensors or .gguf file, or "
          "hf:org/name[@revision][/file.gguf]",
          ""},
         &R::model);
  add<R>(f,
         {"kv_dtype", "--kv-dtype,--cache-type,--kv-cache-dtype", kText, 0, 0,
          "KV-cache type the bytes per token are priced in: f16 (default), bf16, fp8, q8_0, q4_0, f32", ""},
         &R::kv_dtype);
  return f;
}

std::vector<Field<IdleRequest>> make_idle_fields() {
  using R = IdleRequest;
  constexpr double kYearS = 365.0 * 86400.0;
  std::vector<Field<R>> f;
  add<R>(f,
         {"file", "file", kText, 0, 0, "nvidia-smi CSV log or DCGM-exporter Prometheus dump ('-': standard input)", ""},
         &R::file);
  add<R>(f,
         {"price_per_hour", "--price-per-hour", FieldKind::real, 0, 10000,
          "US dollars per GPU-hour (required), e.g. 2.49", ""},
         &R::price_per_hour_usd);
  add<R>(f,
         {"threshold", "--threshold", FieldKind::real, 0, 100,
          "A sample is idle below this utilization, in percent (default 5)", ""},
         &R::threshold_pct);
  add<R>(f,
         {"max_gap", "--max-gap", kDuration, 1e-3, kYearS,
          "Longer gaps between samples count as no data, e.g. 10m (default: 5m or 3 x the median interval, "
          "whichever is larger)",
          ""},
         &R::max_gap_s);
  add<R>(
      f,
      {"interval", "--interval", kDuration, 1e-3, kYearS,
       "Time between scrapes of a DCGM dump without timestamps (default 30s: dcgm-exporter collects every 30 s)", ""},
      &R::interval_s);
  add<R>(f, {"format", "--format", kText, 0, 0, "auto (default), nvidia-smi or dcgm", ""}, &R::format);
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
const std::vector<Field<TrainRequest>>& train_fields() {
  static const auto fields = make_train_fields();
  return fields;
}
const std::vector<Field<InspectRequest>>& inspect_fields() {
  static const auto fields = make_inspect_fields();
  return fields;
}
const std::vector<Field<IdleRequest>>& idle_fields() {
  static const auto fields = make_idle_fields();
  return fields;
}

}  // namespace gpuplan::api
