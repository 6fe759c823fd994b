// gpuplan idle: the analysis (hand-computed cases, properties), the telemetry parsers (nvidia-smi CSV
// in its variants, DCGM-exporter text, bad input), the views, and the command as a user runs it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gpuplan/idle.hpp"
#include "gpuplan/io/telemetry.hpp"

namespace {

using gpuplan::analyze_idle;
using gpuplan::IdleOptions;
using gpuplan::IdleReport;
using gpuplan::TelemetryClock;
using gpuplan::TelemetryGpu;
using gpuplan::TelemetryLog;
using gpuplan::TelemetrySample;
namespace io = gpuplan::io;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kEps = 1e-9;
constexpr double kJitter = 1e-4;  // hours: fixture timestamps carry nvidia-smi's millisecond jitter

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/telemetry/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

io::ParsedTelemetry parse_ok(const std::string& text, const io::TelemetryParseOptions& options = {}) {
  auto parsed = io::parse_telemetry(text, options);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  if (!parsed) return {};
  return std::move(parsed).value();
}

// Two GPUs, samples every 10 minutes from 2024-05-01 12:00, utilization as given.
TelemetryLog ten_minute_log(const std::vector<double>& gpu0, const std::vector<double>& gpu1) {
  TelemetryLog log;
  log.gpus = {TelemetryGpu{"0", 0, "H100", ""}, TelemetryGpu{"1", 1, "H100", ""}};
  const double start_s = 1714564800;  // 2024-05-01 12:00:00
  const std::vector<double>* series[] = {&gpu0, &gpu1};
  for (std::uint32_t g = 0; g < 2; ++g) {
    for (std::size_t k = 0; k < series[g]->size(); ++k) {
      TelemetrySample s;
      s.gpu = g;
      s.time_s = start_s + 600.0 * static_cast<double>(k);
      s.utilization_pct = (*series[g])[k];
      log.samples.push_back(s);
    }
  }
  return log;
}

// Every figure of a report: finite and >= 0, fractions <= 1, and the sums add up.
void expect_sane(const IdleReport& r) {
  auto ok = [](double v, const char* what) { EXPECT_TRUE(std::isfinite(v) && v >= 0) << what << " = " << v; };
  ok(r.covered_hours, "covered_hours");
  ok(r.no_data_hours, "no_data_hours");
  ok(r.idle_hours, "idle_hours");
  ok(r.idle_cost_usd, "idle_cost_usd");
  ok(r.covered_cost_usd, "covered_cost_usd");
  ok(r.median_interval_s, "median_interval_s");
  ok(r.max_gap_s, "max_gap_s");
  EXPECT_LE(r.idle_hours, r.covered_hours * (1 + kEps) + kEps);
  double covered = 0;
  for (const auto& g : r.gpus) {
    for (const double v :
         {g.covered_hours, g.no_data_hours, g.idle_hours, g.idle_fraction, g.longest_idle_hours, g.idle_cost_usd,
          g.covered_cost_usd, g.mean_utilization_pct, g.mean_power_w, g.peak_memory_used_bytes, g.memory_total_bytes,
          g.unused_memory_bytes, g.unused_memory_fraction}) {
      ok(v, "gpu figure");
    }
    EXPECT_LE(g.idle_hours, g.covered_hours * (1 + kEps) + kEps);
    EXPECT_LE(g.longest_idle_hours, g.idle_hours * (1 + kEps) + kEps);
    EXPECT_LE(g.idle_fraction, 1.0);
    EXPECT_LE(g.unused_memory_fraction, 1.0);
    EXPECT_LE(g.mean_utilization_pct, 100.0);
    const double span_h = (g.last_time_s - g.first_time_s + std::min(r.median_interval_s, r.max_gap_s)) / 3600;
    EXPECT_NEAR(g.covered_hours + g.no_data_hours, span_h, 1e-6 * (1 + span_h));
    double hourly_covered = 0, hourly_idle = 0;
    for (const auto& h : g.hourly) {
      for (const double v : {h.covered_hours, h.idle_hours, h.idle_share, h.mean_utilization_pct}) ok(v, "hour");
      EXPECT_LE(h.idle_share, 1.0);
      hourly_covered += h.covered_hours;
      hourly_idle += h.idle_hours;
    }
    EXPECT_NEAR(hourly_covered, g.covered_hours, 1e-6 * (1 + g.covered_hours));
    EXPECT_NEAR(hourly_idle, g.idle_hours, 1e-6 * (1 + g.idle_hours));
    covered += g.covered_hours;
  }
  EXPECT_NEAR(covered, r.covered_hours, 1e-6 * (1 + covered));
}

}  // namespace

// ------------------------------------------------------------------------------- the analysis

