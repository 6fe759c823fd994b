// Training at scale: parallel layouts (tensor, pipeline, data, expert, context; ZeRO/FSDP),
// per-GPU memory, step time from compute plus the communication that is not hidden, and the
// time, energy and cost of a run. Formulas: Narayanan et al. 2021 (Megatron-LM: 6N FLOPs per
// token, 8N with full recomputation, pipeline bubble (p-1)/(v m), tensor-parallel all-reduces),
// Korthikanti et al. 2022 (activation memory with sequence parallelism and recomputation),
// Rajbhandari et al. 2020 (ZeRO stages). Collectives use alpha-beta ring models.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "gpuplan/codes.hpp"
#include "gpuplan/scenario.hpp"
#include "gpuplan/search_budget.hpp"

namespace gpuplan {

struct Link {
  double bytes_per_s = 0;  // per GPU, per direction, the link's rate
  double latency_s = 0;    // per message
  // Achieved NCCL bus bandwidth over the link rate for large collectives (nccl-tests busbw /
  // rate); data/links.json carries the measurement and its source.
  double bus_efficiency = 1;
};

struct Cluster {
  double gpus = 1;
  double gpus_per_node = 8;
  Link intra;                       // inside a node (NVLink, Infinity Fabric, PCIe)
  Link inter;                       // between nodes (InfiniBand, RoCE, Ethernet)
  double peak_flops = 0;            // dense, training dtype
  double compute_efficiency = 0.6;  // achievable fraction of dense peak in the GEMMs
  double attention_efficiency = 0;  // fused (flash) attention core's fraction of dense peak; 0 = as the GEMMs
  // Peak the attention core runs at when it differs from the GEMMs' (FP8 GEMMs: attention stays
  // BF16); 0 = peak_flops. With it set, attention_efficiency applies to it, fused or not.
  double attention_peak_flops = 0;
  double memory_bytes_per_s = 0;  // HBM bandwidth per GPU for the memory-bound ops; 0 = not modelled
  double memory_bytes = 0;        // usable per GPU
  double tdp_w = 0;
};

struct Layout {
  double tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  double vpp = 1;          // interleaved (virtual) pipeline stages per GPU
  int zero = 0;            // 0-3; 3 = FSDP full sharding
  double micro_batch = 1;  // sequences per micro-batch
  Recompute recompute = Recompute::none;
  // Sequence parallelism (Korthikanti et al. 2022): norms, dropout and residual adds sharded over
  // the tensor-parallel ranks (all-reduces become reduce-scatter + all-gather, same bytes).
  // false: plain tensor parallelism, those ops and their activations replicated on every rank.
  bool sequence_parallel = true;
};
std::string to_string(const Layout& l);

struct TrainJob {
  double tokens = 0;  // tokens to train on (dataset x epochs)
  double seq = 4096;
  double global_batch_seqs = 0;        // sequences per optimizer step
  bool allow_uneven_pipeline = false;  // a given layout may put ceil(L/pp) layers on a stage (Llama 3: 126 on 16)
  // Fused (flash) attention: scores never leave the chip. false: the score matrix is written,
  // softmaxed and dropped out in HBM (Megatron-LM in 2022), which costs memory time and activations.
  bool fused_attention = true;
  // Gradient reduction overlapped with the backward pass (PyTorch DDP/FSDP buckets, DeepSpeed,
  // Megatron-core --overlap-grad-reduce). false: all-reduced after the last micro-batch, as
  // Megatron-LM's local DDP did in 2021-22 (training.py: allreduce_gradients() after
  // forward_backward_func).
  bool overlap_grad_reduce = true;
  double grad_reduce_bytes = 2;  // per element: 2 for bf16/fp16 buckets, 4 for fp32 (Megatron bf16 default)
};

// Everything about the model that the layout does not change, computed once for a search.
struct TrainModel {
  Scenario base;  // model, precision, workload knobs (optimizer, mode, offload)
  double params = 0;
  double weights_bytes = 0;    // whole model in its stored precision
  double expert_fraction = 0;  // share of weights in routed experts
  double gradients_bytes = 0;  // whole model
  double optimizer_bytes = 0;  // whole model (0 when offloaded)
  double host_bytes = 0;
  double adapter_bytes = 0;
  double overhead_bytes = 0;
  double model_flops_per_token = 0;                  // 6 x matmul params + attention (Megatron convention)
  double attention_fwd_flops_per_token = 0;          // at the job's sequence length
  double head_flops_per_token = 0;                   // LM head, forward + backward (not recomputed)
  double activation_bytes_per_token[3] = {0, 0, 0};  // none / selective / full recompute, incl. logits
  double replicated_activation_bytes_per_token[3] = {0, 0,
                                                     0};  // the part not sharded by tp without sequence parallelism
  // Memory-bound (elementwise) traffic of one layer's forward pass per token, in bytes, by how it
  // shards: hidden-sized ops (norms, residual adds, dropout; over tp only with sequence
  // parallelism), the MLP activation function (over tp), the attention scores (over tp; 0 when fused).
  double elementwise_hidden_bytes = 0, elementwise_mlp_bytes = 0, elementwise_scores_bytes = 0;
  double hidden = 0, layers = 0, heads = 0, kv_heads = 0, experts = 0, experts_per_token = 0;
  double kv_width = 0;   // K+V elements per token per layer as attention reads them (attention_kv_width)
  double mlp_width = 0;  // MLP width per token per layer (active_mlp_width: active and shared experts)
  double seq = 0;        // the job's sequence length
  double trainable_params = 0;
};
TrainModel prepare_train_model(const Scenario& base, const TrainJob& job);

struct TrainEstimate {
  bool valid = false;
  std::optional<RejectReason> rejected;  // the first rule that failed, when not valid
  double memory_bytes = 0;               // per GPU
  double weights_bytes = 0, gradients_bytes = 0, optimizer_bytes = 0, activations_bytes = 0;
  double micro_batches = 0;  // per optimizer step, per pipeline
  double step_s = 0;
  double compute_s = 0;      // GEMMs plus memory-bound ops, busiest stage
  double elementwise_s = 0;  // the memory-bound part of compute_s
  double optimizer_s = 0;    // the optimizer step: HBM traffic over this GPU's weights, gradients and states
  double bubble_s = 0, tp_s = 0, pp_s = 0, dp_s = 0, cp_s = 0, ep_s = 0;
  double comm_fraction = 0;  // exposed communication / step
  double tokens_per_step = 0;
  double tokens_per_s = 0;
  double mfu = 0;  // model FLOPs / (time x GPUs x dense peak)
  double steps = 0;
  double wall_s = 0;
  double gpu_hours = 0;
};

// The rules a layout must obey, one function each; nullopt when it holds.
using LayoutRule = std::optional<RejectReason>;
LayoutRule rule_gpu_count(const Layout& l, const Cluster& c);
LayoutRule rule_tp_divides_heads(const Layout& l, const TrainModel& m);
LayoutRule rule_tp_within_node(const Layout& l, const Cluster& c);
LayoutRule rule_pp_divides_layers(const Layout& l, const TrainModel& m);
LayoutRule rule_ep_divides_experts(const Layout& l, const TrainModel& m);
LayoutRule rule_cp_divides_sequence(const Layout& l, const TrainJob& j);
LayoutRule rule_batch_divides(const Layout& l, const TrainJob& j);
LayoutRule rule_memory_fits(const TrainEstimate& e, const Cluster& c);

TrainEstimate evaluate_layout(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c);

struct SearchLimits {
  double max_gpus = 1;
  double min_gpus = 1;
  double deadline_s = 0;  // 0 = none
  double budget_usd = 0;  // 0 = none
  double usd_per_gpu_hour = 0;
  bool fixed_gpus = false;  // only exactly max_gpus
  SearchBudget work;        // layouts evaluated at most, and a cancellation flag
};

struct SearchResult {
  bool found = false;
  Layout fastest, cheapest;
  TrainEstimate fastest_estimate, cheapest_estimate;
  double gpus_fastest = 0, gpus_cheapest = 0;
  double evaluated = 0;
  double fully_evaluated = 0;                 // passed the layout rules: memory, step time and cost computed
  std::vector<RejectCount> rejected;          // layouts per rule that rejected them, commonest first
  SearchStop stopped = SearchStop::complete;  // else the best of the layouts evaluated before it stopped
};
// Enumerates GPU counts (powers of two, nodes first) x layouts; keeps the valid ones that meet the
// deadline and budget; returns the fastest and the cheapest.
SearchResult search_layouts(const TrainModel& m, const TrainJob& job, Cluster c, const SearchLimits& limits);

}  // namespace gpuplan
