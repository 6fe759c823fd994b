// GPU telemetry text -> TelemetryLog, and the views of an IdleReport (table, JSON, CSV).
//
// Two formats, detected from the text:
//  - nvidia-smi CSV: `nvidia-smi --query-gpu=timestamp,index,name,utilization.gpu,memory.used,
//    memory.total,power.draw --format=csv[,nounits][,noheader] -l 60`. With a header the columns may
//    come in any order (timestamp and utilization.gpu are required; the GPU is identified by index,
//    else uuid, else pci.bus_id, else all rows are one GPU); without one they must be in the order of
//    that query. Values may carry units ("37 %", "1024 MiB", "75.3 W") or not (units then come from
//    the header, "[MiB]", default MiB/W). "[N/A]", "[Not Supported]", any "[...]" and "N/A" mean
//    not reported. Timestamps "2024/05/01 12:00:00.123" (also '-' and 'T', or epoch seconds) are read
//    as wall-clock time, no time zone.
//  - DCGM-exporter Prometheus text: DCGM_FI_DEV_GPU_UTIL (%), DCGM_FI_DEV_FB_USED, _FB_FREE,
//    _FB_RESERVED (MiB; total = used + free + reserved), DCGM_FI_DEV_POWER_USAGE (W); other metrics
//    and `#` lines are ignored. A GPU is the Hostname label + the gpu label (else UUID). With a
//    trailing millisecond timestamp the readings of one GPU at one timestamp form a sample. Without
//    timestamps, a scrape ends where a (metric, GPU) pair repeats, and scrape k is at k x
//    `scrape_interval_s` (blank lines and # HELP/# TYPE lines do not matter). Mixing lines with
//    and without timestamps: the first sample line decides, the others are skipped.
// Untrusted input: the text, each line, the GPUs, the samples and the labels are bounded; a line that
// cannot be read is counted and skipped with its number and reason, never fatal, unless no sample at
// all can be read.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/idle.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io {

inline constexpr std::size_t kMaxTelemetryBytes = std::size_t{256} << 20;  // 256 MiB
inline constexpr std::size_t kMaxTelemetryLineBytes = 4096;
inline constexpr std::size_t kMaxTelemetryGpus = 4096;
inline constexpr std::size_t kMaxTelemetrySamples = 4'000'000;  // per log; more lines are skipped
inline constexpr std::size_t kMaxSkippedExamples = 5;
inline constexpr double kDefaultScrapeIntervalS = 30;  // dcgm-exporter --collect-interval default, 30000 ms

enum class TelemetryFormat { automatic, nvidia_smi_csv, dcgm_prometheus };

struct TelemetryParseOptions {
  TelemetryFormat format = TelemetryFormat::automatic;
  double scrape_interval_s = kDefaultScrapeIntervalS;  // DCGM dumps without timestamps
};

struct SkippedLine {
  std::size_t line = 0;  // 1-based
  std::string reason;
};

struct ParsedTelemetry {
  TelemetryLog log;
  TelemetryFormat format = TelemetryFormat::automatic;
  std::size_t lines = 0;                      // lines in the text
  std::size_t lines_skipped = 0;              // lines that held something but could not be read
  std::vector<SkippedLine> skipped_examples;  // the first kMaxSkippedExamples
};

// "nvidia-smi-csv", "dcgm-prometheus", "auto".
std::string_view format_name(TelemetryFormat format);
Result<TelemetryFormat> parse_format_name(std::string_view name);
// The format of the first decisive line; an error when none looks like either format.
Result<TelemetryFormat> detect_telemetry_format(std::string_view text);

// An error only when the text is too large, the format cannot be told, a CSV header lacks a
// required column, or no sample at all could be read (the message then names the first reasons).
Result<ParsedTelemetry> parse_telemetry(std::string_view text, const TelemetryParseOptions& options = {});

// Views of one report. `source` names the input in the text and JSON output.
struct IdleView {
  const ParsedTelemetry& parsed;
  const IdleReport& report;
  std::string source;
};
std::string idle_table(const IdleView& view);
// {"schema": "gpuplan-idle/2", "idle": {...}} (schemas/idle.schema.json). Names and the source come
// from untrusted bytes: write it with io::dump_json (invalid UTF-8 becomes U+FFFD, never a throw).
nlohmann::ordered_json idle_json(const IdleView& view);
std::string idle_csv(const IdleReport& report);  // one row per GPU
// "3 of 8 GPUs idle more than half the time: $X of $Y spent on idle capacity"
std::string idle_summary(const IdleReport& report);

}  // namespace gpuplan::io
