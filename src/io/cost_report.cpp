#include "gpuplan/io/cost_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

std::string money(double usd) {
  if (!std::isfinite(usd) || usd < 0) return "-";
  if (usd >= 100) return fmt::format("{:.0f}", usd);
  return fmt::format("{:.2f}", usd);
}

ordered_json finite_or_null(double v) {
  return std::isfinite(v) && v >= 0 ? ordered_json(v) : ordered_json(nullptr);
}

std::string provenance(const Gpu& g, const char* field) {
  const auto it = g.provenance.find(field);
  if (it == g.provenance.end()) return "user value";
  return it->second.source.substr(0, 40) + " " + it->second.as_of;
}

std::string plural(double n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

ordered_json option_json(const CostOption& c) {
  return {{"monthly_usd", c.monthly_usd}, {"usd_per_million_tokens", c.usd_per_million_tokens}, {"gpus", c.gpus}};
}

ordered_json price_sources(const PlanRequest& q, const PlanCandidate& c) {
  const Gpu& g = *c.gpu;
  const PriceOverrides& o = q.price_overrides;
  const PriceBook& book = q.catalog->prices;
  auto src = [](double given, const std::string& catalog) { return given >= 0 ? std::string("user value") : catalog; };
  const Prices& p = c.prices;
  return {
      {"api",
       {{"usd_per_million_input", p.api_input_usd_per_million},
        {"usd_per_million_output", p.api_output_usd_per_million},
        {"basis", src(o.api_input_usd_per_million, q.api.basis)},
        {"as_of", q.api.as_of}}},
      {"rent_usd_per_gpu_hour",
       {{"value", p.rent_usd_per_gpu_hour},
        {"source", src(o.rent_usd_per_gpu_hour, provenance(g, "rent_usd_per_hour"))}}},
      {"purchase_usd_per_gpu",
       {{"value", p.purchase_usd_per_gpu}, {"source", src(o.purchase_usd_per_gpu, provenance(g, "launch_price_usd"))}}},
      {"capex_extra_usd_per_gpu",
       {{"value", p.capex_extra_usd_per_gpu}, {"source", src(o.capex_extra_usd_per_gpu, "default 0: not included")}}},
      {"power_usd_per_kwh",
       {{"value", p.power_usd_per_kwh},
        {"source", src(o.power_usd_per_kwh, book.power_usd_per_kwh.source)},
        {"as_of", book.power_usd_per_kwh.as_of}}},
      {"pue", {{"value", p.pue}, {"source", src(o.pue, book.pue.source)}, {"as_of", book.pue.as_of}}},
      {"hosting_usd_per_kw_month",
       {{"value", p.hosting_usd_per_kw_month},
        {"source", src(o.hosting_usd_per_kw_month, book.hosting_usd_per_kw_month.source)},
        {"as_of", book.hosting_usd_per_kw_month.as_of}}},
      {"server_power_factor", {{"value", p.server_power_factor}, {"source", book.server_power_factor.source}}},
      {"gpu_tdp_w", {{"value", p.gpu_tdp_w}, {"source", provenance(g, "tdp_w")}}},
      {"years", p.years}};
}

// A card with no rental price (an Apple machine, a price book without it) is priced owned only.
bool rentable(const PlanCandidate& b) {
  return b.prices.rent_usd_per_gpu_hour > 0;
}

std::string verdict(const PlanCandidate& b) {
  const ServingCost& c = b.cost;
  if (!rentable(b)) return "Own vs rent: no rental price for " + b.gpu->id + " (give --rent-price to compare).";
  if (!std::isfinite(c.breakeven_utilization))
    return "Own vs rent: at these prices renting is never dearer than owning.";
  return fmt::format(
      "Own vs rent: owning pays above {:.0f}% sustained utilisation against renting on demand all month; this workload "
      "runs at {:.0f}% -> {} (renting billed only while busy costs ${}/month).",
      100 * c.breakeven_utilization, 100 * c.utilization, c.utilization >= c.breakeven_utilization ? "own" : "rent",
      money(c.rent_elastic.monthly_usd));
}

}  // namespace

