// gpuplan cost: API vs rented vs owned GPUs for a serving workload, or rent vs own for a job.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "gpuplan/cost.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

using nlohmann::ordered_json;

struct CostOptions {
  std::string runtime;
  std::string tokens_per_month;
  std::string prompt = "1000";
  std::string output = "200";
  std::string peak;
  std::string tpot;
  std::string utilization;
  std::string years = "3";
  std::string power_price;
  std::string pue;
  std::string hosting;
  std::string rent_price;
  std::string committed_price;
  std::string purchase_price;
  std::string capex_extra;
  std::string api_input;
  std::string api_output;
  std::string gpu_hours;
  std::string sweep;
  std::string prices_file;
  bool csv = false;
};

// Reads an optional positive number option into `out`; returns an error message or "".
std::string optional_number(const std::string& text, const char* what, double& out, double max) {
  if (text.empty()) return {};
  auto v = parse_positive(text, what);
  if (!v) return v.error().message;
  if (v.value() > max) return std::string(what) + ": '" + text + "' is absurdly large";
  out = v.value();
  return {};
}

std::string money(double usd) {
  if (!std::isfinite(usd)) return "-";
  if (usd >= 100) return fmt::format("{:.0f}", usd);
  return fmt::format("{:.2f}", usd);
}

std::string provenance(const Gpu& g, const char* field) {
  const auto it = g.provenance.find(field);
  if (it == g.provenance.end()) return "user value";
  return it->second.source.substr(0, 40) + " " + it->second.as_of;
}

struct Setup {
  Resolved resolved;
  Prices prices;
  ApiPrice api;
  ordered_json price_sources;
};

// Fills the prices for one GPU from the catalog and the options; returns "" or an error.
std::string fill_prices(const Catalog& catalog, const CostOptions& o, const Gpu& gpu, Setup& s) {
  const PriceBook& book = catalog.prices;
  Prices& p = s.prices;
  p = gpu_prices(gpu, book);
  p.api_input_usd_per_million = s.api.usd_per_million_input;
  p.api_output_usd_per_million = s.api.usd_per_million_output;
  for (const auto& [text, what, target, max] :
       {std::tuple{o.power_price, "--power-price", &p.power_usd_per_kwh, 100.0},
        std::tuple{o.pue, "--pue", &p.pue, 10.0},
        std::tuple{o.hosting, "--hosting-per-kw-month", &p.hosting_usd_per_kw_month, 1e5},
        std::tuple{o.rent_price, "--rent-price", &p.rent_usd_per_gpu_hour, 1e4},
        std::tuple{o.committed_price, "--committed-price", &p.committed_usd_per_gpu_hour, 1e4},
        std::tuple{o.purchase_price, "--purchase-price", &p.purchase_usd_per_gpu, 1e8},
        std::tuple{o.capex_extra, "--capex-extra", &p.capex_extra_usd_per_gpu, 1e8},
        std::tuple{o.api_input, "--api-input-price", &p.api_input_usd_per_million, 1e4},
        std::tuple{o.api_output, "--api-output-price", &p.api_output_usd_per_million, 1e4},
        std::tuple{o.years, "--years", &p.years, 50.0}}) {
    if (auto e = optional_number(text, what, *target, max); !e.empty()) return e;
  }
  if (p.pue < 1) return "--pue must be at least 1";
  if (p.rent_usd_per_gpu_hour <= 0) {
    return "no rental price for " + gpu.id + " in the catalog; give --rent-price (USD per GPU-hour)";
  }
  if (p.purchase_usd_per_gpu <= 0) {
    return "no purchase price for " + gpu.id + " in the catalog; give --purchase-price (USD per GPU)";
  }
  if (p.gpu_tdp_w <= 0) return "no power figure for " + gpu.id;
  s.price_sources = {
      {"api",
       {{"usd_per_million_input", p.api_input_usd_per_million},
        {"usd_per_million_output", p.api_output_usd_per_million},
        {"basis", o.api_input.empty() ? s.api.basis : "user value"},
        {"as_of", s.api.as_of}}},
      {"rent_usd_per_gpu_hour",
       {{"value", p.rent_usd_per_gpu_hour},
        {"source", o.rent_price.empty() ? provenance(gpu, "rent_usd_per_hour") : "user value"}}},
      {"purchase_usd_per_gpu",
       {{"value", p.purchase_usd_per_gpu},
        {"source", o.purchase_price.empty() ? provenance(gpu, "launch_price_usd") : "user value"}}},
      {"power_usd_per_kwh",
       {{"value", p.power_usd_per_kwh},
        {"source", o.power_price.empty() ? book.power_usd_per_kwh.source : "user value"},
        {"as_of", book.power_usd_per_kwh.as_of}}},
      {"pue",
       {{"value", p.pue}, {"source", o.pue.empty() ? book.pue.source : "user value"}, {"as_of", book.pue.as_of}}},
      {"hosting_usd_per_kw_month",
       {{"value", p.hosting_usd_per_kw_month},
        {"source", o.hosting.empty() ? book.hosting_usd_per_kw_month.source : "user value"},
        {"as_of", book.hosting_usd_per_kw_month.as_of}}},
      {"server_power_factor", {{"value", p.server_power_factor}, {"source", book.server_power_factor.source}}},
      {"gpu_tdp_w", {{"value", p.gpu_tdp_w}, {"source", provenance(gpu, "tdp_w")}}},
      {"years", p.years}};
  return {};
}