TEST(IdleAnalysis, TwoGpusTenMinuteSamplesExactIdleHoursAndCost) {
  // GPU 0 idles for the first hour, works 30 min, idles 30 min; GPU 1 idles 20 minutes in the middle.
  const TelemetryLog log = ten_minute_log({0, 0, 0, 0, 0, 0, 90, 90, 90, 1, 2, 4.9},
                                          {100, 100, 100, 3, 3, 100, 100, 100, 100, 100, 100, 100});
  IdleOptions o;
  o.price_per_hour_usd = 2.49;
  const IdleReport r = analyze_idle(log, o);
  ASSERT_EQ(r.gpus.size(), 2u);
  EXPECT_DOUBLE_EQ(r.median_interval_s, 600);
  EXPECT_DOUBLE_EQ(r.max_gap_s, 1800);  // 3 x 10 min > 5 min
  const auto& g0 = r.gpus[0];
  EXPECT_EQ(g0.samples, 12u);
  EXPECT_NEAR(g0.covered_hours, 2.0, kEps);
  EXPECT_NEAR(g0.idle_hours, 1.5, kEps);
  EXPECT_NEAR(g0.longest_idle_hours, 1.0, kEps);
  EXPECT_NEAR(g0.idle_cost_usd, 1.5 * 2.49, kEps);
  EXPECT_NEAR(g0.covered_cost_usd, 2.0 * 2.49, kEps);
  EXPECT_NEAR(g0.no_data_hours, 0, kEps);
  EXPECT_NEAR(g0.mean_utilization_pct, (270 + 7.9) / 12, kEps);
  const auto& g1 = r.gpus[1];
  EXPECT_NEAR(g1.idle_hours, 1.0 / 3, kEps);
  EXPECT_NEAR(g1.longest_idle_hours, 1.0 / 3, kEps);
  EXPECT_NEAR(r.idle_hours, 1.5 + 1.0 / 3, kEps);
  EXPECT_NEAR(r.idle_cost_usd, (1.5 + 1.0 / 3) * 2.49, kEps);
  EXPECT_EQ(r.gpus_mostly_idle, 1u);
  // Hour 12 (12:00-12:59): GPU 0 all idle, GPU 1 idle 20 of 60 minutes.
  EXPECT_NEAR(r.hourly[12].covered_hours, 2.0, kEps);
  EXPECT_NEAR(r.hourly[12].idle_share, (60 + 20) / 120.0, kEps);
  EXPECT_NEAR(r.gpus[0].hourly[13].idle_share, 0.5, kEps);
  EXPECT_NEAR(r.gpus[0].hourly[13].mean_utilization_pct, (270 + 7.9) / 6, kEps);
  EXPECT_NEAR(r.hourly[11].covered_hours, 0, kEps);
  expect_sane(r);
}

TEST(IdleAnalysis, ThresholdIsStrict) {
  const TelemetryLog log = ten_minute_log({5, 5, 4.99, 5}, {});
  IdleOptions o;
  o.price_per_hour_usd = 1;
  EXPECT_NEAR(analyze_idle(log, o).gpus[0].idle_hours, 10.0 / 60, kEps);
  o.threshold_pct = 50;
  EXPECT_NEAR(analyze_idle(log, o).gpus[0].idle_hours, 40.0 / 60, kEps);
}

TEST(IdleAnalysis, GapLongerThanMaxGapIsNoDataAndEndsTheIdleStretch) {
  TelemetryLog log = ten_minute_log({0, 0, 0, 0, 0, 0}, {});
  for (int k = 0; k < 6; ++k) {  // the same again after a 2 h 10 min gap
    TelemetrySample s = log.samples[static_cast<std::size_t>(k)];
    s.time_s += 3 * 3600;
    log.samples.push_back(s);
  }
  const IdleReport r = analyze_idle(log, IdleOptions{5, 3, 0});
  const auto& g = r.gpus[0];
  EXPECT_NEAR(g.covered_hours, 2.0, kEps);  // 12 samples x 10 min: the sample before the gap covers one interval
  EXPECT_NEAR(g.idle_hours, 2.0, kEps);
  EXPECT_NEAR(g.no_data_hours, 2.0, kEps);  // 00:50..03:00 less the 10 min the 00:50 sample stands for
  EXPECT_NEAR(g.longest_idle_hours, 1.0, kEps);
  EXPECT_NEAR(g.idle_cost_usd, 6.0, kEps);
  // With --max-gap 3h the gap counts as idle time of the sample before it.
  const IdleReport wide = analyze_idle(log, IdleOptions{5, 3, 3 * 3600});
  EXPECT_NEAR(wide.gpus[0].idle_hours, 2.0 + 2 + 10.0 / 60 - 10.0 / 60, kEps);
  EXPECT_NEAR(wide.gpus[0].no_data_hours, 0, kEps);
  EXPECT_NEAR(wide.gpus[0].longest_idle_hours, 4.0, kEps);
  expect_sane(r);
  expect_sane(wide);
}

TEST(IdleAnalysis, DefaultMaxGapIsFiveMinutesOrThreeMedianIntervals) {
  TelemetryLog log;
  log.gpus = {TelemetryGpu{"0", 0, "", ""}};
  for (int k = 0; k < 10; ++k) log.samples.push_back({60.0 * k, 0, 50, -1, -1, -1});
  EXPECT_DOUBLE_EQ(analyze_idle(log, {}).max_gap_s, 300);      // 3 x 60 s < 5 min
  log.samples.push_back({60.0 * 9 + 290, 0, 50, -1, -1, -1});  // a 290 s gap is still data
  EXPECT_NEAR(analyze_idle(log, {}).gpus[0].no_data_hours, 0, kEps);
  log.samples.push_back({60.0 * 9 + 290 + 301, 0, 50, -1, -1, -1});  // a 301 s gap is not
  EXPECT_NEAR(analyze_idle(log, {}).gpus[0].no_data_hours, (301 - 60) / 3600.0, kEps);
  EXPECT_DOUBLE_EQ(analyze_idle(log, IdleOptions{5, 0, 1000}).max_gap_s, 1000);
}

