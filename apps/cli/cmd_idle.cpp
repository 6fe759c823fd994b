// gpuplan idle: idle GPU capacity and what it cost, from nvidia-smi CSV logs or DCGM-exporter dumps.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "gpuplan/idle.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::cli {
namespace {

// A duration of at most 365 days.
Result<double> bounded_duration(const std::string& text, const char* what) {
  auto d = parse_duration(text, what);
  if (d && d.value() > 365.0 * 86400.0) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": '" + text + "' is longer than 365 days");
  }
  return d;
}

constexpr double kMaxPricePerHourUsd = 10000;

struct IdleCliOptions {
  std::string file;
  std::string price_per_hour;
  std::string threshold = "5";
  std::string max_gap;
  std::string interval = "30s";
  std::string format = "auto";
  bool json = false;
  bool csv = false;
};

// The whole file ("-": standard input), at most io::kMaxTelemetryBytes.
Result<std::string> read_telemetry(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return make_error(ErrorCode::invalid_argument, "cannot open '" + path + "'");
    in = &file;
  }
  std::string text;
  std::string chunk(1 << 16, '\0');
  while (*in) {
    in->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in->gcount()));
    if (text.size() > io::kMaxTelemetryBytes) {
      return make_error(ErrorCode::out_of_range, "'" + path + "' is larger than 256 MiB; split it");
    }
  }
  if (in->bad()) return make_error(ErrorCode::invalid_argument, "cannot read '" + path + "'");
  return text;
}

Result<double> real_in(const std::string& text, const char* what, double low, double high, const char* meaning) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v) || v < low || v > high) {
    return make_error(ErrorCode::invalid_argument, std::string(what) + ": '" + text + "' " + meaning);
  }
  return v;
}

Result<IdleOptions> idle_options(const IdleCliOptions& o) {
  IdleOptions out;
  if (o.price_per_hour.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "--price-per-hour is required: US dollars per GPU-hour, e.g. --price-per-hour 2.49");
  }
  auto price = real_in(o.price_per_hour, "--price-per-hour", 0, kMaxPricePerHourUsd,
                       "must be US dollars per GPU-hour from 0 to 10000, e.g. 2.49");
  if (!price) return price.error();
  out.price_per_hour_usd = price.value();
  auto threshold = real_in(o.threshold, "--threshold", 0, 100, "must be a utilization in percent from 0 to 100");
  if (!threshold) return threshold.error();
  out.threshold_pct = threshold.value();
  if (!o.max_gap.empty()) {
    auto gap = bounded_duration(o.max_gap, "--max-gap");
    if (!gap) return gap.error();
    out.max_gap_s = gap.value();
  }
  return out;
}

Result<io::TelemetryParseOptions> parse_options(const IdleCliOptions& o) {
  io::TelemetryParseOptions out;
  auto format = io::parse_format_name(o.format);
  if (!format) return format.error();
  out.format = format.value();
  auto interval = bounded_duration(o.interval, "--interval");
  if (!interval) return interval.error();
  out.scrape_interval_s = interval.value();
  return out;
}

}  // namespace

std::function<int()> add_idle_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("idle", "Idle GPU capacity and its cost, from nvidia-smi or DCGM telemetry");
  auto opts = std::make_shared<IdleCliOptions>();
  cmd->add_option("file", opts->file, "nvidia-smi CSV log or DCGM-exporter Prometheus dump ('-': standard input)");
  cmd->add_option("--price-per-hour", opts->price_per_hour, "US dollars per GPU-hour (required), e.g. 2.49");
  cmd->add_option("--threshold", opts->threshold, "A sample is idle below this utilization, in percent")
      ->capture_default_str();
  cmd->add_option("--max-gap", opts->max_gap,
                  "Longer gaps between samples count as no data, e.g. 10m (default: 5m or 3 x the median "
                  "interval, whichever is larger)");
  cmd->add_option("--interval", opts->interval,
                  "Time between scrapes of a DCGM dump without timestamps (dcgm-exporter collects every 30 s)")
      ->capture_default_str();
  cmd->add_option("--format", opts->format, "auto, nvidia-smi or dcgm")->capture_default_str();
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->add_flag("--csv", opts->csv, "Print the per-GPU table as CSV");
  cmd->footer(
      "Examples:\n"
      "  nvidia-smi --query-gpu=timestamp,index,name,utilization.gpu,memory.used,memory.total,power.draw \\\n"
      "             --format=csv -l 60 > nvidia-smi.csv\n"
      "  gpuplan idle nvidia-smi.csv --price-per-hour 2.49\n"
      "  curl -s localhost:9400/metrics >> dcgm.prom   # repeated; or a dump with millisecond timestamps\n"
      "  gpuplan idle dcgm.prom --price-per-hour 2.49 --interval 30s --json\n"
      "Each sample stands for the time to the next sample of its GPU. A longer gap than --max-gap is no\n"
      "data, neither idle nor busy (the sample before it stands for one median interval); so is time\n"
      "covered only by samples without a utilization reading. nvidia-smi times are the node's local\n"
      "time as logged; Prometheus millisecond timestamps are UTC.");
  return [cmd, opts]() -> int {
    if (!cmd->parsed()) return 2;
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "gpuplan idle: %s\n", message.c_str());
      return 2;
    };
    if (opts->file.empty()) return fail("which telemetry file? e.g. gpuplan idle nvidia-smi.csv --price-per-hour 2.49");
    if (opts->json && opts->csv) return fail("give --json or --csv, not both");
    auto options = idle_options(*opts);
    if (!options) return fail(options.error().message);
    auto parse = parse_options(*opts);
    if (!parse) return fail(parse.error().message);
    auto text = read_telemetry(opts->file);
    if (!text) return fail(text.error().message);
    auto parsed = io::parse_telemetry(text.value(), parse.value());
    if (!parsed) return fail(opts->file + ": " + parsed.error().message);
    const IdleReport report = analyze_idle(parsed.value().log, options.value());
    const io::IdleView view{parsed.value(), report, opts->file};
    std::string out;
    if (opts->json) {
      out = io::idle_json(view) + "\n";
    } else if (opts->csv) {
      out = io::idle_csv(report);
      if (parsed.value().lines_skipped > 0) {
        std::fprintf(stderr, "gpuplan idle: skipped %zu unreadable lines\n", parsed.value().lines_skipped);
      }
    } else {
      out = io::idle_table(view);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
