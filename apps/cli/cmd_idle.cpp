// gpuplan idle: idle GPU capacity and what it cost, from nvidia-smi CSV logs or DCGM-exporter dumps.
// The CLI reads the file (or standard input) into the request; api::run_idle parses and analyses it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/sources/local_files.hpp"

namespace gpuplan::cli {
namespace {

// The whole file ("-": standard input, pipes too), at most io::kMaxTelemetryBytes.
// A named file must be a regular file (a FIFO or a device would block or never end: refused by
// sources::read_bounded_file with that reason); standard input is read in bounded chunks.
Result<std::string> read_telemetry(const std::string& path) {
  if (path != "-") return sources::read_bounded_file(path, io::kMaxTelemetryBytes);
  std::istream* in = &std::cin;
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

}  // namespace

std::function<int()> add_idle_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("idle", "Idle GPU capacity and its cost, from nvidia-smi or DCGM telemetry");
  auto b = bind_fields(cmd, api::idle_fields());
  auto csv = std::make_shared<bool>(false);
  cmd->add_flag("--csv", *csv, "Print the per-GPU table as CSV");
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
      "time as logged; Prometheus millisecond timestamps are UTC. --json prints gpuplan-idle/2.");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, csv]() -> int {
    if (!cmd->parsed()) return 2;
    const auto bad = [&](const std::string& message) {
      return fail("idle", make_error(ErrorCode::invalid_argument, message), b->json);
    };
    auto given = b->collect();
    if (!given) return fail("idle", given.error(), b->json);
    api::IdleRequest& q = b->request;
    if (!q.file) return bad("which telemetry file? e.g. gpuplan idle nvidia-smi.csv --price-per-hour 2.49");
    if (b->json && *csv) return bad("give --json or --csv, not both");
    auto text = read_telemetry(*q.file);
    if (!text) return fail("idle", text.error(), b->json);
    q.telemetry = std::move(text).value();
    auto r = api::run_idle(api::Context{}, q);
    if (!r) return fail("idle", r.error(), b->json);
    const api::IdleResponse& out = r.value();
    if (*csv && out.parsed.lines_skipped > 0) {
      std::fprintf(stderr, "gpuplan idle: skipped %zu unreadable lines\n", out.parsed.lines_skipped);
    }
    write_out(b->json ? io::dump_json(io::idle_json(out.view())) + "\n"
              : *csv  ? io::idle_csv(out.report)
                      : io::idle_table(out.view()));
    return 0;
  };
}

}  // namespace gpuplan::cli
