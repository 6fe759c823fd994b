// The plan search: every candidate, the ranking, the best per tier, the Pareto front and one tier lower.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "plan_text.hpp"

namespace gpuplan {

using plan_text::dollars;
using plan_text::ms;
using plan_text::num;

double speed_figure(const PlanCandidate& c) {
  if (c.monthly_usd > 0 || c.tpot_s > 0) return c.tpot_s > 0 ? 1.0 / c.tpot_s : 0;
  return c.tokens_per_s;
}

bool ranks_before(const PlanCandidate& a, const PlanCandidate& b) {
  if (a.feasible != b.feasible) return a.feasible;
  if (!a.feasible) return false;
  // Cents decide; equal cost prefers the higher precision, then the faster, then fewer GPUs.
  const double ca = std::round(a.rank_usd() * 100), cb = std::round(b.rank_usd() * 100);
  if (ca != cb) return ca < cb;
  if (a.precision.linear_bits != b.precision.linear_bits) return a.precision.linear_bits > b.precision.linear_bits;
  if (speed_figure(a) != speed_figure(b)) return speed_figure(a) > speed_figure(b);
  return a.fleet_gpus < b.fleet_gpus;
}

bool dominates(const PlanCandidate& a, const PlanCandidate& b) {
  // Cost in cents, as the ranking; at equal cost the ranking prefers the higher precision, so a
  // lower precision does not dominate a higher one there (the best is never dominated).
  const double ca = std::round(a.rank_usd() * 100), cb = std::round(b.rank_usd() * 100);
  const double sa = speed_figure(a), sb = speed_figure(b);
  const double ba = a.precision.linear_bits, bb = b.precision.linear_bits;
  if (ca > cb || sa < sb) return false;
  if (ca < cb) return true;
  return ba >= bb && (sa > sb || ba > bb);
}

namespace {

bool tier_allowed(const PlanRequest& r, const Gpu& g) {
  if (r.filters.tier && g.tier != *r.filters.tier) return false;
  if (r.filters.gpus.empty()) return true;
  return std::any_of(r.filters.gpus.begin(), r.filters.gpus.end(),
                     [&g](const std::string& id) { return canonical_name(id) == canonical_name(g.id); });
}

struct SearchOut {
  std::vector<PlanCandidate> candidates;
  double evaluated = 0;
};

// `spent`: scenarios already evaluated for this plan (the main search, when searching a tier below).
SearchOut search(const PlanRequest& r, SearchStopper& stopper, double spent) {
  SearchOut out;
  const std::vector<Precision> precisions = plan_precisions(r);
  std::vector<PricedWeights> weights;
  weights.reserve(precisions.size());
  for (const Precision& p : precisions) weights.push_back(priced_weights(r.base.arch, p));
  [&] {  // returns at once when the work budget is spent or the caller cancels
    for (const Gpu& g : r.catalog->gpus) {
      if (!tier_allowed(r, g)) continue;
      if (r.kind == PlanKind::train) {
        for (const Precision& p : precisions) {
          if (stopper.stop(spent + out.evaluated)) return;
          PlanRequest budgeted = r;  // the layouts of this card get what is left of the budget
          if (r.work.max_evaluated > 0) budgeted.work.max_evaluated = r.work.max_evaluated - spent - out.evaluated;
          out.candidates.push_back(evaluate_training(budgeted, g, p, &out.evaluated));
        }
        continue;
      }
      for (double n : gpu_counts(r.gpus_per_node, r.filters.max_gpus)) {
        if (n > 1 && g.unified_memory) break;
        for (std::size_t i = 0; i < precisions.size(); ++i) {
          for (Split split : {Split::layer, Split::tensor}) {
            if (n == 1 && split == Split::tensor) continue;
            // The MoE layouts (experts / attention over every rank) are the engines' tensor-parallel ones.
            const bool moe_layout = r.filters.expert_parallel || r.filters.attention_data_parallel;
            if (n > 1 && moe_layout && split == Split::layer) continue;
            if (stopper.stop(spent + out.evaluated)) return;
            // Keep what was estimated; rules that rejected before any estimate are only counted.
            out.candidates.push_back(evaluate_serving(r, g, n, precisions[i], split, &out.evaluated, &weights[i]));
          }
        }
      }
    }
  }();
  // Rank by index, then move each candidate once (a candidate carries whole estimates).
  std::vector<std::size_t> order(out.candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&out](std::size_t a, std::size_t b) { return ranks_before(out.candidates[a], out.candidates[b]); });
  std::vector<PlanCandidate> ranked;
  ranked.reserve(order.size());
  for (std::size_t i : order) ranked.push_back(std::move(out.candidates[i]));
  out.candidates = std::move(ranked);
  return out;
}

// Why a tier has no choice, in words, and the rule when it is one.
struct TierWhy {
  std::string text;
  std::optional<RejectReason> rule;
};

// Why a tier has no choice: the catalog has none of its cards, the filters dropped them all, or
// the commonest rejection of its candidates.
TierWhy tier_why_none(const PlanRequest& r, const std::vector<PlanCandidate>& cs, Tier tier) {
  const auto& gpus = r.catalog->gpus;
  const auto of_tier = [tier](const Gpu& g) { return g.tier == tier; };
  if (std::none_of(gpus.begin(), gpus.end(), of_tier)) {
    return {std::string("no ") + to_string(tier) + " GPU in the catalog", RejectReason::tier_not_in_catalog};
  }
  const bool searched =
      std::any_of(gpus.begin(), gpus.end(), [&](const Gpu& g) { return of_tier(g) && tier_allowed(r, g); });
  if (!searched) {
    std::string by;
    if (r.filters.tier && *r.filters.tier != tier) by = std::string("--tier ") + to_string(*r.filters.tier);
    if (!r.filters.gpus.empty()) {
      std::string list;
      for (const auto& id : r.filters.gpus) list += (list.empty() ? "" : ",") + id;
      by += (by.empty() ? "" : ", ") + std::string("--gpu ") + list;
    }
    return {"filtered out (" + by + ")", RejectReason::tier_filtered_out};
  }
  std::map<RejectReason, double> counts;
  std::map<RejectReason, std::string> example;  // the best-ranked candidate each rule rejected
  for (const auto& c : cs) {
    if (c.gpu->tier != tier || c.feasible || !c.rejection) continue;
    counts[*c.rejection] += 1;
    std::string& e = example[*c.rejection];
    if (e.empty()) e = c.gpu->id + " x" + num(c.gpus, 0) + " " + c.precision.name + ": " + c.reason;
  }
  if (counts.empty()) {
    return {std::string("no ") + to_string(tier) + " candidate evaluated", RejectReason::tier_not_evaluated};
  }
  // Prefer the reasons that say what is missing (speed, price, fleet size) over "does not fit".
  const std::vector<RejectCount> ranked = commonest_first(counts);
  const auto telling = std::find_if(ranked.begin(), ranked.end(),
                                    [](const RejectCount& n) { return n.reason != RejectReason::does_not_fit; });
  const RejectCount& best = telling != ranked.end() ? *telling : ranked.front();
  return {std::string(describe(best.reason)) + " (" + num(best.count, 0) + " candidates; e.g. " + example[best.reason] +
              ")",
          best.reason};
}

// The candidates no other feasible candidate dominates, in ranking order (cheapest first, so the
// best leads whenever one is found).
std::vector<std::size_t> pareto_front(const std::vector<PlanCandidate>& cs) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].feasible) idx.push_back(i);
  }
  std::vector<std::size_t> front;
  for (std::size_t i : idx) {
    const bool dominated =
        std::any_of(idx.begin(), idx.end(), [&](std::size_t j) { return j != i && dominates(cs[j], cs[i]); });
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::string gives_up(const PlanCandidate& top, const PlanCandidate& low, std::string& how) {
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (low.precision.linear_bits < top.precision.linear_bits) {
    add("precision " + low.precision.name + " instead of " + top.precision.name + " (" + low.precision.quality + ")");
    how = "quantisation";
  }
  if (low.tpot_s > 0 && top.tpot_s > 0 && low.tpot_s > top.tpot_s * 1.05) {
    add("TPOT " + ms(low.tpot_s) + " instead of " + ms(top.tpot_s));
  }
  if (low.wall_s > 0 && top.wall_s > 0 && low.wall_s > top.wall_s * 1.05) {
    add(num(low.wall_s / 3600, 1) + " h instead of " + num(top.wall_s / 3600, 1) + " h");
  }
  if (low.batch < top.batch && low.monthly_usd > 0) {
    add(count_of(low.batch, "request") + " per replica instead of " + num(top.batch, 0) + " (" +
        count_of(low.replicas, "replica") + ")");
    how += how.empty() ? "batching" : ", batching";
  }
  if (low.fleet_gpus > top.fleet_gpus) add(count_of(low.fleet_gpus, "GPU") + " instead of " + num(top.fleet_gpus, 0));
  const double dc = low.rank_usd() - top.rank_usd();
  const std::string unit = low.monthly_usd > 0 ? "/month" : " for the job";
  if (dc > 0.5) add(dollars(dc, 0) + unit + " more");
  if (dc < -0.5) add(dollars(-dc, 0) + unit + " less");
  add("capex $" + num(low.fleet_gpus * low.prices.purchase_usd_per_gpu, 0) + " to buy vs $" +
      num(top.fleet_gpus * top.prices.purchase_usd_per_gpu, 0));
  return out;
}

OneTierLower one_tier_lower(const PlanRequest& r, const Plan& plan, double& evaluated, SearchStopper& stopper) {
  OneTierLower low;
  const PlanCandidate* top = plan.top();
  if (top == nullptr) {
    low.why_none = "no top choice";
    return low;
  }
  if (top->gpu->tier == Tier::consumer) {
    low.why_none = "the top choice is already on consumer cards";
    return low;
  }
  low.tier = static_cast<Tier>(static_cast<int>(top->gpu->tier) - 1);
  PlanRequest lr = r;
  lr.filters.tier = low.tier;
  lr.filters.gpus.clear();
  const bool serve = r.kind == PlanKind::serve;
  // Shrinking the context is the last resort (serving only): the asked context first.
  std::vector<double> contexts = {r.serve.context};
  if (serve) {
    for (double c = std::floor(r.serve.context / 2); c >= r.serve.prompt_tokens + r.serve.output_tokens; c /= 2) {
      contexts.push_back(std::floor(c));
    }
  }
  const bool covered = !r.filters.tier && r.filters.gpus.empty();  // the main search holds that tier
  for (double ctx : contexts) {
    lr.serve.context = ctx;
    const PlanCandidate* found = nullptr;
    SearchOut s;
    std::string why;
    if (ctx == r.serve.context && covered) {
      const TierChoice& t = plan.by_tier[static_cast<int>(low.tier)];
      if (t.found) found = &plan.candidates[t.index];
      why = t.why_none;
    } else {
      s = search(lr, stopper, evaluated);
      evaluated += s.evaluated;
      if (!s.candidates.empty() && s.candidates.front().feasible) found = &s.candidates.front();
      why = tier_why_none(lr, s.candidates, low.tier).text;
    }
    if (found == nullptr) {
      if (low.why_none.empty()) low.why_none = why;
      if (!serve) break;
      continue;
    }
    low.available = true;
    low.candidate = *found;
    low.context = ctx;
    low.gives_up = gives_up(*top, *found, low.how);
    if (ctx < r.serve.context) {
      low.gives_up = "context " + format_tokens(ctx) + " instead of " + format_tokens(r.serve.context) +
                     (low.gives_up.empty() ? "" : "; ") + low.gives_up;
      low.how += low.how.empty() ? "a smaller context" : ", a smaller context";
    }
    if (low.how.empty()) low.how = "the same settings";
    low.why_none.clear();
    break;
  }
  return low;
}

}  // namespace

