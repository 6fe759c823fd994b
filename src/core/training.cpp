#include "gpuplan/training.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "gpuplan/memory.hpp"
#include "gpuplan/model.hpp"

namespace gpuplan {
namespace {

// Ring all-reduce of `bytes` over n ranks (alpha-beta): 2(n-1)/n x bytes / bandwidth + 2(n-1) x latency.
double all_reduce_s(double n, double bytes, const Link& link) {
  if (n <= 1) return 0;
  return 2.0 * (n - 1) / n * bytes / link.bytes_per_s + 2.0 * (n - 1) * link.latency_s;
}
// All-gather or reduce-scatter: half an all-reduce.
double all_gather_s(double n, double bytes, const Link& link) {
  if (n <= 1) return 0;
  return (n - 1) / n * bytes / link.bytes_per_s + (n - 1) * link.latency_s;
}
bool divides(double whole, double part) {
  return part >= 1 && std::fmod(whole, part) == 0;
}

// Memory-bound kernels reach a share of HBM bandwidth that grows with the tensor they stream:
// 0.6 at 1 MB, 0.75 at 10 MB, 0.9 at 100 MB and above (calculon-ai/calculon examples/a100.json,
// mem1 MB_efficiency; Calculon steps between the points, here log-linear between them).
double hbm_efficiency(double op_bytes) {
  constexpr double kPoints[][2] = {{1e6, 0.6}, {1e7, 0.75}, {1e8, 0.9}};
  if (op_bytes <= kPoints[0][0]) return kPoints[0][1];
  for (int i = 1; i < 3; ++i) {
    if (op_bytes < kPoints[i][0]) {
      const double t = std::log(op_bytes / kPoints[i - 1][0]) / std::log(kPoints[i][0] / kPoints[i - 1][0]);
      return kPoints[i - 1][1] + t * (kPoints[i][1] - kPoints[i - 1][1]);
    }
  }
  return kPoints[2][1];
}

// A link at the bus bandwidth NCCL achieves on it (data/links.json bus_efficiency).
Link achieved(Link link) {
  link.bytes_per_s *= link.bus_efficiency > 0 ? link.bus_efficiency : 1.0;
  return link;
}

// The link a collective over `size` ranks spaced `stride` apart runs at. Inside a node: the
// intra-node link. Across nodes, NCCL runs one ring per NIC, so a group with r ranks on each node
// moves its inter-node traffic over r NICs at once: r x the per-GPU network rate, up to the
// intra-node link (nccl-tests busbw across nodes is the node's aggregate NIC rate: 85-96 GB/s
// for 4 x HDR 200 Gb/s per 8 A100s, NVIDIA/nccl-tests issue #119).
Link group_link(double stride, double size, double node, const Link& intra, const Link& inter) {
  if (stride * size <= node) return intra;
  const double ranks_per_node = std::clamp(std::floor(node / stride), 1.0, size);
  Link link = inter;
  link.bytes_per_s = std::min(intra.bytes_per_s, inter.bytes_per_s * ranks_per_node);
  return link;
}

}  // namespace

std::string to_string(const Layout& l) {
  std::string s = "tp=" + std::to_string(static_cast<long long>(l.tp)) +
                  ",pp=" + std::to_string(static_cast<long long>(l.pp)) +
                  ",dp=" + std::to_string(static_cast<long long>(l.dp));
  if (l.cp > 1) s += ",cp=" + std::to_string(static_cast<long long>(l.cp));
  if (l.ep > 1) s += ",ep=" + std::to_string(static_cast<long long>(l.ep));
  if (l.vpp > 1) s += ",vpp=" + std::to_string(static_cast<long long>(l.vpp));
  if (l.zero > 0) s += ",zero=" + std::to_string(l.zero);
  if (!l.sequence_parallel && l.tp > 1) s += ",sp=off";
  s += ",mb=" + std::to_string(static_cast<long long>(l.micro_batch));
  s += std::string(",recompute=") + to_string(l.recompute);
  return s;
}

TrainModel prepare_train_model(const Scenario& base, const TrainJob& job) {
  TrainModel m;
  m.base = base;
  m.base.gpus = 1;
  const ModelArch& a = base.arch;
  const ParamCounts p = count_params(a);
  m.params = p.total;
  m.hidden = a.hidden_size;
  m.layers = a.num_layers;
  m.heads = a.num_heads;
  m.kv_heads = attention_kv_heads(a);
  m.experts = a.num_experts;
  m.experts_per_token = a.experts_per_token;
  m.kv_width = attention_kv_width(a);
  const WeightBytes wb = weight_bytes_breakdown(a, base.precision);
  m.weights_bytes = wb.total;
  m.expert_fraction = wb.total > 0 ? wb.routed_experts / wb.total : 0;
  const MemoryBreakdown whole = fixed_memory(m.base);
  m.gradients_bytes = whole.gradients_bytes;
  m.optimizer_bytes = whole.optimizer_bytes;
  m.host_bytes = whole.host_bytes;
  m.adapter_bytes = whole.adapter_bytes;
  m.overhead_bytes = whole.overhead_bytes;
  m.trainable_params = trainable_params(m.base);
  // Model FLOPs per token (Narayanan et al. 2021): 6 x matmul parameters (active experts, LM
  // head, no embedding gather) + 12 x layers x heads x head_dim x sequence for attention.
  const double matmul = p.active - p.vision - p.embedding + (a.tie_word_embeddings ? a.vocab_size * a.hidden_size : 0);
  m.attention_fwd_flops_per_token = 2.0 * a.num_layers * a.num_heads * attention_head_dims(a) * job.seq;
  const bool adapters = base.workload.mode == Mode::lora || base.workload.mode == Mode::qlora;
  // LoRA/QLoRA: no weight gradients for the frozen base (backward = 1x forward for inputs only).
  const double passes = adapters ? 4.0 : 6.0;
  m.model_flops_per_token = passes * matmul + 3.0 * m.attention_fwd_flops_per_token;
  m.head_flops_per_token = passes * a.vocab_size * a.hidden_size;
  const double act_bytes = 2.0;  // bf16 activations
  for (int r = 0; r < 3; ++r) {
    Scenario s = m.base;
    s.workload.recompute = static_cast<Recompute>(r);
    s.workload.flash_attention = job.fused_attention;
    m.activation_bytes_per_token[r] = training_activations_bytes(s, job.seq, 1) / job.seq;
    // Without sequence parallelism the norm inputs, dropout masks and the inputs of the QKV and
    // MLP projections are kept whole on every rank: the 10sbh of Korthikanti et al. 2022's
    // sbh(10 + 24/t + 5as/ht); with full recomputation the layer input (2sbh) is.
    const double per_layer =
        static_cast<Recompute>(r) == Recompute::full ? act_bytes * a.hidden_size : 5.0 * act_bytes * a.hidden_size;
    m.replicated_activation_bytes_per_token[r] = std::min(a.num_layers * per_layer, m.activation_bytes_per_token[r]);
  }
  // Memory-bound ops of one layer's forward pass (Megatron-LM GPT layer): two norms (read h, write
  // h), two residual adds with dropout (read 2h, write h, 1-byte mask), the MLP activation (plain:
  // read and write the width; gated: read two, write one), and, unfused, the score matrix: scale +
  // mask + softmax (read, write) and dropout (read, write, 1-byte mask) on heads x seq per token.
  const double gated = a.mlp == MlpKind::gated ? 3.0 : 2.0;
  m.elementwise_hidden_bytes = act_bytes * 11.0 * a.hidden_size;
  m.elementwise_mlp_bytes = act_bytes * gated * active_mlp_width(a);
  m.mlp_width = active_mlp_width(a);
  m.seq = job.seq;
  m.elementwise_scores_bytes = job.fused_attention ? 0 : act_bytes * 4.5 * a.num_heads * job.seq;
  return m;
}

LayoutRule rule_gpu_count(const Layout& l, const Cluster& c) {
  if (l.tp * l.pp * l.dp * l.cp == c.gpus) return {};
  return RejectReason::gpu_count_mismatch;
}
LayoutRule rule_tp_divides_heads(const Layout& l, const TrainModel& m) {
  if (!divides(m.heads, l.tp)) return RejectReason::tp_heads;
  if (!divides(m.kv_heads, l.tp) && !divides(l.tp, m.kv_heads)) return RejectReason::tp_kv_heads;
  return {};
}
LayoutRule rule_tp_within_node(const Layout& l, const Cluster& c) {
  if (l.tp <= c.gpus_per_node) return {};
  return RejectReason::tp_crosses_nodes;
}
LayoutRule rule_pp_divides_layers(const Layout& l, const TrainModel& m) {
  if (divides(m.layers, l.pp * l.vpp)) return {};
  return RejectReason::pp_layers;
}
LayoutRule rule_ep_divides_experts(const Layout& l, const TrainModel& m) {
  if (l.ep <= 1) return {};
  if (m.experts <= 0) return RejectReason::ep_dense;
  if (!divides(m.experts, l.ep)) return RejectReason::ep_experts;
  // Expert ranks come from the data-parallel group, or, with Megatron-core's MoE parallel folding
  // (expert tensor parallelism 1), from tensor x data x context ranks.
  if (divides(l.dp * l.cp, l.ep) || divides(l.tp * l.dp * l.cp, l.ep)) return {};
  return RejectReason::ep_group;
}
LayoutRule rule_cp_divides_sequence(const Layout& l, const TrainJob& j) {
  if (divides(j.seq, 2 * l.cp) || l.cp == 1) return {};
  return RejectReason::cp_sequence;
}
LayoutRule rule_batch_divides(const Layout& l, const TrainJob& j) {
  if (divides(j.global_batch_seqs, l.dp * l.micro_batch)) return {};
  return RejectReason::batch_indivisible;
}
LayoutRule rule_memory_fits(const TrainEstimate& e, const Cluster& c) {
  if (e.memory_bytes <= c.memory_bytes) return {};
  return RejectReason::layout_does_not_fit;
}

namespace {

// HBM time of the memory-bound ops for `token_layers` (tokens x layers) on one GPU: forward, a
// backward that moves twice the forward's bytes, and the recomputed forward (all of it with full
// recomputation, the attention scores with selective). Each op streams a tensor of one
// micro-batch (`tokens_mb` tokens), whose size sets the share of HBM bandwidth it reaches.
double elementwise_s(const TrainModel& m, const Layout& l, double token_layers, double tokens_mb, const Cluster& c) {
  if (c.memory_bytes_per_s <= 0) return 0;
  const bool full = l.recompute == Recompute::full;
  const double passes = full ? 4.0 : 3.0;
  const double score_passes = l.recompute == Recompute::none ? 3.0 : 4.0;
  const double hidden_shards = l.sequence_parallel ? l.tp : 1.0;
  // Per-token bytes / efficiency at the size of one op's tensor (bf16 activations).
  const auto weighted = [&](double bytes_per_token, double elements_per_token, double shards) {
    if (bytes_per_token <= 0) return 0.0;
    return bytes_per_token / shards / hbm_efficiency(tokens_mb * elements_per_token * 2.0 / shards);
  };
  const double per_token_layer = passes * (weighted(m.elementwise_hidden_bytes, m.hidden, hidden_shards) +
                                           weighted(m.elementwise_mlp_bytes, m.mlp_width, l.tp)) +
                                 score_passes * weighted(m.elementwise_scores_bytes, m.heads * m.seq, l.tp);
  return token_layers * per_token_layer / c.memory_bytes_per_s;
}

}  // namespace

namespace {

// The rules checked before any arithmetic, in order; the first that fails.
LayoutRule first_failed_rule(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c) {
  const LayoutRule pp_rule = !job.allow_uneven_pipeline ? rule_pp_divides_layers(l, m)
                             : l.pp * l.vpp <= m.layers ? LayoutRule{}
                                                        : LayoutRule{RejectReason::pp_more_than_layers};
  for (const LayoutRule& why :
       {rule_gpu_count(l, c), rule_tp_divides_heads(l, m), rule_tp_within_node(l, c), pp_rule,
        rule_ep_divides_experts(l, m), rule_cp_divides_sequence(l, job), rule_batch_divides(l, job)}) {
    if (why) return why;
  }
  return {};
}

// How a layout shares the model and the work out over one GPU.
struct LayoutShare {
  double mp = 1;            // tp x pp: the ranks each model state is split over
  bool folded_ep = false;   // ep does not divide dp x cp: experts whole on each of their ranks, not split by tp
  double expert_share = 1;  // of the weights, what this GPU's expert ranks hold
  double dp_shard = 1;      // ZeRO shards across the data-parallel (and context) ranks
  double tokens_mb = 0;     // tokens of one micro-batch on one GPU
  double layers_here = 0;   // layers of the busiest pipeline stage
  double flops_per_s = 0;   // achieved GEMM FLOP/s
};

LayoutShare layout_share(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c) {
  LayoutShare s;
  s.mp = l.tp * l.pp;
  s.folded_ep = l.ep > 1 && !divides(l.dp * l.cp, l.ep);
  s.expert_share = m.expert_fraction / l.ep * (s.folded_ep ? l.tp : 1.0) + (1 - m.expert_fraction);
  s.dp_shard = l.dp * l.cp;
  s.tokens_mb = l.micro_batch * job.seq / l.cp;
  s.layers_here = std::ceil(m.layers / l.pp);
  s.flops_per_s = c.peak_flops * c.compute_efficiency;
  return s;
}

// Memory per GPU: model states sharded by tp x pp (experts also by ep), ZeRO shards over dp.
// 1F1B: the first stage holds pp micro-batches of its layers = one micro-batch of all layers.
void layout_memory(const TrainModel& m, const Layout& l, const LayoutShare& s, TrainEstimate& e) {
  e.weights_bytes = m.weights_bytes * s.expert_share / s.mp / (l.zero >= 3 ? s.dp_shard : 1);
  e.gradients_bytes = m.gradients_bytes * s.expert_share / s.mp / (l.zero >= 2 ? s.dp_shard : 1);
  e.optimizer_bytes = m.optimizer_bytes * s.expert_share / s.mp / (l.zero >= 1 ? s.dp_shard : 1);
  const int rc = static_cast<int>(l.recompute);
  const double replicated = l.sequence_parallel ? 0 : m.replicated_activation_bytes_per_token[rc];
  e.activations_bytes = s.tokens_mb * ((m.activation_bytes_per_token[rc] - replicated) / l.tp + replicated);
  e.memory_bytes = e.weights_bytes + e.gradients_bytes + e.optimizer_bytes + e.activations_bytes +
                   m.adapter_bytes / s.mp + m.overhead_bytes;
}

// Compute of the busiest stage per step, its memory-bound part, and the pipeline bubble.
void layout_compute(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c, const LayoutShare& s,
                    TrainEstimate& e) {
  e.tokens_per_step = job.global_batch_seqs * job.seq;
  e.micro_batches = job.global_batch_seqs / (l.dp * l.micro_batch);
  // Compute: model FLOPs plus recomputation (full: one more forward of the layers, not of the LM
  // head, so 8N per token for the layers; selective: the attention core's forward).
  double hw_flops_per_token = m.model_flops_per_token;
  if (l.recompute == Recompute::full) hw_flops_per_token += (m.model_flops_per_token - m.head_flops_per_token) / 3.0;
  if (l.recompute == Recompute::selective) hw_flops_per_token += m.attention_fwd_flops_per_token;
  // A fused attention kernel runs at its own efficiency; unfused, its batched GEMMs run as GEMMs.
  double attention_flops = 3.0 * m.attention_fwd_flops_per_token;
  if (l.recompute != Recompute::none) attention_flops += m.attention_fwd_flops_per_token;
  double attention_slowdown = 0;  // extra GEMM-equivalent FLOPs per attention FLOP
  if (c.attention_peak_flops > 0 || (job.fused_attention && c.attention_efficiency > 0)) {
    const double attention_flops_per_s = (c.attention_peak_flops > 0 ? c.attention_peak_flops : c.peak_flops) *
                                         (c.attention_efficiency > 0 ? c.attention_efficiency : c.compute_efficiency);
    attention_slowdown = s.flops_per_s / attention_flops_per_s - 1.0;
  }
  // The busiest pipeline stage sets the pace: ceil(L/pp) layers, or the last stage's layers plus
  // the LM head and loss, which Megatron-LM runs there (Narayanan et al. 2021).
  const double last_layers = std::max(0.0, m.layers - (l.pp - 1) * s.layers_here);
  const double layer_flops =
      (hw_flops_per_token - m.head_flops_per_token + attention_slowdown * attention_flops) / m.layers;
  const double stage_flops = std::max(s.layers_here * layer_flops, last_layers * layer_flops + m.head_flops_per_token);
  const double tokens_per_pipeline = e.tokens_per_step / (l.dp * l.cp);  // through this pipeline, per step
  e.compute_s = tokens_per_pipeline * stage_flops / l.tp / s.flops_per_s;
  e.elementwise_s = elementwise_s(m, l, tokens_per_pipeline * s.layers_here, s.tokens_mb, c);
  e.compute_s += e.elementwise_s;
  e.bubble_s = e.compute_s * (l.pp - 1) / (l.vpp * e.micro_batches);
}

// Tensor parallel: 2 all-reduces forward, 2 backward per layer (+2 with full recomputation).
// Sequence parallelism turns each into a reduce-scatter + all-gather (same bytes) and, without
// full recomputation, re-gathers the inputs of the two column-parallel GEMMs in the backward
// instead of storing them: one all-reduce's worth more (Korthikanti et al. 2022; Calculon's
// seq_par_ag_redo in calculon-ai/calculon validation/*_seqsel.json). Pipeline: activations
// (scattered over tp) cross each stage boundary forward and backward.
void model_parallel_comm(const Layout& l, const Cluster& c, const LayoutShare& s, double act_bytes, TrainEstimate& e) {
  const Link intra = achieved(c.intra);
  const Link inter = achieved(c.inter);
  const Link& pp_link = l.tp * l.cp * l.pp <= c.gpus_per_node ? intra : inter;
  double tp_all_reduces = l.recompute == Recompute::full ? 6.0 : 4.0;
  if (l.sequence_parallel && l.recompute != Recompute::full && l.tp > 1) tp_all_reduces += 1.0;
  const double tp_per_layer = tp_all_reduces * all_reduce_s(l.tp, act_bytes, intra);
  e.tp_s = e.micro_batches * s.layers_here * tp_per_layer;
  if (l.pp > 1) {
    const double hop = pp_link.latency_s + act_bytes / l.tp / pp_link.bytes_per_s;
    e.pp_s = 2.0 * (e.micro_batches + l.pp - 1) * hop * l.vpp;
  }
}

// Data parallel: gradients reduced once per step; overlapped, only the last micro-batch's
// backward hides it; not overlapped, all of it is exposed. Context parallel (ring attention): KV
// blocks circulate, hidden behind attention compute. Expert parallel: dispatch and combine
// all-to-alls, forward and backward, per MoE layer.
void data_parallel_comm(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c,
                        const LayoutShare& s, double act_bytes, TrainEstimate& e) {
  const double node = c.gpus_per_node;
  const Link intra = achieved(c.intra);
  const Link inter = achieved(c.inter);
  const Link dp_link = group_link(l.tp * l.cp * l.pp, l.dp, node, intra, inter);
  const Link cp_link = group_link(l.tp, l.cp, node, intra, inter);
  const Link ep_link = group_link(s.folded_ep ? 1.0 : l.tp, l.ep, node, intra, inter);
  const double compute_per_mb = e.compute_s / e.micro_batches;
  const double grad_bytes_gpu = m.trainable_params * s.expert_share / s.mp * job.grad_reduce_bytes;
  double dp_comm = all_reduce_s(l.dp * l.cp, grad_bytes_gpu, dp_link);
  if (l.zero >= 3) dp_comm += 2.0 * all_gather_s(l.dp * l.cp, e.weights_bytes * l.dp * l.cp, dp_link) * e.micro_batches;
  e.dp_s = job.overlap_grad_reduce ? std::max(0.0, dp_comm - compute_per_mb * 2.0 / 3.0) : dp_comm;
  if (l.cp > 1) {
    const double kv_bytes = s.tokens_mb * m.kv_width * 2.0 / l.tp;
    const double ring = 3.0 * (l.cp - 1) * (cp_link.latency_s + kv_bytes / cp_link.bytes_per_s) * s.layers_here;
    const double attention =
        s.tokens_mb * 3.0 * m.attention_fwd_flops_per_token / l.tp / m.layers * s.layers_here / s.flops_per_s;
    e.cp_s = e.micro_batches * std::max(0.0, ring - attention);
  }
  if (l.ep > 1) {
    const double a2a = (l.ep - 1) / l.ep * act_bytes * m.experts_per_token / ep_link.bytes_per_s + ep_link.latency_s;
    e.ep_s = e.micro_batches * s.layers_here * 4.0 * a2a;
  }
}

// The optimizer step (memory-bound, once per step: read and write the states and the weights,
// read the gradients, over the shard this GPU updates), then the step and the run.
void layout_totals(const TrainModel& m, const TrainJob& job, const Cluster& c, TrainEstimate& e) {
  if (c.memory_bytes_per_s > 0) {
    e.optimizer_s = (2.0 * e.optimizer_bytes + e.gradients_bytes + 2.0 * e.weights_bytes) /
                    (c.memory_bytes_per_s * hbm_efficiency(e.optimizer_bytes));
  }
  const double comm = e.tp_s + e.pp_s + e.dp_s + e.cp_s + e.ep_s;
  e.step_s = e.compute_s + e.bubble_s + e.optimizer_s + comm;
  e.comm_fraction = comm / e.step_s;
  e.tokens_per_s = e.tokens_per_step / e.step_s;
  e.mfu = e.tokens_per_s * m.model_flops_per_token / (c.gpus * c.peak_flops);
  e.steps = std::ceil(job.tokens / e.tokens_per_step);
  e.wall_s = e.steps * e.step_s;
  e.gpu_hours = e.wall_s * c.gpus / 3600.0;
}

}  // namespace

TrainEstimate evaluate_layout(const TrainModel& m, const Layout& l, const TrainJob& job, const Cluster& c) {
  TrainEstimate e;
  if (const LayoutRule why = first_failed_rule(m, l, job, c)) {
    e.rejected = why;
    return e;
  }
  const LayoutShare share = layout_share(m, l, job, c);
  layout_memory(m, l, share, e);
  if (const LayoutRule why = rule_memory_fits(e, c)) {
    e.rejected = why;
    return e;
  }
  layout_compute(m, l, job, c, share, e);
  const double act_bytes = share.tokens_mb * m.hidden * 2.0;  // bf16 activations of one micro-batch
  model_parallel_comm(l, c, share, act_bytes, e);
  data_parallel_comm(m, l, job, c, share, act_bytes, e);
  layout_totals(m, job, c, e);
  e.valid = true;
  return e;
}

namespace {

std::vector<double> divisors_up_to(double n, double cap) {
  std::vector<double> out;
  for (double d = 1; d <= std::min(n, cap); ++d) {
    if (std::fmod(n, d) == 0) out.push_back(d);
  }
  return out;
}

std::vector<double> powers_of_two_up_to(double cap) {
  std::vector<double> out;
  for (double v = 1; v <= cap; v *= 2) out.push_back(v);
  return out;
}

}  // namespace

SearchResult search_layouts(const TrainModel& m, const TrainJob& job, Cluster c, const SearchLimits& limits) {
  SearchResult r;
  std::map<RejectReason, double> rejected;
  const auto tps = powers_of_two_up_to(c.gpus_per_node);
  const auto pps = divisors_up_to(m.layers, 64);
  const std::vector<double> cps = job.seq >= 32768 ? std::vector<double>{1, 2, 4, 8, 16} : std::vector<double>{1};
  const std::vector<double> eps =
      m.experts > 0 ? powers_of_two_up_to(std::min(m.experts, 64.0)) : std::vector<double>{1};
  const double mbs[] = {1, 2, 4, 8};
  const double vpps[] = {1, 2, 4};
  const Recompute recomputes[] = {Recompute::none, Recompute::selective, Recompute::full};
  const double first = limits.fixed_gpus ? limits.max_gpus : std::max(1.0, limits.min_gpus);
  SearchStopper stopper(limits.work);
  [&] {  // returns at once when the work budget is spent or the caller cancels
    for (double gpus = first; gpus <= limits.max_gpus; gpus *= 2) {
      c.gpus = gpus;
      for (double tp : tps) {
        for (double pp : pps) {
          for (double cp : cps) {
            const double rest = gpus / (tp * pp * cp);
            if (rest < 1 || std::floor(rest) != rest) continue;
            for (double ep : eps) {
              for (double vpp : vpps) {
                if (vpp > 1 && pp == 1) continue;
                for (int zero = 0; zero <= 3; ++zero) {
                  for (double mb : mbs) {
                    for (Recompute rc : recomputes) {
                      if (stopper.stop(r.evaluated)) return;
                      const Layout l{tp, pp, rest, cp, ep, vpp, zero, mb, rc};
                      const TrainEstimate e = evaluate_layout(m, l, job, c);
                      ++r.evaluated;
                      if (e.valid || e.rejected == RejectReason::layout_does_not_fit) ++r.fully_evaluated;
                      if (!e.valid) {
                        rejected[*e.rejected] += 1;
                        continue;
                      }
                      const double cost = e.gpu_hours * limits.usd_per_gpu_hour;
                      if (limits.deadline_s > 0 && e.wall_s > limits.deadline_s) {
                        rejected[RejectReason::misses_deadline] += 1;
                        continue;
                      }
                      if (limits.budget_usd > 0 && cost > limits.budget_usd) {
                        rejected[RejectReason::over_budget] += 1;
                        continue;
                      }
                      if (!r.found || e.wall_s < r.fastest_estimate.wall_s) {
                        r.fastest = l;
                        r.fastest_estimate = e;
                        r.gpus_fastest = gpus;
                      }
                      // Cheapest: GPU-hours in 10 % buckets, then fewer GPUs: one GPU or one machine
                      // before a cluster when the cost is about the same.
                      const auto bucket = [](double hours) { return std::floor(std::log(hours) / std::log(1.1)); };
                      const double b = bucket(e.gpu_hours),
                                   best_b = r.found ? bucket(r.cheapest_estimate.gpu_hours) : 0;
                      if (!r.found || b < best_b || (b == best_b && gpus < r.gpus_cheapest) ||
                          (b == best_b && gpus == r.gpus_cheapest && e.gpu_hours < r.cheapest_estimate.gpu_hours)) {
                        r.cheapest = l;
                        r.cheapest_estimate = e;
                        r.gpus_cheapest = gpus;
                      }
                      r.found = true;
                    }
                  }
                }
              }
            }
          }
        }
      }
      if (limits.fixed_gpus) break;
    }
  }();
  r.stopped = stopper.why();
  r.rejected = commonest_first(rejected);
  return r;
}

}  // namespace gpuplan
