// Views of an IdleReport: the idle summary line, JSON (schema gpuplan-idle/2), CSV and the table.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/units.hpp"
#include "telemetry_parse.hpp"

namespace gpuplan::io {
namespace {

using detail::Civil;
using detail::civil_from_days;
using nlohmann::ordered_json;

std::string_view clock_name(TelemetryClock c) {
  switch (c) {
    case TelemetryClock::as_logged: return "as-logged";
    case TelemetryClock::unix_utc: return "utc";
    case TelemetryClock::relative: return "relative";
  }
  return "as-logged";
}

std::string_view clock_text(TelemetryClock c) {
  switch (c) {
    case TelemetryClock::as_logged: return "local time as logged";
    case TelemetryClock::unix_utc: return "UTC";
    case TelemetryClock::relative: return "hours since the dump began";
  }
  return "";
}

std::string duration_text(double s) {
  if (s < 120) return fmt::format("{:.0f} s", s);
  if (s < 7200) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// "2024-05-01 12:00" on the log's clock; "+36.5 h" for a relative clock.
std::string time_text(double time_s, TelemetryClock c) {
  // fmt rather than "+" + std::string: GCC 12 at -O3 warns (-Wrestrict, a false positive) on the latter here.
  if (c == TelemetryClock::relative) return fmt::format("+{}", duration_text(time_s));
  const double day = std::floor(time_s / 86400);
  const auto minutes = static_cast<long long>((time_s - day * 86400) / 60);
  const Civil d = civil_from_days(static_cast<long long>(day));
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}{}", d.year, d.month, d.day, minutes / 60, minutes % 60,
                     c == TelemetryClock::unix_utc ? " UTC" : "");
}

std::string usd(double v) {
  return fmt::format("${:.2f}", v);
}

ordered_json profile_json(const std::array<HourOfDay, kHoursPerDay>& hours) {
  ordered_json out = ordered_json::array();
  for (std::size_t h = 0; h < hours.size(); ++h) {
    const bool seen = hours[h].covered_hours > 0;
    ordered_json& o = out.emplace_back(ordered_json::object());
    o["hour"] = h;
    o["covered_hours"] = hours[h].covered_hours;
    o["idle_hours"] = hours[h].idle_hours;
    o["idle_share"] = number_or_null(hours[h].idle_share, seen);
    o["mean_utilization_pct"] = number_or_null(hours[h].mean_utilization_pct, seen);
  }
  return out;
}

// One device: the vocabulary's gpu object (id = the telemetry's device key, memory_bytes = the
// largest total reported, count 1), then what the log says of it; null for what was not reported.
ordered_json device_json(const GpuIdle& g, TelemetryClock clock) {
  Gpu card;
  card.id = g.gpu.id;
  card.name = g.gpu.name;
  card.memory_bytes = g.memory_total_bytes > 0 ? g.memory_total_bytes : -1;
  const bool covered = g.covered_hours > 0;
  const bool memory = g.memory_reported;
  return {{"gpu", gpu_json(card, 1)},
          {"index", g.gpu.index},
          {"host", g.gpu.host},
          {"samples", g.samples},
          {"first_sample", time_text(g.first_time_s, clock)},
          {"last_sample", time_text(g.last_time_s, clock)},
          {"covered_hours", g.covered_hours},
          {"no_data_hours", g.no_data_hours},
          {"idle_hours", g.idle_hours},
          {"idle_fraction", number_or_null(g.idle_fraction, covered)},
          {"longest_idle_hours", g.longest_idle_hours},
          {"idle_cost_usd", g.idle_cost_usd},
          {"covered_cost_usd", g.covered_cost_usd},
          {"mean_utilization_pct", number_or_null(g.mean_utilization_pct, covered)},
          {"mean_power_w", number_or_null(g.mean_power_w, g.power_reported)},
          {"peak_memory_used_bytes", memory ? whole_or_null(g.peak_memory_used_bytes) : ordered_json(nullptr)},
          {"unused_memory_bytes", memory ? whole_or_null(g.unused_memory_bytes) : ordered_json(nullptr)},
          {"unused_memory_fraction", number_or_null(g.unused_memory_fraction, memory)},
          {"hourly_profile", profile_json(g.hourly)}};
}

std::string csv_text(std::string_view s) {
  if (s.find_first_of(",\"\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string memory_cell(const GpuIdle& g) {
  if (!g.memory_reported) return "-";
  return fmt::format("{:.1f} / {:.1f} GiB", g.peak_memory_used_bytes / (kMiB * 1024),
                     g.memory_total_bytes / (kMiB * 1024));
}

std::string unused_cell(const GpuIdle& g) {
  if (!g.memory_reported) return "-";
  return fmt::format("{:.1f} GiB ({:.0f} %)", g.unused_memory_bytes / (kMiB * 1024), g.unused_memory_fraction * 100);
}

std::string gpu_label(const GpuIdle& g) {
  return g.gpu.host.empty() ? std::to_string(g.gpu.index) : g.gpu.host + "/" + std::to_string(g.gpu.index);
}

std::string table_row(const GpuIdle& g, std::size_t label_width, std::size_t name_width) {
  return fmt::format(
      "{:>{}}  {:<{}}  {:>7}  {:>9.2f}  {:>7.2f}  {:>5.1f}  {:>12.2f}  {:>10}  {:>7.1f}  {:>7}  {:>19}  {:>16}  "
      "{:>9.2f}\n",
      gpu_label(g), label_width, g.gpu.name.substr(0, name_width), name_width, g.samples, g.covered_hours, g.idle_hours,
      g.idle_fraction * 100, g.longest_idle_hours, usd(g.idle_cost_usd), g.mean_utilization_pct,
      g.power_reported ? fmt::format("{:.0f} W", g.mean_power_w) : "-", memory_cell(g), unused_cell(g),
      g.no_data_hours);
}

std::string profile_lines(const std::array<HourOfDay, kHoursPerDay>& hours) {
  std::string out;
  for (std::size_t half = 0; half < 2; ++half) {
    std::string hour_row = "  hour   ", idle_row = "  idle % ", util_row = "  util % ";
    for (std::size_t h = half * 12; h < half * 12 + 12; ++h) {
      hour_row += fmt::format(" {:>3}", h);
      const bool seen = hours[h].covered_hours > 0;
      idle_row += seen ? fmt::format(" {:>3.0f}", hours[h].idle_share * 100) : "   -";
      util_row += seen ? fmt::format(" {:>3.0f}", hours[h].mean_utilization_pct) : "   -";
    }
    out += fmt::format("{}\n{}\n{}\n", hour_row, idle_row, util_row);
  }
  return out;
}

std::string skipped_line(const ParsedTelemetry& p) {
  if (p.lines_skipped == 0) return {};
  std::string out = fmt::format("Skipped {} of {} lines", p.lines_skipped, p.lines);
  for (std::size_t i = 0; i < p.skipped_examples.size(); ++i) {
    out += fmt::format("{}line {}: {}", i == 0 ? " (" : "; ", p.skipped_examples[i].line, p.skipped_examples[i].reason);
  }
  return out + (p.skipped_examples.empty() ? "\n" : (p.lines_skipped > p.skipped_examples.size() ? "; ...)\n" : ")\n"));
}

}  // namespace

std::string idle_summary(const IdleReport& r) {
  return fmt::format("{} of {} GPUs idle more than half the time: {} of {} spent on idle capacity", r.gpus_mostly_idle,
                     r.gpus.size(), usd(r.idle_cost_usd), usd(r.covered_cost_usd));
}

ordered_json idle_json(const IdleView& v) {
  const IdleReport& r = v.report;
  const ParsedTelemetry& p = v.parsed;
  ordered_json skipped = ordered_json::array();
  for (const auto& s : p.skipped_examples) skipped.push_back({{"line", s.line}, {"reason", s.reason}});
  ordered_json gpus = ordered_json::array();
  for (const auto& g : r.gpus) gpus.push_back(device_json(g, r.clock));
  ordered_json idle = {{"source", v.source},
                       {"format", format_name(p.format)},
                       {"clock", clock_name(r.clock)},
                       {"threshold_pct", r.threshold_pct},
                       {"price_per_hour_usd", r.price_per_hour_usd},
                       {"median_interval_s", number_or_null(r.median_interval_s, r.median_interval_s > 0)},
                       {"max_gap_s", r.max_gap_s},
                       {"lines", p.lines},
                       {"lines_skipped", p.lines_skipped},
                       {"skipped_examples", skipped},
                       {"samples", r.samples},
                       {"covered_hours", r.covered_hours},
                       {"no_data_hours", r.no_data_hours},
                       {"idle_hours", r.idle_hours},
                       {"total_idle_cost_usd", r.idle_cost_usd},
                       {"total_covered_cost_usd", r.covered_cost_usd},
                       {"gpus_idle_more_than_half", r.gpus_mostly_idle},
                       {"summary", idle_summary(r)},
                       {"gpus", gpus},
                       {"hourly_profile", profile_json(r.hourly)}};
  return ordered_json{{"schema", "gpuplan-idle/2"}, {"idle", idle}};
}

std::string idle_csv(const IdleReport& r) {
  std::string out =
      "host,index,name,samples,covered_hours,idle_hours,idle_fraction,longest_idle_hours,idle_cost_usd,"
      "covered_cost_usd,no_data_hours,mean_utilization,mean_power_w,peak_memory_used_bytes,memory_total_bytes,"
      "unused_memory_fraction\n";
  for (const GpuIdle& g : r.gpus) {
    out +=
        fmt::format("{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.2f},{:.2f},{:.4f},{:.2f},{},{},{},{}\n",
                    csv_text(g.gpu.host), g.gpu.index, csv_text(g.gpu.name), g.samples, g.covered_hours, g.idle_hours,
                    g.idle_fraction, g.longest_idle_hours, g.idle_cost_usd, g.covered_cost_usd, g.no_data_hours,
                    g.mean_utilization_pct, g.power_reported ? fmt::format("{:.1f}", g.mean_power_w) : "",
                    g.memory_reported ? fmt::format("{:.0f}", g.peak_memory_used_bytes) : "",
                    g.memory_reported ? fmt::format("{:.0f}", g.memory_total_bytes) : "",
                    g.memory_reported ? fmt::format("{:.4f}", g.unused_memory_fraction) : "");
  }
  return out;
}

std::string idle_table(const IdleView& v) {
  const IdleReport& r = v.report;
  const ParsedTelemetry& p = v.parsed;
  std::string out;
  double first_s = 0, last_s = 0;
  for (std::size_t i = 0; i < r.gpus.size(); ++i) {
    first_s = i == 0 ? r.gpus[i].first_time_s : std::min(first_s, r.gpus[i].first_time_s);
    last_s = i == 0 ? r.gpus[i].last_time_s : std::max(last_s, r.gpus[i].last_time_s);
  }
  out += fmt::format("{}: {}, {} GPU{}, {} samples, {} to {} ({})\n", v.source, format_name(p.format), r.gpus.size(),
                     r.gpus.size() == 1 ? "" : "s", r.samples, time_text(first_s, r.clock), time_text(last_s, r.clock),
                     clock_text(r.clock));
  out += fmt::format(
      "Idle = utilization below {:g} %; {} per GPU-hour; a gap over {} is no data (median interval {})\n\n",
      r.threshold_pct, usd(r.price_per_hour_usd), duration_text(r.max_gap_s), duration_text(r.median_interval_s));
  std::size_t label_width = 3, name_width = 4;
  for (const GpuIdle& g : r.gpus) {
    label_width = std::max(label_width, gpu_label(g).size());
    name_width = std::clamp(g.gpu.name.size(), name_width, std::size_t{28});
  }
  out +=
      fmt::format("{:>{}}  {:<{}}  {:>7}  {:>9}  {:>7}  {:>5}  {:>12}  {:>10}  {:>7}  {:>7}  {:>19}  {:>16}  {:>9}\n",
                  "GPU", label_width, "Name", name_width, "Samples", "Covered h", "Idle h", "Idle%", "Longest idle",
                  "Idle cost", "Util %", "Power", "Peak used / total", "Never used", "No data h");
  for (const GpuIdle& g : r.gpus) out += table_row(g, label_width, name_width);
  out += fmt::format("{:>{}}  {:<{}}  {:>7}  {:>9.2f}  {:>7.2f}  {:>5.1f}  {:>12}  {:>10}\n", "All", label_width, "",
                     name_width, r.samples, r.covered_hours, r.idle_hours,
                     r.covered_hours > 0 ? 100 * r.idle_hours / r.covered_hours : 0.0, "", usd(r.idle_cost_usd));
  out += fmt::format("\nBy hour of day, all GPUs ({}):\n", clock_text(r.clock));
  out += profile_lines(r.hourly) + "\n";
  out += skipped_line(p);
  out += idle_summary(r) + "\n";
  return out;
}

}  // namespace gpuplan::io
