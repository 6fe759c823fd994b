// The request layer: one path from a typed request to a response for every face (CLI, HTTP,
// Python). resolve_*() applies the defaults (api/defaults.hpp) and the rules into core scenarios;
// run_*() computes the response. Faces only translate options in and documents out.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/advice.hpp"
#include "gpuplan/api/requests.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/cost.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/io/train_report.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/scenario.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "gpuplan/speed.hpp"
#include "gpuplan/training.hpp"

namespace gpuplan::api {

// What every request runs against: the catalog and how model sources may be read. Injected, not
// read from the environment, so a server can run requests on threads with its own settings.
struct Context {
  const Catalog* catalog = nullptr;
  sources::SourceOptions sources;  // offline, token, cache, allow_local_paths (false for a server)
};

// A model and a card, resolved: the scenario every command starts from.
struct Resolved {
  Model model;
  bool architecture_assumed = false;
  std::string model_kind = "catalog";  // catalog | config | safetensors | gguf
  bool weights_measured = false;
  bool precision_is_native = false;  // the checkpoint's own format, not asked for
  Gpu gpu;
  Scenario scenario;
  std::vector<std::string> warnings;
};

struct FitResponse {
  Resolved resolved;
  Estimate estimate;
  std::vector<FitSuggestion> suggestions;
};

struct SpeedResponse {
  Resolved resolved;
  Estimate estimate;
  std::vector<CurvePoint> curve;
  double compute_bound_concurrency = 0;
};

// The serving workload with every default applied (shared by cost and plan).
struct ServeTargets {
  ServeWorkload workload;
  bool tokens_per_month_given = false;
  bool users_given = false;
};

struct PlanResponse {
  Resolved resolved;
  PlanRequest request;
  Plan plan;
  double elapsed_s = 0;
  std::size_t candidates_in_json = 0;  // --top: ranked candidates the JSON document lists in full
};

// Rent vs own for a job of N GPU-hours on one card.
struct CostJobResponse {
  Gpu gpu;
  JobCost job;
  Prices prices;
};

// Serving cost: the plan's best candidate for the card (or every priced card) and precision, so
// cost and plan size the same replica with the same memory, speed and fleet rules.
struct CostResponse {
  PlanResponse plan;
  const PlanCandidate* best = nullptr;  // into plan.plan.candidates; null when none is feasible
  std::vector<SweepPoint> sweep;
  bool gpu_chosen = false;  // --gpu not given: the cheapest card to rent was chosen
  std::size_t cards_priced = 0;
};

struct TrainResponse {
  Resolved resolved;
  io::TrainReport report;  // report.found false: no layout meets the limits (a result, not an error)
};

struct InspectResponse {
  io::InspectReport report;
};

// The parsed log and its analysis; view() is what the io writers take.
struct IdleResponse {
  io::ParsedTelemetry parsed;
  IdleReport report;
  std::string source;  // the request's file, named in the report
  io::IdleView view() const { return io::IdleView{parsed, report, source}; }
};

Result<Resolved> resolve_fit(const Context& ctx, const FitRequest& request);
Result<FitResponse> run_fit(const Context& ctx, const FitRequest& request);
Result<SpeedResponse> run_speed(const Context& ctx, const SpeedRequest& request);

Result<ServeWorkload> resolve_serve(const ServeArgs& args, const ModelArch& arch);
Result<PlanRequest> resolve_plan(const Context& ctx, const PlanQuery& query, Resolved& resolved);
Result<PlanResponse> run_plan(const Context& ctx, const PlanQuery& query);
Result<CostResponse> run_cost(const Context& ctx, const CostRequest& request);
Result<CostJobResponse> run_cost_job(const Context& ctx, const CostRequest& request);

// A layout as `train` prints it (tp=8,pp=2,dp=4,zero=1,sp=off,mb=1,recompute=full): parse(print(l)) == l.
Result<Layout> parse_layout(std::string_view text);
Result<TrainResponse> run_train(const Context& ctx, const TrainRequest& request);

// The model spec read (catalog, file, folder or Hub), its parameters and KV bytes per token.
Result<InspectResponse> run_inspect(const Context& ctx, const InspectRequest& request);
// request.telemetry parsed and analysed; the price is required, every other field has a default.
Result<IdleResponse> run_idle(const Context& ctx, const IdleRequest& request);

}  // namespace gpuplan::api
