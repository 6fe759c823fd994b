// --explain: the arithmetic behind the top choice, step by step, with the catalog figures and
// their sources, so a budget owner can check it by hand.
#include <cmath>

#include "gpuplan/memory.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "plan_text.hpp"

namespace gpuplan {
namespace {

using plan_text::dollars;
using plan_text::num;
using plan_text::sci;

// "MLE; EPOCH (as of 2022-09)" plus the first source's description from the catalog.
std::string source_of(const Catalog& catalog, const Gpu& g, const char* field) {
  const auto it = g.provenance.find(field);
  if (it == g.provenance.end()) return "user catalog value (no source)";
  std::string out = "data/gpus.json " + g.id + "." + field + ": " + it->second.source;
  if (!it->second.as_of.empty()) out += " (as of " + it->second.as_of + ")";
  const std::string first = it->second.source.substr(0, it->second.source.find_first_of("; ("));
  for (const auto& [key, text] : catalog.gpu_sources) {
    if (key == first) {
      out += " = " + text.substr(0, 140) + (text.size() > 140 ? "..." : "");
      break;
    }
  }
  return out;
}

std::string book_source(const SourcedValue& v) {
  return "data/prices.json: " + v.source + (v.as_of.empty() ? "" : " (as of " + v.as_of + ")");
}

void explain_memory(const PlanRequest& r, const PlanCandidate& c, const Scenario& s, std::vector<ExplainStep>& out) {
  const ModelArch& a = s.arch;
  const ParamCounts p = count_params(a);
  out.push_back({"Model", "parameters counted tensor by tensor from the architecture",
                 format_count(p.total) + " parameters (" + format_count(p.active) + " active per token), " +
                     num(a.num_layers, 0) + " layers, hidden " + num(a.hidden_size, 0) + ", " + num(a.num_kv_heads, 0) +
                     " KV heads x " + num(a.head_dim, 0),
                 r.model_source.empty() ? "data/models.json" : r.model_source});
  const double wb = scenario_weights_bytes(s);
  out.push_back({"Weights",
                 "sum over tensors of elements x bits/8 (" + c.precision.name + ": " + c.precision.description +
                     "), split over " + count_of(c.gpus, "GPU"),
                 format_gib(wb) + " in all = " + num(wb * 8 / std::max(1.0, p.total), 2) + " bits/weight; " +
                     format_gib(c.estimate.memory.weights_bytes) + " per GPU",
                 "src/core/precision.cpp (block sizes from llama.cpp ggml-common.h; group scales per format)"});
  const double kv_token = kv_cache_bytes(a, 1, 1, s.workload.kv_bytes);
  if (r.kind == PlanKind::serve) {
    out.push_back({"KV cache",
                   "layers x 2 (K,V) x KV heads x head dim x " + num(s.workload.kv_bytes, 0) +
                       " bytes per token, x tokens x requests, split over the GPUs",
                   format_gib(kv_token * 1024) + " per 1k tokens; " + num(s.workload.context, 0) + " tokens x " +
                       num(c.batch, 0) + " requests = " + format_gib(c.estimate.memory.kv_cache_bytes) + " per GPU",
                   "Kwon et al. 2023 (vLLM paged KV cache); src/core/memory.cpp"});
  }
  out.push_back(
      {"Memory per GPU",
       "weights + KV cache + activations/workspace + runtime overhead (+ gradients and optimizer in training)",
       format_gib(c.memory_per_gpu_bytes) + " of " + format_gib(c.capacity_per_gpu_bytes) + " usable",
       source_of(*r.catalog, *c.gpu, "memory_gib")});
}

void explain_serving(const PlanRequest& r, const Plan& plan, const PlanCandidate& c, std::vector<ExplainStep>& out) {
  const Scenario s = candidate_scenario(r, c);
  explain_memory(r, c, s, out);
  const Gpu& g = *c.gpu;
  const RuntimeModel& rt = s.runtime;
  const Speed& sp = c.estimate.speed;
  out.push_back({"Time per output token",
                 "bytes read per decode step / (bandwidth x " + num(rt.bandwidth_efficiency, 3) + ") + layers x " +
                     num(rt.layer_overhead_s * 1e6, 1) + " us, averaged over the output; + split communication",
                 sci(sp.decode_bytes_per_step) + " bytes per step / (" + num(g.memory_bandwidth_bytes_per_s / 1e9, 0) +
                     " GB/s per GPU) -> TPOT " + num(c.tpot_s * 1e3, 1) + " ms at " + num(c.batch, 0) +
                     " requests (range " + num(sp.tpot_s.low * 1e3, 1) + "-" + num(sp.tpot_s.high * 1e3, 1) + " ms; " +
                     to_string(sp.bound) + std::string("-bound)"),
                 source_of(*r.catalog, g, "memory_bandwidth_gbps") + "; runtime " + rt.id + ": " + rt.calibration});
  out.push_back(
      {"Time to first token",
       "prefill FLOPs / (dense peak x " +
           num(c.precision.kind == QuantKind::floating ? rt.compute_efficiency_float : rt.compute_efficiency_quant, 3) +
           ") + passes x layers x overhead",
       sci(sp.prefill_flops) + " FLOPs / " + sci(sp.compute_flops_per_s) + " FLOP/s -> TTFT " + num(c.ttft_s, 3) +
           " s for " + num(r.serve.prompt_tokens, 0) + " prompt tokens",
       source_of(*r.catalog, g, c.precision.name == "fp8" ? "fp8" : "bf16")});
  out.push_back(
      {"Requests per replica", "min(users, what memory holds at the average length, the most that keep TPOT <= target)",
       "min(" + num(r.serve.users, 0) + ", " + num(c.max_concurrency_memory, 0) + ", latency) = " + num(c.batch, 0),
       "bisection on estimate() and estimate_speed()"});
  const double capacity = c.replica.tokens_per_s(ServingDemand{0, r.serve.prompt_tokens, r.serve.output_tokens, 1});
  out.push_back({"Replicas",
                 "max(ceil(peak users / per replica), ceil(tokens per month / replica capacity)); replica capacity = "
                 "requests x (prompt + output) / (TTFT + output x TPOT)",
                 "max(ceil(" + num(r.serve.users, 0) + " / " + num(c.batch, 0) + "), ceil(" +
                     format_count(plan.tokens_per_month) + " / " + format_count(capacity * kHoursPerMonth * 3600) +
                     ")) = " + count_of(c.replicas, "replica") + " x " + count_of(c.gpus, "GPU") + " = " +
                     count_of(c.fleet_gpus, "GPU") + "; utilisation " + num(100 * c.utilization, 0) + "%",
                 plan.tokens_per_month_derived
                     ? "tokens/month derived: users/2 in flight, each request TTFT + output x TPOT at the targets"
                     : "tokens/month as given"});
  const Prices& p = c.prices;
  const PriceBook& book = r.catalog->prices;
  if (c.cost_basis == CostBasis::rent) {
    out.push_back(
        {"Monthly cost (rent on demand, on all month)", "GPUs x USD per GPU-hour x 730 h",
         num(c.fleet_gpus, 0) + " x $" + num(p.rent_usd_per_gpu_hour, 2) + " x 730 = $" + num(c.monthly_usd, 0),
         source_of(*r.catalog, g, "rent_usd_per_hour")});
  } else {
    out.push_back(
        {"Monthly cost (own)",
         "GPUs x 730 h x (purchase / (years x 8760) + hosting x kW x server factor / 730 + kW x server factor x PUE x "
         "USD/kWh x utilisation)",
         num(c.fleet_gpus, 0) + " x 730 x ($" + num(p.purchase_usd_per_gpu, 0) + " / " + num(p.years * 8760, 0) +
             " + $" + num(p.hosting_usd_per_kw_month, 2) + " x " + num(p.gpu_tdp_w / 1000, 3) + " x " +
             num(p.server_power_factor, 2) + " / 730 + " + num(p.gpu_tdp_w / 1000, 3) + " x " +
             num(p.server_power_factor, 2) + " x " + num(p.pue, 2) + " x $" + num(p.power_usd_per_kwh, 4) + " x " +
             num(c.utilization, 2) + ") = $" + num(c.monthly_usd, 0),
         source_of(*r.catalog, g, "launch_price_usd") + "; " + source_of(*r.catalog, g, "tdp_w") + "; hosting " +
             book_source(book.hosting_usd_per_kw_month) + "; PUE " + book_source(book.pue) + "; power " +
             book_source(book.power_usd_per_kwh)});
  }
  if (c.cost.api.monthly_usd > 0) {
    out.push_back({"Managed API at the same volume", "tokens x blended USD per million",
                   dollars(c.cost.api.monthly_usd, 0) + "/month", r.api.basis + " (as of " + r.api.as_of + ")"});
  }
}

void explain_training(const PlanRequest& r, const PlanCandidate& c, std::vector<ExplainStep>& out) {
  Scenario s = r.base;
  s.precision = c.precision;
  s.workload.mode = r.train.method;
  explain_memory(r, c, s, out);
  const TrainEstimate& e = c.train_estimate;
  const Gpu& g = *c.gpu;
  out.push_back({"Layout", "tensor x pipeline x data (x context) parallel = GPUs; ZeRO shards states over data ranks",
                 c.layout + " on " + count_of(c.gpus, "GPU"),
                 "search_layouts: every valid layout, cheapest kept (Narayanan et al. 2021; Rajbhandari et al. 2020)"});
  out.push_back(
      {"Step time",
       "tokens per step x FLOPs per token / (GPUs x dense peak x efficiency) + bubble + exposed communication",
       num(e.step_s, 3) + " s = compute " + num(e.compute_s, 3) + " + bubble " + num(e.bubble_s, 3) + " + TP " +
           num(e.tp_s, 3) + " + PP " + num(e.pp_s, 3) + " + DP " + num(e.dp_s, 3) + "; MFU " + num(100 * e.mfu, 1) +
           "%",
       source_of(*r.catalog, g, "bf16") + "; 6N FLOPs per token (8N with full recomputation)"});
  out.push_back(
      {"Job", "steps x step time; GPU-hours = wall time x GPUs",
       num(e.steps, 0) + " steps, " + num(c.wall_s / 86400, 2) + " days, " + num(c.gpu_hours, 0) + " GPU-hours",
       "tokens " + format_count(r.train.tokens)});
  const double per_hour = c.gpu_hours > 0 ? c.job_usd / c.gpu_hours : 0;
  out.push_back({std::string("Job cost (") + to_string(c.cost_basis) + ")",
                 c.cost_basis == CostBasis::rent
                     ? "GPU-hours x USD per GPU-hour"
                     : "GPU-hours x (owned fixed cost per hour / lifetime utilisation + power)",
                 num(c.gpu_hours, 0) + " x $" + num(per_hour, 3) + " = $" + num(c.job_usd, 0),
                 c.cost_basis == CostBasis::rent ? source_of(*r.catalog, g, "rent_usd_per_hour")
                                                 : source_of(*r.catalog, g, "launch_price_usd")});
}

}  // namespace

std::vector<ExplainStep> explain(const PlanRequest& r, const Plan& plan) {
  std::vector<ExplainStep> out;
  const PlanCandidate* top = plan.top();
  if (top == nullptr || r.catalog == nullptr) return out;
  if (r.kind == PlanKind::serve) {
    explain_serving(r, plan, *top, out);
  } else {
    explain_training(r, *top, out);
  }
  return out;
}

}  // namespace gpuplan
