// Speed validation against llama-bench measurements (shared/reference/llamacpp_speed.csv):
// fits each runtime family's factors (never per row), checks data/runtimes.json holds that fit,
// prints predicted vs measured for every row with median and worst error, and a
// leave-one-card-out check of how the model does on hardware it was not fitted on.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "gpuplan/calibration.hpp"
#include "speed_rows.hpp"

using namespace gpuplan;
using gpuplan::testing::reference_speed_rows;
using gpuplan::testing::speed_inputs;
using gpuplan::testing::SpeedRow;

namespace {

double predicted_tokens_per_s(const SpeedRow& row, const RuntimeModel& rt) {
  const Speed s = estimate_speed(speed_inputs(row, rt));
  return row.decode ? s.decode_tokens_per_s.expected : s.prefill_tokens_per_s.expected;
}

bool quantised(const SpeedRow& row) {
  return row.quant != "f16";
}

// Fits a family's factors on `rows` (all of one runtime + hardware family).
RuntimeModel fit_family(const std::vector<SpeedRow>& rows, RuntimeModel rt) {
  std::vector<DecodeSample> decode;
  for (const auto& r : rows) {
    if (!r.decode) continue;
    const RooflineTerms t = decode_terms(speed_inputs(r, rt), 256, 1);  // mid-depth of tg512
    decode.push_back({t.memory_s, t.passes * t.layers, 1.0 / r.measured_tokens_per_s});
  }
  const DecodeFit d = fit_decode(decode);
  rt.bandwidth_efficiency = d.bandwidth_efficiency;
  rt.layer_overhead_s = d.layer_overhead_s;
  for (const bool quant : {false, true}) {
    std::vector<PrefillSample> prefill;
    for (const auto& r : rows) {
      if (r.decode || quantised(r) != quant) continue;
      const RooflineTerms t = prefill_terms(speed_inputs(r, rt), 512);
      prefill.push_back({t.compute_s, t.passes * t.layers * rt.layer_overhead_s, 512.0 / r.measured_tokens_per_s});
    }
    if (prefill.empty()) continue;
    (quant ? rt.compute_efficiency_quant : rt.compute_efficiency_float) = fit_prefill_efficiency(prefill);
  }
  // Ranges: 10th / 90th percentile of measured / predicted with the fitted factors.
  rt.decode_ratio_low = rt.decode_ratio_high = rt.prefill_ratio_low = rt.prefill_ratio_high = 1;
  std::vector<double> dr, pr;
  for (const auto& r : rows) (r.decode ? dr : pr).push_back(r.measured_tokens_per_s / predicted_tokens_per_s(r, rt));
  rt.decode_ratio_low = quantile(dr, 0.1);
  rt.decode_ratio_high = quantile(dr, 0.9);
  rt.prefill_ratio_low = quantile(pr, 0.1);
  rt.prefill_ratio_high = quantile(pr, 0.9);
  return rt;
}

double median_abs(std::vector<double> e) {
  for (auto& x : e) x = std::fabs(x);
  return quantile(e, 0.5);
}
double worst_abs(const std::vector<double>& e) {
  double w = 0;
  for (double x : e) w = std::max(w, std::fabs(x));
  return w;
}

struct Family {
  const char* id;
  std::function<bool(const SpeedRow&)> member;
};
const Family kFamilies[] = {{"llama.cpp-cuda", [](const SpeedRow& r) { return !gpuplan::testing::is_apple(r); }},
                            {"llama.cpp-metal", [](const SpeedRow& r) { return gpuplan::testing::is_apple(r); }}};

const RuntimeModel& stored(const char* id) {
  for (const auto& r : gpuplan::testing::catalog().runtimes) {
    if (r.id == id) return r;
  }
  throw std::runtime_error(std::string("no runtime ") + id + " in data/runtimes.json");
}

std::vector<SpeedRow> members(const std::vector<SpeedRow>& rows, const Family& f) {
  std::vector<SpeedRow> out;
  for (const auto& r : rows) {
    if (f.member(r)) out.push_back(r);
  }
  return out;
}

}  // namespace

