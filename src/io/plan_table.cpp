// plan: the human-readable recommendation, and --explain.
#include <fmt/format.h>

#include <cmath>

#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

std::string money(double usd) {
  if (!std::isfinite(usd)) return "-";
  return usd >= 100 ? fmt::format("${:.0f}", usd) : fmt::format("${:.2f}", usd);
}

std::string cost(const PlanCandidate& c) {
  return c.monthly_usd > 0 ? money(c.monthly_usd) + "/month" : money(c.job_usd);
}

std::string speed(const PlanRequest& q, const PlanCandidate& c) {
  if (q.kind == PlanKind::serve) return fmt::format("TPOT {:.1f} ms, TTFT {:.2f} s", c.tpot_s * 1e3, c.ttft_s);
  const std::string time =
      c.wall_s < 86400 ? fmt::format("{:.1f} h", c.wall_s / 3600) : fmt::format("{:.1f} days", c.wall_s / 86400);
  return fmt::format("{}, {} tokens/s, MFU {:.0f}%", time, format_count(c.tokens_per_s), 100 * c.train_estimate.mfu);
}

// One row of the tier / Pareto tables.
std::string row(const PlanRequest& q, const std::string& label, const PlanCandidate& c) {
  const std::string fleet =
      q.kind == PlanKind::serve ? fmt::format("{} x {}", c.replicas, c.gpus) : fmt::format("{}", c.gpus);
  return fmt::format("  {:<12} {:<16} {:>7} {:<9} {:<22} {:>14} {:>6} {}\n", label, c.gpu->id, fleet, c.precision.name,
                     c.layout.substr(0, 22), cost(c), to_string(c.cost_basis), speed(q, c));
}

std::string header(const PlanRequest& q) {
  return fmt::format("  {:<12} {:<16} {:>7} {:<9} {:<22} {:>14} {:>6} {}\n", "", "GPU",
                     q.kind == PlanKind::serve ? "rep x n" : "GPUs", "precision", "layout",
                     q.kind == PlanKind::serve ? "cost" : "job cost", "basis", "speed");
}

std::string workload_line(const PlanReport& r) {
  const PlanRequest& q = r.request;
  if (q.kind == PlanKind::serve) {
    const ServeWorkload& w = q.serve;
    return fmt::format(
        "serve {} at the peak, {} + {} tokens per request (longest {}), TTFT <= {}, TPOT <= {}, {} "
        "tokens/month{}",
        count_of(w.users, "user"), w.prompt_tokens, w.output_tokens, format_tokens(w.context),
        w.ttft_target_s > 0 ? fmt::format("{:.2f} s", w.ttft_target_s) : std::string("-"),
        w.tpot_target_s > 0 ? fmt::format("{:.0f} ms", w.tpot_target_s * 1e3) : std::string("-"),
        format_count(r.plan.tokens_per_month), r.plan.tokens_per_month_derived ? " (derived: users/2 in flight)" : "");
  }
  const TrainWorkload& t = q.train;
  std::string s = fmt::format("train ({}) on {} tokens, sequence {}", to_string(t.method), format_count(t.tokens),
                              format_tokens(t.seq));
  if (t.deadline_s > 0) {
    s += fmt::format(", deadline {:.1f} days{}", t.deadline_s / 86400,
                     t.deadline_is_default ? " (default; --deadline to change)" : "");
  }
  if (t.budget_usd > 0) s += fmt::format(", budget {}", money(t.budget_usd));
  return s;
}

// The "Best" block: the top choice and what it costs, or why there is none.
std::string best_block(const Plan& p, const PlanRequest& q) {
  std::string t;
  auto line = [&t](const std::string& s) { t += s + "\n"; };
  const PlanCandidate* b = p.top();
  if (b == nullptr) {
    line("Best       none: no candidate meets the targets");
    std::string why;
    for (std::size_t i = 0; i < p.rejected.size() && i < 4; ++i) {
      why += fmt::format("{}{} ({})", i ? "; " : "", describe(p.rejected[i].reason), p.rejected[i].count);
    }
    if (!why.empty()) line("Rejected   " + why);
    return t;
  }
  line(fmt::format("Best       {} x {} ({}), {} ({}), {}, {}", b->gpus, b->gpu->name, to_string(b->gpu->tier),
                   b->precision.name, b->precision.quality, b->layout, b->runtime));
  if (q.kind == PlanKind::serve) {
    line(fmt::format("           {} ({}): {} x {} = {}, {} per replica, utilisation {:.0f}%", cost(*b),
                     to_string(b->cost_basis), count_of(b->replicas, "replica"), count_of(b->gpus, "GPU"),
                     count_of(b->fleet_gpus, "GPU"), count_of(b->batch, "user"), 100 * b->utilization));
    line(fmt::format("           {}, {} tokens/s per replica", speed(q, *b), format_count(b->tokens_per_s)));
    line(fmt::format("           memory {} of {} per GPU (weights {}, KV cache {}); binding: {}",
                     format_gib(b->memory_per_gpu_bytes), format_gib(b->capacity_per_gpu_bytes),
                     format_gib(b->estimate.memory.weights_bytes), format_gib(b->estimate.memory.kv_cache_bytes),
                     to_string(b->estimate.binding)));
  } else {
    line(fmt::format("           {} ({}) for {} GPU-hours; {}", cost(*b), to_string(b->cost_basis),
                     format_count(b->gpu_hours), speed(q, *b)));
    line(fmt::format("           layout {}; memory {} of {} per GPU", b->layout, format_gib(b->memory_per_gpu_bytes),
                     format_gib(b->capacity_per_gpu_bytes)));
  }
  return t;
}

