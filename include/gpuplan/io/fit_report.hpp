// Views of one `fit` result: a JSON document (stable schema, see README) and a text table.
#pragma once
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
std::string fit_json(const FitReport& r);   // one JSON object, bytes as integers
std::string fit_table(const FitReport& r);  // the human-readable breakdown

}  // namespace gpuplan::io
