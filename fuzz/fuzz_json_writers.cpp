// Fuzz target: the writers fed hostile strings. The input is split at NUL bytes into up to 12
// strings (invalid UTF-8, terminal escapes, quotes, control characters, CSV separators) that become
// the model id and name, the GPU id and name, the engine name, the runtime, the layout, the reasons,
// the suggestions and the findings of a fit, a speed and a plan result of a real catalog model on a
// real catalog card. Every writer runs: verdict_line, fit_json, fit_table, speed_json, speed_table,
// plan_json, plan_csv, plan_table, plan_explain. Invariants: nothing throws (an exception leaving
// this function is a crash: nlohmann::json throws type_error.316 on invalid UTF-8 unless dumped
// through io::dump_json), and each JSON document is valid JSON that parses back.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_builtin_catalog.hpp"
#include "gpuplan/advice.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/io/speed_report.hpp"
#include "gpuplan/plan.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_json_writers: invariant violated: %s\n", what);
  std::abort();
}

// A writer's document dumps (io::dump_json: invalid UTF-8 replaced, never thrown) to JSON that parses back.
void check_json(const nlohmann::ordered_json& doc, const char* what) {
  check(nlohmann::json::accept(gpuplan::io::dump_json(doc)), what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  for (std::size_t start = 0; parts.size() < 12;) {
    const std::size_t end = input.find('\0', start);
    parts.push_back(input.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  auto part = [&](std::size_t i) -> const std::string& { return parts[i % parts.size()]; };
  const gpuplan::Catalog& cat = gpuplan::fuzz::builtin();

  // The first byte picks the model and the card, so different architectures and vendors are seen.
  const std::size_t pick = size > 0 ? data[0] : 0;
  gpuplan::Model model = cat.models[pick % cat.models.size()];
  model.id = part(0);
  model.name = part(1);
  gpuplan::Gpu gpu = cat.gpus[(pick / 7) % cat.gpus.size()];
  gpu.id = part(2);
  gpu.name = part(3);

  gpuplan::Scenario sc;
  sc.arch = model.arch;
  sc.precision = gpuplan::find_precision(pick % 2 ? "q4_k_m" : "bf16").value();
  sc.precision.name = part(4);
  sc.workload.kv_dtype = part(5);
  sc.gpu_memory_bytes = gpuplan::usable_memory_bytes(gpu);
  sc.gpus = 1 + static_cast<double>(pick % 3);
  sc.with_speed = true;
  sc.hardware = gpuplan::compute_spec(gpu);
  if (auto rt = gpuplan::find_runtime(cat, "vllm", gpu.vendor)) sc.runtime = rt.value();
  if (auto eng = gpuplan::find_engine(cat, pick % 4 == 0 ? "llama.cpp" : "vllm")) {
    sc.engine_spec = *eng.value();
    sc.engine_spec.name = part(6);
    sc.engine_spec.source = part(7);
    sc.engine.tp = sc.gpus;
  }
  const gpuplan::Estimate e = gpuplan::estimate(sc);
  std::vector<gpuplan::FitSuggestion> suggestions = gpuplan::fit_suggestions(sc, e, cat.gpus);
  suggestions.push_back({part(8), part(9), part(10)});

  const gpuplan::io::FitReport fit{model, (pick & 8) != 0, gpu, sc, e, suggestions};
  check(!gpuplan::io::verdict_line(fit).empty(), "verdict_line not empty");
  check_json(gpuplan::io::fit_json(fit), "fit_json is JSON");
  gpuplan::io::fit_table(fit);
  const gpuplan::io::SpeedReport speed{fit, {}, 0};
  check_json(gpuplan::io::speed_json(speed), "speed_json is JSON");
  gpuplan::io::speed_table(speed);

  gpuplan::PlanRequest req;
  req.catalog = &cat;
  req.model_id = part(0);
  req.model_name = part(1);
  req.model_source = part(7);
  req.base = sc;
  req.kind = (pick & 16) != 0 ? gpuplan::PlanKind::train : gpuplan::PlanKind::serve;
  gpuplan::PlanCandidate c;
  c.gpu = &gpu;
  c.gpus = sc.gpus;
  c.precision = sc.precision;
  c.runtime = part(6);
  c.layout = part(9);
  c.estimate = e;
  c.memory_per_gpu_bytes = e.memory.total_bytes;
  c.capacity_per_gpu_bytes = e.capacity_bytes;
  c.fits = e.fits;
  c.feasible = true;
  c.cost_basis = (pick & 128) != 0 ? gpuplan::CostBasis::own : gpuplan::CostBasis::rent;
  gpuplan::PlanCandidate rejected = c;
  rejected.feasible = false;
  rejected.reason = part(11);
  // A rule from the input's bytes (the first eight: serving rules); writers print its code and message.
  const auto rule = static_cast<gpuplan::RejectReason>(pick % 8);
  rejected.rejection = rule;
  gpuplan::Plan p;
  p.kind = req.kind;
  p.candidates = {c, rejected};
  p.found = (pick & 32) == 0;
  p.best = 0;
  p.pareto = {0};
  p.by_tier[0] = {gpuplan::Tier::consumer, false, 0, part(11), rule};
  p.by_tier[1] = {gpuplan::Tier::workstation, p.found, 0, {}, std::nullopt};
  p.by_tier[2] = {gpuplan::Tier::datacenter, false, 0, part(8), std::nullopt};
  p.lower.available = (pick & 64) != 0;
  p.lower.candidate = rejected;
  p.lower.how = part(9);
  p.lower.gives_up = part(10);
  p.lower.why_none = part(11);
  p.findings.push_back(
      {(pick & 128) != 0 ? gpuplan::Severity::error : gpuplan::Severity::warning, part(9), part(10), part(11)});
  p.rejected.push_back({rule, 1});
  const gpuplan::io::PlanReport report{req, p, 0.25};
  check_json(gpuplan::io::plan_json(report), "plan_json is JSON");
  gpuplan::io::plan_csv(report);
  gpuplan::io::plan_table(report);
  gpuplan::io::plan_explain(report);
  return 0;
}
