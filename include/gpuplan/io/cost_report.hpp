// Views of one `cost` result: the serving comparison (the plan's candidate for the card) as a text
// table, a JSON document (gpuplan-cost/2) and CSV, and the rent-vs-own job comparison.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/cost.hpp"
#include "gpuplan/plan.hpp"

namespace gpuplan::io {

struct CostReport {
  const PlanRequest& request;
  const PlanCandidate& best;
  const Model& model;
  const std::vector<SweepPoint>& sweep;
  bool gpu_chosen;           // --gpu not given
  std::size_t cards_priced;  // cards with a rental price in the catalog
};

std::string cost_table(const CostReport& r);
nlohmann::ordered_json cost_json(const CostReport& r);
std::string cost_csv(const CostReport& r);

struct CostJobReport {
  const Gpu& gpu;
  const JobCost& job;
  const Prices& prices;
  const PriceOverrides& overrides;
  const PriceBook& book;
};
std::string cost_job_table(const CostJobReport& r);
nlohmann::ordered_json cost_job_json(const CostJobReport& r);

}  // namespace gpuplan::io
