// The field tables of train, inspect and idle (request_fields.cpp has the serving ones).
#include "field_table.hpp"
#include "gpuplan/api/requests.hpp"

namespace gpuplan::api {
namespace {

using namespace field_table;

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
         {"efficiency", "--efficiency", kReal, 0.01, 1,
          "Override the GEMM efficiency (fraction of dense peak, 0.01 to 1)", ""},
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