TEST(IdleAnalysis, ReadingsWithoutUtilizationCoverNoTime) {
  TelemetryLog log = ten_minute_log({0, -1, -1, -1, -1, 0}, {});  // [N/A] for 40 minutes
  log.samples[2].memory_used_bytes = 10 * kMiB;
  log.samples[2].memory_total_bytes = 100 * kMiB;
  log.samples[3].power_w = 300;
  const IdleReport r = analyze_idle(log, IdleOptions{5, 1, 0});
  const auto& g = r.gpus[0];
  EXPECT_EQ(g.samples, 6u);
  EXPECT_NEAR(g.covered_hours, 20.0 / 60, kEps);  // the two readings, the 50-minute gap is no data
  EXPECT_NEAR(g.no_data_hours, 40.0 / 60, kEps);
  EXPECT_TRUE(g.memory_reported);
  EXPECT_DOUBLE_EQ(g.peak_memory_used_bytes, 10 * kMiB);
  EXPECT_NEAR(g.unused_memory_fraction, 0.9, kEps);
  EXPECT_TRUE(g.power_reported);
  EXPECT_DOUBLE_EQ(g.mean_power_w, 300);
  expect_sane(r);
}

TEST(IdleAnalysis, MemoryNotReportedGivesZerosNotNaN) {
  const IdleReport r = analyze_idle(ten_minute_log({1, 2}, {}), {});
  EXPECT_FALSE(r.gpus[0].memory_reported);
  EXPECT_FALSE(r.gpus[0].power_reported);
  EXPECT_EQ(r.gpus[0].unused_memory_fraction, 0);
  EXPECT_EQ(r.gpus[0].mean_power_w, 0);
  expect_sane(r);
}

TEST(IdleAnalysis, IntervalsSplitAcrossHoursAndDays) {
  TelemetryLog log;
  log.gpus = {TelemetryGpu{"0", 0, "", ""}};
  // 23:30 and 00:30 the next day, one hour apart, max gap 2 h: the first reading covers 23:30-00:30.
  log.samples.push_back({86400 + 23.5 * 3600, 0, 0, -1, -1, -1});
  log.samples.push_back({2 * 86400 + 0.5 * 3600, 0, 80, -1, -1, -1});
  const IdleReport r = analyze_idle(log, IdleOptions{5, 1, 7200});
  EXPECT_NEAR(r.hourly[23].idle_hours, 0.5, kEps);
  EXPECT_NEAR(r.hourly[0].idle_hours, 0.5, kEps);
  EXPECT_NEAR(r.hourly[0].covered_hours, 1.0, kEps);  // + the last reading's 30 min (00:30-01:00)
  EXPECT_NEAR(r.hourly[0].idle_share, 0.5, kEps);
  // A reading that stands for more than a day adds whole days to every hour.
  log.samples[1].time_s = log.samples[0].time_s + 1.5 * 86400;
  const IdleReport days = analyze_idle(log, IdleOptions{5, 1, 2 * 86400});
  for (const auto& h : days.hourly) EXPECT_GE(h.idle_hours, 1.0 - kEps);
  EXPECT_NEAR(days.gpus[0].idle_hours, 36.0, kEps);
  expect_sane(days);
}

TEST(IdleAnalysis, InvalidSamplesAndOptionsAreIgnoredNotPropagated) {
  TelemetryLog log = ten_minute_log({0, 0, 0}, {});
  log.samples.push_back({NAN, 0, 0, -1, -1, -1});
  log.samples.push_back({-5, 0, 0, -1, -1, -1});
  log.samples.push_back({100, 7, 0, -1, -1, -1});  // no GPU 7
  log.samples.push_back({1714564800 + 1800, 0, NAN, INFINITY, -INFINITY, NAN});
  const IdleReport r = analyze_idle(log, IdleOptions{NAN, INFINITY, -1});
  ASSERT_EQ(r.gpus.size(), 1u);
  EXPECT_EQ(r.gpus[0].samples, 4u);
  EXPECT_DOUBLE_EQ(r.threshold_pct, 5);
  expect_sane(r);
  EXPECT_TRUE(analyze_idle(TelemetryLog{}, {}).gpus.empty());
}

// Property: every figure finite and >= 0, and the sums add up, for random valid logs (fixed seed).
TEST(IdleAnalysis, RandomLogsGiveFiniteNonNegativeConsistentFigures) {
  std::mt19937_64 rng(20240501);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  for (int round = 0; round < 300; ++round) {
    TelemetryLog log;
    const auto gpus = static_cast<std::uint32_t>(1 + rng() % 6);
    for (std::uint32_t g = 0; g < gpus; ++g) log.gpus.push_back({std::to_string(g), g, "GPU", ""});
    const int samples = static_cast<int>(rng() % 400);
    const double step_s = uniform(0.5, 7200);
    for (int k = 0; k < samples; ++k) {
      TelemetrySample s;
      s.gpu = static_cast<std::uint32_t>(rng() % gpus);
      s.time_s = uniform(0, 4e9) * (round % 3 == 0 ? 1 : 0) + step_s * k * uniform(0, 3);
      if (rng() % 5 != 0) s.utilization_pct = rng() % 3 == 0 ? 0 : uniform(0, 100);
      if (rng() % 4 != 0) s.memory_used_bytes = uniform(0, 200) * 1e9;
      if (rng() % 4 != 0) s.memory_total_bytes = uniform(0, 200) * 1e9;
      if (rng() % 3 != 0) s.power_w = uniform(0, 1500);
      log.samples.push_back(s);
    }
    IdleOptions o;
    o.threshold_pct = uniform(0, 100);
    o.price_per_hour_usd = uniform(0, 100);
    o.max_gap_s = rng() % 2 ? 0 : uniform(1, 1e6);
    SCOPED_TRACE("round " + std::to_string(round));
    expect_sane(analyze_idle(log, o));
  }
}

