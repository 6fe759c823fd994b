// Cost: buy, rent or call an API. Monthly cost, cost per million tokens and the break-even
// utilisation and volumes between the options, from the same memory and speed estimates.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/scenario.hpp"

namespace gpuplan {

inline constexpr double kHoursPerMonth = 730.0;  // 8760 / 12

struct Prices {
  double api_input_usd_per_million = 0;
  double api_output_usd_per_million = 0;
  double rent_usd_per_gpu_hour = 0;       // on demand
  double committed_usd_per_gpu_hour = 0;  // 0 = no committed price known
  double purchase_usd_per_gpu = 0;
  double capex_extra_usd_per_gpu = 0;  // host server share, networking (not in GPU prices)
  double years = 3;                    // straight-line amortisation
  double power_usd_per_kwh = 0.1194;
  double pue = 1.58;
  double hosting_usd_per_kw_month = 184.06;
  double server_power_factor = 1.82;  // node power / GPU TDP
  double gpu_tdp_w = 0;
};

// Owned hardware per GPU: fixed cost per hour (amortised purchase + hosting) and power per
// hour at full load (TDP x server factor x PUE x price).
double own_fixed_usd_per_gpu_hour(const Prices& p);
double own_power_usd_per_gpu_hour_at_full_load(const Prices& p);
// Utilisation above which owning beats renting the same GPU-hours on demand:
// u* = fixed / (rent - power at full load); infinity when renting is never dearer.
double breakeven_utilization_own_vs_rent(const Prices& p);

struct ServingDemand {
  double tokens_per_month = 0;  // input + output
  double prompt_tokens = 1000;  // per request
  double output_tokens = 200;   // per request
  double peak_concurrency = 1;  // requests in flight at the peak
};

// One model copy and what it serves.
struct ReplicaCapacity {
  double gpus = 1;         // cards per replica
  double concurrency = 1;  // requests one replica serves at once (memory and latency permitting)
  double request_s = 1;    // seconds a request holds a slot: TTFT + output x TPOT at that concurrency
  double tpot_s = 0;
  double ttft_s = 0;
  bool meets_latency = true;  // false: even one request per replica misses the TPOT target
  [[nodiscard]] double tokens_per_s(const ServingDemand& d) const {
    return request_s > 0 ? concurrency * (d.prompt_tokens + d.output_tokens) / request_s : 0;
  }
};

struct CostOption {
  double monthly_usd = 0;
  double usd_per_million_tokens = 0;
  double gpus = 0;
};

struct ServingCost {
  CostOption api;
  CostOption rent;            // on demand, fleet on all month
  CostOption rent_elastic;    // on demand, billed only while busy (ideal autoscaling)
  CostOption rent_committed;  // committed price, on all month (monthly_usd 0 when no price)
  CostOption own;
  double replicas = 0;
  double gpus = 0;
  double capacity_tokens_per_month = 0;
  double utilization = 0;                   // demand / capacity (or the given override)
  double breakeven_utilization = 0;         // own vs rent on demand (per GPU-hour)
  double breakeven_tokens_api_vs_rent = 0;  // tokens/month at which the smallest always-on rented fleet equals the API
  double breakeven_tokens_api_vs_own = 0;   // same for the smallest owned fleet (power at that volume included)
};

// utilization_override < 0: use demand / capacity.
ServingCost serving_cost(const ServingDemand& demand, const ReplicaCapacity& replica, const Prices& prices,
                         double utilization_override);

struct JobCost {
  double gpu_hours = 0;
  double rent_usd = 0;
  double committed_usd = 0;
  double own_usd = 0;  // at the given lifetime utilisation of the owned cards
  double own_utilization = 0;
  double breakeven_utilization = 0;
};
JobCost job_cost(double gpu_hours, const Prices& prices, double own_utilization);

struct SweepPoint {
  double utilization = 0;
  double tokens_per_month = 0;
  double api_usd = 0;
  double rent_usd = 0;  // always on
  double rent_elastic_usd = 0;
  double own_usd = 0;
};
// The serving comparison at `points` utilisations from lo to hi (volume = utilisation x capacity).
std::vector<SweepPoint> sweep_utilization(const ServingDemand& demand, const ReplicaCapacity& replica,
                                          const Prices& prices, double lo, double hi, int points);
// The comparison at `points` volumes from lo to hi tokens/month (geometric), fleet resized to each volume.
std::vector<SweepPoint> sweep_volume(const ServingDemand& demand, const ReplicaCapacity& replica, const Prices& prices,
                                     double lo, double hi, int points);

}  // namespace gpuplan
