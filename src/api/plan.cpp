// plan (and the serving workload cost shares with it): a PlanQuery into the core's PlanRequest.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Result<Tier> parse_tier(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "consumer") return Tier::consumer;
  if (k == "workstation") return Tier::workstation;
  if (k == "datacenter" || k == "data-center" || k == "datacentre") return Tier::datacenter;
  return make_error(ErrorCode::unknown_name, "unknown --tier '" + text + "'" +
                                                 suggestion_suffix(text, {"consumer", "workstation", "datacenter"}));
}

Result<Ownership> parse_pay(const std::string& text) {
  const std::string pay = canonical_name(text);
  if (pay == "rent") return Ownership::rent;
  if (pay == "own" || pay == "buy") return Ownership::own;
  if (pay == "cheaper" || pay == "auto") return Ownership::cheaper;
  return make_error(ErrorCode::unknown_name,
                    "unknown --pay '" + text + "'" + suggestion_suffix(text, {"cheaper", "rent", "own"}));
}

// --gpu names catalog cards or memory variants of them (m3-max-64gb); the variants join a copy of
// the catalog the request owns, so the search sees them as cards of their own.
Result<bool> apply_gpu_filter(const Context& ctx, const PlanQuery& q, PlanRequest& r) {
  std::vector<Gpu> variants;
  for (const auto& name : split_list(q.gpus.value_or(""))) {
    if (auto g = find_gpu(*ctx.catalog, name)) {
      r.filters.gpus.push_back(g.value()->id);
      continue;
    }
    auto v = find_card(*ctx.catalog, name);
    if (!v) return v.error();
    r.filters.gpus.push_back(v.value().id);
    variants.push_back(std::move(v).value());
  }
  if (variants.empty()) return true;
  auto owned = std::make_shared<Catalog>(*ctx.catalog);
  for (auto& g : variants) owned->gpus.push_back(std::move(g));
  r.catalog = owned.get();
  r.owned_catalog = std::move(owned);
  return true;
}

Result<bool> apply_filters(const Context& ctx, const PlanQuery& q, PlanRequest& r) {
  auto cards = apply_gpu_filter(ctx, q, r);
  if (!cards) return cards;
  for (const auto& name : split_list(q.quants.value_or(""))) {
    auto p = find_precision(name);
    if (!p) return p.error();
    r.filters.precisions.push_back(p.value().name);
  }
  if (q.tier) {
    auto t = parse_tier(*q.tier);
    if (!t) return t.error();
    r.filters.tier = t.value();
  }
  r.gpus_per_node = q.gpus_per_node.value_or(defaults::kGpusPerNode);
  r.filters.max_gpus =
      q.max_gpus.value_or(r.kind == PlanKind::train ? defaults::kTrainMaxGpus : defaults::kServeMaxGpus);
  auto pay = parse_pay(q.pay.value_or("cheaper"));
  if (!pay) return pay.error();
  r.ownership = pay.value();
  if (q.runtime) {
    auto rt = find_runtime(*ctx.catalog, *q.runtime, "nvidia");
    if (!rt) return rt.error();
    r.filters.runtime = *q.runtime;
  }
  return true;
}

Result<bool> apply_training(const Context& ctx, const PlanQuery& q, PlanRequest& r) {
  if (q.users || q.ttft_s || q.tpot_s || q.tokens_per_month || q.prompt_tokens || q.output_tokens) {
    return make_error(ErrorCode::conflict,
                      "--tokens makes a training plan: --users, --ttft, --tpot, --prompt, --output and "
                      "--tokens-per-month describe serving; give one or the other");
  }
  if (!q.tokens) return make_error(ErrorCode::invalid_argument, "training plans need --tokens (e.g. 50M, 2T)");
  TrainWorkload& t = r.train;
  t.method = r.base.workload.mode;
  t.tokens = *q.tokens;
  t.seq = q.seq_tokens.value_or(defaults::kTrainSeqTokens);
  if (q.global_batch && q.global_batch_tokens) {
    return make_error(ErrorCode::conflict, "give --global-batch (sequences) or --global-batch-tokens, not both");
  }
  t.global_batch_tokens =
      q.global_batch ? *q.global_batch * t.seq : q.global_batch_tokens.value_or(defaults::kGlobalBatchTokens);
  t.deadline_s = q.deadline_s.value_or(0);
  if (!q.deadline_s) {  // without a deadline the cheapest run can take years
    t.deadline_s =
        (t.method == Mode::pretrain ? defaults::kPretrainDeadlineDays : defaults::kFinetuneDeadlineDays) * 86400;
    t.deadline_is_default = true;
  }
  t.budget_usd = q.budget_usd.value_or(0);
  r.network = q.network.value_or(defaults::kNetwork);
  if (find_link(*ctx.catalog, r.network) == nullptr) {
    std::vector<std::string> ids;
    for (const auto& l : ctx.catalog->links) {
      if (l.kind == "inter") ids.push_back(l.id);
    }
    return make_error(ErrorCode::unknown_name,
                      "unknown --network '" + r.network + "'" + suggestion_suffix(r.network, ids));
  }
  const std::string framework = canonical_name(q.framework.value_or(defaults::kFramework));
  const auto& names = training_frameworks();
  if (std::find(names.begin(), names.end(), framework) == names.end()) {
    return make_error(ErrorCode::unknown_name,
                      "unknown --framework '" + framework + "'" + suggestion_suffix(framework, names));
  }
  r.framework = framework;
  return true;
}

}  // namespace

