// cost: API vs rented vs owned GPUs for a serving workload (through the plan's replica sizing), or
// rent vs own for a job of N GPU-hours.
#include <cmath>
#include <sstream>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

PriceOverrides overrides_of(const PriceArgs& a) {
  PriceOverrides o;
  o.rent_usd_per_gpu_hour = a.rent_usd_per_gpu_hour.value_or(-1);
  o.committed_usd_per_gpu_hour = a.committed_usd_per_gpu_hour.value_or(-1);
  o.purchase_usd_per_gpu = a.purchase_usd_per_gpu.value_or(-1);
  o.capex_extra_usd_per_gpu = a.capex_extra_usd_per_gpu.value_or(-1);
  o.years = a.years.value_or(-1);
  o.power_usd_per_kwh = a.power_usd_per_kwh.value_or(-1);
  o.pue = a.pue.value_or(-1);
  o.hosting_usd_per_kw_month = a.hosting_usd_per_kw_month.value_or(-1);
  o.api_input_usd_per_million = a.api_input_usd_per_million.value_or(-1);
  o.api_output_usd_per_million = a.api_output_usd_per_million.value_or(-1);
  return o;
}

struct SweepSpec {
  bool utilization = true;
  double lo = 0, hi = 0;
  int points = 10;
};

// --sweep KIND=LO:HI[:N].
Result<SweepSpec> parse_sweep(const std::string& text) {
  SweepSpec s;
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    return make_error(ErrorCode::parse_error, "--sweep: use utilization=0.1:1.0 or tokens=1B:100B");
  std::string kind = canonical_name(text.substr(0, eq));
  if (kind == "utilisation" || kind == "u") kind = "utilization";
  if (kind != "utilization" && kind != "tokens" && kind != "volume") {
    return make_error(ErrorCode::unknown_name,
                      "--sweep: unknown '" + kind + "'" + suggestion_suffix(kind, {"utilization", "tokens"}));
  }
  s.utilization = kind == "utilization";
  std::vector<std::string> parts;
  std::stringstream ss(text.substr(eq + 1));
  for (std::string part; std::getline(ss, part, ':') && parts.size() < 4;) parts.push_back(part);
  if (parts.size() < 2 || parts.size() > 3)
    return make_error(ErrorCode::parse_error, "--sweep: give LO:HI or LO:HI:POINTS");
  auto lo = s.utilization ? parse_positive(parts[0], "--sweep") : parse_count(parts[0], "--sweep");
  auto hi = s.utilization ? parse_positive(parts[1], "--sweep") : parse_count(parts[1], "--sweep");
  if (!lo) return lo.error();
  if (!hi) return hi.error();
  s.lo = lo.value();
  s.hi = hi.value();
  if (s.lo <= 0 || s.hi < s.lo || (s.utilization && s.hi > 1)) {
    return make_error(ErrorCode::out_of_range, "--sweep: need 0 < LO <= HI (utilisation at most 1)");
  }
  if (parts.size() == 3) {
    auto n = parse_count(parts[2], "--sweep points");
    if (!n || n.value() < 2 || n.value() > 1000)
      return make_error(ErrorCode::out_of_range, "--sweep: 2 to 1000 points");
    s.points = static_cast<int>(n.value());
  }
  return s;
}

// The plan query of a cost question: the same model, workload and runtime, on the card asked for
// (or every card) in the precision asked for (or the checkpoint's own).
Result<PlanQuery> plan_query(const Context& ctx, const CostRequest& q) {
  if (!q.tokens_per_month && !q.utilization) {
    return make_error(ErrorCode::invalid_argument, "give --tokens-per-month (e.g. 3B) or --utilization (e.g. 0.35)");
  }
  PlanQuery p;
  static_cast<ServeArgs&>(p) = static_cast<const ServeArgs&>(q);
  p.model = q.model;
  p.params = q.params;
  p.kv_dtype = q.kv_dtype;
  p.no_flash_attention = q.no_flash_attention;
  p.runtime = q.runtime;
  p.gpus = q.gpu;
  if (!q.users) p.users = 0.0;  // the peak comes from the volume (or, with a utilisation only, the capacity)
  if (q.quant) {
    p.quants = q.quant;
  } else {
    FitRequest f;
    static_cast<ModelArgs&>(f) = static_cast<const ModelArgs&>(q);
    if (!f.gpu) f.gpu = ctx.catalog->gpus.empty() ? std::string(defaults::kTrainGpu) : ctx.catalog->gpus.front().id;
    auto r = resolve_fit(ctx, f);
    if (!r) return r.error();
    p.quants = r.value().scenario.precision.name;
  }
  p.pay = "rent";  // ranked by the rent (a card nobody rents: by owning it, see run_cost)
  if (q.gpus) p.max_gpus = *q.gpus;
  return p;
}

}  // namespace

