// gpuplan plan: given a model and a workload, what to run it on — the search across every GPU,
// count, precision, split and batch, the best per tier, the Pareto front and the findings.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "commands.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

struct PlanOptions {
  std::string model;
  std::string params;
  std::string gpus;  // comma-separated filter
  std::string quants;
  std::string kv_dtype = "f16";
  bool no_flash_attention = false;
  std::string context;
  std::string prompt;
  std::string output;
  std::string users = "16";
  std::string ttft = "2s";
  std::string tpot = "50ms";
  std::string tokens_per_month;
  std::string tier;
  std::string max_gpus;
  std::string gpus_per_node = "8";
  std::string runtime;
  std::string pay = "cheaper";
  std::string method;
  std::string tokens;
  std::string seq = "4096";
  std::string global_batch = "4M";
  std::string deadline;
  std::string budget;
  std::string network = "ib-ndr-400";
  std::string framework = "auto";
  bool json = false;
  bool csv = false;
  bool explain = false;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Result<double> whole_count(const std::string& text, const char* what, double max) {
  auto v = parse_count(text, what);
  if (!v) return v;
  if (v.value() < 1 || v.value() != std::floor(v.value()) || v.value() > max) {
    return make_error(ErrorCode::out_of_range,
                      std::string(what) + ": a whole number from 1 to " + fmt_count(max) + ", got '" + text + "'");
  }
  return v;
}

Result<Tier> parse_tier(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "consumer") return Tier::consumer;
  if (k == "workstation") return Tier::workstation;
  if (k == "datacenter" || k == "data-center" || k == "datacentre") return Tier::datacenter;
  return make_error(ErrorCode::unknown_name, "unknown --tier '" + text + "'" +
                                                 suggestion_suffix(text, {"consumer", "workstation", "datacenter"}));
}

// Optional duration option; 0 when empty or "0"/"none".
Result<double> optional_duration(const std::string& text, const char* what) {
  if (text.empty() || text == "0" || canonical_name(text) == "none") return 0.0;
  auto d = parse_duration(text, what);
  if (!d) return d;
  if (d.value() > 1e9) return make_error(ErrorCode::out_of_range, std::string(what) + ": absurdly long");
  return d;
}