Plan make_plan(const PlanRequest& r) {
  Plan plan;
  plan.kind = r.kind;
  if (r.catalog == nullptr) return plan;
  if (r.kind == PlanKind::serve) {
    plan.tokens_per_month_derived = r.serve.tokens_per_month <= 0;
    plan.tokens_per_month =
        plan.tokens_per_month_derived ? derived_tokens_per_month(r.serve) : r.serve.tokens_per_month;
  }
  SearchStopper stopper(r.work);
  SearchOut s = search(r, stopper, 0);
  plan.candidates = std::move(s.candidates);
  plan.candidates_evaluated = s.evaluated;
  plan.found = !plan.candidates.empty() && plan.candidates.front().feasible;
  plan.best = 0;
  std::map<RejectReason, double> rejected;
  for (const auto& c : plan.candidates) {
    if (!c.feasible && c.rejection) rejected[*c.rejection] += 1;
  }
  plan.rejected = commonest_first(rejected);
  for (int t = 0; t < 3; ++t) {
    TierChoice& choice = plan.by_tier[t];
    choice.tier = static_cast<Tier>(t);
    for (std::size_t i = 0; i < plan.candidates.size(); ++i) {
      if (plan.candidates[i].feasible && plan.candidates[i].gpu->tier == choice.tier) {
        choice.found = true;
        choice.index = i;
        break;
      }
    }
    if (!choice.found) {
      TierWhy why = tier_why_none(r, plan.candidates, choice.tier);
      choice.why_none = std::move(why.text);
      choice.why_none_code = why.rule;
    }
  }
  plan.pareto = pareto_front(plan.candidates);
  plan.lower = one_tier_lower(r, plan, plan.candidates_evaluated, stopper);
  plan.stopped = stopper.why();
  plan.findings = advise(r, plan);
  return plan;
}

}  // namespace gpuplan