Result<ServeWorkload> resolve_serve(const ServeArgs& q, const ModelArch& arch) {
  ServeWorkload w;
  const double model_limit = arch.context_length;
  w.context = q.context_tokens.value_or(defaults::kServeContextTokens);
  if (!q.context_tokens && model_limit > 0) w.context = std::min(w.context, model_limit);
  const double share = defaults::kServePromptShareOfContext;
  w.prompt_tokens = q.prompt_tokens.value_or(std::min(defaults::kServePromptTokens, std::floor(w.context * share)));
  w.output_tokens = q.output_tokens.value_or(
      std::max(1.0, std::min(defaults::kServeOutputTokens, std::floor(w.context * (1 - share)))));
  if (w.prompt_tokens + w.output_tokens > w.context) {
    if (q.context_tokens) {
      return make_error(ErrorCode::conflict, "--prompt + --output (" + whole_text(w.prompt_tokens + w.output_tokens) +
                                                 " tokens) exceed --context " + whole_text(w.context) +
                                                 ": the context is the longest request, prompt and output the average");
    }
    w.context = std::min(model_limit > 0 ? model_limit : 1e8, w.prompt_tokens + w.output_tokens);
  }
  w.users = q.users.value_or(defaults::kServeUsers);
  w.ttft_target_s = q.ttft_s.value_or(defaults::kServeTtftS);
  w.tpot_target_s = q.tpot_s.value_or(defaults::kServeTpotS);
  w.tokens_per_month = q.tokens_per_month.value_or(0);
  return w;
}

Result<PlanRequest> resolve_plan(const Context& ctx, const PlanQuery& q, Resolved& resolved) {
  const bool train = q.method.has_value() || q.tokens.has_value();
  std::string method = canonical_name(q.method.value_or("lora"));
  if (method == "full" || method == "sft") method = "full-finetune";
  ModelArgs m;
  m.model = q.model;
  m.params = q.params;
  m.gpu = ctx.catalog->gpus.empty() ? std::string(defaults::kTrainGpu) : ctx.catalog->gpus.front().id;  // per candidate
  m.kv_dtype = q.kv_dtype;
  m.no_flash_attention = q.no_flash_attention;
  ModelInputs in;
  in.mode = train ? method : "inference";
  auto r = resolve_model(ctx, m, in, resolved);
  if (!r) return r.error();
  if (train && !is_training(resolved.scenario.workload.mode)) {
    return make_error(ErrorCode::invalid_argument,
                      "--method must be pretrain, full, lora or qlora, got '" + method + "'");
  }
  PlanRequest p;
  p.catalog = ctx.catalog;
  p.model_id = resolved.model.id;
  p.model_name = resolved.model.name;
  p.model_source = resolved.model.source.empty()
                       ? resolved.model_kind
                       : "data/models.json " + resolved.model.id + ": " + resolved.model.source +
                             (resolved.model.as_of.empty() ? "" : " (as of " + resolved.model.as_of + ")");
  p.base = resolved.scenario;
  p.api = api_price(ctx.catalog->prices, resolved.model, ctx.catalog->models);
  p.kind = train ? PlanKind::train : PlanKind::serve;
  p.work.max_evaluated = q.max_evaluated.value_or(0);
  p.work.cancel = q.cancel;
  auto filters = apply_filters(ctx, q, p);
  if (!filters) return filters.error();
  if (train) {
    auto t = apply_training(ctx, q, p);
    if (!t) return t.error();
    return p;
  }
  if (q.seq_tokens || q.global_batch || q.global_batch_tokens || q.deadline_s || q.budget_usd || q.network ||
      q.framework) {
    return make_error(ErrorCode::conflict,
                      "--seq, --global-batch, --deadline, --budget, --network and --framework describe a training "
                      "plan: add --tokens (and --method), or leave them out");
  }
  auto serve = resolve_serve(q, p.base.arch);
  if (!serve) return serve.error();
  p.serve = serve.value();
  if ((q.enable_expert_parallel || q.enable_dp_attention) && p.base.arch.num_experts <= 1) {
    return make_error(ErrorCode::conflict,
                      "--enable-expert-parallel and --enable-dp-attention are MoE layouts; this model is dense");
  }
  p.filters.expert_parallel = q.enable_expert_parallel;
  p.filters.attention_data_parallel = q.enable_dp_attention;
  if (p.base.arch.context_length > 0 && p.serve.context > p.base.arch.context_length) {
    add_warning(resolved, "warning: context " + format_tokens(p.serve.context) + " is longer than the model's " +
                              format_tokens(p.base.arch.context_length));
  }
  return p;
}

Result<PlanResponse> run_plan(const Context& ctx, const PlanQuery& q) {
  PlanResponse out;
  auto request = resolve_plan(ctx, q, out.resolved);
  if (!request) return request.error();
  out.request = std::move(request).value();
  out.candidates_in_json = static_cast<std::size_t>(q.top.value_or(defaults::kPlanCandidatesInJson));
  const auto start = std::chrono::steady_clock::now();
  out.plan = make_plan(out.request);
  out.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace gpuplan::api