Result<CostResponse> run_cost(const Context& ctx, const CostRequest& q) {
  auto query = plan_query(ctx, q);
  if (!query) return query.error();
  CostResponse out;
  auto request = resolve_plan(ctx, query.value(), out.plan.resolved);
  if (!request) return request.error();
  PlanRequest& r = request.value();
  r.price_overrides = overrides_of(q);
  if (q.gpu) {
    auto g = find_card(*r.catalog, *q.gpu);
    // A consumer card owned at home or in an office pays for power only: no colocation fee and no
    // data-centre cooling overhead (PUE 1) unless given (--hosting-per-kw-month, --pue).
    if (g && g.value().tier == Tier::consumer && !q.hosting_usd_per_kw_month) {
      r.price_overrides.hosting_usd_per_kw_month = 0;
      if (!q.pue) r.price_overrides.pue = defaults::kHomePue;
    }
    // A card nobody rents (an Apple machine, a price book without it) is ranked by owning it.
    if (g && !q.rent_usd_per_gpu_hour && gpu_prices(g.value(), r.catalog->prices).rent_usd_per_gpu_hour <= 0) {
      r.ownership = Ownership::own;
    }
  }
  r.utilization = q.utilization.value_or(-1);
  r.filters.max_gpus = q.gpus.value_or(defaults::kCostMaxGpusPerReplica);
  r.filters.max_fleet_gpus = 1e9;
  if (r.api.offers == 0 && (!q.api_input_usd_per_million || !q.api_output_usd_per_million)) {
    return make_error(ErrorCode::invalid_argument,
                      "no API prices in the price book for this model; give --api-input-price and --api-output-price");
  }
  out.plan.request = r;
  out.plan.plan = make_plan(out.plan.request);
  out.gpu_chosen = !q.gpu;
  for (const auto& g : ctx.catalog->gpus) out.cards_priced += g.rent_usd_per_hour > 0 ? 1 : 0;
  if (out.plan.plan.found) out.best = &out.plan.plan.candidates[out.plan.plan.best];
  if (out.best != nullptr && q.sweep) {
    auto sw = parse_sweep(*q.sweep);
    if (!sw) return sw.error();
    const SweepSpec& s = sw.value();
    const PlanCandidate& c = *out.best;
    out.sweep = s.utilization ? sweep_utilization(c.demand, c.replica, c.prices, s.lo, s.hi, s.points)
                              : sweep_volume(c.demand, c.replica, c.prices, s.lo, s.hi, s.points);
  }
  return out;
}

Result<CostJobResponse> run_cost_job(const Context& ctx, const CostRequest& q) {
  if (!q.gpu) return make_error(ErrorCode::invalid_argument, "--gpu-hours needs --gpu (e.g. --gpu h100-sxm)");
  if (q.tokens_per_month || q.users || q.sweep) {
    return make_error(ErrorCode::conflict,
                      "--gpu-hours prices a job; --tokens-per-month, --users and --sweep are for serving");
  }
  auto g = find_card(*ctx.catalog, *q.gpu);
  if (!g) return g.error();
  CostJobResponse out;
  out.gpu = std::move(g).value();
  out.prices = gpu_prices(out.gpu, ctx.catalog->prices);
  apply_price_overrides(out.prices, overrides_of(q));
  if (out.prices.rent_usd_per_gpu_hour <= 0) {
    return make_error(ErrorCode::invalid_argument,
                      "no rental price for " + out.gpu.id + " in the catalog; give --rent-price");
  }
  // Owned cards for one job: their lifetime utilisation must be stated; a card is not amortised
  // over the job's hours alone.
  out.job = job_cost(q.gpu_hours.value_or(0), out.prices, q.utilization.value_or(1.0));
  if (!q.utilization) out.job.own_usd = -1;
  return out;
}

}  // namespace gpuplan::api
