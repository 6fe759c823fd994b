// Fuzz target: the telemetry parsers (nvidia-smi CSV, DCGM-exporter Prometheus text; detected, and
// the other format forced) and the idle analysis and its views on whatever they read.
// Invariants: the parse respects its bounds (GPUs, samples, skipped examples); every sample field is
// either not reported (< 0) or finite and in range; every figure of the IdleReport (per GPU, per hour
// of day and in total) is finite and >= 0, fractions and shares are <= 1, idle <= covered, the
// longest idle stretch <= idle, and covered + no data = the span of the GPU's samples.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gpuplan/idle.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/telemetry.hpp"

namespace {

using gpuplan::IdleReport;
namespace io = gpuplan::io;

[[noreturn]] void fail(const char* what, double value) {
  std::fprintf(stderr, "fuzz_telemetry: invariant violated: %s = %g\n", what, value);
  std::abort();
}

void check(bool ok, const char* what, double value) {
  if (!ok) fail(what, value);
}

void non_negative(double v, const char* what) {
  check(std::isfinite(v) && v >= 0, what, v);
}

void fraction(double v, const char* what) {
  check(std::isfinite(v) && v >= 0 && v <= 1, what, v);
}

bool close_or_below(double a, double b) {
  return a <= b + 1e-9 * (1 + std::fabs(b));
}

void check_parse(const io::ParsedTelemetry& p) {
  check(!p.log.samples.empty(), "samples of a successful parse", 0);
  check(p.log.samples.size() <= io::kMaxTelemetrySamples, "samples", static_cast<double>(p.log.samples.size()));
  check(p.log.gpus.size() <= io::kMaxTelemetryGpus, "gpus", static_cast<double>(p.log.gpus.size()));
  check(p.skipped_examples.size() <= io::kMaxSkippedExamples, "skipped examples",
        static_cast<double>(p.skipped_examples.size()));
  check(p.lines_skipped <= p.lines, "lines skipped", static_cast<double>(p.lines_skipped));
  for (const auto& s : p.log.samples) {
    check(s.gpu < p.log.gpus.size(), "sample gpu", s.gpu);
    non_negative(s.time_s, "sample time_s");
    for (const double v : {s.utilization_pct, s.memory_used_bytes, s.memory_total_bytes, s.power_w}) {
      check(std::isfinite(v) && (v >= 0 || v == gpuplan::kNotReported), "sample reading", v);
    }
    check(s.utilization_pct <= 100, "sample utilization_pct", s.utilization_pct);
  }
}

void check_hours(const std::array<gpuplan::HourOfDay, gpuplan::kHoursPerDay>& hours) {
  for (const auto& h : hours) {
    non_negative(h.covered_hours, "hour covered_hours");
    non_negative(h.idle_hours, "hour idle_hours");
    fraction(h.idle_share, "hour idle_share");
    check(std::isfinite(h.mean_utilization_pct) && h.mean_utilization_pct >= 0 && h.mean_utilization_pct <= 100,
          "hour mean_utilization_pct", h.mean_utilization_pct);
  }
}

void check_gpu(const gpuplan::GpuIdle& g, const IdleReport& r) {
  for (const double v : {g.first_time_s, g.last_time_s, g.covered_hours, g.no_data_hours, g.idle_hours,
                         g.longest_idle_hours, g.idle_cost_usd, g.covered_cost_usd, g.mean_power_w,
                         g.peak_memory_used_bytes, g.memory_total_bytes, g.unused_memory_bytes}) {
    non_negative(v, "gpu figure");
  }
  fraction(g.idle_fraction, "idle_fraction");
  fraction(g.unused_memory_fraction, "unused_memory_fraction");
  check(g.mean_utilization_pct >= 0 && g.mean_utilization_pct <= 100, "mean_utilization_pct", g.mean_utilization_pct);
  check(close_or_below(g.idle_hours, g.covered_hours), "idle_hours <= covered_hours", g.idle_hours);
  check(close_or_below(g.longest_idle_hours, g.idle_hours), "longest_idle_hours <= idle_hours", g.longest_idle_hours);
  const double span_hours = (g.last_time_s - g.first_time_s + std::min(r.median_interval_s, r.max_gap_s)) / 3600;
  check(std::fabs(g.covered_hours + g.no_data_hours - span_hours) <= 1e-6 * (1 + span_hours),
        "covered + no data = span", g.covered_hours + g.no_data_hours - span_hours);
  check(g.samples > 0, "gpu samples", 0);
  check_hours(g.hourly);
}

void check_report(const IdleReport& r) {
  for (const double v : {r.threshold_pct, r.price_per_hour_usd, r.median_interval_s, r.max_gap_s, r.covered_hours,
                         r.no_data_hours, r.idle_hours, r.idle_cost_usd, r.covered_cost_usd}) {
    non_negative(v, "report figure");
  }
  check(r.max_gap_s > 0, "max_gap_s", r.max_gap_s);
  check(close_or_below(r.idle_hours, r.covered_hours), "total idle <= covered", r.idle_hours);
  check(r.gpus_mostly_idle <= r.gpus.size(), "gpus_mostly_idle", static_cast<double>(r.gpus_mostly_idle));
  for (const auto& g : r.gpus) check_gpu(g, r);
  check_hours(r.hourly);
}

// The views run once per input and up to 16 GPUs: in Debug builds the JSON view of hundreds of GPUs
// takes ~100 ms and would dominate the smoke run; a GPU's rows do not depend on the others.
void analyze(const io::ParsedTelemetry& p, const gpuplan::IdleOptions& options, bool with_views) {
  const IdleReport r = gpuplan::analyze_idle(p.log, options);
  check_report(r);
  if (!with_views || r.gpus.size() > 16) return;
  const io::IdleView view{p, r, "fuzz"};
  const std::string text = io::idle_table(view) + io::dump_json(io::idle_json(view)) + io::idle_csv(r);
  check(!text.empty(), "views", 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Options from the first bytes, so the fuzzer also explores thresholds, gaps and intervals.
  const unsigned b0 = size > 0 ? data[0] : 5;
  const unsigned b1 = size > 1 ? data[1] : 0;
  gpuplan::IdleOptions options;
  options.price_per_hour_usd = 2.49;
  const gpuplan::IdleOptions varied{static_cast<double>(b0 % 101), static_cast<double>(b1) * 7.5,
                                    b1 % 3 == 0 ? 0.0 : 10.0 * b1};
  // The detected format, then the other one forced (forcing the detected one would repeat the parse).
  const auto detected = io::detect_telemetry_format(text);
  for (const auto format :
       {io::TelemetryFormat::automatic, io::TelemetryFormat::nvidia_smi_csv, io::TelemetryFormat::dcgm_prometheus}) {
    if (detected && format == detected.value()) continue;
    io::TelemetryParseOptions parse;
    parse.format = format;
    parse.scrape_interval_s = 1 + b0;
    const auto parsed = io::parse_telemetry(text, parse);
    if (!parsed) {
      check(!parsed.error().message.empty(), "error message", 0);
      continue;
    }
    check_parse(parsed.value());
    const bool automatic = format == io::TelemetryFormat::automatic;
    analyze(parsed.value(), options, automatic);
    if (automatic) analyze(parsed.value(), varied, false);
  }
  return 0;
}
