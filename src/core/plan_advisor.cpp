// The advisor: reads a plan and names its failure modes, each with a severity, a one-line why
// and a one-line fix. One small function per finding; each returns nothing when it does not apply.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "plan_text.hpp"

namespace gpuplan {
namespace {

using Maybe = std::optional<Finding>;

using plan_text::ms;
using plan_text::num;
using plan_text::pct;
using plan_text::usd;
std::string cost_text(const PlanCandidate& c) {
  return c.monthly_usd > 0 ? usd(c.monthly_usd) + "/month" : usd(c.job_usd) + " for the job";
}
std::string what(const PlanCandidate& c) {
  return num(c.gpus, 0) + " x " + c.gpu->id + " " + c.precision.name;
}

struct Ctx {
  const PlanRequest& r;
  const Plan& plan;
  const PlanCandidate& top;
  [[nodiscard]] bool serve() const { return r.kind == PlanKind::serve; }
};

// The scenario of the top choice with `batch` requests at `context` tokens each, on `gpus` cards.
Scenario at_full_length(const Ctx& x, double context, double gpus) {
  PlanCandidate c = x.top;
  c.gpus = gpus;
  Scenario s = candidate_scenario(x.r, c);
  s.with_speed = false;
  s.workload.context = context;
  set_batch(s, x.top.batch);
  return s;
}
bool holds_all(const Ctx& x, double context, double gpus) {
  const Estimate e = estimate(at_full_length(x, context, gpus));
  return e.fits && e.max_batch >= x.top.batch;
}

// The longest context below the asked one at which every request of the replica fits at once,
// rounded down to 1k tokens when that long; 0 when none does.
double context_holding_all(const Ctx& x) {
  const double asked = x.r.serve.context;
  const double c = largest_fitting(asked - 1, [&](double ctx) { return holds_all(x, ctx, x.top.gpus); });
  return c >= 2048 ? std::floor(c / 1024) * 1024 : c;
}

// The fewest GPUs per replica, more than now, that hold every request at the full context under
// the same split and the search's rules (counts the search tries, TP within a node dividing the
// heads); 0 when none within --max-gpus does.
double gpus_holding_all(const Ctx& x) {
  if (x.top.gpu->unified_memory) return 0;
  for (double n : gpu_counts(x.r.gpus_per_node, x.r.filters.max_gpus)) {
    if (n <= x.top.gpus) continue;
    if (x.top.split == Split::tensor && (n > x.r.gpus_per_node || !tensor_parallel_divides(x.r.base.arch, n))) continue;
    if (holds_all(x, x.r.serve.context, n)) return n;
  }
  return 0;
}

// Requests of the average length fit side by side; requests at the longest context do not.
Maybe sized_for_average_context(const Ctx& x) {
  if (!x.serve()) return {};
  const double average = x.r.serve.prompt_tokens + x.r.serve.output_tokens;
  if (x.r.serve.context <= average || x.top.batch <= 1) return {};
  const Estimate e = estimate(at_full_length(x, x.r.serve.context, x.top.gpus));
  if (e.fits && e.max_batch >= x.top.batch) return {};
  // Each fix is a setting that differs from the current one and holds them all.
  std::vector<std::string> fixes;
  if (const double ctx = context_holding_all(x); ctx >= 1 && ctx < x.r.serve.context) {
    fixes.push_back("cap the context at " + format_tokens(ctx) + " tokens (max-model-len) for " +
                    count_of(x.top.batch, "user"));
  }
  if (const double n = gpus_holding_all(x); n > x.top.gpus) {
    fixes.push_back("give each replica " + count_of(n, "GPU") + " to hold them all at full length");
  }
  if (e.max_batch >= 1 && e.max_batch < x.top.batch) {
    fixes.push_back("limit each replica to " + count_of(e.max_batch, "request") + " at once and add replicas");
  }
  std::string fix;
  for (std::size_t i = 0; i < fixes.size(); ++i)
    fix += (i == 0 ? "" : i + 1 == fixes.size() ? ", or " : ", ") + fixes[i];
  if (fix.empty()) fix = "expect long requests to queue at the peak";
  return Finding{Severity::warning, "sized_for_average_context",
                 "memory holds " + count_of(x.top.batch, "request") + " of " + num(average, 0) +
                     " tokens per replica but only " + num(e.max_batch, 0) + " at the " +
                     format_tokens(x.r.serve.context) +
                     " context: long requests arriving together queue or get preempted",
                 fix};
}

// bf16 weights where an 8-bit format is near-lossless and cheaper or roomier.
Maybe full_precision_where_8bit_invisible(const Ctx& x) {
  if (!x.serve() || x.top.precision.linear_bits < 16) return {};
  std::optional<PlanCandidate> best;
  for (const char* name : {"fp8", "int8", "q8_0"}) {
    auto p = find_precision(name);
    if (!p) continue;
    PlanCandidate c = evaluate_serving(x.r, *x.top.gpu, x.top.gpus, p.value(), x.top.split);
    if (c.feasible && (!best || ranks_before(c, *best))) best = std::move(c);
  }
  if (!best) return {};
  const bool cheaper = best->monthly_usd < x.top.monthly_usd - 0.5;
  return Finding{Severity::warning, "full_precision",
                 x.top.precision.name + " weights take " + format_gib(x.top.estimate.memory.weights_bytes) +
                     " per GPU; " + best->precision.name + " (" + best->precision.quality + ") takes " +
                     format_gib(best->estimate.memory.weights_bytes) + " and holds " +
                     count_of(best->max_concurrency_memory, "request") + " per replica instead of " +
                     num(x.top.max_concurrency_memory, 0),
                 "serve " + best->precision.name + ": " +
                     (cheaper ? cost_text(*best) + " instead of " + cost_text(x.top)
                              : "same cost, TPOT " + ms(best->tpot_s) + " instead of " + ms(x.top.tpot_s) +
                                    ", room for longer contexts")};
}

// Memory a serving candidate needs at its peak load: a paged engine's pool fills the card by
// design, so only the KV cache of the requests it holds at the peak counts.
double needed_bytes(const PlanCandidate& c, const PlanRequest& r) {
  const Estimate& e = c.estimate;
  if (r.kind != PlanKind::serve || !e.has_engine || e.engine.family != EngineFamily::paged) {
    return c.memory_per_gpu_bytes;
  }
  const double kv = c.batch * (r.serve.prompt_tokens + r.serve.output_tokens) * e.engine.kv_bytes_per_token;
  return e.memory.total_bytes - e.memory.kv_cache_bytes + std::min(e.memory.kv_cache_bytes, kv);
}

// Half the memory or more bought and unused at the peak load.
Maybe memory_overprovisioned(const Ctx& x) {
  if (x.top.capacity_per_gpu_bytes <= 0) return {};
  const double used = needed_bytes(x.top, x.r) / x.top.capacity_per_gpu_bytes;
  if (used >= 0.5) return {};
  if (x.serve() && x.top.batch < x.r.serve.users && x.top.max_concurrency_memory > x.top.batch) {
    return {};  // the latency target, not memory, set the replica: the room is the price of speed
  }
  // The cheapest plan may simply come with a big card: only a near-equal-cost smaller option, or
  // a GPU the user pinned, makes the room a choice rather than the price of the cheapest.
  const bool pinned = !x.r.filters.gpus.empty();
  std::string fix;
  const double have = x.top.fleet_gpus * x.top.capacity_per_gpu_bytes;
  for (const auto& c : x.plan.candidates) {
    if (c.feasible && c.fleet_gpus * c.capacity_per_gpu_bytes < 0.75 * have &&
        (pinned || c.rank_usd() <= 1.1 * x.top.rank_usd())) {
      fix = what(c) + " holds it (" + format_gib(c.memory_per_gpu_bytes) + " of " +
            format_gib(c.capacity_per_gpu_bytes) + " per GPU) at " + cost_text(c);
      break;
    }
  }
  if (fix.empty() && x.top.gpus > 1 && x.serve()) {
    const PlanCandidate half = evaluate_serving(x.r, *x.top.gpu, x.top.gpus / 2, x.top.precision, x.top.split);
    if (half.feasible)
      fix = "half the GPUs per replica (" + num(half.gpus, 0) + ") meet the targets at " + cost_text(half);
  }
  if (fix.empty() && !pinned) return {};
  if (fix.empty()) {
    fix = "a card with about " + format_gib(x.top.memory_per_gpu_bytes * 1.3) +
          " would do; or use the room: more users per replica or a longer context";
  }
  return Finding{Severity::info, "memory_overprovisioned",
                 "uses " + format_gib(x.top.memory_per_gpu_bytes) + " of " + format_gib(x.top.capacity_per_gpu_bytes) +
                     " per GPU (" + pct(used) + ") at the peak load",
                 fix};
}

// Owned cards busy less than the utilisation at which owning beats renting on demand.
Maybe owned_below_breakeven(const Ctx& x) {
  if (x.top.cost_basis != CostBasis::own) return {};
  const double breakeven = breakeven_utilization_own_vs_rent(x.top.prices);
  if (!std::isfinite(breakeven) || x.top.prices.rent_usd_per_gpu_hour <= 0) return {};
  if (x.top.utilization >= breakeven) return {};
  const std::string alt = x.serve() ? "renting billed only while busy costs " +
                                          usd(x.top.cost.rent_elastic.monthly_usd) + "/month (ideal autoscaling)"
                                    : "renting the job's " + num(x.top.gpu_hours, 0) + " GPU-hours costs " +
                                          usd(x.top.gpu_hours * x.top.prices.rent_usd_per_gpu_hour);
  return Finding{Severity::warning, "owned_below_breakeven",
                 "owned " + x.top.gpu->id + " cards busy " + pct(x.top.utilization) + " of the time; owning beats " +
                     "renting on demand only above " + pct(breakeven),
                 alt + "; or consolidate load onto fewer owned cards to pass " + pct(breakeven)};
}

// A rented fleet that idles most of the month.
Maybe rented_gpus_idle(const Ctx& x) {
  if (!x.serve() || x.top.cost_basis != CostBasis::rent || x.top.utilization >= 0.2) return {};
  std::string fix = "autoscale to the load (billed while busy: " + usd(x.top.cost.rent_elastic.monthly_usd) + "/month)";
  if (x.top.cost.api.monthly_usd > 0 && x.top.cost.api.monthly_usd < x.top.monthly_usd) {
    fix += ", or use a managed API at this volume: " + usd(x.top.cost.api.monthly_usd) + "/month";
  }
  return Finding{Severity::warning, "rented_gpus_idle",
                 "the rented fleet is busy " + pct(x.top.utilization) + " of the month at " +
                     format_count(x.plan.tokens_per_month) + " tokens/month: you pay " + usd(x.top.monthly_usd) +
                     " for capacity of " + format_count(x.top.cost.capacity_tokens_per_month),
                 fix};
}

// Pre-training an existing open model on a fine-tuning-sized corpus.
Maybe training_from_scratch(const Ctx& x) {
  if (x.serve() || x.r.train.method != Mode::pretrain) return {};
  const double params = count_params(x.r.base.arch).total;
  if (x.r.train.tokens >= 20.0 * params) return {};
  PlanRequest lora = x.r;
  lora.train.method = Mode::lora;
  const PlanCandidate c = evaluate_training(lora, *x.top.gpu, find_precision("bf16").value());
  const std::string fix = c.feasible ? "LoRA on the released weights with the same tokens: " + cost_text(c) + ", " +
                                           num(c.wall_s / 3600, 1) + " h on " + num(c.gpus, 0) + " x " + c.gpu->id
                                     : "fine-tune the released weights (--method lora or full) on these tokens";
  return Finding{
      Severity::warning, "training_from_scratch",
      "pre-training on " + format_count(x.r.train.tokens) + " tokens is " + num(x.r.train.tokens / params, 2) +
          " tokens per parameter (compute-optimal is ~20, Hoffmann et al. 2022): too few to learn from scratch",
      fix};
}

// A replica or job spread over several nodes when one node would hold it.
Maybe spread_across_nodes(const Ctx& x) {
  const double node = x.r.gpus_per_node;
  if (!x.serve()) {
    const Layout& l = x.top.train_layout;
    if (l.tp * l.pp * l.cp <= node) return {};
    return Finding{Severity::warning, "spread_across_nodes",
                   "the model-parallel group (tp x pp x cp = " + num(l.tp * l.pp * l.cp, 0) +
                       ") spans nodes: " + "activations cross the network every micro-batch",
                   "keep tp x pp within a node of " + num(node, 0) + " and scale with data parallelism (ZeRO-3/FSDP)"};
  }
  if (x.top.gpus <= node) return {};
  const PlanCandidate one = evaluate_serving(x.r, *x.top.gpu, node, x.top.precision, Split::tensor);
  if (!one.fits) return {};
  return Finding{
      Severity::warning, "spread_across_nodes",
      "each replica spans " + num(std::ceil(x.top.gpus / node), 0) + " nodes, but one node of " + num(node, 0) +
          " holds the model (" + format_gib(one.memory_per_gpu_bytes) + " per GPU): every token crosses the network",
      one.feasible ? "one node per replica meets the targets at " + cost_text(one)
                   : "one node per replica " + one.reason + "; a card with more bandwidth per node is faster"};
}

// The KV cache, not the weights, limits how many users a replica serves.
Maybe kv_cache_binding(const Ctx& x) {
  if (!x.serve()) return {};
  // A paged engine's pool fills the card by design: its size alone says nothing; how many requests it holds does.
  const bool pool = x.top.estimate.has_engine && x.top.estimate.engine.family == EngineFamily::paged;
  const bool binding =
      (!pool && x.top.estimate.binding == MemoryTerm::kv_cache) ||
      (x.top.max_concurrency_memory < x.r.serve.users && x.top.replica.concurrency >= x.top.max_concurrency_memory);
  if (!binding) return {};
  std::string fix = "fewer tokens per request, or more memory per replica";
  if (x.r.base.workload.kv_bytes >= 2) {  // an 8-bit cache (q8_0, fp8) already is what this suggests
    PlanRequest fp8 = x.r;
    fp8.base.workload.kv_bytes = 1;
    fp8.base.workload.kv_dtype = "fp8";
    const PlanCandidate c = evaluate_serving(fp8, *x.top.gpu, x.top.gpus, x.top.precision, x.top.split);
    if (c.feasible) {
      fix = "an fp8 KV cache (--kv-dtype fp8) holds " + count_of(c.max_concurrency_memory, "request") +
            " per replica: " + count_of(c.replicas, "replica") + ", " + cost_text(c);
    }
  }
  return Finding{Severity::info, "kv_cache_binding",
                 "the KV cache is the binding resource: " + format_gib(x.top.estimate.memory.kv_cache_bytes) +
                     " per GPU for " + count_of(x.top.batch, "request") + "; memory holds " +
                     num(x.top.max_concurrency_memory, 0) + " of the " + num(x.r.serve.users, 0) + " users per replica",
                 fix};
}

bool pcie_only(const Gpu& g) {
  return g.peer_link.empty() || g.peer_link == "none";
}

// Tensor parallelism whose all-reduces go over PCIe.
Maybe pcie_tensor_parallel(const Ctx& x) {
  if (!pcie_only(*x.top.gpu)) return {};
  const double tp = x.serve() ? (x.top.split == Split::tensor ? x.top.gpus : 1) : x.top.train_layout.tp;
  if (tp <= 1) return {};
  std::string why = "tensor parallelism over " + num(tp, 0) + " " + x.top.gpu->id +
                    " cards without NVLink: " + "all-reduces go over " +
                    (x.top.gpu->host_link.empty() ? "PCIe" : x.top.gpu->host_link);
  if (x.serve()) {
    why += " (" + ms(x.top.estimate.speed.communication_s_per_token) + " of the " + ms(x.top.tpot_s) + " per token)";
  } else {
    why += " (" + num(x.top.train_estimate.tp_s, 2) + " s of the " + num(x.top.train_estimate.step_s, 2) + " s step)";
  }
  return Finding{Severity::warning, "pcie_tensor_parallel", why,
                 x.serve() ? "split by layers (pipeline) instead, or use NVLink-connected cards"
                           : "use pipeline/data parallelism on PCIe cards, or NVLink-connected cards"};
}

// Consumer cards in a fleet big enough to be a datacenter deployment.
Maybe consumer_in_datacenter(const Ctx& x) {
  if (x.top.gpu->tier != Tier::consumer || x.top.fleet_gpus <= 4) return {};
  std::string fix = "use datacenter or workstation cards";
  for (Tier t : {Tier::datacenter, Tier::workstation}) {
    const TierChoice& c = x.plan.by_tier[static_cast<int>(t)];
    if (c.found) {
      const PlanCandidate& alt = x.plan.candidates[c.index];
      fix = std::string(to_string(t)) + " alternative: " + num(alt.fleet_gpus, 0) + " x " + alt.gpu->id + " " +
            alt.precision.name + " at " + cost_text(alt);
      break;
    }
  }
  return Finding{Severity::warning, "consumer_cards_in_datacenter",
                 num(x.top.fleet_gpus, 0) + " " + x.top.gpu->id +
                     " cards: GeForce licences exclude datacenter deployment, no ECC, no NVLink, 2-3 slot coolers",
                 fix};
}

}  // namespace

std::vector<Finding> advise(const PlanRequest& r, const Plan& plan) {
  std::vector<Finding> out;
  const PlanCandidate* top = plan.top();
  if (top == nullptr) {
    std::string why = "no candidate meets the targets";
    if (!plan.rejected.empty()) why += std::string("; commonest reason: ") + describe(plan.rejected.front().reason);
    out.push_back(Finding{Severity::error, "no_feasible_plan", why,
                          r.kind == PlanKind::serve
                              ? "relax --tpot/--ttft, lower --users or --context, or raise --max-gpus"
                              : "extend --deadline, raise --budget or --max-gpus, or use --method lora/qlora"});
    return out;
  }
  const Ctx x{r, plan, *top};
  for (auto rule : {sized_for_average_context, full_precision_where_8bit_invisible, memory_overprovisioned,
                    owned_below_breakeven, rented_gpus_idle, training_from_scratch, spread_across_nodes,
                    kv_cache_binding, pcie_tensor_parallel, consumer_in_datacenter}) {
    if (Maybe f = rule(x)) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace gpuplan
