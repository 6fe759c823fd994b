// data/serving_calibration.json: the serving step model's constants per (engine, GPU family).
#include <string>

#include "catalog_reader.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan::io {

using namespace detail;

namespace {

Result<ServingCalibration> read_calibration(const json& j, Reader& r) {
  ServingCalibration c;
  c.engine = r.string(j, "engine", true);
  c.architecture = r.string(j, "architecture", true);
  c.fallback = r.string(j, "fallback");
  // Efficiencies are shares of the peak they divide: above 1 is refused.
  c.gemm_efficiency = r.number(j, "gemm_efficiency", 0, true, 1.0);
  c.bandwidth_efficiency = r.number(j, "bandwidth_efficiency", 0, true, 1.0);
  c.link_efficiency = r.number(j, "link_efficiency", 0, true, 1.0);
  c.step_overhead_s = r.number(j, "step_overhead_s", 0, true, 1.0);
  c.layer_overhead_s = r.number(j, "layer_overhead_s", 0, true, 0.1);
  c.burst_share = r.number(j, "burst_share", 0, true, 1.0);
  c.gemm_half_tokens = r.number(j, "gemm_half_tokens", 0, false, 1e4);
  c.request_overhead_s = r.number(j, "request_overhead_s", 0, false, 10.0);
  c.fit_rows = r.number(j, "fit_rows", 0, false, 1e7);
  c.fit_systems = r.number(j, "fit_systems", 0, false, 1e6);
  c.held_out_rows = r.number(j, "held_out_rows", 0, false, 1e7);
  c.held_out_by = r.string(j, "held_out_by");
  c.measured = r.string(j, "measured_from");
  const std::string to = r.string(j, "measured_to");
  if (!to.empty() && to != c.measured) c.measured += " to " + to;
  c.median_error = r.number(j, "held_out_tpot_median_error", 0, false, 100);
  c.p90_error = r.number(j, "held_out_tpot_p90_error", 0, false, 100);
  c.ttft_median_error = r.number(j, "held_out_ttft_median_error", 0, false, 100);
  c.ttft_p90_error = r.number(j, "held_out_ttft_p90_error", 0, false, 100);
  if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
  if (c.gemm_efficiency <= 0 || c.bandwidth_efficiency <= 0 || c.link_efficiency <= 0) {
    return make_error(ErrorCode::parse_error, r.where + ": efficiencies must be positive");
  }
  c.calibrated = true;
  c.fitted_on = c.engine + " on " + c.architecture;
  return c;
}

}  // namespace

Result<bool> parse_serving_calibration_json(std::string_view text, Catalog& catalog) {
  return read_catalog<bool>(text, "gpuplan-serving-calibration/", "calibrations", "serving calibration",
                            [&](const json& doc) -> Result<bool> {
                              const json& list = doc["calibrations"];
                              for (std::size_t i = 0; i < list.size(); ++i) {
                                const json& j = list[i];
                                Reader r{"calibrations[" + std::to_string(i) + "]", {}};
                                if (!j.is_object()) {
                                  return make_error(ErrorCode::parse_error, r.where + ": must be an object");
                                }
                                auto c = read_calibration(j, r);
                                if (!c) return c.error();
                                catalog.serving_calibrations.push_back(std::move(c).value());
                              }
                              return true;
                            });
}

Result<bool> merge_serving_calibration_json(Catalog& catalog, std::string_view text, std::string_view source) {
  Catalog mine;
  auto ok = parse_serving_calibration_json(text, mine);
  if (!ok) return ok;
  for (ServingCalibration& c : mine.serving_calibrations) {
    c.fitted_on += " from " + std::string(source.substr(0, 256));
    bool replaced = false;
    for (ServingCalibration& have : catalog.serving_calibrations) {
      if (have.engine == c.engine && have.architecture == c.architecture) {
        have = c;
        replaced = true;
      }
    }
    if (!replaced) catalog.serving_calibrations.insert(catalog.serving_calibrations.begin(), c);
  }
  return true;
}

}  // namespace gpuplan::io