ordered_json option_json(const CostOption& c) {
  return {{"monthly_usd", c.monthly_usd}, {"usd_per_million_tokens", c.usd_per_million_tokens}, {"gpus", c.gpus}};
}

double finite_or_zero(double v) {
  return std::isfinite(v) ? v : 0;
}

// Parses --sweep KIND=LO:HI[:N].
struct Sweep {
  bool utilization = true;
  double lo = 0, hi = 0;
  int points = 10;
};
Result<Sweep> parse_sweep(const std::string& text) {
  Sweep s;
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    return make_error(ErrorCode::parse_error, "--sweep: use utilization=0.1:1.0 or tokens=1B:100B");
  std::string kind = text.substr(0, eq);
  if (kind == "utilisation" || kind == "u") kind = "utilization";
  if (kind != "utilization" && kind != "tokens" && kind != "volume") {
    return make_error(ErrorCode::unknown_name,
                      "--sweep: unknown '" + kind + "'" + suggestion_suffix(kind, {"utilization", "tokens"}));
  }
  s.utilization = kind == "utilization";
  std::vector<std::string> parts;
  std::stringstream ss(text.substr(eq + 1));
  for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
  if (parts.size() < 2 || parts.size() > 3)
    return make_error(ErrorCode::parse_error, "--sweep: give LO:HI or LO:HI:POINTS");
  auto lo = s.utilization ? parse_positive(parts[0], "--sweep") : parse_count(parts[0], "--sweep");
  auto hi = s.utilization ? parse_positive(parts[1], "--sweep") : parse_count(parts[1], "--sweep");
  if (!lo) return lo.error();
  if (!hi) return hi.error();
  s.lo = lo.value();
  s.hi = hi.value();
  if (s.hi < s.lo || (s.utilization && s.hi > 1)) {
    return make_error(ErrorCode::out_of_range, "--sweep: need LO <= HI (utilisation at most 1)");
  }
  if (parts.size() == 3) {
    auto n = parse_count(parts[2], "--sweep points");
    if (!n || n.value() < 2 || n.value() > 1000)
      return make_error(ErrorCode::out_of_range, "--sweep: 2 to 1000 points");
    s.points = static_cast<int>(n.value());
  }
  return s;
}

}  // namespace

