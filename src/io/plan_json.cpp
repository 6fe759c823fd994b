// plan --json (schema gpuplan-plan/3, schemas/plan.schema.json) and plan --csv (the candidate list).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

double finite(double v) {
  return std::isfinite(v) ? v : 0;
}

// A figure the search computed for this candidate, or null where it did not (infinite, NaN).
ordered_json num(double v) {
  return number_or_null(v);
}

ordered_json candidate_json(const PlanRequest& req, const PlanCandidate& c) {
  const MemoryBreakdown& m = c.estimate.memory;
  ordered_json gpu = gpu_json(*c.gpu, c.gpus);
  gpu["tier"] = to_string(c.gpu->tier);
  ordered_json j = {{"gpu", gpu},
                    {"precision", c.precision.name},
                    {"quality", c.precision.quality},
                    {"runtime", c.runtime},
                    {"layout", c.layout},
                    {"batch", c.batch},
                    {"feasible", c.feasible}};
  if (!c.feasible) {
    if (c.rejection) j["reason_code"] = to_string(*c.rejection);
    j["reason"] = c.reason;
  }
  j["memory"] = {{"per_gpu_bytes", whole_or_null(c.memory_per_gpu_bytes)},
                 {"capacity_per_gpu_bytes", whole_or_null(c.capacity_per_gpu_bytes)},
                 {"weights_bytes", whole_or_null(m.weights_bytes)},
                 {"kv_cache_bytes", whole_or_null(m.kv_cache_bytes)},
                 {"activations_bytes", whole_or_null(m.activations_bytes)},
                 {"overhead_bytes", whole_or_null(m.overhead_bytes)},
                 {"fits", c.fits},
                 {"binding", to_string(c.estimate.binding)}};
  if (req.kind == PlanKind::serve) {
    j["memory"]["max_concurrency"] = whole_or_null(c.max_concurrency_memory);
    j["memory"]["max_context"] = whole_or_null(c.max_context);
    j["speed"] = {{"ttft_s", num(c.ttft_s)},
                  {"tpot_s", num(c.tpot_s)},
                  {"decode_tokens_per_s_per_user", number_or_null(1.0 / c.tpot_s, c.tpot_s > 0)},
                  {"aggregate_tokens_per_s", num(c.tokens_per_s)},
                  {"bound", to_string(c.estimate.speed.bound)}};
    j["fleet"] = {{"replicas", c.replicas},
                  {"gpus", c.fleet_gpus},
                  {"utilization", num(c.utilization)},
                  {"capacity_tokens_per_month", num(c.cost.capacity_tokens_per_month)}};
    j["cost_basis"] = to_string(c.cost_basis);
    j["monthly_usd"] = num(c.monthly_usd);
    j["usd_per_million_tokens"] =
        num(c.cost_basis == CostBasis::own ? c.cost.own.usd_per_million_tokens : c.cost.rent.usd_per_million_tokens);
    j["alternatives_usd"] = {{"rent", num(c.cost.rent.monthly_usd)},
                             {"rent_elastic", num(c.cost.rent_elastic.monthly_usd)},
                             {"own", num(c.cost.own.monthly_usd)},
                             {"api", num(c.cost.api.monthly_usd)}};
  } else {
    const TrainEstimate& e = c.train_estimate;
    j["speed"] = {{"tokens_per_s", num(c.tokens_per_s)}, {"step_s", num(e.step_s)}, {"mfu", num(e.mfu)}};
    j["job"] = {{"wall_s", num(c.wall_s)},
                {"days", num(c.wall_s / 86400)},
                {"gpu_hours", num(c.gpu_hours)},
                {"steps", whole_or_null(e.steps)}};
    j["cost_basis"] = to_string(c.cost_basis);
    j["job_usd"] = num(c.job_usd);
  }
  return j;
}

// One ranked candidate as a flat row (the columns of --csv in base units): a table or DataFrame row.
ordered_json candidate_row(std::size_t rank, const PlanCandidate& c) {
  ordered_json j = {{"rank", rank},
                    {"feasible", c.feasible},
                    {"gpu", c.gpu->id},
                    {"tier", to_string(c.gpu->tier)},
                    {"gpus", c.gpus},
                    {"precision", c.precision.name},
                    {"runtime", c.runtime},
                    {"layout", c.layout},
                    {"batch", c.batch},
                    {"memory_per_gpu_bytes", whole_or_null(c.memory_per_gpu_bytes)},
                    {"capacity_per_gpu_bytes", whole_or_null(c.capacity_per_gpu_bytes)},
                    {"ttft_s", num(c.ttft_s)},
                    {"tpot_s", num(c.tpot_s)},
                    {"tokens_per_s", num(c.tokens_per_s)},
                    {"replicas", c.replicas},
                    {"fleet_gpus", c.fleet_gpus},
                    {"utilization", num(c.utilization)},
                    {"cost_basis", to_string(c.cost_basis)},
                    {"monthly_usd", num(c.monthly_usd)},
                    {"job_usd", num(c.job_usd)},
                    {"wall_s", num(c.wall_s)}};
  j["reason_code"] = c.rejection ? ordered_json(to_string(*c.rejection)) : ordered_json(nullptr);
  j["reason"] = c.reason;
  return j;
}

}  // namespace

