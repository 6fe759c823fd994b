// The --json documents of the commands, built from the request layer's responses (documents.hpp).
#include "gpuplan/api/documents.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "gpuplan/api/json_request.hpp"
#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/io/train_report.hpp"

namespace gpuplan::api {
namespace {

using nlohmann::ordered_json;

const std::vector<FitSuggestion>& no_suggestions() {
  static const std::vector<FitSuggestion> none;
  return none;
}

const PriceOverrides& no_overrides() {
  static const PriceOverrides none;
  return none;
}

}  // namespace

const char* to_string(Command command) {
  switch (command) {
    case Command::fit: return "fit";
    case Command::speed: return "speed";
    case Command::cost: return "cost";
    case Command::train: return "train";
    case Command::plan: return "plan";
    case Command::inspect: return "inspect";
    case Command::idle: return "idle";
    case Command::models: return "models";
    case Command::gpus: return "gpus";
    case Command::quants: return "quants";
  }
  return "fit";
}

const std::vector<OptionInfo>& extra_options(Command command) {
  static const std::vector<OptionInfo> none;
  static const std::vector<OptionInfo> models = {
      {"family", "Only this architecture family (llama, qwen3_moe, gemma3, ...)"}};
  static const std::vector<OptionInfo> gpus = {{"tier", "consumer | workstation | datacenter"},
                                               {"vendor", "nvidia | amd | intel | apple | google"}};
  static const std::vector<OptionInfo> idle = {
      {"telemetry", "The log's text (instead of a file): nvidia-smi CSV or a DCGM exporter dump"}};
  switch (command) {
    case Command::models: return models;
    case Command::gpus: return gpus;
    case Command::idle: return idle;
    default: return none;
  }
}

const std::vector<OptionInfo>& face_options() {
  static const std::vector<OptionInfo> options = {
      {"models_file", "Extra model catalog (JSON, same schema as data/models.json)"},
      {"gpus_file", "Extra GPU catalog (JSON, same schema as data/gpus.json)"},
      {"offline", "Hub models from the on-disk cache only (same as HF_HUB_OFFLINE=1)"}};
  return options;
}

const std::vector<Command>& all_commands() {
  static const std::vector<Command> all = {Command::fit,  Command::speed,   Command::cost, Command::train,
                                           Command::plan, Command::inspect, Command::idle, Command::models,
                                           Command::gpus, Command::quants};
  return all;
}

Result<Command> parse_command(std::string_view name) {
  std::vector<std::string> names;
  for (const Command c : all_commands()) {
    if (name == to_string(c)) return c;
    names.emplace_back(to_string(c));
  }
  const std::string shown(name.substr(0, 64));
  return make_error(ErrorCode::unknown_name, "unknown command '" + shown + "'" + suggestion_suffix(shown, names));
}

io::FitReport fit_report(const FitResponse& r) {
  return io::FitReport{r.resolved.model, r.resolved.architecture_assumed,
                       r.resolved.gpu,   r.resolved.scenario,
                       r.estimate,       r.suggestions};
}

io::SpeedReport speed_report(const SpeedResponse& r) {
  return io::SpeedReport{io::FitReport{r.resolved.model, r.resolved.architecture_assumed, r.resolved.gpu,
                                       r.resolved.scenario, r.estimate, no_suggestions()},
                         r.curve, r.compute_bound_concurrency};
}

io::PlanReport plan_report(const PlanResponse& r) {
  return io::PlanReport{r.request, r.plan, r.elapsed_s, r.candidates_in_json};
}

Result<io::CostReport> cost_report(const CostResponse& r) {
  if (r.best != nullptr) {
    return io::CostReport{r.plan.request, *r.best, r.plan.resolved.model, r.sweep, r.gpu_chosen, r.cards_priced};
  }
  const auto& rejected = r.plan.plan.rejected;
  const std::optional<RejectReason> commonest =
      rejected.empty() ? std::nullopt : std::optional<RejectReason>(rejected.front().reason);
  const std::string why = commonest ? describe(*commonest) : "no card has a rental price";
  const bool unpriced = !commonest || *commonest == RejectReason::no_rental_price ||
                        *commonest == RejectReason::no_purchase_price || *commonest == RejectReason::no_price;
  return make_error(ErrorCode::invalid_argument,
                    "no replica can serve this workload: " + why +
                        (unpriced ? " (give --rent-price, USD per GPU-hour, and --purchase-price)" : ""));
}

io::CostJobReport cost_job_report(const Context& ctx, const CostJobResponse& r) {
  return io::CostJobReport{r.gpu, r.job, r.prices, no_overrides(), ctx.catalog->prices};
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unknown_name: return "unknown_name";
    case ErrorCode::parse_error: return "parse_error";
    case ErrorCode::out_of_range: return "out_of_range";
    case ErrorCode::conflict: return "conflict";
  }
  return "invalid_argument";
}

