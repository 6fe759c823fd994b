#include "gpuplan/idle.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <tuple>

namespace gpuplan {
namespace {

constexpr double kSecondsPerHour = 3600;
constexpr double kSecondsPerDay = 86400;
constexpr double kMaxDurationS = 365 * kSecondsPerDay;
constexpr double kMaxPricePerHourUsd = 1e9;  // keeps hours x price finite
constexpr double kMaxTimeS = 253402300800;   // 10000-01-01: later times are ignored

// Seconds accumulated in one hour-of-day bucket.
struct HourSums {
  double covered_s = 0;
  double idle_s = 0;
  double utilization_pct_s = 0;  // integral of utilization over covered time
};
using Hours = std::array<HourSums, kHoursPerDay>;

bool reported(double value) {
  return std::isfinite(value) && value >= 0;
}

bool usable(const TelemetrySample& s, std::size_t gpu_count) {
  return s.gpu < gpu_count && std::isfinite(s.time_s) && s.time_s >= 0 && s.time_s < kMaxTimeS;
}

double clamp_or(double value, double low, double high, double fallback) {
  return std::isfinite(value) ? std::clamp(value, low, high) : fallback;
}

IdleOptions sanitized(const IdleOptions& o) {
  IdleOptions s;
  s.threshold_pct = clamp_or(o.threshold_pct, 0, 100, 5);
  s.price_per_hour_usd = clamp_or(o.price_per_hour_usd, 0, kMaxPricePerHourUsd, 0);
  s.max_gap_s = clamp_or(o.max_gap_s, 0, kMaxDurationS, 0);
  return s;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

// Valid samples sorted by GPU, then time.
std::vector<TelemetrySample> sorted_samples(const TelemetryLog& log) {
  std::vector<TelemetrySample> out;
  out.reserve(log.samples.size());
  for (const auto& s : log.samples) {
    if (usable(s, log.gpus.size())) out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const TelemetrySample& a, const TelemetrySample& b) {
    return std::tie(a.gpu, a.time_s) < std::tie(b.gpu, b.time_s);
  });
  return out;
}

// The median of the positive intervals between consecutive samples of the same GPU.
double median_interval_s(const std::vector<TelemetrySample>& sorted) {
  std::vector<double> intervals;
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const double dt = sorted[i].time_s - sorted[i - 1].time_s;
    if (sorted[i].gpu == sorted[i - 1].gpu && dt > 0) intervals.push_back(dt);
  }
  return median(std::move(intervals));
}

// Adds `duration_s` starting at `time_s` to the hour-of-day buckets, split at hour boundaries.
void add_to_hours(Hours& hours, double time_s, double duration_s, double utilization_pct, bool idle) {
  auto add = [&](int hour, double seconds) {
    HourSums& h = hours[static_cast<std::size_t>(std::clamp(hour, 0, kHoursPerDay - 1))];
    h.covered_s += seconds;
    h.utilization_pct_s += utilization_pct * seconds;
    if (idle) h.idle_s += seconds;
  };
  const double full_days = std::floor(duration_s / kSecondsPerDay);
  if (full_days > 0) {
    for (int hour = 0; hour < kHoursPerDay; ++hour) add(hour, full_days * kSecondsPerHour);
  }
  double rest_s = duration_s - full_days * kSecondsPerDay;
  double clock_s = std::fmod(time_s, kSecondsPerDay);
  for (int piece = 0; rest_s > 0 && piece <= kHoursPerDay + 1; ++piece) {
    const int hour = std::clamp(static_cast<int>(clock_s / kSecondsPerHour), 0, kHoursPerDay - 1);
    const double hour_end_s = (hour + 1) * kSecondsPerHour;
    const double take_s = piece == kHoursPerDay + 1 ? rest_s : std::clamp(hour_end_s - clock_s, 0.0, rest_s);
    add(hour, take_s);
    rest_s -= take_s;
    clock_s = hour_end_s >= kSecondsPerDay ? 0 : hour_end_s;
  }
}

HourOfDay hour_of_day(const HourSums& h) {
  HourOfDay out;
  out.covered_hours = h.covered_s / kSecondsPerHour;
  out.idle_hours = h.idle_s / kSecondsPerHour;
  if (h.covered_s > 0) {
    out.idle_share = std::clamp(h.idle_s / h.covered_s, 0.0, 1.0);
    out.mean_utilization_pct = std::clamp(h.utilization_pct_s / h.covered_s, 0.0, 100.0);
  }
  return out;
}

std::array<HourOfDay, kHoursPerDay> to_profile(const Hours& hours) {
  std::array<HourOfDay, kHoursPerDay> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = hour_of_day(hours[i]);
  return out;
}

struct Timing {
  double max_gap_s = 0;
  double tail_s = 0;  // what the last sample of a GPU stands for: the median interval, capped
  double threshold_pct = 0;
};

// Utilization: covered, idle, longest idle run, time-weighted mean, hour-of-day profile.
void add_utilization(GpuIdle& g, Hours& hours, const TelemetrySample* first, const TelemetrySample* last,
                     const Timing& timing) {
  double covered_s = 0, idle_s = 0, run_s = 0, longest_s = 0, utilization_pct_s = 0, plain_sum = 0;
  std::size_t readings = 0;
  for (const TelemetrySample* s = first; s != last; ++s) {
    if (!reported(s->utilization_pct)) continue;
    const double utilization_pct = std::min(s->utilization_pct, 100.0);
    const TelemetrySample* next = s + 1;
    while (next != last && !reported(next->utilization_pct)) ++next;
    // The time to the next reading; after the last one, or before a gap longer than the max gap
    // (which is no data), one typical interval.
    const double dt_s = next == last ? timing.tail_s : next->time_s - s->time_s;
    const double duration_s = dt_s > timing.max_gap_s ? timing.tail_s : dt_s;
    const bool idle = utilization_pct < timing.threshold_pct;
    covered_s += duration_s;
    utilization_pct_s += utilization_pct * duration_s;
    plain_sum += utilization_pct;
    ++readings;
    run_s = idle ? run_s + duration_s : 0;
    if (idle) idle_s += duration_s;
    longest_s = std::max(longest_s, run_s);
    if (dt_s > timing.max_gap_s) run_s = 0;  // no data ends an idle stretch
    add_to_hours(hours, s->time_s, duration_s, utilization_pct, idle);
  }
  g.covered_hours = covered_s / kSecondsPerHour;
  g.idle_hours = idle_s / kSecondsPerHour;
  g.longest_idle_hours = longest_s / kSecondsPerHour;
  g.idle_fraction = covered_s > 0 ? std::clamp(idle_s / covered_s, 0.0, 1.0) : 0;
  if (covered_s > 0) {
    g.mean_utilization_pct = std::clamp(utilization_pct_s / covered_s, 0.0, 100.0);
  } else if (readings > 0) {
    g.mean_utilization_pct = std::clamp(plain_sum / static_cast<double>(readings), 0.0, 100.0);
  }
}

void add_power_and_memory(GpuIdle& g, const TelemetrySample* first, const TelemetrySample* last) {
  double power_sum_w = 0;
  std::size_t power_readings = 0;
  bool used_seen = false, total_seen = false;
  for (const TelemetrySample* s = first; s != last; ++s) {
    if (reported(s->power_w)) {
      power_sum_w += s->power_w;
      ++power_readings;
    }
    if (reported(s->memory_used_bytes)) {
      used_seen = true;
      g.peak_memory_used_bytes = std::max(g.peak_memory_used_bytes, s->memory_used_bytes);
    }
    if (reported(s->memory_total_bytes)) {
      total_seen = true;
      g.memory_total_bytes = std::max(g.memory_total_bytes, s->memory_total_bytes);
    }
  }
  g.power_reported = power_readings > 0;
  if (g.power_reported) g.mean_power_w = power_sum_w / static_cast<double>(power_readings);
  if (!std::isfinite(g.mean_power_w)) g.mean_power_w = 0;  // a sum of huge readings
  g.memory_reported = used_seen && total_seen && g.memory_total_bytes > 0;
  if (g.memory_reported) {
    g.unused_memory_bytes = std::max(0.0, g.memory_total_bytes - g.peak_memory_used_bytes);
    g.unused_memory_fraction = std::clamp(g.unused_memory_bytes / g.memory_total_bytes, 0.0, 1.0);
  }
}

GpuIdle analyze_gpu(const TelemetryGpu& gpu, const TelemetrySample* first, const TelemetrySample* last,
                    const Timing& timing, double price_per_hour_usd, Hours& fleet) {
  GpuIdle g;
  g.gpu = gpu;
  g.samples = static_cast<std::size_t>(last - first);
  g.first_time_s = first->time_s;
  g.last_time_s = (last - 1)->time_s;
  Hours hours{};
  add_utilization(g, hours, first, last, timing);
  add_power_and_memory(g, first, last);
  const double span_hours = (g.last_time_s - g.first_time_s + timing.tail_s) / kSecondsPerHour;
  g.no_data_hours = std::max(0.0, span_hours - g.covered_hours);
  g.idle_cost_usd = g.idle_hours * price_per_hour_usd;
  g.covered_cost_usd = g.covered_hours * price_per_hour_usd;
  g.hourly = to_profile(hours);
  for (std::size_t i = 0; i < hours.size(); ++i) {
    fleet[i].covered_s += hours[i].covered_s;
    fleet[i].idle_s += hours[i].idle_s;
    fleet[i].utilization_pct_s += hours[i].utilization_pct_s;
  }
  return g;
}

void add_totals(IdleReport& r) {
  for (const GpuIdle& g : r.gpus) {
    r.samples += g.samples;
    r.covered_hours += g.covered_hours;
    r.no_data_hours += g.no_data_hours;
    r.idle_hours += g.idle_hours;
    r.idle_cost_usd += g.idle_cost_usd;
    r.covered_cost_usd += g.covered_cost_usd;
    if (g.idle_fraction > 0.5) ++r.gpus_mostly_idle;
  }
}

}  // namespace

