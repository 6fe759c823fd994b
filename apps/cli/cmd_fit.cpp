// gpuplan fit: the memory breakdown of one scenario against one GPU, and what would make it fit.
#include <cstdio>

#include "commands.hpp"
#include "gpuplan/advice.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "options.hpp"

namespace gpuplan::cli {

void add_engine_options(CLI::App* cmd, FitOptions& o) {
  const char* group = "Engine (--runtime: memory as the engine allocates it)";
  cmd->add_option("--runtime,--engine", o.runtime,
                  "Serving engine: vllm (V1), vllm-v0, vllm-0.6.4, sglang, tensorrt-llm, llama.cpp, ollama, "
                  "transformers")
      ->group(group);
  cmd->add_option("--gpu-memory-utilization,--mem-fraction-static,--kv-cache-free-gpu-mem-fraction", o.memory_fraction,
                  "Paged engines: fraction of the card (vLLM 0.9, SGLang 0.79-0.88 by TP, TensorRT-LLM 0.9 of free)")
      ->group(group);
  cmd->add_option("--block-size", o.block_size, "KV block (page) size in tokens (vLLM 16, TensorRT-LLM 32)")
      ->group(group);
  cmd->add_option("--max-num-seqs", o.max_num_seqs, "vLLM: sequences in the profiling batch")->group(group);
  cmd->add_option("--max-num-batched-tokens", o.max_num_batched_tokens, "vLLM: tokens in the profiling batch")
      ->group(group);
  cmd->add_option("--tensor-parallel-size", o.tensor_parallel_size, "Ranks sharing weights and KV (same as --gpus)")
      ->group(group);
  cmd->add_flag("--enforce-eager", o.enforce_eager, "vLLM: no CUDA graphs")->group(group);
  cmd->add_option("--n-gpu-layers,--gpu-layers", o.n_gpu_layers,
                  "llama.cpp: layers offloaded to the GPU, or all (default: as many as fit, as --fit picks)")
      ->group(group);
  cmd->add_option("--batch-size", o.n_batch, "llama.cpp: logical batch n_batch (default 2048)")->group(group);
  cmd->add_option("--parallel", o.parallel, "llama.cpp: sequences sharing n_ctx (n_seq_max)")->group(group);
  cmd->add_option("--flash-attn", o.flash_attn, "on | off | auto (llama.cpp default auto = on for CUDA/Metal)")
      ->group(group);
  cmd->add_option("--split-mode", o.split_mode, "llama.cpp multi-GPU: layer (default), row or none")->group(group);
  cmd->add_option("--cache-type-k", o.cache_type_k, "llama.cpp K cache type: f16, q8_0, q4_0, ...")->group(group);
  cmd->add_option("--cache-type-v", o.cache_type_v, "llama.cpp V cache type (quantised V needs flash attention)")
      ->group(group);
}

void add_model_options(CLI::App* cmd, FitOptions& o) {
  cmd->add_option("model", o.model,
                  "Model: a catalog name or alias (gpuplan models, e.g. llama-3.1-8b), a folder with config.json "
                  "and *.safetensors, a config.json, .safetensors or .gguf file, or hf:org/name[@revision]");
  cmd->add_option("--params", o.params, "Only a size is known: e.g. 13B (a Llama-shaped architecture is assumed)");
  cmd->add_option("--gpu", o.gpu, "GPU name or alias (gpuplan gpus), e.g. rtx-4090, h100-sxm, m2-ultra");
  cmd->add_option("--gpus", o.gpus, "Number of GPUs sharing the model evenly (ideal split)")->capture_default_str();
  cmd->add_option("--gpu-memory", o.gpu_memory, "Override usable memory per GPU, e.g. 20GiB or 22GB");
  cmd->add_option("--quant,--precision,-q", o.quant,
                  "Weights precision: bf16, fp16, fp8, int8, gptq-int4, awq-int4, nf4, nf4-dq, mxfp4, "
                  "or a GGUF type (q8_0, q6_k, q5_k_m, q4_k_m, q3_k_m, q2_k, iq4_xs, ...). Default: bf16 "
                  "(nf4-dq for qlora)");
  cmd->add_option("--kv-dtype,--cache-type,--kv-cache-dtype", o.kv_dtype,
                  "KV-cache type: f16, bf16, fp8, q8_0, q4_0, f32")
      ->capture_default_str();
  cmd->add_flag("--no-flash-attention", o.no_flash_attention,
                "Attention scores are materialised (older runtimes, eager transformers)");
  cmd->add_option("--overhead", o.overhead, "Override the runtime overhead per GPU, e.g. 1GiB");
  cmd->add_flag("--json", o.json, "Print one JSON object (schema in README)");
}

std::function<int()> add_fit_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("fit", "Will it fit? Memory per GPU, itemised, with the verdict and the limits");
  auto opts = std::make_shared<FitOptions>();
  add_model_options(cmd, *opts);
  cmd->add_option("--context,--ctx,--seq,--max-model-len,-c", opts->context,
                  "Tokens per sequence (inference: prompt + output; training: sequence length), e.g. 8192, 32k. "
                  "Default 4096 for inference, 2048 for training (capped at the model's limit)");
  cmd->add_option("--batch,--micro-batch,-b", opts->batch,
                  "Concurrent sequences (inference) or micro-batch per GPU (training). Default 1");
  cmd->add_option("--mode,-m", opts->mode, "inference | full-finetune | lora | qlora | pretrain")
      ->capture_default_str();
  cmd->add_option("--ubatch,--ubatch-size,-u", opts->ubatch,
                  "Prefill chunk in tokens (llama.cpp n_ubatch). Default 512");
  add_engine_options(cmd, *opts);
  cmd->add_option("--optimizer", opts->optimizer,
                  "Training: adamw (default), adamw-8bit, sgd, sgd-momentum, adafactor, lion");
  cmd->add_option("--recompute", opts->recompute, "Training: activation recomputation none (default), selective, full");
  cmd->add_flag("--offload-optimizer", opts->offload_optimizer, "Training: optimizer states in CPU RAM");
  cmd->add_flag("--optimizer-in-backward", opts->optimizer_in_backward,
                "Training: apply and free each gradient during backward (torchtune optimizer_in_bwd)");
  cmd->add_flag("--no-master-weights", opts->no_master_weights,
                "Training: pure bf16 (no fp32 master copy; AdamW moments in bf16)");
  cmd->add_option("--lora-rank,-r", opts->lora_rank, "LoRA/QLoRA rank")->capture_default_str();
  cmd->add_option("--lora-targets", opts->lora_targets, "LoRA targets: all (linear layers) or attn")
      ->capture_default_str();
  cmd->add_option("--loss-chunks", opts->loss_chunks, "Training: cross-entropy in N chunks (torchtune: 8)")
      ->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  gpuplan fit llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4\n"
      "  gpuplan fit mistral-7b --gpu a100-80gb --mode full-finetune --seq 4096 --micro-batch 4\n"
      "  gpuplan fit qwen2.5-7b --gpu l4 --mode qlora\n"
      "  gpuplan fit --params 13B --gpu rtx-a6000 --quant fp16\n"
      "  gpuplan fit llama-3.1-8b --gpu m2-ultra --context 128k --json\n"
      "  gpuplan fit ./Qwen3-30B-A3B-Q4_K_M.gguf --gpu rtx-4090 --context 32k\n"
      "  gpuplan fit hf:Qwen/Qwen3-8B --gpu l4\n"
      "  gpuplan fit llama-3.1-8b --gpu rtx-3090 --runtime vllm --max-model-len 20000\n"
      "  gpuplan fit qwen3-30b-a3b --quant q4_k_m --gpu rtx-4070 --runtime llama.cpp --ctx 32768\n"
      "  gpuplan fit llama-3.1-70b --gpu h100-sxm --runtime sglang --tensor-parallel-size 2\n"
      "Exit status: 0 when estimated (fits or not; see 'fits' in --json), 2 on bad input.");
  return [cmd, opts, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto catalog = load_catalog(global.models_file, global.gpus_file);
    if (!catalog) {
      std::fprintf(stderr, "gpuplan: %s\n", catalog.error().message.c_str());
      return 2;
    }
    auto resolved = resolve_fit(catalog.value(), *opts);
    if (!resolved) {
      std::fprintf(stderr, "gpuplan fit: %s\n", resolved.error().message.c_str());
      return 2;
    }
    const Resolved& r = resolved.value();
    Resolved& rw = resolved.value();
    auto engine_ok = apply_engine_options(catalog.value(), *opts, rw);
    if (!engine_ok) {
      std::fprintf(stderr, "gpuplan fit: %s\n", engine_ok.error().message.c_str());
      return 2;
    }
    if (!r.warning.empty()) std::fprintf(stderr, "gpuplan fit: %s\n", r.warning.c_str());
    const Estimate e = estimate(r.scenario);
    // The generic advice speaks of the generic model: with an engine, only when it does not fit.
    const auto suggestions =
        e.has_engine && e.fits ? std::vector<FitSuggestion>{} : fit_suggestions(r.scenario, e, catalog.value().gpus);
    const io::FitReport report{r.model, r.architecture_assumed, r.gpu, r.scenario, e, suggestions};
    const std::string text = opts->json ? io::fit_json(report) + "\n" : io::fit_table(report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