// The best of each tier, then the Pareto front (its first eight).
std::string tiers_and_pareto(const Plan& p, const PlanRequest& q) {
  std::string t = "\nBest per tier\n" + header(q);
  for (const TierChoice& c : p.by_tier) {
    t += c.found ? row(q, to_string(c.tier), p.candidates[c.index])
                 : fmt::format("  {:<12} none: {}\n", to_string(c.tier), c.why_none);
  }
  if (p.pareto.empty()) return t;
  t += "\nPareto front (cost vs speed: nothing else is both cheaper and faster; at equal cost, the higher precision or "
       "the faster)\n";
  t += header(q);
  std::size_t shown = 0;
  for (std::size_t i : p.pareto) {
    if (++shown > 8) {
      t += fmt::format("  ... {} more (--json)\n", p.pareto.size() - 8);
      break;
    }
    t += row(q, shown == 1 ? "cheapest" : "", p.candidates[i]);
  }
  return t;
}

// One tier lower, then the findings.
std::string lower_and_findings(const Plan& p, const PlanRequest& q) {
  std::string t;
  auto line = [&t](const std::string& s) { t += s + "\n"; };
  line("");
  if (p.lower.available) {
    const PlanCandidate& c = p.lower.candidate;
    line(fmt::format("Start one tier lower ({}): {} x {} {} {}, {} via {}", to_string(p.lower.tier),
                     q.kind == PlanKind::serve ? c.fleet_gpus : c.gpus, c.gpu->id, c.precision.name, c.layout, cost(c),
                     p.lower.how));
    line("           gives up: " + p.lower.gives_up);
  } else {
    line("Start one tier lower: " + p.lower.why_none);
  }
  if (p.findings.empty()) return t;
  line("");
  line("Findings");
  for (const Finding& f : p.findings) {
    const std::string severity = to_string(f.severity);
    line(fmt::format("  [{}] {}: {}", severity, f.code, f.why));
    line(fmt::format("  {:>{}}  fix: {}", "", severity.size() + 2, f.fix));
  }
  return t;
}

}  // namespace

std::string plan_table(const PlanReport& r) {
  const Plan& p = r.plan;
  const PlanRequest& q = r.request;
  std::size_t feasible = 0;
  for (const auto& c : p.candidates) feasible += c.feasible ? 1 : 0;
  std::string t =
      fmt::format("Model      {} ({} params, {} active)\n", q.model_name, format_count(count_params(q.base.arch).total),
                  format_count(count_params(q.base.arch).active));
  t += "Workload   " + workload_line(r) + "\n";
  t += fmt::format("Searched   {} scenarios in {:.3f} s ({} candidates, {} feasible){}{}\n\n", p.candidates_evaluated,
                   r.elapsed_s, p.candidates.size(), feasible,
                   q.filters.tier ? std::string(", tier ") + to_string(*q.filters.tier) : std::string(),
                   p.stopped == SearchStop::budget_spent ? "; stopped at --max-evaluated: the best found so far"
                   : p.stopped == SearchStop::cancelled  ? "; cancelled: the best found so far"
                                                         : "");
  t += best_block(p, q);
  t += tiers_and_pareto(p, q);
  t += lower_and_findings(p, q);
  t += "\n--explain shows the arithmetic; --json the whole plan; --csv every candidate.\n";
  return t;
}

std::string plan_explain(const PlanReport& r) {
  const auto steps = explain(r.request, r.plan);
  if (steps.empty()) return "No top choice to explain.\n";
  std::string t = "How the top choice was computed\n";
  int n = 0;
  for (const ExplainStep& s : steps) {
    t += fmt::format("\n{}. {}\n", ++n, s.title);
    t += fmt::format("   formula: {}\n", s.formula);
    t += fmt::format("   value:   {}\n", s.value);
    t += fmt::format("   source:  {}\n", s.source);
  }
  return t;
}

}  // namespace gpuplan::io
