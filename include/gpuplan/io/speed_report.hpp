// Views of one `speed` result: JSON (the fit document plus a "speed" object) and a text table.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/speed.hpp"

namespace gpuplan::io {

struct SpeedReport {
  FitReport fit;
  std::vector<CurvePoint> curve;         // empty unless asked for
  double compute_bound_concurrency = 0;  // decode turns compute-bound from this many sequences (0: never)
};

nlohmann::ordered_json speed_json(const SpeedReport& r);  // gpuplan-speed/2
std::string speed_table(const SpeedReport& r);

}  // namespace gpuplan::io