// ------------------------------------------------------------------------------- nvidia-smi CSV

TEST(IdleTelemetry, NvidiaSmiWithUnitsFixture) {
  const io::ParsedTelemetry p = parse_ok(fixture("units.csv"));
  EXPECT_EQ(p.format, io::TelemetryFormat::nvidia_smi_csv);
  EXPECT_EQ(p.log.clock, TelemetryClock::as_logged);
  EXPECT_EQ(p.lines_skipped, 0u);
  ASSERT_EQ(p.log.gpus.size(), 2u);
  EXPECT_EQ(p.log.gpus[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(p.log.samples.size(), 24u);
  IdleOptions o;
  o.price_per_hour_usd = 2.49;
  const IdleReport r = analyze_idle(p.log, o);
  const auto& g0 = r.gpus[0];
  EXPECT_NEAR(g0.covered_hours, 2.0, kJitter);
  EXPECT_NEAR(g0.idle_hours, 1.5, kJitter);
  EXPECT_NEAR(g0.longest_idle_hours, 1.0, kJitter);
  EXPECT_NEAR(g0.idle_cost_usd, 3.735, kJitter);
  EXPECT_DOUBLE_EQ(g0.peak_memory_used_bytes, 40960 * kMiB);
  EXPECT_DOUBLE_EQ(g0.memory_total_bytes, 81559 * kMiB);
  EXPECT_NEAR(g0.unused_memory_fraction, 1 - 40960.0 / 81559, kJitter);
  // Power of GPU 0 over the 11 readings that are not [N/A]: 70.5 .. 81.5 without 74.5.
  EXPECT_NEAR(g0.mean_power_w, (12 * 76.0 - 74.5) / 11, 1e-9);
  EXPECT_NEAR(r.gpus[1].idle_hours, 1.0 / 3, kJitter);
  EXPECT_DOUBLE_EQ(r.gpus[1].peak_memory_used_bytes, 81000 * kMiB);
  EXPECT_NEAR(r.idle_cost_usd, (1.5 + 1.0 / 3) * 2.49, kJitter);
}

TEST(IdleTelemetry, NvidiaSmiNoUnitsReorderedColumnsCrlf) {
  const io::ParsedTelemetry p = parse_ok(fixture("nounits_reordered_crlf.csv"));
  EXPECT_EQ(p.lines_skipped, 0u);
  ASSERT_EQ(p.log.gpus.size(), 1u);
  EXPECT_EQ(p.log.gpus[0].name, "NVIDIA L4");
  ASSERT_EQ(p.log.samples.size(), 6u);
  EXPECT_DOUBLE_EQ(p.log.samples[2].utilization_pct, 10);
  EXPECT_DOUBLE_EQ(p.log.samples[2].power_w, 75);
  EXPECT_DOUBLE_EQ(p.log.samples[2].memory_used_bytes, 3048 * kMiB);
  EXPECT_DOUBLE_EQ(p.log.samples[2].memory_total_bytes, 24564 * kMiB);
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 1, 0});
  EXPECT_NEAR(r.gpus[0].idle_hours, 20.0 / 60, kEps);  // 4 of 6 five-minute samples
  EXPECT_NEAR(r.gpus[0].covered_hours, 30.0 / 60, kEps);
}

TEST(IdleTelemetry, NvidiaSmiNoHeaderUsesTheQueryOrder) {
  const io::ParsedTelemetry p = parse_ok(fixture("noheader.csv"));
  EXPECT_EQ(p.lines_skipped, 0u);
  ASSERT_EQ(p.log.gpus.size(), 2u);
  EXPECT_EQ(p.log.gpus[1].name, "NVIDIA A100-SXM4-80GB");
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 2, 0});
  EXPECT_NEAR(r.gpus[0].idle_hours, 5.0 / 60, kEps);
  EXPECT_NEAR(r.gpus[1].idle_hours, 0, kEps);
  EXPECT_NEAR(r.gpus[1].mean_power_w, 250, kEps);
  EXPECT_DOUBLE_EQ(r.gpus[1].memory_total_bytes, 81920 * kMiB);
}

TEST(IdleTelemetry, GapsGarbageAndTruncatedLinesAreCountedNotFatal) {
  const io::ParsedTelemetry p = parse_ok(fixture("gaps_and_garbage.csv"));
  EXPECT_EQ(p.lines, 21u);
  EXPECT_EQ(p.lines_skipped, 6u);  // garbage, 2 truncated, bad date, bad number, 150 %; not the 2nd header
  ASSERT_EQ(p.skipped_examples.size(), io::kMaxSkippedExamples);
  const std::size_t lines[] = {4, 6, 13, 15, 17};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(p.skipped_examples[i].line, lines[i]);
  EXPECT_NE(p.skipped_examples[0].reason.find("expected 7 fields, got 1"), std::string::npos);
  EXPECT_NE(p.skipped_examples[2].reason.find("timestamp"), std::string::npos);
  EXPECT_NE(p.skipped_examples[4].reason.find("out of range"), std::string::npos);
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 2.49, 0});
  const auto& g = r.gpus[0];
  EXPECT_EQ(g.samples, 12u);
  EXPECT_NEAR(g.covered_hours, 2.0, kEps);
  EXPECT_NEAR(g.no_data_hours, 2.0, kEps);
  EXPECT_NEAR(g.idle_hours, 2.0, kEps);
  EXPECT_NEAR(g.longest_idle_hours, 1.0, kEps);
}