std::string cost_table(const CostReport& r) {
  const PlanCandidate& b = r.best;
  const ServingCost& c = b.cost;
  const Gpu& g = *b.gpu;
  const ServingDemand& d = b.demand;
  std::string text;
  auto line = [&text](const std::string& l) { text += l + "\n"; };
  line(fmt::format("Model      {} ({}) with {}", r.model.name, b.precision.name, b.runtime));
  line(fmt::format(
      "GPU        {}{}", g.name,
      r.gpu_chosen ? fmt::format(" — cheapest to rent of {} priced cards (--gpu to choose)", r.cards_priced) : ""));
  line(fmt::format(
      "Workload   {} tokens/month, {} prompt + {} output tokens per request (longest {}), peak {} in flight",
      format_count(d.tokens_per_month), d.prompt_tokens, d.output_tokens, format_tokens(r.request.serve.context),
      d.peak_concurrency));
  const ReplicaCapacity& rep = b.replica;
  line(fmt::format("Replica    {} ({}) serve{} up to {} at once at TPOT {:.1f} ms (target {}), TTFT {:.2f} s",
                   plural(rep.gpus, "GPU", "GPUs"), b.layout, rep.gpus == 1 ? "s" : "",
                   plural(rep.concurrency, "request", "requests"), rep.tpot_s * 1e3,
                   r.request.serve.tpot_target_s > 0 ? fmt::format("{:.0f} ms", r.request.serve.tpot_target_s * 1e3)
                                                     : std::string("none"),
                   rep.ttft_s));
  line(
      fmt::format("Fleet      {} = {}, capacity {} tokens/month, utilisation {:.0f}%; at the peak {} per replica: "
                  "TPOT {:.1f} ms",
                  plural(c.replicas, "replica", "replicas"), plural(c.gpus, "GPU", "GPUs"),
                  format_count(c.capacity_tokens_per_month), 100 * c.utilization, b.batch, b.tpot_s * 1e3));
  line("");
  line(fmt::format("  {:<44} {:>12} {:>14}", "", "USD/month", "USD/1M tokens"));
  auto row = [&](const std::string& name, const CostOption& opt) {
    line(fmt::format("  {:<44} {:>12} {:>14}", name, money(opt.monthly_usd),
                     opt.monthly_usd > 0 ? fmt::format("{:.3f}", opt.usd_per_million_tokens) : "-"));
  };
  row("managed API", c.api);
  if (rentable(b)) {
    row(fmt::format("rent on demand, on all month (${:.2f}/GPU-h)", b.prices.rent_usd_per_gpu_hour), c.rent);
    row("rent, billed only while busy (ideal)", c.rent_elastic);
  } else {
    line(fmt::format("  {:<44} {:>12} {:>14}", "rent (no rental price for this card)", "-", "-"));
  }
  if (c.rent_committed.monthly_usd > 0) row("rent, committed price", c.rent_committed);
  row(fmt::format("own ({} years, {})", b.prices.years,
                  b.prices.hosting_usd_per_kw_month > 0 ? "power and hosting" : "power only, no colocation"),
      c.own);
  line("");
  line(verdict(b));
  if (rentable(b)) {
    line(fmt::format("API vs rent: one always-on replica costs what the API would at {} tokens/month.",
                     format_count(c.breakeven_tokens_api_vs_rent)));
  }
  if (c.breakeven_tokens_api_vs_own > 0) {
    line(fmt::format("API vs own: one owned replica breaks even with the API at {} tokens/month.",
                     format_count(c.breakeven_tokens_api_vs_own)));
  } else {
    line("API vs own: the API costs less per token than the power an owned replica burns: owning never breaks even.");
  }
  line(
      fmt::format("Prices: API {} (as of {}); rent {}; purchase ${:.0f} ({}) + ${:.0f} extra capital; power "
                  "${:.4f}/kWh, PUE {:.2f}, hosting ${:.2f}/kW-month (as of {}).",
                  r.request.api.basis, r.request.api.as_of, rentable(b) ? provenance(g, "rent_usd_per_hour") : "none",
                  b.prices.purchase_usd_per_gpu, provenance(g, "launch_price_usd"), b.prices.capex_extra_usd_per_gpu,
                  b.prices.power_usd_per_kwh, b.prices.pue, b.prices.hosting_usd_per_kw_month,
                  r.request.catalog->prices.hosting_usd_per_kw_month.as_of));
  if (!r.sweep.empty()) {
    line("");
    line(fmt::format("  {:>11} {:>16} {:>12} {:>12} {:>14} {:>12}", "utilisation", "tokens/month", "API", "rent",
                     "rent (busy)", "own"));
    for (const auto& p : r.sweep) {
      line(fmt::format("  {:>10.0f}% {:>16} {:>12} {:>12} {:>14} {:>12}", 100 * p.utilization,
                       format_count(p.tokens_per_month), money(p.api_usd), money(p.rent_usd), money(p.rent_elastic_usd),
                       money(p.own_usd)));
    }
  }
  return text;
}

