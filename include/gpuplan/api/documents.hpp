// The documents every face returns: the JSON a command's --json prints, built once from the
// request layer's responses, for the CLI, the HTTP API and Python alike. run_json() is the one
// entry of the JSON faces: a request object (the CLI's long option names as keys) -> the document.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/api/api.hpp"
#include "gpuplan/io/cost_report.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/io/speed_report.hpp"

namespace gpuplan::api {

enum class Command { fit, speed, cost, train, plan, inspect, idle, models, gpus, quants };
const char* to_string(Command command);
Result<Command> parse_command(std::string_view name);
const std::vector<Command>& all_commands();

// Views of a response for the io writers (they refer into the response: keep it alive).
io::FitReport fit_report(const FitResponse& r);
io::SpeedReport speed_report(const SpeedResponse& r);
io::PlanReport plan_report(const PlanResponse& r);
// The serving cost's chosen replica, or why there is none (an error naming the flags to give).
Result<io::CostReport> cost_report(const CostResponse& r);
io::CostJobReport cost_job_report(const Context& ctx, const CostJobResponse& r);

// {"schema": "gpuplan-error/2", "error": {"code", "message", "command"}}
nlohmann::ordered_json error_document(std::string_view command, const Error& error);
const char* error_code_name(ErrorCode code);

// The catalog listings (gpuplan models | gpus | quants --json). Filters are optional ("" = all).
nlohmann::ordered_json models_document(const Catalog& catalog, std::string_view family);
Result<nlohmann::ordered_json> gpus_document(const Catalog& catalog, std::string_view tier, std::string_view vendor);
nlohmann::ordered_json quants_document();

// Options outside the request field tables, once for every face: a listing's filters (models:
// family; gpus: tier, vendor), idle's JSON-only "telemetry" (the CLI reads a file instead), and the
// options of every call that name local files or the cache (the CLI's global options).
struct OptionInfo {
  const char* key;  // JSON key / Python keyword; the CLI's is "--" + key with '-'
  const char* help;
};
const std::vector<OptionInfo>& extra_options(Command command);
const std::vector<OptionInfo>& face_options();

// Runs one command on a JSON request and returns the document its --json prints. Keys: the
// command's field table (api/requests.hpp); models takes "family", gpus "tier" and "vendor", idle
// also "telemetry" (the log's text; the face reads a "file" into it). A file-naming key
// (prices_file) must have been applied to ctx's catalog by the face: nothing here reads a path.
Result<nlohmann::ordered_json> run_json(const Context& ctx, Command command, const nlohmann::json& request);

}  // namespace gpuplan::api

namespace gpuplan::api {

// The catalog entries a listing shows: one filter rule for the table and the document.
std::vector<const Model*> models_matching(const Catalog& catalog, std::string_view family);
Result<std::vector<const Gpu*>> gpus_matching(const Catalog& catalog, std::string_view tier, std::string_view vendor);

}  // namespace gpuplan::api
