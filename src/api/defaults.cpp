#include "gpuplan/api/defaults.hpp"

#include <cstdio>

namespace gpuplan::api::defaults {
namespace {

std::string num(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g%s%s", v, unit[0] != '\0' ? " " : "", unit);
  return buf;
}

std::vector<DefaultInfo> make_defaults() {
  return {
      {"fit.context", num(kInferenceContextTokens, "tokens"), "fit --context (inference)",
       "llama.cpp llama-server n_ctx default; capped at the model's context length"},
      {"fit.training_seq", num(kTrainingSeqTokens, "tokens"), "fit --context with a training --mode",
       "a common fine-tuning sequence length"},
      {"fit.batch", num(kBatch, "sequences"), "fit --batch", "one request"},
      {"ubatch", num(kUbatchTokens, "tokens"), "fit --ubatch", "llama.cpp n_ubatch default (common/common.h)"},
      {"kv_dtype", kKvDtype, "every --kv-dtype", "the engines' default KV-cache type"},
      {"quant", "the checkpoint's own format", "every --quant",
       "a file's stored format, or the catalog's weights_dtype (gpt-oss MXFP4, DeepSeek-V3 FP8); FP32 checkpoints "
       "serve in BF16, cards without BF16 (T4, V100) in FP16"},
      {"quant.qlora", kQloraQuant, "--mode qlora", "QLoRA's NF4 with double quantisation (Dettmers et al. 2023)"},
      {"runtime", "llama.cpp for GGUF types and Apple, vllm otherwise", "speed, cost, plan --runtime",
       "the engines people serve these formats with"},
      {"lora_rank", num(kLoraRank, ""), "fit --lora-rank", "torchtune LoRA recipes"},
      {"speed.prompt", num(kSpeedPromptTokens, "tokens"), "speed --prompt", "llama-bench pp512"},
      {"speed.output", num(kSpeedOutputTokens, "tokens"), "speed --output", "llama-bench tg128"},
      {"speed.host_memory_bandwidth", num(kHostMemoryBandwidthBytesPerS / 1e9, "GB/s"), "speed -ngl below all layers",
       "dual-channel DDR5-5600 (89.6 GB/s peak)"},
      {"serve.context", num(kServeContextTokens, "tokens"), "plan, cost --context",
       "the longest request a deployment accepts; capped at the model's context length"},
      {"serve.prompt", num(kServePromptTokens, "tokens"), "plan, cost --prompt", "a chat turn with its history"},
      {"serve.output", num(kServeOutputTokens, "tokens"), "plan, cost --output", "a chat answer"},
      {"serve.prompt_share", num(kServePromptShareOfContext, ""), "plan, cost with a short --context",
       "prompt = 80 % and output = 20 % of a context shorter than 1000 + 200"},
      {"serve.users", num(kServeUsers, "requests"), "plan --users", "peak requests in flight"},
      {"serve.peak_over_average", num(gpuplan::kPeakOverAverageInFlight, "x"), "cost without --users",
       "peak requests in flight = 2 x the average (Little's law on the monthly volume)"},
      {"serve.ttft", num(kServeTtftS, "s"), "plan, cost --ttft", "an interactive chat"},
      {"serve.tpot", num(kServeTpotS * 1e3, "ms"), "plan, cost --tpot", "20 tokens/s, faster than reading"},
      {"serve.max_gpus", num(kServeMaxGpus, "GPUs"), "plan --max-gpus (serving)", "a serving fleet"},
      {"train.seq", num(kTrainSeqTokens, "tokens"), "train, plan --seq", "Llama 3 pre-training"},
      {"train.global_batch_tokens", num(kGlobalBatchTokens, "tokens"), "train, plan --global-batch-tokens",
       "Llama 3 pre-training started at 4M tokens per step"},
      {"train.max_gpus", num(kTrainMaxGpus, "GPUs"), "train, plan --max-gpus (datacenter cards)",
       "a large training job; one node for consumer and workstation cards"},
      {"train.gpus_per_node", num(kGpusPerNode, "GPUs"), "train, plan --gpus-per-node", "HGX/DGX nodes"},
      {"train.network", kNetwork, "train, plan --network", "InfiniBand NDR 400 Gb/s per GPU"},
      {"train.framework", kFramework, "train, plan --framework", "megatron to pre-train, fsdp to fine-tune"},
      {"train.gpu", kTrainGpu, "train without --gpu", "the commonest training card"},
      {"train.deadline.pretrain", num(kPretrainDeadlineDays, "days"), "train, plan --deadline",
       "without a deadline the cheapest run can take years"},
      {"train.deadline.finetune", num(kFinetuneDeadlineDays, "days"), "train, plan --deadline (fine-tuning)",
       "a fine-tuning job"},
      {"train.headroom", num(kMemoryHeadroom * 100, "%"), "train --headroom",
       "allocator fragmentation and NCCL buffers"},
      {"cost.years", num(kOwnYears, "years"), "cost, plan --years", "straight-line amortisation of owned cards"},
      {"cost.home_pue", num(kHomePue, ""), "cost --gpu <consumer card> without --pue or --hosting-per-kw-month",
       "a card at home or in an office: power at the wall, no data-centre cooling (PUE is a facility's ratio)"},
      {"cost.capex_extra", num(kCapexExtraUsdPerGpu, "USD"), "cost --capex-extra",
       "no host server or network share unless given"},
      {"idle.threshold", num(kIdleThresholdPct, "%"), "idle --threshold",
       "nvidia-smi utilization.gpu is the share of the sample period a kernel ran; below 5 % the card does no "
       "useful work (gpuplan's choice)"},
      {"idle.interval", num(kIdleScrapeIntervalS, "s"), "idle --interval (DCGM dumps without timestamps)",
       "dcgm-exporter --collect-interval default, 30000 ms"},
      {"idle.max_gap", "max(" + num(kIdleMinMaxGapS / 60, "min") + ", 3 x the median interval)", "idle --max-gap",
       "a missed scrape or two is still covered; a longer gap (a node down, the logger stopped) is no data"},
      {"idle.format", kIdleFormat, "idle --format", "nvidia-smi CSV or DCGM-exporter text, told from the first lines"},
      {"train.own_utilization", num(kOwnTrainingUtilization, ""), "plan (training, owned cards)",
       "owned cards busy half their life"},
      {"plan.top", num(kPlanCandidatesInJson, ""), "plan --top (--json's candidates)",
       "enough rows for a table or a DataFrame without a multi-megabyte document; --csv lists all"},
  };
}

}  // namespace

const std::vector<DefaultInfo>& describe_defaults() {
  static const std::vector<DefaultInfo> all = make_defaults();
  return all;
}

}  // namespace gpuplan::api::defaults
