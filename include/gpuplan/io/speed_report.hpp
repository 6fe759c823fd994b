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

// The serving closed loop of an estimate with has_load (speed's "serving" object and its lines).
nlohmann::ordered_json serving_load_json(const Scenario& s, const Estimate& e);
nlohmann::ordered_json serving_calibration_json(const ServingCalibration& c);
std::string serving_load_table(const Scenario& s, const Estimate& e);

}  // namespace gpuplan::io
