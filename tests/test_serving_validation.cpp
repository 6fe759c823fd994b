// Serving under load against measured runs (shared/reference/serving_aic_silicon.csv): the fitting
// program of data/serving_calibration.json and its validation.
//
// Calibrations are fitted per (engine, GPU family) on all rows of the pair, with fallbacks per
// engine (all its families) and for any engine. Held-out errors: leave-one-system-out inside a
// pair (a system = engine x card x model, fitted on the pair's other systems); for the engine
// fallback, leave-one-family-out; for the any-engine fallback, leave-one-engine-out. Fit rows and
// held-out rows are printed apart. GPUPLAN_WRITE_SERVING_CALIBRATION=1 rewrites the data file;
// otherwise the file must equal what this program fits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "serving_rows.hpp"
#include "validation_report.hpp"

namespace gpuplan::testing {
namespace {

struct Errors {
  std::vector<double> tpot, ttft, throughput;
};

double relative(double predicted, double measured) {
  return measured > 0 ? predicted / measured - 1 : 0;
}

double throughput(const ServingObservation& o, double ttft, double tpot) {
  const double life = ttft + (o.output_tokens - 1) * tpot;
  return life > 0 ? o.concurrency * o.output_tokens / life : 0;
}

double quantile_abs(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  for (auto& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  const auto last = static_cast<double>(v.size() - 1);
  return v[static_cast<std::size_t>(std::min(last, std::floor(q * last)))];
}

std::vector<ServingObservation> observations(const std::vector<const ServingRow*>& rows) {
  std::vector<ServingObservation> out;
  out.reserve(rows.size());
  for (const auto* r : rows) out.push_back(r->observation);
  return out;
}

void add_errors(Errors& e, const ServingObservation& o, const ServingPrediction& p) {
  e.tpot.push_back(relative(p.tpot_s, o.measured_tpot_s));
  e.ttft.push_back(relative(p.ttft_s, o.measured_ttft_s));
  e.throughput.push_back(
      relative(throughput(o, p.ttft_s, p.tpot_s), throughput(o, o.measured_ttft_s, o.measured_tpot_s)));
}

// Fits on `fit`, predicts `held_out`: held-out errors of every row of `held_out`.
void hold_out(const std::vector<const ServingRow*>& fit, const std::vector<const ServingRow*>& held_out,
              const ServingCalibration& start, Errors& e, std::vector<std::string>* lines) {
  if (fit.empty() || held_out.empty()) return;
  const ServingCalibration c = fit_serving_calibration(observations(fit), start);
  for (const auto* r : held_out) {
    const ServingPrediction p = predict(r->observation, c);
    add_errors(e, r->observation, p);
    if (lines) {
      char line[320];
      std::snprintf(line, sizeof line, "| %s | held out | %.2f / %.2f | %.0f / %.0f |", r->observation.label.c_str(),
                    p.tpot_s * 1e3, r->observation.measured_tpot_s * 1e3, p.ttft_s * 1e3,
                    r->observation.measured_ttft_s * 1e3);
      lines->push_back(line);
    }
  }
}

template <typename Key>
std::map<Key, std::vector<const ServingRow*>> group_by(const std::vector<const ServingRow*>& rows,
                                                       Key (*key)(const ServingRow&)) {
  std::map<Key, std::vector<const ServingRow*>> out;
  for (const auto* r : rows) out[key(*r)].push_back(r);
  return out;
}

std::string system_key(const ServingRow& r) {
  return r.observation.group;
}
std::string family_key(const ServingRow& r) {
  return to_string(r.family);
}
std::string engine_key(const ServingRow& r) {
  return r.engine;
}

// Leave one `key` out of `rows`: every row predicted by a fit on the others.
Errors leave_one_out(const std::vector<const ServingRow*>& rows, std::string (*key)(const ServingRow&),
                     std::vector<std::string>* lines) {
  Errors e;
  const auto groups = group_by(rows, key);
  for (const auto& [name, members] : groups) {
    std::vector<const ServingRow*> others;
    for (const auto* r : rows) {
      if (key(*r) != name) others.push_back(r);
    }
    hold_out(others, members, ServingCalibration{}, e, lines);
  }
  return e;
}

struct Fitted {
  ServingCalibration calibration;
  Errors in_sample, held_out;
  std::size_t rows = 0, systems = 0;
  std::string measured_from, measured_to;
};

Fitted fit_level(const std::vector<const ServingRow*>& rows, const std::string& engine, const std::string& family,
                 std::string (*held_out_key)(const ServingRow&), std::vector<std::string>* lines) {
  Fitted f;
  ServingCalibration start;
  start.engine = engine;
  start.architecture = family;
  f.calibration = fit_serving_calibration(observations(rows), start);
  f.rows = rows.size();
  std::set<std::string> systems;
  for (const auto* r : rows) {
    systems.insert(r->observation.group);
    add_errors(f.in_sample, r->observation, predict(r->observation, f.calibration));
    if (!r->measured_on.empty()) {
      if (f.measured_from.empty() || r->measured_on < f.measured_from) f.measured_from = r->measured_on;
      if (r->measured_on > f.measured_to) f.measured_to = r->measured_on;
    }
  }
  f.systems = systems.size();
  f.held_out = leave_one_out(rows, held_out_key, lines);
  f.calibration.median_error = median_abs(f.held_out.tpot);
  f.calibration.p90_error = quantile_abs(f.held_out.tpot, 0.9);
  return f;
}

nlohmann::json to_json(const Fitted& f, const std::string& held_out_by, const std::string& fallback) {
  const ServingCalibration& c = f.calibration;
  auto round6 = [](double x) { return std::round(x * 1e6) / 1e6; };
  return {{"engine", c.engine},
          {"architecture", c.architecture},
          {"fallback", fallback},
          {"gemm_efficiency", round6(c.gemm_efficiency)},
          {"bandwidth_efficiency", round6(c.bandwidth_efficiency)},
          {"step_overhead_s", round6(c.step_overhead_s)},
          {"layer_overhead_s", round6(c.layer_overhead_s)},
          {"link_efficiency", round6(c.link_efficiency)},
          {"burst_share", round6(c.burst_share)},
          {"gemm_half_tokens", round6(c.gemm_half_tokens)},
          {"request_overhead_s", round6(c.request_overhead_s)},
          {"fit_rows", f.rows},
          {"fit_systems", f.systems},
          {"measured_from", f.measured_from},
          {"measured_to", f.measured_to},
          {"held_out_by", held_out_by},
          {"held_out_rows", f.held_out.tpot.size()},
          {"held_out_tpot_median_error", round6(median_abs(f.held_out.tpot))},
          {"held_out_tpot_p90_error", round6(quantile_abs(f.held_out.tpot, 0.9))},
          {"held_out_ttft_median_error", round6(median_abs(f.held_out.ttft))},
          {"held_out_ttft_p90_error", round6(quantile_abs(f.held_out.ttft, 0.9))},
          {"held_out_throughput_median_error", round6(median_abs(f.held_out.throughput))},
          {"in_sample_tpot_median_error", round6(median_abs(f.in_sample.tpot))},
          {"in_sample_ttft_median_error", round6(median_abs(f.in_sample.ttft))}};
}

std::string summary_row(const std::string& what, const Fitted& f) {
  char held[200] = "no held-out rows (one system) | – | – | –";
  if (!f.held_out.tpot.empty()) {
    std::snprintf(held, sizeof held, "%zu | %.1f%% (p90 %.1f%%) | %.1f%% (p90 %.1f%%) | %.1f%%", f.held_out.tpot.size(),
                  100 * median_abs(f.held_out.tpot), 100 * quantile_abs(f.held_out.tpot, 0.9),
                  100 * median_abs(f.held_out.ttft), 100 * quantile_abs(f.held_out.ttft, 0.9),
                  100 * median_abs(f.held_out.throughput));
  }
  char line[500];
  std::snprintf(line, sizeof line, "| %s | %zu rows, %zu system%s | %.1f%% / %.1f%% | %s |", what.c_str(), f.rows,
                f.systems, f.systems == 1 ? "" : "s", 100 * median_abs(f.in_sample.tpot),
                100 * median_abs(f.in_sample.ttft), held);
  return line;
}

TEST(ServingValidation, AicSiliconRows) {
  std::vector<std::string> skipped;
  const std::vector<ServingRow> all = serving_rows(&skipped);
  ASSERT_FALSE(all.empty());
  std::vector<const ServingRow*> rows;
  for (const auto& r : all) rows.push_back(&r);
  const std::size_t total = all.size() + skipped.size();
  std::printf("expressible: %zu of %zu rows (%.0f%%); skipped by reason:\n", all.size(), total,
              100.0 * static_cast<double>(all.size()) / static_cast<double>(total));
  std::map<std::string, int> reasons;
  for (const auto& s : skipped) reasons[s.substr(s.find(" ("))]++;
  for (const auto& [why, n] : reasons) std::printf("  %d %s\n", n, why.c_str());

  nlohmann::json calibrations = nlohmann::json::array();
  std::vector<std::string> summary, lines;
  Errors pooled;  // every pair's leave-one-system-out rows
  for (const auto& [engine, engine_rows] : group_by(rows, engine_key)) {
    for (const auto& [family, pair_rows] : group_by(engine_rows, family_key)) {
      const Fitted f = fit_level(pair_rows, engine, family, system_key, &lines);
      for (double x : f.held_out.tpot) pooled.tpot.push_back(x);
      for (double x : f.held_out.ttft) pooled.ttft.push_back(x);
      for (double x : f.held_out.throughput) pooled.throughput.push_back(x);
      calibrations.push_back(to_json(f, "system (engine x card x model)", ""));
      summary.push_back(summary_row(engine + " / " + family, f));
    }
    const Fitted f = fit_level(engine_rows, engine, "any", family_key, nullptr);
    calibrations.push_back(to_json(f, "GPU family", "architecture -> engine"));
    summary.push_back(summary_row(engine + " / any family (fallback)", f));
  }
  const Fitted any = fit_level(rows, "any", "any", engine_key, nullptr);
  calibrations.push_back(to_json(any, "engine", "architecture -> engine -> any"));
  summary.push_back(summary_row("any engine (fallback)", any));

  std::printf(
      "\n#### Per row, held out (leave-one-system-out): TPOT ms predicted / measured, TTFT ms predicted / measured\n");
  std::printf("| row | set | TPOT ms | TTFT ms |\n|---|---|---:|---:|\n");
  for (const auto& l : lines) std::printf("%s\n", l.c_str());

  std::ostringstream table;
  table << "| calibration | fitted on | in-sample TPOT / TTFT median | held-out rows | held-out TPOT median | held-out "
           "TTFT median | held-out throughput median |\n|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& s : summary) table << s << "\n";
  char pooled_line[300];
  std::snprintf(
      pooled_line, sizeof pooled_line,
      "\nAll pairs, leave-one-system-out: %zu rows, TPOT median %.1f%%, TTFT median %.1f%%, throughput median "
      "%.1f%%; %zu of %zu rows expressible.\n",
      pooled.tpot.size(), 100 * median_abs(pooled.tpot), 100 * median_abs(pooled.ttft),
      100 * median_abs(pooled.throughput), all.size(), total);
  table << pooled_line;
  std::printf("\n#### Serving calibrations (data/serving_calibration.json)\n%s", table.str().c_str());
  expect_readme_block("serving-accuracy", "serving_accuracy.md", table.str());

  nlohmann::json doc = {
      {"schema", "gpuplan-serving-calibration/1"},
      {"source",
       "serving_aic_silicon.csv: ai-dynamo/aiconfigurator aic-core/src/aiconfigurator_core/systems/silicon_sample.csv "
       "@095f58a (Apache-2.0), aggregated serving on H100 SXM and B200 SXM"},
      {"written_by", "tests/test_serving_validation.cpp with GPUPLAN_WRITE_SERVING_CALIBRATION=1"},
      {"calibrations", calibrations}};
  const std::string path = std::string(GPUPLAN_SOURCE_DIR) + "/data/serving_calibration.json";
  if (std::getenv("GPUPLAN_WRITE_SERVING_CALIBRATION") != nullptr) {
    std::ofstream(path) << doc.dump(2) << "\n";
  } else {
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path << " missing: run with GPUPLAN_WRITE_SERVING_CALIBRATION=1";
    const nlohmann::json stored = nlohmann::json::parse(in);
    EXPECT_EQ(stored.at("calibrations"), doc.at("calibrations"))
        << "data/serving_calibration.json is not what this program fits: rerun with "
           "GPUPLAN_WRITE_SERVING_CALIBRATION=1";
  }

  // Today's held-out errors (asserted near them, so a change that loses accuracy fails) and the
  // rows the model can express.
  EXPECT_LE(median_abs(pooled.tpot), 0.195);        // 18.6 % with the step overhead bounded at 1 ms
  EXPECT_LE(median_abs(pooled.ttft), 0.405);        // 39.4 %
  EXPECT_LE(median_abs(pooled.throughput), 0.185);  // 17.7 %
  EXPECT_GE(all.size(), 2504u);

  // Every fitted efficiency is a share of the peak it divides.
  for (const auto& c : calibrations) {
    EXPECT_LE(c.at("gemm_efficiency").get<double>(), 1.0);
    EXPECT_LE(c.at("bandwidth_efficiency").get<double>(), 1.0);
    EXPECT_LE(c.at("link_efficiency").get<double>(), 1.0);
    EXPECT_GE(c.at("gemm_half_tokens").get<double>(), 0.0);  // occupancy n / (n + half) <= 1
  }
}

}  // namespace
}  // namespace gpuplan::testing
