#include "gpuplan/cost.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gpuplan/estimate.hpp"

namespace gpuplan {
namespace {

constexpr double kSecondsPerMonth = kHoursPerMonth * 3600.0;

double blended_api_usd_per_token(const ServingDemand& d, const Prices& p) {
  const double per_request = d.prompt_tokens + d.output_tokens;
  if (per_request <= 0) return 0;
  return (d.prompt_tokens * p.api_input_usd_per_million + d.output_tokens * p.api_output_usd_per_million) /
         per_request / 1e6;
}

double per_million(double monthly_usd, double tokens_per_month) {
  return tokens_per_month > 0 ? monthly_usd / (tokens_per_month / 1e6) : 0;
}

double replicas_for(const ServingDemand& d, const ReplicaCapacity& r, double tokens_per_month) {
  const double capacity = r.tokens_per_s(d) * kSecondsPerMonth;
  const double by_peak = std::ceil(d.peak_concurrency / std::max(1.0, r.concurrency));
  const double by_volume = capacity > 0 ? std::ceil(tokens_per_month / capacity) : 1;
  return std::max({1.0, by_peak, by_volume});
}

}  // namespace

double own_fixed_usd_per_gpu_hour(const Prices& p) {
  const double hours = std::max(1.0, p.years) * 8760.0;
  const double capex = (p.purchase_usd_per_gpu + p.capex_extra_usd_per_gpu) / hours;
  const double hosting = p.hosting_usd_per_kw_month * p.gpu_tdp_w / 1000.0 * p.server_power_factor / kHoursPerMonth;
  return capex + hosting;
}

double own_power_usd_per_gpu_hour_at_full_load(const Prices& p) {
  return p.gpu_tdp_w / 1000.0 * p.server_power_factor * p.pue * p.power_usd_per_kwh;
}

double breakeven_utilization_own_vs_rent(const Prices& p) {
  const double margin = p.rent_usd_per_gpu_hour - own_power_usd_per_gpu_hour_at_full_load(p);
  if (margin <= 0) return std::numeric_limits<double>::infinity();
  return own_fixed_usd_per_gpu_hour(p) / margin;
}

ServingCost serving_cost(const ServingDemand& d, const ReplicaCapacity& r, const Prices& p,
                         double utilization_override) {
  ServingCost c;
  c.replicas = replicas_for(d, r, d.tokens_per_month);
  c.gpus = c.replicas * r.gpus;
  c.capacity_tokens_per_month = c.replicas * r.tokens_per_s(d) * kSecondsPerMonth;
  c.utilization =
      utilization_override >= 0
          ? utilization_override
          : (c.capacity_tokens_per_month > 0 ? std::min(1.0, d.tokens_per_month / c.capacity_tokens_per_month) : 0);
  const double tokens = d.tokens_per_month;
  const double api_per_token = blended_api_usd_per_token(d, p);

  c.api.monthly_usd = tokens * api_per_token;
  c.rent.gpus = c.rent_elastic.gpus = c.rent_committed.gpus = c.own.gpus = c.gpus;
  c.rent.monthly_usd = c.gpus * p.rent_usd_per_gpu_hour * kHoursPerMonth;
  c.rent_elastic.monthly_usd = c.rent.monthly_usd * c.utilization;
  c.rent_committed.monthly_usd = c.gpus * p.committed_usd_per_gpu_hour * kHoursPerMonth;
  c.own.monthly_usd = c.gpus * kHoursPerMonth *
                      (own_fixed_usd_per_gpu_hour(p) + own_power_usd_per_gpu_hour_at_full_load(p) * c.utilization);
  for (CostOption* o : {&c.api, &c.rent, &c.rent_elastic, &c.rent_committed, &c.own}) {
    o->usd_per_million_tokens = per_million(o->monthly_usd, tokens);
  }
  c.breakeven_utilization = breakeven_utilization_own_vs_rent(p);

  // Smallest fleet (one replica): the volume at which it costs what the API would.
  const double one_replica_capacity = r.tokens_per_s(d) * kSecondsPerMonth;
  if (api_per_token > 0) {
    c.breakeven_tokens_api_vs_rent = r.gpus * p.rent_usd_per_gpu_hour * kHoursPerMonth / api_per_token;
    const double power_per_token = one_replica_capacity > 0 ? r.gpus * own_power_usd_per_gpu_hour_at_full_load(p) *
                                                                  kHoursPerMonth / one_replica_capacity
                                                            : 0;
    const double margin = api_per_token - power_per_token;
    c.breakeven_tokens_api_vs_own = margin > 0 ? r.gpus * own_fixed_usd_per_gpu_hour(p) * kHoursPerMonth / margin : 0;
  }
  return c;
}

JobCost job_cost(double gpu_hours, const Prices& p, double own_utilization) {
  JobCost j;
  j.gpu_hours = gpu_hours;
  j.own_utilization = std::clamp(own_utilization, 0.01, 1.0);
  j.rent_usd = gpu_hours * p.rent_usd_per_gpu_hour;
  j.committed_usd = gpu_hours * p.committed_usd_per_gpu_hour;
  // Owned cards carry their fixed cost whether busy or not: a busy hour bears fixed / utilisation.
  j.own_usd =
      gpu_hours * (own_fixed_usd_per_gpu_hour(p) / j.own_utilization + own_power_usd_per_gpu_hour_at_full_load(p));
  j.breakeven_utilization = breakeven_utilization_own_vs_rent(p);
  return j;
}

std::vector<SweepPoint> sweep_utilization(const ServingDemand& d, const ReplicaCapacity& r, const Prices& p, double lo,
                                          double hi, int points) {
  std::vector<SweepPoint> out;
  if (points < 1) return out;
  const ServingCost base = serving_cost(d, r, p, -1);
  for (int i = 0; i < points; ++i) {
    const double u = points == 1 ? lo : lo + (hi - lo) * i / (points - 1);
    ServingDemand at = d;
    at.tokens_per_month = u * base.capacity_tokens_per_month;  // the same fleet, busier or idler
    ServingCost c = serving_cost(at, r, p, u);
    // Keep the fleet fixed: recompute the fleet-dependent options for the base fleet.
    SweepPoint s;
    s.utilization = u;
    s.tokens_per_month = at.tokens_per_month;
    s.api_usd = c.api.monthly_usd;
    s.rent_usd = base.gpus * p.rent_usd_per_gpu_hour * kHoursPerMonth;
    s.rent_elastic_usd = s.rent_usd * u;
    s.own_usd =
        base.gpus * kHoursPerMonth * (own_fixed_usd_per_gpu_hour(p) + own_power_usd_per_gpu_hour_at_full_load(p) * u);
    out.push_back(s);
  }
  return out;
}

std::vector<SweepPoint> sweep_volume(const ServingDemand& d, const ReplicaCapacity& r, const Prices& p, double lo,
                                     double hi, int points) {
  std::vector<SweepPoint> out;
  if (points < 1 || lo <= 0 || hi < lo) return out;
  for (int i = 0; i < points; ++i) {
    const double v = points == 1 ? lo : lo * std::pow(hi / lo, static_cast<double>(i) / (points - 1));
    ServingDemand at = d;
    at.tokens_per_month = v;
    const ServingCost c = serving_cost(at, r, p, -1);
    out.push_back(
        {c.utilization, v, c.api.monthly_usd, c.rent.monthly_usd, c.rent_elastic.monthly_usd, c.own.monthly_usd});
  }
  return out;
}

}  // namespace gpuplan