TEST(IdleTelemetry, EightGpuNodeOverTwoDaysShowsTheNightlyPattern) {
  const io::ParsedTelemetry p = parse_ok(fixture("node8_2days.csv"));
  EXPECT_EQ(p.lines_skipped, 0u);
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 2.49, 0});
  ASSERT_EQ(r.gpus.size(), 8u);
  EXPECT_DOUBLE_EQ(r.median_interval_s, 600);
  EXPECT_EQ(r.gpus_mostly_idle, 3u);  // GPUs 5-7 are dev boxes
  for (const auto& g : r.gpus) {
    EXPECT_EQ(g.samples, 276u);  // 288 ten-minute samples less the 2 h outage
    EXPECT_NEAR(g.no_data_hours, 2.0, kJitter);
    EXPECT_NEAR(g.covered_hours, 46.0, kJitter);
  }
  for (std::size_t i = 0; i < 5; ++i) {  // busy 07:00-23:00, idle 23:00-07:00: 2 x 8 h
    EXPECT_NEAR(r.gpus[i].idle_hours, 16.0, kJitter);
    EXPECT_NEAR(r.gpus[i].longest_idle_hours, 8.0, kJitter);
  }
  EXPECT_GT(r.hourly[3].idle_share, 0.99);
  EXPECT_LT(r.hourly[10].idle_share, 0.5);
  EXPECT_GT(r.hourly[10].mean_utilization_pct, 40);
  EXPECT_NEAR(r.gpus[7].unused_memory_fraction, 1 - 1.0 / 81559, kJitter);
  expect_sane(r);
}

TEST(IdleTelemetry, TimestampFormats) {
  const std::string header = "timestamp, index, utilization.gpu [%]\n";
  const auto p = parse_ok(header + "2024-05-01T12:00:00Z, 0, 0 %\n2024-05-01 12:01:00.5, 0, 0 %\n1714564920, 0, 0\n" +
                          "2024/02/30 12:00:00, 0, 0 %\n1969/12/31 23:59:59, 0, 0 %\n2024/05/01 24:00:00, 0, 0 %\n");
  ASSERT_EQ(p.log.samples.size(), 3u);
  EXPECT_DOUBLE_EQ(p.log.samples[0].time_s, 1714564800);
  EXPECT_DOUBLE_EQ(p.log.samples[1].time_s, 1714564860.5);
  EXPECT_DOUBLE_EQ(p.log.samples[2].time_s, 1714564920);
  EXPECT_EQ(p.lines_skipped, 3u);
  EXPECT_DOUBLE_EQ(parse_ok(header + "2024/02/29 00:00:00.000, 0, 0 %\n").log.samples[0].time_s, 1709164800);
}

TEST(IdleTelemetry, GpuIdentityWithoutIndexColumn) {
  const auto by_uuid = parse_ok(
      "timestamp, uuid, utilization.gpu [%]\n2024/05/01 00:00:00, GPU-a, 1 %\n"
      "2024/05/01 00:00:00, GPU-b, 1 %\n2024/05/01 00:01:00, GPU-a, 1 %\n");
  EXPECT_EQ(by_uuid.log.gpus.size(), 2u);
  const auto single = parse_ok("timestamp, utilization.gpu [%], power.draw [W]\n2024/05/01 00:00:00, 1 %, 60 W\n");
  EXPECT_EQ(single.log.gpus.size(), 1u);
}

TEST(IdleTelemetry, NotReportedMarkers) {
  const auto p = parse_ok(
      "timestamp, index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], power.draw [W]\n"
      "2024/05/01 00:00:00, 0, T4, [N/A], [Not Supported], [Unknown Error], N/A\n"
      "2024/05/01 00:01:00, 0, T4, 3 %, 1 GiB, 15360 MiB, 27 W\n");
  ASSERT_EQ(p.log.samples.size(), 2u);
  EXPECT_LT(p.log.samples[0].utilization_pct, 0);
  EXPECT_LT(p.log.samples[0].memory_used_bytes, 0);
  EXPECT_LT(p.log.samples[0].power_w, 0);
  EXPECT_DOUBLE_EQ(p.log.samples[1].memory_used_bytes, 1024 * kMiB);
}

TEST(IdleTelemetry, NothingReadableIsAnError) {
  const auto garbage = io::parse_telemetry(fixture("garbage.txt"));
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("no readable telemetry"), std::string::npos);
  EXPECT_NE(garbage.error().message.find("line 1"), std::string::npos);
  EXPECT_FALSE(io::parse_telemetry(""));
  EXPECT_FALSE(io::parse_telemetry("\r\n\n  \n"));
  EXPECT_FALSE(io::parse_telemetry("just words\nand more words\n"));
  EXPECT_FALSE(io::parse_telemetry("timestamp, index, name\n2024/05/01 00:00:00, 0, T4\n"));  // no utilization
  EXPECT_FALSE(io::parse_telemetry("# HELP DCGM_FI_DEV_GPU_UTIL x\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"));
}

TEST(IdleTelemetry, BoundsOnSizeLineLengthAndGpus) {
  std::string huge(io::kMaxTelemetryBytes + 1, '\n');
  EXPECT_FALSE(io::parse_telemetry(huge));
  huge = std::string();
  const std::string header = "timestamp, index, utilization.gpu [%]\n";
  const auto long_line = parse_ok(header + "2024/05/01 00:00:00, 0, 1 %\n2024/05/01 00:01:00, 0, 1 %" +
                                  std::string(io::kMaxTelemetryLineBytes, ' ') + "\n");
  EXPECT_EQ(long_line.lines_skipped, 1u);
  EXPECT_NE(long_line.skipped_examples[0].reason.find("longer than"), std::string::npos);
  std::string many = header;
  for (std::size_t g = 0; g < io::kMaxTelemetryGpus + 10; ++g)
    many += "2024/05/01 00:00:00, " + std::to_string(g) + ", 0\n";
  const auto p = parse_ok(many);
  EXPECT_EQ(p.log.gpus.size(), io::kMaxTelemetryGpus);
  EXPECT_EQ(p.lines_skipped, 10u);
}