// Fills the request from the options; returns an error message or "".
std::string build_request(const Catalog& catalog, const PlanOptions& o, Resolved& resolved, PlanRequest& q) {
  const bool train = !o.method.empty() || !o.tokens.empty();
  std::string method = o.method.empty() ? "lora" : canonical_name(o.method);
  if (method == "full" || method == "sft") method = "full-finetune";
  FitOptions f;
  f.model = o.model;
  f.params = o.params;
  f.gpu = catalog.gpus.empty() ? "h100-sxm" : catalog.gpus.front().id;  // resolved per candidate
  f.mode = train ? method : "inference";
  f.kv_dtype = o.kv_dtype;
  f.no_flash_attention = o.no_flash_attention;
  auto r = resolve_fit(catalog, f);
  if (!r) return r.error().message;
  resolved = std::move(r).value();
  if (train && !is_training(resolved.scenario.workload.mode)) {
    return "--method must be pretrain, full, lora or qlora, got '" + o.method + "'";
  }
  q.catalog = &catalog;
  q.model_id = resolved.model.id;
  q.model_name = resolved.model.name;
  q.model_source = resolved.model.source.empty()
                       ? resolved.model_kind
                       : "data/models.json " + resolved.model.id + ": " + resolved.model.source +
                             (resolved.model.as_of.empty() ? "" : " (as of " + resolved.model.as_of + ")");
  q.base = resolved.scenario;
  q.api = api_price(catalog.prices, resolved.model, catalog.models);
  q.kind = train ? PlanKind::train : PlanKind::serve;

  // Filters
  for (const auto& name : split_list(o.gpus)) {
    auto g = find_gpu(catalog, name);
    if (!g) return g.error().message;
    q.filters.gpus.push_back(g.value()->id);
  }
  for (const auto& name : split_list(o.quants)) {
    auto p = find_precision(name);
    if (!p) return p.error().message;
    q.filters.precisions.push_back(p.value().name);
  }
  if (!o.tier.empty()) {
    auto t = parse_tier(o.tier);
    if (!t) return t.error().message;
    q.filters.tier = t.value();
  }
  auto per_node = whole_count(o.gpus_per_node, "--gpus-per-node", 1024);
  if (!per_node) return per_node.error().message;
  q.gpus_per_node = per_node.value();
  q.filters.max_gpus = train ? 4096 : 64;
  if (!o.max_gpus.empty()) {
    auto m = whole_count(o.max_gpus, "--max-gpus", 100000);
    if (!m) return m.error().message;
    q.filters.max_gpus = m.value();
  }
  const std::string pay = canonical_name(o.pay);
  if (pay == "rent") {
    q.ownership = Ownership::rent;
  } else if (pay == "own" || pay == "buy") {
    q.ownership = Ownership::own;
  } else if (pay == "cheaper" || pay == "auto") {
    q.ownership = Ownership::cheaper;
  } else {
    return "unknown --pay '" + o.pay + "'" + suggestion_suffix(o.pay, {"cheaper", "rent", "own"});
  }

  if (train) {
    if (o.tokens.empty()) return "training plans need --tokens (e.g. 50M for fine-tuning, 2T for pre-training)";
    auto tokens = parse_count(o.tokens, "--tokens");
    if (!tokens) return tokens.error().message;
    if (tokens.value() < 1 || tokens.value() > 1e15) return "--tokens: 1 to 1e15";
    q.train.method = resolved.scenario.workload.mode;
    q.train.tokens = tokens.value();
    auto seq = parse_tokens(o.seq, "--seq");
    if (!seq) return seq.error().message;
    if (seq.value() < 16 || seq.value() > 1e7) return "--seq: 16 to 10M tokens";
    q.train.seq = seq.value();
    auto gb = parse_tokens(o.global_batch, "--global-batch");
    if (!gb) return gb.error().message;
    q.train.global_batch_tokens = gb.value() >= q.train.seq ? gb.value() : gb.value() * q.train.seq;
    auto deadline = optional_duration(o.deadline, "--deadline");
    if (!deadline) return deadline.error().message;
    q.train.deadline_s = deadline.value();
    if (o.deadline
            .empty()) {  // without a deadline the cheapest run can take years: 90 days pre-training, 7 fine-tuning
      q.train.deadline_s = (q.train.method == Mode::pretrain ? 90.0 : 7.0) * 86400;
      q.train.deadline_is_default = true;
    }
    if (!o.budget.empty()) {
      auto b = parse_count(o.budget, "--budget");
      if (!b) return b.error().message;
      q.train.budget_usd = b.value();
    }
    if (!o.network.empty()) {
      bool known = false;
      std::vector<std::string> ids;
      for (const auto& l : catalog.links) {
        known = known || l.id == o.network;
        if (l.kind == "inter") ids.push_back(l.id);
      }
      if (!known) return "unknown --network '" + o.network + "'" + suggestion_suffix(o.network, ids);
      q.network = o.network;
    }
    const std::string framework = canonical_name(o.framework);
    const auto& names = training_frameworks();
    if (std::find(names.begin(), names.end(), framework) == names.end()) {
      return "unknown --framework '" + o.framework + "'" + suggestion_suffix(o.framework, names);
    }
    q.framework = framework;
    return {};
  }

  // Serving workload
  ServeWorkload& w = q.serve;
  const double model_limit = q.base.arch.context_length;
  if (!o.context.empty()) {
    auto c = parse_tokens(o.context, "--context");
    if (!c) return c.error().message;
    if (c.value() < 2 || c.value() > 1e8) return "--context: 2 to 100M tokens";
    w.context = c.value();
  } else if (model_limit > 0) {
    w.context = std::min(w.context, model_limit);
  }
  if (!o.prompt.empty()) {
    auto p = parse_tokens(o.prompt, "--prompt");
    if (!p) return p.error().message;
    w.prompt_tokens = p.value();
  } else {
    w.prompt_tokens = std::min(w.prompt_tokens, std::floor(w.context * 0.8));
  }
  if (!o.output.empty()) {
    auto p = parse_tokens(o.output, "--output");
    if (!p) return p.error().message;
    w.output_tokens = p.value();
  } else {
    w.output_tokens = std::max(1.0, std::min(w.output_tokens, std::floor(w.context * 0.2)));
  }
  if (w.prompt_tokens < 1 || w.output_tokens < 1) return "--prompt and --output must be at least 1 token";
  if (w.prompt_tokens + w.output_tokens > w.context) {
    return "--prompt + --output (" + fmt_count(w.prompt_tokens + w.output_tokens) + " tokens) exceed --context " +
           fmt_count(w.context) + ": the context is the longest request, prompt and output the average";
  }
  auto users = whole_count(o.users, "--users", 1e6);
  if (!users) return users.error().message;
  w.users = users.value();
  auto ttft = optional_duration(o.ttft, "--ttft");
  if (!ttft) return ttft.error().message;
  w.ttft_target_s = ttft.value();
  auto tpot = optional_duration(o.tpot, "--tpot");
  if (!tpot) return tpot.error().message;
  w.tpot_target_s = tpot.value();
  if (!o.tokens_per_month.empty()) {
    auto t = parse_count(o.tokens_per_month, "--tokens-per-month");
    if (!t) return t.error().message;
    if (t.value() > 1e18) return "--tokens-per-month: absurdly large";
    w.tokens_per_month = t.value();
  }
  if (!o.runtime.empty()) {
    auto rt = find_runtime(catalog, o.runtime, "nvidia");
    if (!rt) return rt.error().message;
    q.filters.runtime = o.runtime;
  }
  return {};
}

}  // namespace

