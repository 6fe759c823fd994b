// Views of one `fit` result: a JSON document (gpuplan-fit/2, schemas/fit.schema.json) and a text table.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuplan/advice.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan::io {

struct FitReport {
  const Model& model;
  bool architecture_assumed;
  const Gpu& gpu;
  const Scenario& scenario;
  const Estimate& estimate;
  const std::vector<FitSuggestion>& suggestions;
};

std::string verdict_line(const FitReport& r);
nlohmann::ordered_json fit_json(const FitReport& r);  // gpuplan-fit/2, bytes as integers
std::string fit_table(const FitReport& r);            // the human-readable breakdown

}  // namespace gpuplan::io