// ------------------------------------------------------------------------------- DCGM exporter

TEST(IdleTelemetry, DcgmWithTimestampsFixture) {
  const io::ParsedTelemetry p = parse_ok(fixture("dcgm.prom"));
  EXPECT_EQ(p.format, io::TelemetryFormat::dcgm_prometheus);
  EXPECT_EQ(p.log.clock, TelemetryClock::unix_utc);
  EXPECT_EQ(p.lines_skipped, 0u);
  ASSERT_EQ(p.log.gpus.size(), 2u);
  EXPECT_EQ(p.log.gpus[0].host, "node-a");
  EXPECT_EQ(p.log.gpus[0].id, "node-a/0");
  EXPECT_EQ(p.log.gpus[1].name, "NVIDIA H100 80GB HBM3");
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 3.6, 0});
  EXPECT_DOUBLE_EQ(r.median_interval_s, 30);
  EXPECT_DOUBLE_EQ(r.max_gap_s, 300);
  const auto& g0 = r.gpus[0];
  EXPECT_EQ(g0.samples, 6u);
  EXPECT_NEAR(g0.covered_hours, 180.0 / 3600, kEps);
  EXPECT_NEAR(g0.idle_hours, 180.0 / 3600, kEps);
  EXPECT_NEAR(g0.idle_cost_usd, 0.18, kEps);
  EXPECT_DOUBLE_EQ(g0.memory_total_bytes, 81559 * kMiB);  // used + free + reserved
  EXPECT_DOUBLE_EQ(g0.peak_memory_used_bytes, 1024 * kMiB);
  EXPECT_DOUBLE_EQ(g0.mean_power_w, 70.25);
  EXPECT_NEAR(r.gpus[1].idle_hours, 30.0 / 3600, kEps);  // the last scrape at 2 %
  EXPECT_NEAR(r.gpus[1].mean_utilization_pct, (37 + 80 + 90 + 95 + 60 + 2) / 6.0, kEps);
  EXPECT_NEAR(r.hourly[12].covered_hours, 360.0 / 3600, kEps);  // 12:00 UTC
}

TEST(IdleTelemetry, DcgmWithoutTimestampsUsesScrapesTimesTheInterval) {
  const std::string text = fixture("dcgm_no_timestamps.prom");
  io::TelemetryParseOptions o;
  o.scrape_interval_s = 60;
  const io::ParsedTelemetry p = parse_ok(text, o);
  EXPECT_EQ(p.log.clock, TelemetryClock::relative);
  ASSERT_EQ(p.log.samples.size(), 8u);  // 4 scrapes x 2 GPUs
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 1, 0});
  EXPECT_DOUBLE_EQ(r.median_interval_s, 60);
  EXPECT_NEAR(r.gpus[0].covered_hours, 4.0 / 60, kEps);
  EXPECT_NEAR(r.gpus[1].idle_hours, 1.0 / 60, kEps);  // last scrape at 0 %
  // Blank lines do not matter: the same dump without them gives the same scrapes.
  std::string no_blank = text;
  std::size_t at = 0;
  while ((at = no_blank.find("\n\n")) != std::string::npos) no_blank.erase(at, 1);
  EXPECT_EQ(parse_ok(no_blank, o).log.samples.size(), 8u);
}

TEST(IdleTelemetry, DcgmOddLinesSentinelsAndMixedTimestamps) {
  const auto p = parse_ok(
      "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n"
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\", UUID=\"GPU-x\", modelName=\"A \\\"quoted\\\" name\"} 37 1714564800000\n"
      "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-x\",} 140737488355328 1714564800000\n"  // DCGM FP64 blank
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-x\"} NaN 1714564830000\n"
      "DCGM_FI_DEV_GPU_UTIL{UUID=\"GPU-y\"} 5 1714564800000\n"  // a GPU known by UUID only
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 5\n"                     // no timestamp in a timestamped dump
      "DCGM_FI_DEV_GPU_UTIL{Hostname=\"n\"} 5 1714564800000\n"  // no gpu, no UUID
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\" 37 1714564800000\n"       // truncated label set
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 101 1714564800000\n"     // out of range
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 3 1714564800000 extra\n"
      "DCGM_FI_DEV_FB_USED{gpu=\"0\"} abc 1714564800000\n"
      "go_goroutines 17\n");
  EXPECT_EQ(p.lines_skipped, 6u);
  ASSERT_GE(p.log.gpus.size(), 2u);
  EXPECT_EQ(p.log.gpus[0].name, "A \"quoted\" name");
  ASSERT_EQ(p.log.samples.size(), 3u);
  EXPECT_LT(p.log.samples[0].power_w, 0);
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 1, 0});
  expect_sane(r);
}

