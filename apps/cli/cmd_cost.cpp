// gpuplan cost: API vs rented vs owned GPUs for a serving workload, or rent vs own for a job.
// The replica is the plan's (api::run_cost): the same memory, speed and fleet rules as `plan`.
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/cost_report.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/sources/local_files.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

int run_job(const api::Context& ctx, const api::CostRequest& q, bool json) {
  auto r = api::run_cost_job(ctx, q);
  if (!r) return fail("cost", r.error(), json);
  const io::CostJobReport report = api::cost_job_report(ctx, r.value());
  write_out(json ? io::dump_json(io::cost_job_json(report)) + "\n" : io::cost_job_table(report));
  return 0;
}

}  // namespace

std::function<int()> add_cost_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("cost", "Buy, rent or call an API: monthly cost, cost per million tokens, break-even");
  auto b = bind_fields(cmd, api::cost_fields());
  auto csv = std::make_shared<bool>(false);
  cmd->add_flag("--csv", *csv, "CSV output (the sweep, or the comparison)");
  cmd->footer(
      "Examples:\n"
      "  gpuplan cost llama-3.1-70b --tokens-per-month 3B --prompt 1500 --output 300\n"
      "  gpuplan cost llama-3.1-8b --gpu l40s --utilization 0.35 --years 3 --power-price 0.15\n"
      "  gpuplan cost llama-3.1-70b --gpu h100-sxm --users 65 --tokens-per-month 5B\n"
      "  gpuplan cost llama-3.1-8b --gpu h100-sxm --tokens-per-month 1B --sweep utilization=0.1:1.0 --csv\n"
      "  gpuplan cost --gpu h100-sxm --gpu-hours 20000 --utilization 0.6\n"
      "The replica is sized as 'gpuplan plan' sizes it (same context, targets and engine memory): the fewest cards\n"
      "and the most requests per replica that fit and meet --tpot (default 50ms) and --ttft (default 2s).\n"
      "Owned cost = (purchase + capex extra) / years + hosting (kW x server factor) + power (TDP x server factor x\n"
      "PUE x price x utilisation).");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, csv, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto given = b->collect();
    if (!given) return fail("cost", given.error(), b->json);
    auto ctx = make_context(global);
    if (!ctx) return fail("cost", ctx.error(), b->json);
    auto calibrated = apply_calibration(b->request.calibration_file, ctx.value());
    if (!calibrated) return fail("cost", calibrated.error(), b->json);
    if (b->request.prices_file) {
      auto ok = sources::load_prices(*b->request.prices_file, *ctx.value().catalog);
      if (!ok) return fail("cost", ok.error(), b->json);
    }
    const api::Context& c = ctx.value().context;
    if (b->request.gpu_hours) return run_job(c, b->request, b->json);
    auto r = api::run_cost(c, b->request);
    if (!r) return fail("cost", r.error(), b->json);
    const api::CostResponse& out = r.value();
    for (const auto& w : out.plan.resolved.warnings) warn("cost", w);
    auto report = api::cost_report(out);
    if (!report) return fail("cost", report.error(), b->json);
    write_out(b->json ? io::dump_json(io::cost_json(report.value())) + "\n"
              : *csv  ? io::cost_csv(report.value())
                      : io::cost_table(report.value()));
    return 0;
  };
}

}  // namespace gpuplan::cli
