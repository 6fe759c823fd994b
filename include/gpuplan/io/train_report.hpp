// Views of one `train` result: a text report and a JSON document (gpuplan-train/3).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/training.hpp"

namespace gpuplan::io {

struct TrainScalePoint {
  double gpus = 0;
  double mfu = 0;
  bool fits = false;
};

// Everything `train` computed, with the settings that produced it.
struct TrainReport {
  std::string model_id, model_name;
  Mode method = Mode::pretrain;
  std::string gpu_id, gpu_name;
  std::string network, intra_node;
  std::string framework;
  bool fp8 = false;
  TrainModel model;
  TrainJob job;
  Cluster cluster;
  double capacity_bytes = 0;  // per card, before the headroom
  double headroom = 0;        // fraction kept free
  bool searched = false;      // no --layout: the layout was searched
  bool found = true;          // false: no layout meets the limits (why in `search.rejected`)
  Layout layout;
  TrainEstimate estimate;
  SearchResult search;
  double deadline_s = 0;
  bool deadline_is_default = false;
  double budget_usd = 0;
  std::string bound_by;  // what chose the layout: "cheapest within the deadline", "fastest within the budget", ...
  double usd_per_gpu_hour = 0;
  double energy_kwh = 0;
  double cost_usd = 0;
  double tokens_per_param = 0;
  double server_power_factor = 0, pue = 0;
  std::vector<TrainScalePoint> scale;
  double moe_low = 0, moe_median = 0, moe_high = 0;
};

std::string train_table(const TrainReport& r);
// Why no layout was found: the count evaluated, the rejections, and whether the search stopped early.
std::string train_infeasible_message(const TrainReport& r);
nlohmann::ordered_json train_json(const TrainReport& r);

}  // namespace gpuplan::io