ordered_json error_document(std::string_view command, const Error& error) {
  return {{"schema", "gpuplan-error/2"},
          {"error", {{"code", error_code_name(error.code)}, {"message", error.message}, {"command", command}}}};
}

namespace {

template <class R, class Run, class Document>
Result<ordered_json> run_fields(const Context& ctx, const nlohmann::json& request, const std::vector<Field<R>>& fields,
                                Run run, Document document) {
  auto q = request_from_json(request, fields);
  if (!q) return q.error();
  auto r = run(ctx, q.value());
  if (!r) return r.error();
  return document(r.value());
}

Result<ordered_json> run_cost_json(const Context& ctx, const nlohmann::json& request) {
  auto q = request_from_json(request, cost_fields());
  if (!q) return q.error();
  if (q.value().gpu_hours) {
    auto job = run_cost_job(ctx, q.value());
    if (!job) return job.error();
    return io::cost_job_json(cost_job_report(ctx, job.value()));
  }
  auto r = run_cost(ctx, q.value());
  if (!r) return r.error();
  auto report = cost_report(r.value());
  if (!report) return report.error();
  return io::cost_json(report.value());
}

Result<ordered_json> run_idle_json(const Context& ctx, const nlohmann::json& request) {
  nlohmann::json fields = request;
  std::string telemetry;
  if (request.is_object() && request.contains("telemetry")) {
    const auto& t = request["telemetry"];
    if (!t.is_string()) return make_error(ErrorCode::invalid_argument, "'telemetry': expected the log's text");
    telemetry = t.get<std::string>();
    if (telemetry.size() > io::kMaxTelemetryBytes) {
      return make_error(ErrorCode::out_of_range, "'telemetry': larger than the telemetry limit");
    }
    fields.erase("telemetry");
  }
  auto q = request_from_json(fields, idle_fields());
  if (!q) return q.error();
  if (telemetry.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "which telemetry? give 'telemetry' (the text of nvidia-smi --query-gpu ... --format=csv or a "
                      "DCGM exporter scrape)");
  }
  q.value().telemetry = std::move(telemetry);
  auto r = run_idle(ctx, q.value());
  if (!r) return r.error();
  return io::idle_json(r.value().view());
}

// A listing's filters by name (extra_options); anything else is an unknown key.
Result<ordered_json> run_listing(const Context& ctx, Command command, const nlohmann::json& request) {
  if (!request.is_object()) return make_error(ErrorCode::parse_error, "a request is a JSON object");
  std::vector<std::string> keys;
  for (const OptionInfo& o : extra_options(command)) keys.emplace_back(o.key);
  std::map<std::string, std::string> given;
  for (const auto& [k, v] : request.items()) {
    const std::string key = field_key(k);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return make_error(ErrorCode::unknown_name,
                        "unknown key '" + k.substr(0, 64) + "'" + suggestion_suffix(k.substr(0, 64), keys));
    }
    if (v.is_null()) continue;
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 64) {
      return make_error(ErrorCode::invalid_argument, "'" + key + "': expected a name");
    }
    given[key] = v.get<std::string>();
  }
  if (command == Command::quants) return quants_document();
  if (command == Command::models) return models_document(*ctx.catalog, given["family"]);
  return gpus_document(*ctx.catalog, given["tier"], given["vendor"]);
}

}  // namespace

Result<ordered_json> run_json(const Context& ctx, Command command, const nlohmann::json& request) {
  if (ctx.catalog == nullptr) return make_error(ErrorCode::invalid_argument, "no catalog");
  switch (command) {
    case Command::fit:
      return run_fields(ctx, request, fit_fields(), run_fit,
                        [](const FitResponse& r) { return io::fit_json(fit_report(r)); });
    case Command::speed:
      return run_fields(ctx, request, speed_fields(), run_speed,
                        [](const SpeedResponse& r) { return io::speed_json(speed_report(r)); });
    case Command::plan:
      return run_fields(ctx, request, plan_fields(), run_plan,
                        [](const PlanResponse& r) { return io::plan_json(plan_report(r)); });
    case Command::train:
      return run_fields(ctx, request, train_fields(), run_train,
                        [](const TrainResponse& r) { return io::train_json(r.report); });
    case Command::inspect:
      return run_fields(ctx, request, inspect_fields(), run_inspect,
                        [](const InspectResponse& r) { return io::inspect_json(r.report); });
    case Command::cost: return run_cost_json(ctx, request);
    case Command::idle: return run_idle_json(ctx, request);
    case Command::models:
    case Command::gpus:
    case Command::quants: return run_listing(ctx, command, request);
  }
  return make_error(ErrorCode::invalid_argument, "unknown command");
}

}  // namespace gpuplan::api