ordered_json cost_json(const CostReport& r) {
  const PlanCandidate& b = r.best;
  const ServingCost& c = b.cost;
  const ServingDemand& d = b.demand;
  ordered_json sweep = ordered_json::array();
  for (const auto& p : r.sweep) {
    sweep.push_back({{"utilization", p.utilization},
                     {"tokens_per_month", p.tokens_per_month},
                     {"api_usd", p.api_usd},
                     {"rent_usd", p.rent_usd},
                     {"rent_elastic_usd", p.rent_elastic_usd},
                     {"own_usd", p.own_usd}});
  }
  ordered_json gpu = gpu_json(*b.gpu, c.gpus);
  gpu["chosen_by_cost"] = r.gpu_chosen;
  const ordered_json out = {
      {"schema", "gpuplan-cost/2"},
      {"model", model_json(r.model.id, r.model.name, params_json(count_params(r.model.arch)))},
      {"gpu", gpu},
      {"precision", {{"name", b.precision.name}}},
      {"runtime", {{"id", b.runtime}}},
      {"workload",
       {{"tokens_per_month", d.tokens_per_month},
        {"prompt_tokens", d.prompt_tokens},
        {"output_tokens", d.output_tokens},
        {"context_tokens", r.request.serve.context},
        {"peak_concurrency", d.peak_concurrency},
        {"tpot_target_s", r.request.serve.tpot_target_s > 0 ? ordered_json(r.request.serve.tpot_target_s) : nullptr},
        {"ttft_target_s", r.request.serve.ttft_target_s > 0 ? ordered_json(r.request.serve.ttft_target_s) : nullptr}}},
      {"replica",
       {{"gpus", b.replica.gpus},
        {"layout", b.layout},
        {"concurrency", b.replica.concurrency},
        {"ttft_s", b.replica.ttft_s},
        {"tpot_s", b.replica.tpot_s},
        {"request_s", b.replica.request_s},
        {"concurrency_at_peak", b.batch},
        {"tpot_s_at_peak", b.tpot_s},
        {"ttft_s_at_peak", b.ttft_s},
        {"memory_per_gpu_bytes", whole_or_null(b.memory_per_gpu_bytes)}}},
      {"cost",
       {{"api", option_json(c.api)},
        {"rent", rentable(b) ? option_json(c.rent) : ordered_json(nullptr)},
        {"rent_elastic", rentable(b) ? option_json(c.rent_elastic) : ordered_json(nullptr)},
        {"rent_committed", c.rent_committed.monthly_usd > 0 ? option_json(c.rent_committed) : ordered_json(nullptr)},
        {"own", option_json(c.own)},
        {"replicas", c.replicas},
        {"gpus", c.gpus},
        {"capacity_tokens_per_month", c.capacity_tokens_per_month},
        {"utilization", c.utilization},
        {"breakeven_utilization", rentable(b) ? finite_or_null(c.breakeven_utilization) : nullptr},
        {"breakeven_tokens_per_month_api_vs_rent",
         rentable(b) ? finite_or_null(c.breakeven_tokens_api_vs_rent) : nullptr},
        {"breakeven_tokens_per_month_api_vs_own",
         c.breakeven_tokens_api_vs_own > 0 ? ordered_json(c.breakeven_tokens_api_vs_own) : nullptr},
        {"verdict", !rentable(b) || c.utilization >= c.breakeven_utilization ? "own" : "rent"},
        {"verdict_compares_with", rentable(b) ? ordered_json("rent on demand, on all month") : nullptr}}},
      {"prices", price_sources(r.request, b)},
      {"sweep", sweep}};
  return out;
}