ordered_json plan_json(const PlanReport& r) {
  const Plan& p = r.plan;
  const PlanRequest& q = r.request;
  ordered_json plan;
  plan["kind"] = to_string(p.kind);
  if (p.kind == PlanKind::serve) {
    plan["workload"] = {{"context", q.serve.context},
                        {"prompt_tokens", q.serve.prompt_tokens},
                        {"output_tokens", q.serve.output_tokens},
                        {"users", q.serve.users},
                        {"ttft_target_s", q.serve.ttft_target_s},
                        {"tpot_target_s", q.serve.tpot_target_s},
                        {"tokens_per_month", p.tokens_per_month},
                        {"tokens_per_month_derived", p.tokens_per_month_derived},
                        {"kv_dtype", q.base.workload.kv_dtype}};
  } else {
    plan["workload"] = {{"method", to_string(q.train.method)},
                        {"tokens", q.train.tokens},
                        {"seq", q.train.seq},
                        {"global_batch_tokens", q.train.global_batch_tokens},
                        {"deadline_s", q.train.deadline_s},
                        {"deadline_is_default", q.train.deadline_is_default},
                        {"budget_usd", q.train.budget_usd}};
  }
  plan["filters"] = {{"tier", q.filters.tier ? to_string(*q.filters.tier) : "any"},
                     {"max_gpus", q.filters.max_gpus},
                     {"ownership", to_string(q.ownership)}};
  plan["best"] = p.found ? candidate_json(q, p.candidates[p.best]) : ordered_json(nullptr);
  ordered_json tiers = ordered_json::object();
  for (const TierChoice& t : p.by_tier) {
    if (t.found) {
      ordered_json c = {{"found", true}};
      c.update(candidate_json(q, p.candidates[t.index]));
      tiers[to_string(t.tier)] = c;
    } else {
      ordered_json none = {{"found", false}, {"why_none", t.why_none}};
      if (t.why_none_code) none["why_none_code"] = to_string(*t.why_none_code);
      tiers[to_string(t.tier)] = none;
    }
  }
  plan["by_tier"] = tiers;
  ordered_json pareto = ordered_json::array();
  for (std::size_t i : p.pareto) pareto.push_back(candidate_json(q, p.candidates[i]));
  plan["pareto"] = pareto;
  ordered_json lower = {{"available", p.lower.available}};
  if (p.lower.available) {
    lower["tier"] = to_string(p.lower.tier);
    lower["how"] = p.lower.how;
    lower["gives_up"] = p.lower.gives_up;
    lower["context"] = p.lower.context;
    lower["choice"] = candidate_json(q, p.lower.candidate);
  } else {
    lower["why_none"] = p.lower.why_none;
  }
  plan["one_tier_lower"] = lower;
  std::size_t feasible = 0;
  for (const auto& c : p.candidates) feasible += c.feasible ? 1 : 0;
  plan["candidates_evaluated"] = whole_or_null(p.candidates_evaluated);
  plan["search_stopped"] = to_string(p.stopped);  // complete | budget_spent | cancelled
  plan["candidates_listed"] = p.candidates.size();
  plan["candidates_feasible"] = feasible;
  plan["elapsed_s"] = r.elapsed_s;
  ordered_json findings = ordered_json::array();
  for (const Finding& f : p.findings) {
    findings.push_back({{"severity", to_string(f.severity)}, {"code", f.code}, {"why", f.why}, {"fix", f.fix}});
  }
  plan["findings"] = findings;
  plan["rejected"] = reject_counts_json(p.rejected);
  const ordered_json model = model_json(q.model_id, q.model_name, params_json(count_params(q.base.arch)));
  ordered_json rows = ordered_json::array();
  for (std::size_t i = 0; i < p.candidates.size() && i < r.candidates_in_json; ++i) {
    rows.push_back(candidate_row(i + 1, p.candidates[i]));
  }
  return {{"schema", "gpuplan-plan/3"}, {"model", model}, {"plan", plan}, {"candidates", rows}};
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string plan_csv(const PlanReport& r) {
  std::string out =
      "rank,feasible,gpu,tier,gpus,precision,runtime,layout,batch,memory_per_gpu_gib,capacity_per_gpu_gib,ttft_s,"
      "tpot_ms,tokens_per_s,replicas,fleet_gpus,utilization,cost_basis,monthly_usd,job_usd,days,reason\n";
  std::size_t rank = 0;
  for (const auto& c : r.plan.candidates) {
    ++rank;
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{:.3f},{:.3f},{:.4f},{:.3f},{:.1f},{},{},{:.4f},{},{:.2f},{:.2f},{:.3f},{}\n", rank,
        c.feasible ? "true" : "false", c.gpu->id, to_string(c.gpu->tier), c.gpus, c.precision.name, c.runtime,
        csv_field(c.layout), c.batch, c.memory_per_gpu_bytes / kGiB, c.capacity_per_gpu_bytes / kGiB, finite(c.ttft_s),
        finite(c.tpot_s * 1e3), finite(c.tokens_per_s), c.replicas, c.fleet_gpus, finite(c.utilization),
        to_string(c.cost_basis), finite(c.monthly_usd), finite(c.job_usd), finite(c.wall_s / 86400),
        csv_field(c.reason));
  }
  return out;
}

}  // namespace gpuplan::io