TEST(SpeedValidation, StoredFactorsAreTheFit) {
  const auto rows = reference_speed_rows();
  for (const auto& f : kFamilies) {
    const auto mine = members(rows, f);
    ASSERT_GE(mine.size(), 8u) << f.id;
    const RuntimeModel& data = stored(f.id);
    const RuntimeModel fit = fit_family(mine, data);
    std::printf(
        "%s fit on %zu rows: \"bandwidth_efficiency\": %.4f, \"layer_overhead_s\": %.7f, "
        "\"compute_efficiency_float\": %.4f, \"compute_efficiency_quant\": %.4f, \"decode_ratio_low\": %.4f, "
        "\"decode_ratio_high\": %.4f, \"prefill_ratio_low\": %.4f, \"prefill_ratio_high\": %.4f\n",
        f.id, mine.size(), fit.bandwidth_efficiency, fit.layer_overhead_s, fit.compute_efficiency_float,
        fit.compute_efficiency_quant, fit.decode_ratio_low, fit.decode_ratio_high, fit.prefill_ratio_low,
        fit.prefill_ratio_high);
    EXPECT_TRUE(data.calibrated) << f.id;
    EXPECT_NEAR(data.bandwidth_efficiency / fit.bandwidth_efficiency, 1, 0.01) << f.id;
    EXPECT_NEAR(data.layer_overhead_s, fit.layer_overhead_s, 0.01 * fit.layer_overhead_s + 1e-9) << f.id;
    EXPECT_NEAR(data.compute_efficiency_float / fit.compute_efficiency_float, 1, 0.01) << f.id;
    EXPECT_NEAR(data.compute_efficiency_quant / fit.compute_efficiency_quant, 1, 0.01) << f.id;
    EXPECT_NEAR(data.decode_ratio_low, fit.decode_ratio_low, 0.01) << f.id;
    EXPECT_NEAR(data.decode_ratio_high, fit.decode_ratio_high, 0.01) << f.id;
    EXPECT_NEAR(data.prefill_ratio_low, fit.prefill_ratio_low, 0.01) << f.id;
    EXPECT_NEAR(data.prefill_ratio_high, fit.prefill_ratio_high, 0.01) << f.id;
  }
}

TEST(SpeedValidation, PredictedVsMeasuredEveryRow) {
  std::vector<std::string> skipped;
  const auto rows = reference_speed_rows(&skipped);
  std::vector<double> tg, pp;
  std::printf("\n| hardware / model / quant / test | predicted t/s | measured t/s | error |\n|---|---:|---:|---:|\n");
  for (const auto& r : rows) {
    const char* family = gpuplan::testing::is_apple(r) ? "llama.cpp-metal" : "llama.cpp-cuda";
    const double predicted = predicted_tokens_per_s(r, stored(family));
    const double err = (predicted - r.measured_tokens_per_s) / r.measured_tokens_per_s;
    (r.decode ? tg : pp).push_back(err);
    std::printf("| %s | %.1f | %.1f | %+.1f%% |\n", r.label.c_str(), predicted, r.measured_tokens_per_s, 100 * err);
  }
  std::printf("| **generation (tg512), %zu rows** | | median abs error **%.1f%%** | worst %.1f%% |\n", tg.size(),
              100 * median_abs(tg), 100 * worst_abs(tg));
  std::printf("| **prompt processing (pp512), %zu rows** | | median abs error **%.1f%%** | worst %.1f%% |\n", pp.size(),
              100 * median_abs(pp), 100 * worst_abs(pp));
  for (const auto& s : skipped) std::printf("skipped: %s\n", s.c_str());
  EXPECT_GE(tg.size() + pp.size(), 40u);
  EXPECT_LE(median_abs(tg), 0.15);
  EXPECT_LE(median_abs(pp), 0.25);
}

TEST(SpeedValidation, LeaveOneCardOut) {
  // Refit each family without one card's rows, predict that card: how the model does on
  // hardware it has not seen.
  const auto rows = reference_speed_rows();
  std::vector<double> tg, pp;
  std::set<std::string> cards;
  for (const auto& r : rows) cards.insert(r.gpu_id);
  for (const auto& card : cards) {
    for (const auto& f : kFamilies) {
      std::vector<SpeedRow> train, test;
      for (const auto& r : members(rows, f)) (r.gpu_id == card ? test : train).push_back(r);
      if (test.empty()) continue;
      const RuntimeModel rt = fit_family(train, stored(f.id));
      for (const auto& r : test) {
        const double err = (predicted_tokens_per_s(r, rt) - r.measured_tokens_per_s) / r.measured_tokens_per_s;
        (r.decode ? tg : pp).push_back(err);
      }
    }
  }
  std::printf(
      "leave-one-card-out over %zu cards: generation median %.1f%% (worst %.1f%%), prompt processing "
      "median %.1f%% (worst %.1f%%)\n",
      cards.size(), 100 * median_abs(tg), 100 * worst_abs(tg), 100 * median_abs(pp), 100 * worst_abs(pp));
  EXPECT_LE(median_abs(tg), 0.20);
  EXPECT_LE(median_abs(pp), 0.30);
}