std::function<int()> add_plan_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "plan", "What to run it on: every GPU x count x precision x split x batch, ranked by cost, with findings");
  auto o = std::make_shared<PlanOptions>();
  cmd->add_option("model", o->model,
                  "Model: a catalog name (gpuplan models), a config.json / safetensors folder / .gguf, or hf:org/name");
  cmd->add_option("--params", o->params, "Only a size is known: e.g. 13B (Llama-shaped architecture assumed)");
  cmd->add_option("--context,--ctx,-c", o->context,
                  "Longest request (prompt + output) the deployment must accept, e.g. 32k (default 8k, capped at the "
                  "model's limit)");
  cmd->add_option("--prompt,-p", o->prompt, "Average prompt tokens per request (default 1000)");
  cmd->add_option("--output,-n", o->output, "Average output tokens per request (default 200)");
  cmd->add_option("--users,--concurrency", o->users, "Requests in flight at the peak")->capture_default_str();
  cmd->add_option("--ttft", o->ttft, "Time-to-first-token target, e.g. 2s, 500ms (0 = none)")->capture_default_str();
  cmd->add_option("--tpot", o->tpot, "Time-per-output-token target, e.g. 50ms (0 = none)")->capture_default_str();
  cmd->add_option("--tokens-per-month", o->tokens_per_month,
                  "Input + output tokens per month (default: users/2 in flight at the targets)");
  cmd->add_option("--runtime", o->runtime,
                  "Serving runtime for every candidate (default: llama.cpp for GGUF types and Apple, vLLM otherwise)");
  cmd->add_option("--method,--mode", o->method, "Training plan: pretrain | full | lora | qlora");
  cmd->add_option("--tokens", o->tokens, "Training tokens, e.g. 50M (a training plan; --method defaults to lora)");
  cmd->add_option("--seq", o->seq, "Training sequence length")->capture_default_str();
  cmd->add_option("--global-batch", o->global_batch, "Training tokens per optimizer step")->capture_default_str();
  cmd->add_option("--deadline", o->deadline, "Training: finish within, e.g. 2d, 12h");
  cmd->add_option("--budget", o->budget, "Training: at most this many USD");
  cmd->add_option("--network", o->network, "Training: network between nodes (data/links.json)")->capture_default_str();
  cmd->add_option("--framework", o->framework,
                  "Training stack: megatron (Megatron-LM/-core), fsdp (PyTorch FSDP) or auto (megatron to pre-train, "
                  "fsdp to fine-tune)")
      ->capture_default_str();
  cmd->add_option("--tier", o->tier, "Only consumer | workstation | datacenter cards");
  cmd->add_option("--max-gpus", o->max_gpus, "Most GPUs in the fleet or job (default 64 serving, 4096 training)");
  cmd->add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node")->capture_default_str();
  cmd->add_option("--gpu", o->gpus, "Only these GPUs (comma-separated catalog names)");
  cmd->add_option("--quant,--precision,-q", o->quants,
                  "Only these precisions (comma-separated; default bf16,fp8,int8,awq-int4,q8_0,q5_k_m,q4_k_m serving; "
                  "bf16 or nf4-dq training)");
  cmd->add_option("--kv-dtype", o->kv_dtype, "KV-cache type: f16, fp8, q8_0, q4_0")->capture_default_str();
  cmd->add_flag("--no-flash-attention", o->no_flash_attention, "Attention scores are materialised");
  cmd->add_option("--pay", o->pay, "cheaper (of rent and own) | rent | own")->capture_default_str();
  cmd->add_flag("--json", o->json, "The whole plan as one JSON object (schema gpuplan-plan/1)");
  cmd->add_flag("--csv", o->csv, "Every candidate as CSV, ranked");
  cmd->add_flag("--explain", o->explain, "The arithmetic behind the top choice, with the catalog figures and sources");
  cmd->footer(
      "Examples:\n"
      "  gpuplan plan llama-3.1-70b                       # default serving workload\n"
      "  gpuplan plan qwen3-30b-a3b --context 32k --users 20 --tpot 50ms --ttft 2s\n"
      "  gpuplan plan llama-3.1-8b --method qlora --tokens 50M --deadline 2d\n"
      "  gpuplan plan deepseek-v3 --tier datacenter --max-gpus 16 --json\n"
      "  gpuplan plan mistral-7b --tier consumer --explain\n"
      "Serving ranks by cost per month (rented on demand, or owned: purchase/3 years + hosting + power); training\n"
      "by cost per job. Exit status 0 when a plan was made (even if nothing is feasible), 2 on bad input.");
  return [cmd, o, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto fail = [](const std::string& m) {
      std::fprintf(stderr, "gpuplan plan: %s\n", m.c_str());
      return 2;
    };
    if (o->json && o->csv) return fail("--json and --csv: choose one");
    auto loaded = load_catalog(global.models_file, global.gpus_file);
    if (!loaded) return fail(loaded.error().message);
    const Catalog& catalog = loaded.value();
    Resolved resolved;
    PlanRequest q;
    if (const std::string e = build_request(catalog, *o, resolved, q); !e.empty()) return fail(e);
    if (!resolved.warning.empty()) std::fprintf(stderr, "gpuplan plan: %s\n", resolved.warning.c_str());
    if (q.kind == PlanKind::serve && q.base.arch.context_length > 0 && q.serve.context > q.base.arch.context_length) {
      std::fprintf(stderr, "gpuplan plan: warning: context %s is longer than the model's %s\n",
                   format_tokens(q.serve.context).c_str(), format_tokens(q.base.arch.context_length).c_str());
    }
    const auto start = std::chrono::steady_clock::now();
    const Plan plan = make_plan(q);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const io::PlanReport report{q, plan, elapsed};
    std::string text;
    if (o->json) {
      text = io::plan_json(report) + "\n";
    } else if (o->csv) {
      text = io::plan_csv(report);
    } else {
      text = io::plan_table(report);
      if (o->explain) text += "\n" + io::plan_explain(report);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
