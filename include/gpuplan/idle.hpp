// Idle GPU capacity from telemetry: per GPU, how many hours the GPU sat below a utilization
// threshold, what those hours cost, how much memory was never used, and when in the day it idles.
// Pure: the telemetry arrives as values (see gpuplan/io/telemetry.hpp for the parsers).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/result.hpp"

namespace gpuplan {

inline constexpr double kNotReported = -1.0;  // a sample field the telemetry left out ([N/A], missing metric)

// One reading of one GPU. A negative field was not reported.
struct TelemetrySample {
  double time_s = 0;      // seconds since 1970-01-01 00:00 on the log's clock (see TelemetryClock)
  std::uint32_t gpu = 0;  // index into TelemetryLog::gpus
  double utilization_pct = kNotReported;
  double memory_used_bytes = kNotReported;
  double memory_total_bytes = kNotReported;
  double power_w = kNotReported;
};

struct TelemetryGpu {
  std::string id;      // unique key: "host/index", or the UUID when there is no index
  unsigned index = 0;  // the GPU index as reported (nvidia-smi index, DCGM gpu label), else order of appearance
  std::string name;    // "NVIDIA H100 80GB HBM3", empty when not reported
  std::string host;    // DCGM Hostname label, empty for nvidia-smi
};

// What the sample times mean; the hour-of-day profile is read on this clock.
enum class TelemetryClock {
  as_logged,  // wall-clock time as written in the log (nvidia-smi: the node's local time zone)
  unix_utc,   // Unix epoch (Prometheus millisecond timestamps): hours of day are UTC
  relative,   // no timestamps: scrape number x interval, hours since the dump began
};

struct TelemetryLog {
  std::vector<TelemetryGpu> gpus;
  std::vector<TelemetrySample> samples;  // any order
  TelemetryClock clock = TelemetryClock::as_logged;
};

// Time: a reading with a utilization stands for the time to the next such reading of its GPU. When
// that is longer than the max gap (or there is no next reading), it stands for one typical interval
// (the median interval, at most the max gap) and the rest of the gap is no data: neither idle nor
// busy, and it ends an idle stretch. Readings without a utilization do not cover time.
struct IdleOptions {
  double threshold_pct = 5;       // a sample is idle when utilization < threshold
  double price_per_hour_usd = 0;  // per GPU
  double max_gap_s = 0;           // 0: max(5 minutes, 3 x the median sample interval)
};

inline constexpr double kDefaultMinMaxGapS = 300;  // the floor of the automatic --max-gap
inline constexpr int kHoursPerDay = 24;

struct HourOfDay {
  double covered_hours = 0;
  double idle_hours = 0;
  double idle_share = 0;            // idle / covered, 0 when nothing covered
  double mean_utilization_pct = 0;  // time-weighted, 0 when nothing covered
};

struct GpuIdle {
  TelemetryGpu gpu;
  std::size_t samples = 0;
  double first_time_s = 0;
  double last_time_s = 0;
  double covered_hours = 0;       // time covered by samples with a utilization reading
  double no_data_hours = 0;       // gaps beyond the max gap, and stretches without a utilization reading
  double idle_hours = 0;          // covered time with utilization < threshold
  double idle_fraction = 0;       // idle / covered
  double longest_idle_hours = 0;  // longest run of idle samples, broken by a busy sample or by no data
  double idle_cost_usd = 0;
  double covered_cost_usd = 0;      // covered hours x price: what the observed time cost
  double mean_utilization_pct = 0;  // time-weighted over covered time
  bool power_reported = false;
  double mean_power_w = 0;       // mean of the power readings
  bool memory_reported = false;  // both used and total were seen
  double peak_memory_used_bytes = 0;
  double memory_total_bytes = 0;      // largest total reported
  double unused_memory_bytes = 0;     // total - peak used: never touched during the log
  double unused_memory_fraction = 0;  // unused / total
  std::array<HourOfDay, kHoursPerDay> hourly{};
};

struct IdleReport {
  std::vector<GpuIdle> gpus;  // sorted by host, then index, then id
  TelemetryClock clock = TelemetryClock::as_logged;
  double threshold_pct = 0;
  double price_per_hour_usd = 0;
  double median_interval_s = 0;  // over all GPUs; 0 when no GPU has two samples
  double max_gap_s = 0;          // the gap used
  double covered_hours = 0;
  double no_data_hours = 0;
  double idle_hours = 0;
  double idle_cost_usd = 0;
  double covered_cost_usd = 0;
  std::size_t samples = 0;
  std::size_t gpus_mostly_idle = 0;              // idle more than half their covered time
  std::array<HourOfDay, kHoursPerDay> hourly{};  // all GPUs together
};

// Samples whose gpu is out of range or whose time is not finite and >= 0 are ignored; negative
// or non-finite readings count as not reported. Every figure of the report is finite and >= 0.
IdleReport analyze_idle(const TelemetryLog& log, const IdleOptions& options);

}  // namespace gpuplan