IdleReport analyze_idle(const TelemetryLog& log, const IdleOptions& options) {
  const IdleOptions o = sanitized(options);
  IdleReport r;
  r.clock = log.clock;
  r.threshold_pct = o.threshold_pct;
  r.price_per_hour_usd = o.price_per_hour_usd;
  const std::vector<TelemetrySample> sorted = sorted_samples(log);
  r.median_interval_s = median_interval_s(sorted);
  r.max_gap_s = o.max_gap_s > 0 ? o.max_gap_s : std::max(kDefaultMinMaxGapS, 3 * r.median_interval_s);
  const Timing timing{r.max_gap_s, std::min(r.median_interval_s, r.max_gap_s), o.threshold_pct};
  Hours fleet{};
  for (std::size_t begin = 0; begin < sorted.size();) {
    std::size_t end = begin + 1;
    while (end < sorted.size() && sorted[end].gpu == sorted[begin].gpu) ++end;
    r.gpus.push_back(analyze_gpu(log.gpus[sorted[begin].gpu], sorted.data() + begin, sorted.data() + end, timing,
                                 o.price_per_hour_usd, fleet));
    begin = end;
  }
  std::sort(r.gpus.begin(), r.gpus.end(), [](const GpuIdle& a, const GpuIdle& b) {
    return std::tie(a.gpu.host, a.gpu.index, a.gpu.id) < std::tie(b.gpu.host, b.gpu.index, b.gpu.id);
  });
  r.hourly = to_profile(fleet);
  add_totals(r);
  return r;
}

}  // namespace gpuplan
