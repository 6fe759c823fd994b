// Training candidates: the cluster of a card, its training stack, and the layout search on it.
#include <algorithm>
#include <cmath>

#include "gpuplan/memory.hpp"
#include "gpuplan/plan.hpp"
#include "plan_rules.hpp"
#include "plan_text.hpp"

namespace gpuplan {

using plan_rules::because;
using plan_rules::CandidateRule;
using plan_rules::rejected;
using plan_rules::Rejection;
using plan_text::num;

Cluster training_cluster(const Gpu& gpu, const Catalog& catalog, const std::string& network, double gpus_per_node,
                         const std::string& framework, bool fp8) {
  Cluster c;
  c.gpus_per_node = gpus_per_node;
  c.peak_flops = gpu.dense_flops.bf16 > 0   ? gpu.dense_flops.bf16
                 : gpu.dense_flops.fp16 > 0 ? gpu.dense_flops.fp16
                                            : gpu.dense_flops.fp32;
  c.memory_bytes = usable_memory_bytes(gpu);
  c.tdp_w = gpu.tdp_w;
  c.memory_bytes_per_s = gpu.memory_bandwidth_bytes_per_s;  // memory-bound ops, as `gpuplan train`
  const Catalog::NamedLink* intra = intra_node_link(gpu, catalog);
  const Catalog::NamedLink* inter = find_link(catalog, network);
  if (intra != nullptr) c.intra = Link{intra->bytes_per_s, intra->latency_s, intra->bus_efficiency};
  if (inter != nullptr) c.inter = Link{inter->bytes_per_s, inter->latency_s, inter->bus_efficiency};
  c.compute_efficiency = 0.76;  // data/runtimes.json megatron-training, when the catalog lacks it
  const RuntimeModel* rt = training_runtime(catalog, framework);
  if (rt != nullptr) {
    c.compute_efficiency = rt->compute_efficiency_float;
    c.attention_efficiency = rt->attention_efficiency;
  }
  if (fp8 && gpu.dense_flops.fp8 > 0 && rt != nullptr) {  // FP8 GEMMs; attention stays BF16
    c.attention_peak_flops = c.peak_flops;
    if (c.attention_efficiency <= 0) c.attention_efficiency = c.compute_efficiency;
    c.peak_flops = gpu.dense_flops.fp8;
    c.compute_efficiency = rt->compute_efficiency_quant;
  }
  return c;
}

const RuntimeModel* training_runtime(const Catalog& catalog, const std::string& framework) {
  for (const auto& rt : catalog.runtimes) {
    if (rt.id == framework + "-training") return &rt;
  }
  return nullptr;
}

const std::vector<std::string>& training_frameworks() {
  static const std::vector<std::string> names = {"auto", "megatron", "fsdp"};
  return names;
}

std::string training_framework(const std::string& framework, Mode mode) {
  if (framework != "auto") return framework;
  return mode == Mode::pretrain ? "megatron" : "fsdp";
}

namespace {

// FP8 training: FP8 GEMMs, weights and optimizer states kept as in BF16 training.
bool trains_in_fp8(const Precision& p, Mode method) {
  return p.name == "fp8" && method != Mode::qlora && method != Mode::lora;
}

// The rules a card and precision must obey before the layout search, one after the other.
CandidateRule training_rules(const PlanRequest& r, const Gpu& gpu, const Precision& p, const Prices& prices) {
  const Mode method = r.train.method;
  const bool fp8 = trains_in_fp8(p, method);
  if (fp8 && gpu.dense_flops.fp8 <= 0) return because(RejectReason::no_fp8_tensor_cores, "no FP8 tensor cores");
  const bool quantised_base = p.kind != QuantKind::floating && !fp8;
  if (method == Mode::qlora && !quantised_base) return because(RejectReason::qlora_needs_quantised_base);
  if (method != Mode::qlora && quantised_base) {
    return because(RejectReason::quantised_base, p.name + " is quantised; this method trains in bf16");
  }
  if (gpu.vendor_kind == Vendor::apple || gpu.vendor_kind == Vendor::google) {
    return because(RejectReason::no_training_stack);
  }
  if (prices.rent_usd_per_gpu_hour <= 0 && prices.purchase_usd_per_gpu <= 0) return because(RejectReason::no_price);
  return plan_rules::rule_priced(prices, r.ownership);
}

// The scenario the layout search starts from: the model in its training precision on one card.
Scenario training_scenario(const PlanRequest& r, const Gpu& gpu, const Precision& p, bool fp8) {
  Scenario s = r.base;
  s.precision = fp8 ? find_precision("bf16").value() : p;
  s.measured_weights = {};
  s.workload.mode = r.train.method;
  s.workload.context = r.train.seq;
  s.workload.batch = 1;
  s.gpu_memory_bytes = usable_memory_bytes(gpu);
  s.gpus = 1;
  return s;
}

TrainJob training_job(const TrainWorkload& t) {
  TrainJob job;
  job.tokens = t.tokens;
  job.seq = t.seq;
  job.global_batch_seqs = std::max(1.0, std::round(t.global_batch_tokens / t.seq));
  return job;
}

// Price per GPU-hour: rent on demand, or owned cards (idle hours paid through the utilisation);
// sets the candidate's cost basis.
double training_usd_per_gpu_hour(const PlanRequest& r, PlanCandidate& c) {
  const double rent = c.prices.rent_usd_per_gpu_hour;
  const double own = c.prices.purchase_usd_per_gpu > 0 ? job_cost(1, c.prices, r.own_utilization).own_usd : 0;
  const bool use_own =
      r.ownership == Ownership::own || (r.ownership == Ownership::cheaper && own > 0 && (rent <= 0 || own < rent));
  c.cost_basis = use_own ? CostBasis::own : CostBasis::rent;
  return use_own ? own : rent;
}

SearchLimits training_limits(const PlanRequest& r, const Gpu& gpu, double usd_per_gpu_hour) {
  SearchLimits limits;
  limits.max_gpus = gpu.tier == Tier::datacenter ? r.filters.max_gpus : std::min(r.filters.max_gpus, r.gpus_per_node);
  limits.deadline_s = r.train.deadline_s;
  limits.budget_usd = r.train.budget_usd;
  limits.usd_per_gpu_hour = usd_per_gpu_hour;
  limits.work = r.work;  // the plan's search passes what is left of its budget
  return limits;
}

// Why no layout was found: the most telling reason, missing the deadline or budget before the layout rules.
Rejection no_layout(const SearchResult& found, const SearchLimits& limits) {
  RejectReason why = RejectReason::no_layout;
  if (!found.rejected.empty()) {
    why = found.rejected.front().reason;
    for (const RejectCount& n : found.rejected) {
      if (n.reason == RejectReason::misses_deadline || n.reason == RejectReason::over_budget) why = n.reason;
    }
  }
  return because(why, std::string(describe(why)) + " (" + num(found.evaluated, 0) + " layouts on up to " +
                          num(limits.max_gpus, 0) + " GPUs)");
}

// The candidate as the cheapest layout found.
void take_cheapest(PlanCandidate& c, const SearchResult& found, double usd_per_gpu_hour, double own_utilization) {
  c.train_layout = found.cheapest;
  c.train_estimate = found.cheapest_estimate;
  c.gpus = found.gpus_cheapest;
  c.fleet_gpus = c.gpus;
  c.batch = c.train_layout.micro_batch;
  c.layout = to_string(c.train_layout);
  c.split = c.train_layout.tp > 1 ? Split::tensor : Split::layer;
  c.memory_per_gpu_bytes = c.train_estimate.memory_bytes;
  c.fits = true;
  c.tokens_per_s = c.train_estimate.tokens_per_s;
  c.wall_s = c.train_estimate.wall_s;
  c.gpu_hours = c.train_estimate.gpu_hours;
  c.job_usd = c.gpu_hours * usd_per_gpu_hour;
  c.utilization = own_utilization;
  c.feasible = true;
}

}  // namespace

PlanCandidate evaluate_training(const PlanRequest& r, const Gpu& gpu, const Precision& p, double* evaluated) {
  PlanCandidate c;
  c.gpu = &gpu;
  c.precision = p;
  const std::string framework = training_framework(r.framework, r.train.method);
  c.runtime = framework + "-training";
  c.prices = gpu_prices(gpu, r.catalog->prices);
  apply_price_overrides(c.prices, r.price_overrides);
  c.capacity_per_gpu_bytes = usable_memory_bytes(gpu);
  const bool fp8 = trains_in_fp8(p, r.train.method);
  if (fp8)
    c.precision.quality = "FP8 GEMMs, BF16 master weights (Transformer Engine); published FP8 runs match BF16 loss";
  if (CandidateRule why = training_rules(r, gpu, p, c.prices)) return rejected(c, std::move(*why));

  const Scenario s = training_scenario(r, gpu, p, fp8);
  c.estimate = estimate(s);
  const TrainJob job = training_job(r.train);
  const Cluster cluster = training_cluster(gpu, *r.catalog, r.network, r.gpus_per_node, framework, fp8);
  const TrainModel model = prepare_train_model(s, job);
  const double usd_per_gpu_hour = training_usd_per_gpu_hour(r, c);
  const SearchLimits limits = training_limits(r, gpu, usd_per_gpu_hour);
  const SearchResult found = search_layouts(model, job, cluster, limits);
  if (evaluated != nullptr) *evaluated += std::max(1.0, found.evaluated);
  if (!found.found) return rejected(c, no_layout(found, limits));
  take_cheapest(c, found, usd_per_gpu_hour, r.own_utilization);
  return c;
}

}  // namespace gpuplan