std::string cost_csv(const CostReport& r) {
  std::string out;
  if (!r.sweep.empty()) {
    out = "utilization,tokens_per_month,api_usd,rent_usd,rent_elastic_usd,own_usd\n";
    for (const auto& p : r.sweep) {
      out += fmt::format("{:.4f},{:.0f},{:.2f},{:.2f},{:.2f},{:.2f}\n", p.utilization, p.tokens_per_month, p.api_usd,
                         p.rent_usd, p.rent_elastic_usd, p.own_usd);
    }
    return out;
  }
  const ServingCost& c = r.best.cost;
  out = "option,monthly_usd,usd_per_million_tokens,gpus\n";
  for (const auto& [name, opt] :
       {std::pair{"api", c.api}, std::pair{"rent", c.rent}, std::pair{"rent_elastic", c.rent_elastic},
        std::pair{"rent_committed", c.rent_committed}, std::pair{"own", c.own}}) {
    out += fmt::format("{},{:.2f},{:.4f},{:.0f}\n", name, opt.monthly_usd, opt.usd_per_million_tokens, opt.gpus);
  }
  return out;
}

std::string cost_job_table(const CostJobReport& r) {
  const JobCost& j = r.job;
  std::string t = fmt::format("Job of {} GPU-hours on {}\n", format_count(j.gpu_hours), r.gpu.name);
  t += fmt::format("  rent on demand      ${}  (${:.2f} per GPU-hour)\n", money(j.rent_usd),
                   r.prices.rent_usd_per_gpu_hour);
  if (j.own_usd >= 0) {
    t += fmt::format("  own                 ${}  (cards busy {:.0f}% of their life)\n", money(j.own_usd),
                     100 * j.own_utilization);
  } else {
    t += "  own                 not priced: give --utilization, the share of their life the owned cards are busy\n";
  }
  if (std::isfinite(j.breakeven_utilization)) {
    t += fmt::format("Owning beats renting above {:.0f}% lifetime utilisation of the owned cards.\n",
                     100 * j.breakeven_utilization);
  } else {
    t += "At these prices renting is never dearer than owning.\n";
  }
  return t;
}

ordered_json cost_job_json(const CostJobReport& r) {
  const JobCost& j = r.job;
  ordered_json gpu = gpu_json(r.gpu, 0);
  gpu["count"] = nullptr;  // a job is priced per GPU-hour: no card count was asked
  const ordered_json out = {{"schema", "gpuplan-cost-job/2"},
                            {"gpu", gpu},
                            {"cost",
                             {{"gpu_hours", j.gpu_hours},
                              {"rent_usd", j.rent_usd},
                              {"committed_usd", j.committed_usd > 0 ? ordered_json(j.committed_usd) : nullptr},
                              {"own_usd", j.own_usd >= 0 ? ordered_json(j.own_usd) : nullptr},
                              {"own_utilization", j.own_usd >= 0 ? ordered_json(j.own_utilization) : nullptr},
                              {"breakeven_utilization", finite_or_null(j.breakeven_utilization)}}},
                            {"prices",
                             {{"rent_usd_per_gpu_hour", r.prices.rent_usd_per_gpu_hour},
                              {"purchase_usd_per_gpu", r.prices.purchase_usd_per_gpu},
                              {"power_usd_per_kwh", r.prices.power_usd_per_kwh},
                              {"years", r.prices.years}}}};
  return out;
}

}  // namespace gpuplan::io
