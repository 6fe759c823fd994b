// gpuplan plan: given a model and a workload, what to run it on — the search across every GPU,
// count, precision, split and batch, the best per tier, the Pareto front and the findings.
#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "options.hpp"

namespace gpuplan::cli {

std::function<int()> add_plan_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "plan", "What to run it on: every GPU x count x precision x split x batch, ranked by cost, with findings");
  auto b = bind_fields(cmd, api::plan_fields());
  auto csv = std::make_shared<bool>(false);
  auto explain = std::make_shared<bool>(false);
  cmd->add_flag("--csv", *csv, "Every candidate as CSV, ranked");
  cmd->add_flag("--explain", *explain, "The arithmetic behind the top choice, with the catalog figures and sources");
  cmd->footer(
      "Examples:\n"
      "  gpuplan plan llama-3.1-70b                       # default serving workload\n"
      "  gpuplan plan qwen3-30b-a3b --context 32k --users 20 --tpot 50ms --ttft 2s\n"
      "  gpuplan plan llama-3.1-8b --method qlora --tokens 50M --deadline 2d\n"
      "  gpuplan plan deepseek-v3 --tier datacenter --max-gpus 16 --json\n"
      "  gpuplan plan mistral-7b --tier consumer --explain\n"
      "Durations need a unit (50ms, 2s, 12h, 30d). Serving ranks by cost per month (rented on demand, or owned:\n"
      "purchase/3 years + hosting + power); training by cost per job. Exit status 0 when a plan was made (even if\n"
      "nothing is feasible), 2 on bad input.");
  cmd->footer(cmd->get_footer() + "\n" + api::units_note());
  return [cmd, b, csv, explain, &global]() -> int {
    if (!cmd->parsed()) return 2;
    if (b->json && *csv) return fail("plan", make_error(ErrorCode::conflict, "--json and --csv: choose one"), false);
    auto given = b->collect();
    if (!given) return fail("plan", given.error(), b->json);
    auto ctx = make_context(global);
    if (!ctx) return fail("plan", ctx.error(), b->json);
    auto calibrated = apply_calibration(b->request.calibration_file, ctx.value());
    if (!calibrated) return fail("plan", calibrated.error(), b->json);
    auto r = api::run_plan(ctx.value().context, b->request);
    if (!r) return fail("plan", r.error(), b->json);
    const api::PlanResponse& p = r.value();
    for (const auto& w : p.resolved.warnings) warn("plan", w);
    const io::PlanReport report = api::plan_report(p);
    std::string text;
    if (b->json) {
      text = io::dump_json(io::plan_json(report)) + "\n";
    } else if (*csv) {
      text = io::plan_csv(report);
    } else {
      text = io::plan_table(report);
      if (*explain) text += "\n" + io::plan_explain(report);
    }
    write_out(text);
    return 0;
  };
}

}  // namespace gpuplan::cli
