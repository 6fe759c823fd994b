// Telemetry text -> samples: format names, detection, and the dispatch to the nvidia-smi CSV
// reader (telemetry_nvidia_smi.cpp) or the DCGM-exporter reader (telemetry_dcgm.cpp).
#include "gpuplan/io/telemetry.hpp"

#include <algorithm>
#include <cmath>

#include "telemetry_parse.hpp"

namespace gpuplan::io {
namespace {

using namespace detail;

// ---------------------------------------------------------------- detection

std::optional<TelemetryFormat> line_format(std::string_view line) {
  line = trim(line);
  if (line.empty()) return std::nullopt;
  if (line.starts_with("# HELP") || line.starts_with("# TYPE") || line.starts_with("DCGM_")) {
    return TelemetryFormat::dcgm_prometheus;
  }
  if (line.front() == '#') return std::nullopt;
  std::size_t i = 0;
  while (i < line.size() && is_ident(line[i])) ++i;
  if (i > 0 && is_ident_start(line[0]) && i < line.size() && line[i] == '{') return TelemetryFormat::dcgm_prometheus;
  if (std::count(line.begin(), line.end(), ',') >= 2) return TelemetryFormat::nvidia_smi_csv;
  return std::nullopt;
}

}  // namespace

std::string_view format_name(TelemetryFormat format) {
  switch (format) {
    case TelemetryFormat::nvidia_smi_csv: return "nvidia-smi-csv";
    case TelemetryFormat::dcgm_prometheus: return "dcgm-prometheus";
    case TelemetryFormat::automatic: return "auto";
  }
  return "auto";
}

Result<TelemetryFormat> parse_format_name(std::string_view name) {
  for (const auto f : {TelemetryFormat::automatic, TelemetryFormat::nvidia_smi_csv, TelemetryFormat::dcgm_prometheus}) {
    if (iequals(name, format_name(f))) return f;
  }
  if (iequals(name, "nvidia-smi") || iequals(name, "csv")) return TelemetryFormat::nvidia_smi_csv;
  if (iequals(name, "dcgm") || iequals(name, "prometheus")) return TelemetryFormat::dcgm_prometheus;
  return make_error(ErrorCode::unknown_name,
                    "--format: unknown format '" + printable(name) + "' (use auto, nvidia-smi or dcgm)");
}

Result<TelemetryFormat> detect_telemetry_format(std::string_view text) {
  Lines lines(text);
  std::string_view line;
  while (lines.next(line) && lines.number() <= kDetectLines) {
    if (line.size() > kMaxTelemetryLineBytes) continue;
    if (const auto f = line_format(line)) return *f;
  }
  return make_error(ErrorCode::parse_error,
                    "cannot tell the format: expected nvidia-smi CSV (--query-gpu=timestamp,index,...) or "
                    "DCGM-exporter Prometheus text");
}

Result<ParsedTelemetry> parse_telemetry(std::string_view text, const TelemetryParseOptions& options) {
  if (text.size() > kMaxTelemetryBytes) {
    return make_error(ErrorCode::out_of_range, "the input is larger than 256 MiB; split it or sample less often");
  }
  if (trim(text).empty()) return make_error(ErrorCode::parse_error, "the input is empty");
  const double interval_s = options.scrape_interval_s;
  if (!std::isfinite(interval_s) || interval_s <= 0 || interval_s > 86400 * 365.0) {
    return make_error(ErrorCode::invalid_argument, "the scrape interval must be positive and at most 365 days");
  }
  TelemetryFormat format = options.format;
  if (format == TelemetryFormat::automatic) {
    auto detected = detect_telemetry_format(text);
    if (!detected) return detected.error();
    format = detected.value();
  }
  return format == TelemetryFormat::dcgm_prometheus ? parse_dcgm(text, interval_s) : parse_nvidia_smi(text);
}

}  // namespace gpuplan::io