std::function<int()> add_cost_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("cost", "Buy, rent or call an API: monthly cost, cost per million tokens, break-even");
  auto fit = std::make_shared<FitOptions>();
  auto o = std::make_shared<CostOptions>();
  add_model_options(cmd, *fit);
  cmd->add_option("--runtime", o->runtime, "Serving runtime (default vllm on datacenter cards, llama.cpp otherwise)");
  cmd->add_option("--tokens-per-month", o->tokens_per_month, "Input + output tokens per month, e.g. 3B");
  cmd->add_option("--prompt,-p", o->prompt, "Prompt tokens per request")->capture_default_str();
  cmd->add_option("--output,-n", o->output, "Output tokens per request")->capture_default_str();
  cmd->add_option("--peak-concurrency,--users", o->peak,
                  "Requests in flight at the peak (default: twice the average in flight)");
  cmd->add_option("--tpot", o->tpot, "Latency target per output token, e.g. 50ms (limits batching)");
  cmd->add_option("--utilization", o->utilization, "Override the fleet's utilisation (0-1) for rent/own costs");
  cmd->add_option("--years", o->years, "Amortisation period of owned hardware")->capture_default_str();
  cmd->add_option("--power-price", o->power_price, "Electricity, USD per kWh");
  cmd->add_option("--pue", o->pue, "Data-centre PUE (>= 1)");
  cmd->add_option("--hosting-per-kw-month", o->hosting, "Colocation, USD per kW of node power per month");
  cmd->add_option("--rent-price", o->rent_price, "On-demand rent, USD per GPU-hour");
  cmd->add_option("--committed-price", o->committed_price, "Committed/reserved rent, USD per GPU-hour");
  cmd->add_option("--purchase-price", o->purchase_price, "Purchase price per GPU, USD");
  cmd->add_option("--capex-extra", o->capex_extra, "Extra capital per GPU (host server share, network), USD");
  cmd->add_option("--api-input-price", o->api_input, "Managed API, USD per million input tokens");
  cmd->add_option("--api-output-price", o->api_output, "Managed API, USD per million output tokens");
  cmd->add_option("--gpu-hours", o->gpu_hours, "Job mode: rent vs own for a training/fine-tuning job of N GPU-hours");
  cmd->add_option("--sweep", o->sweep, "utilization=0.1:1.0[:N] or tokens=100M:100B[:N]: data for the crossover chart");
  cmd->add_option("--prices-file", o->prices_file, "Price book (JSON, schema of data/prices.json)");
  cmd->add_flag("--csv", o->csv, "CSV output (the sweep, or the comparison)");
  cmd->footer(
      "Examples:\n"
      "  gpuplan cost llama-3.1-70b --tokens-per-month 3B --prompt 1500 --output 300\n"
      "  gpuplan cost llama-3.1-8b --gpu l40s --utilization 0.35 --years 3 --power-price 0.15\n"
      "  gpuplan cost llama-3.1-8b --gpu h100-sxm --tokens-per-month 1B --sweep utilization=0.1:1.0 --csv\n"
      "  gpuplan cost --gpu h100-sxm --gpu-hours 20000 --utilization 0.6\n"
      "Owned cost = purchase / years + hosting (kW x server factor) + power (TDP x server factor x PUE x price x "
      "utilisation).");
  return [cmd, fit, o, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto fail = [](const std::string& message) {
      std::fprintf(stderr, "gpuplan cost: %s\n", message.c_str());
      return 2;
    };
    auto loaded = load_catalog(global.models_file, global.gpus_file);
    if (!loaded) return fail(loaded.error().message);
    Catalog catalog = std::move(loaded).value();
    if (!o->prices_file.empty()) {
      std::ifstream in(o->prices_file, std::ios::binary);
      if (!in) return fail("cannot open '" + o->prices_file + "'");
      std::stringstream text;
      text << in.rdbuf();
      auto ok = io::parse_prices_json(text.str(), catalog);
      if (!ok) return fail(o->prices_file + ": " + ok.error().message);
    }
    double utilization = -1;
    if (!o->utilization.empty()) {
      auto u = parse_positive(o->utilization, "--utilization");
      if (!u || u.value() > 1) return fail("--utilization: give a fraction in (0, 1], e.g. 0.35");
      utilization = u.value();
    }

    // Job mode: rent vs own for N GPU-hours on one card type.
    if (!o->gpu_hours.empty()) {
      auto hours = parse_count(o->gpu_hours, "--gpu-hours");
      if (!hours) return fail(hours.error().message);
      if (fit->gpu.empty()) return fail("--gpu-hours needs --gpu (e.g. --gpu h100-sxm)");
      auto g = find_gpu(catalog, fit->gpu);
      if (!g) return fail(g.error().message);
      Setup s;
      if (auto e = fill_prices(catalog, *o, *g.value(), s); !e.empty()) return fail(e);
      const JobCost j = job_cost(hours.value(), s.prices, utilization > 0 ? utilization : 1.0);
      ordered_json out = {{"schema", "gpuplan-cost-job/1"},
                          {"gpu", g.value()->id},
                          {"cost",
                           {{"gpu_hours", j.gpu_hours},
                            {"rent_usd", j.rent_usd},
                            {"committed_usd", j.committed_usd},
                            {"own_usd", j.own_usd},
                            {"own_utilization", j.own_utilization},
                            {"breakeven_utilization", finite_or_zero(j.breakeven_utilization)}}},
                          {"prices", s.price_sources}};
      if (fit->json) {
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::printf("Job of %s GPU-hours on %s\n", format_count(j.gpu_hours).c_str(), g.value()->name.c_str());
        std::printf("  rent on demand      $%s  ($%.2f per GPU-hour)\n", money(j.rent_usd).c_str(),
                    s.prices.rent_usd_per_gpu_hour);
        std::printf("  own                 $%s  (cards busy %.0f%% of their life)\n", money(j.own_usd).c_str(),
                    100 * j.own_utilization);
        std::printf("Owning beats renting above %.0f%% lifetime utilisation of the owned cards.\n",
                    100 * finite_or_zero(j.breakeven_utilization));
      }
      return 0;
    }

    // Serving mode.
    auto prompt = parse_tokens(o->prompt, "--prompt");
    if (!prompt) return fail(prompt.error().message);
    auto output = parse_tokens(o->output, "--output");
    if (!output) return fail(output.error().message);
    ServingDemand demand;
    demand.prompt_tokens = prompt.value();
    demand.output_tokens = output.value();
    if (o->tokens_per_month.empty() && utilization < 0) {
      return fail("give --tokens-per-month (e.g. 3B) or --utilization (e.g. 0.35)");
    }
    if (!o->tokens_per_month.empty()) {
      auto t = parse_count(o->tokens_per_month, "--tokens-per-month");
      if (!t) return fail(t.error().message);
      if (t.value() > 1e18) return fail("--tokens-per-month: absurdly large");
      demand.tokens_per_month = t.value();
    }
    double tpot_target = 0;
    if (!o->tpot.empty()) {
      auto t = parse_duration(o->tpot, "--tpot");
      if (!t) return fail(t.error().message);
      tpot_target = t.value();
    }

    // Candidate GPUs: the one asked for, or every card with rent and purchase prices.
    std::vector<const Gpu*> candidates;
    if (!fit->gpu.empty()) {
      auto g = find_gpu(catalog, fit->gpu);
      if (!g) return fail(g.error().message);
      candidates.push_back(g.value());
    } else {
      for (const auto& g : catalog.gpus) {
        if (g.rent_usd_per_hour > 0 && g.launch_price_usd > 0 && g.tier != Tier::consumer) candidates.push_back(&g);
      }
    }
    struct Choice {
      Setup setup;
      ReplicaCapacity replica;
      ServingCost cost;
      const Gpu* gpu = nullptr;
    };
    Choice best;
    std::string last_error;
    const double user_gpus = fit->gpus == "1" ? 0 : std::atof(fit->gpus.c_str());
    for (const Gpu* g : candidates) {
      FitOptions f = *fit;
      f.gpu = g->id;
      f.gpus = "1";
      f.context = fmt_count(demand.prompt_tokens + demand.output_tokens);
      auto resolved = resolve_fit(catalog, f);
      if (!resolved) return fail(resolved.error().message);
      Setup s;
      s.resolved = std::move(resolved).value();
      s.api = api_price(catalog.prices, s.resolved.model, catalog.models);
      if (s.api.offers == 0 && (o->api_input.empty() || o->api_output.empty())) {
        return fail("no API prices in the price book; give --api-input-price and --api-output-price");
      }
      if (auto e = fill_prices(catalog, *o, *g, s); !e.empty()) {
        last_error = e;
        continue;
      }
      Scenario& sc = s.resolved.scenario;
      const std::string rt =
          o->runtime.empty()
              ? (g->tier == Tier::datacenter && sc.precision.kind != QuantKind::gguf_mix ? "vllm" : "llama.cpp")
              : o->runtime;
      auto runtime = find_runtime(catalog, rt, g->vendor);
      if (!runtime) return fail(runtime.error().message);
      sc.runtime = runtime.value();
      sc.hardware = compute_spec(*g);
      sc.workload.ubatch = sc.runtime.ubatch;
      sc.speed.prompt_tokens = demand.prompt_tokens;
      sc.speed.output_tokens = demand.output_tokens;
      const double max_gpus = user_gpus > 0 ? user_gpus : 64;
      // Peak: as given; with only a utilisation, a replica running its largest batch; else twice
      // the average number of requests in flight.
      double peak = 0;
      if (!o->peak.empty()) {
        auto pk = parse_count(o->peak, "--peak-concurrency");
        if (!pk || pk.value() < 1 || pk.value() > 1e7) return fail("--peak-concurrency: a whole number >= 1");
        peak = std::floor(pk.value());
      } else if (demand.tokens_per_month <= 0) {
        peak = size_replica(sc, 4096, tpot_target, max_gpus).concurrency;
      } else {
        const ReplicaCapacity probe = size_replica(sc, 1, 0, max_gpus);
        const double requests_per_s =
            demand.tokens_per_month / (kHoursPerMonth * 3600.0) / (demand.prompt_tokens + demand.output_tokens);
        peak = std::max(1.0, std::ceil(2.0 * requests_per_s * probe.request_s));
      }
      demand.peak_concurrency = peak;
      const ReplicaCapacity replica = size_replica(sc, peak, tpot_target, max_gpus);
      if (replica.gpus == 0) {
        last_error = "the model does not fit on up to " + fmt_count(max_gpus) + " x " + g->id;
        continue;
      }
      ServingDemand d = demand;
      if (d.tokens_per_month <= 0) {  // only a utilisation: volume = utilisation x one replica's capacity
        d.tokens_per_month = utilization * replica.tokens_per_s(d) * kHoursPerMonth * 3600.0;
      }
      const ServingCost cost = serving_cost(d, replica, s.prices, utilization);
      if (best.gpu == nullptr || cost.rent.monthly_usd < best.cost.rent.monthly_usd) {
        demand.tokens_per_month = d.tokens_per_month;
        best = Choice{std::move(s), replica, cost, g};
      }
    }
    if (best.gpu == nullptr) return fail(last_error.empty() ? "no GPU could be priced" : last_error);
    const Scenario& sc = best.setup.resolved.scenario;
    const ServingCost& c = best.cost;

    std::vector<SweepPoint> sweep;
    if (!o->sweep.empty()) {
      auto sw = parse_sweep(o->sweep);
      if (!sw) return fail(sw.error().message);
      sweep = sw.value().utilization ? sweep_utilization(demand, best.replica, best.setup.prices, sw.value().lo,
                                                         sw.value().hi, sw.value().points)
                                     : sweep_volume(demand, best.replica, best.setup.prices, sw.value().lo,
                                                    sw.value().hi, sw.value().points);
    }
    if (o->csv) {
      if (!sweep.empty()) {
        std::printf("utilization,tokens_per_month,api_usd,rent_usd,rent_elastic_usd,own_usd\n");
        for (const auto& p : sweep) {
          std::printf("%.4f,%.0f,%.2f,%.2f,%.2f,%.2f\n", p.utilization, p.tokens_per_month, p.api_usd, p.rent_usd,
                      p.rent_elastic_usd, p.own_usd);
        }
      } else {
        std::printf("option,monthly_usd,usd_per_million_tokens,gpus\n");
        for (const auto& [name, opt] :
             {std::pair{"api", c.api}, std::pair{"rent", c.rent}, std::pair{"rent_elastic", c.rent_elastic},
              std::pair{"rent_committed", c.rent_committed}, std::pair{"own", c.own}}) {
          std::printf("%s,%.2f,%.4f,%.0f\n", name, opt.monthly_usd, opt.usd_per_million_tokens, opt.gpus);
        }
      }
      return 0;
    }
    const double breakeven = finite_or_zero(c.breakeven_utilization);
    if (fit->json) {
      ordered_json sw = ordered_json::array();
      for (const auto& p : sweep) {
        sw.push_back({{"utilization", p.utilization},
                      {"tokens_per_month", p.tokens_per_month},
                      {"api_usd", p.api_usd},
                      {"rent_usd", p.rent_usd},
                      {"rent_elastic_usd", p.rent_elastic_usd},
                      {"own_usd", p.own_usd}});
      }
      ordered_json out = {{"schema", "gpuplan-cost/1"},
                          {"model", best.setup.resolved.model.id},
                          {"gpu", best.gpu->id},
                          {"precision", sc.precision.name},
                          {"runtime", {{"id", sc.runtime.id}, {"calibrated", sc.runtime.calibrated}}},
                          {"workload",
                           {{"tokens_per_month", demand.tokens_per_month},
                            {"prompt_tokens", demand.prompt_tokens},
                            {"output_tokens", demand.output_tokens},
                            {"peak_concurrency", demand.peak_concurrency},
                            {"tpot_target_s", tpot_target}}},
                          {"replica",
                           {{"gpus", best.replica.gpus},
                            {"concurrency", best.replica.concurrency},
                            {"meets_latency_target", best.replica.meets_latency},
                            {"ttft_s", best.replica.ttft_s},
                            {"tpot_s", best.replica.tpot_s},
                            {"request_s", best.replica.request_s}}},
                          {"cost",
                           {{"api", option_json(c.api)},
                            {"rent", option_json(c.rent)},
                            {"rent_elastic", option_json(c.rent_elastic)},
                            {"rent_committed", option_json(c.rent_committed)},
                            {"own", option_json(c.own)},
                            {"replicas", c.replicas},
                            {"gpus", c.gpus},
                            {"capacity_tokens_per_month", c.capacity_tokens_per_month},
                            {"utilization", c.utilization},
                            {"breakeven_utilization", breakeven},
                            {"breakeven_tokens_per_month_api_vs_rent", c.breakeven_tokens_api_vs_rent},
                            {"breakeven_tokens_per_month_api_vs_own", c.breakeven_tokens_api_vs_own}}},
                          {"prices", best.setup.price_sources},
                          {"sweep", sw}};
      std::printf("%s\n", out.dump(2).c_str());
      return 0;
    }
    const Gpu& g = *best.gpu;
    std::string text;
    auto line = [&text](const std::string& l) { text += l + "\n"; };
    line(fmt::format("Model      {} ({}) with {}{}", best.setup.resolved.model.name, sc.precision.name, sc.runtime.id,
                     sc.runtime.calibrated ? "" : " (speed not calibrated)"));
    line(fmt::format("GPU        {}{}", g.name,
                     fit->gpu.empty()
                         ? fmt::format(" — cheapest to rent of {} priced cards (--gpu to choose)", candidates.size())
                         : ""));
    line(fmt::format("Workload   {} tokens/month, {} prompt + {} output tokens per request, peak {} in flight",
                     format_count(demand.tokens_per_month), demand.prompt_tokens, demand.output_tokens,
                     demand.peak_concurrency));
    line(fmt::format("Replica    {} GPU{} serve{} {} request{} at once: TTFT {:.2f} s, TPOT {:.1f} ms",
                     best.replica.gpus, best.replica.gpus > 1 ? "s" : "", best.replica.gpus > 1 ? "" : "s",
                     best.replica.concurrency, best.replica.concurrency > 1 ? "s" : "", best.replica.ttft_s,
                     best.replica.tpot_s * 1e3));
    if (!best.replica.meets_latency) {
      line(
          fmt::format("WARNING    the TPOT target of {:.1f} ms is out of reach on up to {} of these cards; "
                      "figures below are for the smallest replica that holds the model",
                      tpot_target * 1e3, fit->gpus == "1" ? std::string("64") : fit->gpus));
    }
    line(fmt::format("Fleet      {} replica{} = {} GPU{}, capacity {} tokens/month, utilisation {:.0f}%", c.replicas,
                     c.replicas > 1 ? "s" : "", c.gpus, c.gpus > 1 ? "s" : "",
                     format_count(c.capacity_tokens_per_month), 100 * c.utilization));
    line("");
    line(fmt::format("  {:<40} {:>12} {:>14}", "", "USD/month", "USD/1M tokens"));
    auto row = [&](const std::string& name, const CostOption& opt) {
      line(fmt::format("  {:<40} {:>12} {:>14}", name, money(opt.monthly_usd),
                       opt.monthly_usd > 0 ? fmt::format("{:.3f}", opt.usd_per_million_tokens) : "-"));
    };
    row("managed API", c.api);
    row(fmt::format("rent on demand, on all month (${:.2f}/h)", best.setup.prices.rent_usd_per_gpu_hour), c.rent);
    row("rent, billed only while busy (ideal)", c.rent_elastic);
    if (c.rent_committed.monthly_usd > 0) row("rent, committed price", c.rent_committed);
    row(fmt::format("own ({} years, power and hosting)", best.setup.prices.years), c.own);
    line("");
    if (std::isfinite(c.breakeven_utilization)) {
      line(fmt::format(
          "Own vs rent: owning pays above {:.0f}% sustained utilisation; this workload runs at {:.0f}% -> {}.",
          100 * breakeven, 100 * c.utilization, c.utilization >= breakeven ? "own" : "rent"));
    } else {
      line("Own vs rent: at these prices renting is never dearer than owning.");
    }
    line(fmt::format("API vs rent: one always-on replica costs what the API would at {} tokens/month.",
                     format_count(c.breakeven_tokens_api_vs_rent)));
    if (c.breakeven_tokens_api_vs_own > 0) {
      line(fmt::format("API vs own: one owned replica breaks even with the API at {} tokens/month.",
                       format_count(c.breakeven_tokens_api_vs_own)));
    } else {
      line("API vs own: the API costs less per token than the power an owned replica burns: owning never breaks even.");
    }
    line(
        fmt::format("Prices: API {} (as of {}); rent {}; purchase ${:.0f} ({}); power ${:.4f}/kWh, PUE {:.2f}, "
                    "hosting ${:.2f}/kW-month (as of {}).",
                    best.setup.api.basis, best.setup.api.as_of, provenance(g, "rent_usd_per_hour"),
                    best.setup.prices.purchase_usd_per_gpu, provenance(g, "launch_price_usd"),
                    best.setup.prices.power_usd_per_kwh, best.setup.prices.pue,
                    best.setup.prices.hosting_usd_per_kw_month, catalog.prices.hosting_usd_per_kw_month.as_of));
    if (!sweep.empty()) {
      line("");
      line(fmt::format("  {:>11} {:>16} {:>12} {:>12} {:>14} {:>12}", "utilisation", "tokens/month", "API", "rent",
                       "rent (busy)", "own"));
      for (const auto& p : sweep) {
        line(fmt::format("  {:>10.0f}% {:>16} {:>12} {:>12} {:>14} {:>12}", 100 * p.utilization,
                         format_count(p.tokens_per_month), money(p.api_usd), money(p.rent_usd),
                         money(p.rent_elastic_usd), money(p.own_usd)));
      }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
