// Views of one plan: JSON (schema gpuplan-plan/3), CSV of the candidates, a table, and --explain.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "gpuplan/plan.hpp"

namespace gpuplan::io {

struct PlanReport {
  const PlanRequest& request;
  const Plan& plan;
  double elapsed_s = 0;                // wall time of the search, measured by the caller (the core has no clock)
  std::size_t candidates_in_json = 0;  // the first N ranked candidates, one flat row each ("candidates")
};

nlohmann::ordered_json plan_json(const PlanReport& r);  // {"schema", "model", "plan", "candidates": [rows]}
std::string plan_csv(const PlanReport& r);              // one row per candidate, ranked
std::string plan_table(const PlanReport& r);            // the human-readable recommendation
std::string plan_explain(const PlanReport& r);          // the arithmetic behind the top choice

}  // namespace gpuplan::io