TEST(IdleTelemetry, FormatDetectionAndOverride) {
  EXPECT_EQ(io::detect_telemetry_format(fixture("dcgm.prom")).value(), io::TelemetryFormat::dcgm_prometheus);
  EXPECT_EQ(io::detect_telemetry_format(fixture("noheader.csv")).value(), io::TelemetryFormat::nvidia_smi_csv);
  EXPECT_EQ(io::detect_telemetry_format("\xEF\xBB\xBFtimestamp, index, utilization.gpu\n").value(),
            io::TelemetryFormat::nvidia_smi_csv);
  EXPECT_FALSE(io::detect_telemetry_format("hello\n"));
  io::TelemetryParseOptions o;
  o.format = io::TelemetryFormat::dcgm_prometheus;
  EXPECT_FALSE(io::parse_telemetry(fixture("units.csv"), o));  // forced: no CSV line is a metric
  EXPECT_EQ(io::parse_format_name("dcgm").value(), io::TelemetryFormat::dcgm_prometheus);
  EXPECT_EQ(io::parse_format_name("nvidia-smi").value(), io::TelemetryFormat::nvidia_smi_csv);
  EXPECT_FALSE(io::parse_format_name("xml"));
}

// ------------------------------------------------------------------------------- views

TEST(IdleViews, JsonCsvTableAndSummary) {
  const io::ParsedTelemetry p = parse_ok(fixture("units.csv"));
  const IdleReport r = analyze_idle(p.log, IdleOptions{5, 2.49, 0});
  const io::IdleView view{p, r, "units.csv"};
  const auto j = io::idle_json(view);
  EXPECT_EQ(j["schema"], "gpuplan-idle/2");
  const auto& idle = j["idle"];
  EXPECT_EQ(idle["format"], "nvidia-smi-csv");
  EXPECT_EQ(idle["gpus"].size(), 2u);
  EXPECT_NEAR(idle["gpus"][0]["idle_hours"].get<double>(), 1.5, kJitter);
  EXPECT_NEAR(idle["total_idle_cost_usd"].get<double>(), (1.5 + 1.0 / 3) * 2.49, kJitter);
  EXPECT_EQ(idle["gpus"][0]["hourly_profile"].size(), 24u);
  EXPECT_TRUE(idle["gpus"][0]["peak_memory_used_bytes"].is_number_integer());
  EXPECT_EQ(idle["gpus"][0]["peak_memory_used_bytes"].get<long long>(), 40960LL << 20);
  EXPECT_EQ(idle["gpus"][0]["gpu"]["name"], "NVIDIA H100 80GB HBM3");
  EXPECT_TRUE(idle["gpus"][0]["gpu"]["memory_bytes"].is_number_integer());
  EXPECT_EQ(idle["gpus"][0]["gpu"]["count"], 1);
  const std::string csv = io::idle_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_EQ(csv.rfind("host,index,name,samples,covered_hours,idle_hours", 0), 0u);
  EXPECT_EQ(io::idle_summary(r), "1 of 2 GPUs idle more than half the time: $4.57 of $9.96 spent on idle capacity");
  const std::string table = io::idle_table(view);
  EXPECT_NE(table.find("NVIDIA H100 80GB HBM3"), std::string::npos);
  EXPECT_NE(table.find(io::idle_summary(r)), std::string::npos);
}

// Power and memory not in the log, a GPU with one sample: null in gpuplan-idle/2, never 0.
TEST(IdleViews, JsonSaysNullForWhatWasNotReported) {
  TelemetryLog log = ten_minute_log({50, 2, 2}, {7});
  log.samples.back().utilization_pct = gpuplan::kNotReported;  // gpu 1: nothing covered
  const IdleReport r = analyze_idle(log, IdleOptions{5, 1, 0});
  const io::ParsedTelemetry p{log, io::TelemetryFormat::nvidia_smi_csv, 4, 0, {}};
  const auto j = io::idle_json(io::IdleView{p, r, "memory"})["idle"];
  ASSERT_EQ(j["gpus"].size(), 2u);
  const auto& g0 = j["gpus"][0];
  EXPECT_TRUE(g0["gpu"]["memory_bytes"].is_null());
  EXPECT_TRUE(g0["mean_power_w"].is_null());
  EXPECT_TRUE(g0["peak_memory_used_bytes"].is_null());
  EXPECT_TRUE(g0["unused_memory_fraction"].is_null());
  EXPECT_TRUE(g0["idle_fraction"].is_number());
  const auto& g1 = j["gpus"][1];
  EXPECT_TRUE(g1["idle_fraction"].is_null());
  EXPECT_TRUE(g1["mean_utilization_pct"].is_null());
  EXPECT_TRUE(j["hourly_profile"][3]["idle_share"].is_null());     // 03:00: no sample
  EXPECT_TRUE(j["hourly_profile"][12]["idle_share"].is_number());  // 12:00: the samples
}

// ------------------------------------------------------------------------------- the command

namespace {

using gpuplan::testing::CliRun;
CliRun run(const std::string& args) {
  return gpuplan::testing::run_cli("idle " + args);
}

std::string fixture_path(const std::string& name) {
  return std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/telemetry/" + name;
}

bool has_word(const std::string& text, const std::string& word) {
  std::string lower;
  for (const char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
    const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(lower[at - 1]));
    const bool right =
        at + word.size() >= lower.size() || !std::isalnum(static_cast<unsigned char>(lower[at + word.size()]));
    if (left && right) return true;
  }
  return false;
}

}  // namespace

TEST(IdleCli, EveryFixtureRunsInEveryOutput) {
  for (const char* name : {"units.csv", "nounits_reordered_crlf.csv", "noheader.csv", "gaps_and_garbage.csv",
                           "node8_2days.csv", "dcgm.prom", "dcgm_no_timestamps.prom"}) {
    for (const char* mode : {"", " --json", " --csv"}) {
      const CliRun r = run(fixture_path(name) + " --price-per-hour 2.49" + mode);
      EXPECT_EQ(r.status, 0) << name << mode << "\n" << r.err;
      EXPECT_FALSE(has_word(r.out, "nan") || has_word(r.out, "inf")) << name << mode;
      if (std::string(mode) == " --json") {
        EXPECT_TRUE(nlohmann::json::accept(r.out)) << name;
      }
    }
  }
}

