// idle: telemetry bytes (read by the face) parsed and analysed with the request's settings.
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"

namespace gpuplan::api {

Result<IdleResponse> run_idle(const Context&, const IdleRequest& q) {
  if (!q.price_per_hour_usd) {
    return make_error(ErrorCode::invalid_argument,
                      "--price-per-hour is required: US dollars per GPU-hour, e.g. --price-per-hour 2.49");
  }
  io::TelemetryParseOptions parse;
  auto format = io::parse_format_name(q.format.value_or(defaults::kIdleFormat));
  if (!format) return format.error();
  parse.format = format.value();
  parse.scrape_interval_s = q.interval_s.value_or(defaults::kIdleScrapeIntervalS);
  IdleOptions options;
  options.price_per_hour_usd = *q.price_per_hour_usd;
  options.threshold_pct = q.threshold_pct.value_or(defaults::kIdleThresholdPct);
  options.max_gap_s = q.max_gap_s.value_or(0);  // 0: the automatic gap of analyze_idle
  IdleResponse out;
  out.source = q.file.value_or("telemetry");
  auto parsed = io::parse_telemetry(q.telemetry, parse);
  if (!parsed) return make_error(parsed.error().code, out.source + ": " + parsed.error().message);
  out.parsed = std::move(parsed).value();
  out.report = analyze_idle(out.parsed.log, options);
  return out;
}

}  // namespace gpuplan::api