TEST(IdleCli, JsonHasTheIssueFields) {
  const CliRun r = run(fixture_path("node8_2days.csv") + " --price-per-hour 2.49 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out)["idle"];
  for (const char* k : {"total_idle_cost_usd", "lines_skipped", "threshold_pct", "price_per_hour_usd", "format",
                        "skipped_examples", "gpus"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  ASSERT_EQ(j["gpus"].size(), 8u);
  for (const auto& g : j["gpus"]) {
    EXPECT_TRUE(g["gpu"]["name"].is_string());
    EXPECT_GT(g["gpu"]["memory_bytes"].get<double>(), 0);
    for (const char* k :
         {"idle_hours", "idle_cost_usd", "longest_idle_hours", "index", "samples", "covered_hours", "no_data_hours",
          "mean_utilization_pct", "peak_memory_used_bytes", "unused_memory_fraction"}) {
      ASSERT_TRUE(g[k].is_number() || g[k].is_string()) << k;
      if (g[k].is_number()) {
        EXPECT_GE(g[k].get<double>(), 0) << k;
      }
    }
    EXPECT_EQ(g["hourly_profile"].size(), 24u);
  }
  EXPECT_NEAR(j["total_idle_cost_usd"].get<double>(), j["idle_hours"].get<double>() * 2.49, 1e-6);
  EXPECT_NE(run(fixture_path("node8_2days.csv") + " --price-per-hour 2.49").out.find("3 of 8 GPUs idle more than half"),
            std::string::npos);
}

TEST(IdleCli, CsvHasOneRowPerGpu) {
  const CliRun r = run(fixture_path("node8_2days.csv") + " --price-per-hour 2.49 --csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 9);
}

TEST(IdleCli, OptionsChangeTheAnswer) {
  const std::string f = fixture_path("gaps_and_garbage.csv");
  const auto base = nlohmann::json::parse(run(f + " --price-per-hour 1 --json").out)["idle"];
  const auto wide = nlohmann::json::parse(run(f + " --price-per-hour 1 --max-gap 3h --json").out)["idle"];
  EXPECT_NEAR(base["no_data_hours"].get<double>(), 2.0, 1e-9);
  EXPECT_NEAR(wide["no_data_hours"].get<double>(), 0.0, 1e-9);
  const auto strict = nlohmann::json::parse(run(f + " --price-per-hour 1 --threshold 0 --json").out)["idle"];
  EXPECT_EQ(strict["idle_hours"].get<double>(), 0);
  const auto dcgm = nlohmann::json::parse(
      run(fixture_path("dcgm_no_timestamps.prom") + " --price-per-hour 1 --interval 1m --json").out)["idle"];
  EXPECT_DOUBLE_EQ(dcgm["median_interval_s"].get<double>(), 60);
}

TEST(IdleCli, BadInputGetsOneLineAndExitTwo) {
  struct Case {
    std::string args;
    const char* expect;
  };
  const std::string units = fixture_path("units.csv");
  const Case cases[] = {
      {units + " --price-per-hour -3", "--price-per-hour"},
      {units + " --price-per-hour abc", "--price-per-hour"},
      {units + " --price-per-hour nan", "--price-per-hour"},
      {units, "--price-per-hour is required"},
      {units + " --price-per-hour 2 --threshold 150", "--threshold"},
      {units + " --price-per-hour 2 --threshold -1", "--threshold"},
      {units + " --price-per-hour 2 --max-gap 0", "--max-gap"},
      {units + " --price-per-hour 2 --max-gap 5parsecs", "--max-gap"},
      {units + " --price-per-hour 2 --interval -1s", "--interval"},
      {units + " --price-per-hour 2 --format xml", "--format"},
      {units + " --price-per-hour 2 --csv --interval 30", "needs a unit"},
      {fixture_path("no-such-file.csv") + " --price-per-hour 2", "cannot open"},
      {fixture_path("garbage.txt") + " --price-per-hour 2", "no readable telemetry"},
      {"--price-per-hour 2", "which telemetry file"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args;
    EXPECT_TRUE(r.out.empty()) << c.args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(IdleCli, JsonErrorsAreErrorDocuments) {
  const std::string units = fixture_path("units.csv");
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {units + " --json", "--price-per-hour is required"},
           {units + " --price-per-hour 2 --json --csv", "not both"},
           {units + " --price-per-hour 2 --threshold 150 --json", "--threshold"},
           {fixture_path("garbage.txt") + " --price-per-hour 2 --json", "no readable telemetry"}}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 2) << args;
    ASSERT_TRUE(nlohmann::json::accept(r.out)) << args << "\n" << r.out;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema"], "gpuplan-error/2") << args;
    EXPECT_EQ(j["error"]["command"], "idle") << args;
    EXPECT_NE(j["error"]["message"].get<std::string>().find(expect), std::string::npos) << args << "\n" << r.out;
  }
}

TEST(IdleCli, FifoOrDeviceIsRefusedNotReadForever) {
  // A FIFO with no writer would block a read forever; /dev/zero would never end.
  const std::string fifo = ::testing::TempDir() + "gpuplan_idle_fifo_" + std::to_string(getpid());
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero")}) {
    const CliRun r = run(path + " --price-per-hour 2.49");
    EXPECT_EQ(r.status, 2) << path;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
  std::remove(fifo.c_str());
}
