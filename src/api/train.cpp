// train: a layout (given or searched), its step time, MFU, GPU-hours, energy and cost.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

Result<bool> set_layout_key(Layout& l, const std::string& key, const std::string& value) {
  if (key == "recompute") {
    auto rc = parse_recompute(value);
    if (!rc) return rc.error();
    l.recompute = rc.value();
    return true;
  }
  if (key == "sp") {
    const std::string v = canonical_name(value);
    if (v != "on" && v != "off") return make_error(ErrorCode::parse_error, "--layout: sp=on or sp=off");
    l.sequence_parallel = v == "on";
    return true;
  }
  auto v = parse_count(value, "--layout");
  const double min = key == "zero" ? 0 : 1;
  const double max = key == "zero" ? 3 : 1e6;
  if (!v || v.value() < min || v.value() > max || std::floor(v.value()) != v.value()) {
    return make_error(ErrorCode::parse_error, "--layout: '" + key + "=" + value + "' needs a whole number from " +
                                                  std::to_string(static_cast<int>(min)) + " to " +
                                                  (key == "zero" ? "3" : "1000000"));
  }
  double* slot = key == "tp"    ? &l.tp
                 : key == "pp"  ? &l.pp
                 : key == "dp"  ? &l.dp
                 : key == "cp"  ? &l.cp
                 : key == "ep"  ? &l.ep
                 : key == "vpp" ? &l.vpp
                 : key == "mb"  ? &l.micro_batch
                                : nullptr;
  if (key == "zero") {
    l.zero = static_cast<int>(v.value());
  } else if (slot != nullptr) {
    *slot = v.value();
  } else {
    return make_error(ErrorCode::unknown_name, "--layout: unknown '" + key + "'" +
                                                   suggestion_suffix(key, {"tp", "pp", "dp", "cp", "ep", "vpp", "mb",
                                                                           "zero", "sp", "recompute"}));
  }
  return true;
}

struct TrainSetup {
  Resolved resolved;
  io::TrainReport report;
  SearchLimits limits;
  bool fixed_gpus = false;
  double requested_gpus = 0;
};

Result<bool> resolve_job(const TrainRequest& q, TrainSetup& s) {
  if (!q.tokens)
    return make_error(ErrorCode::invalid_argument, "give --tokens (e.g. 2T for pre-training, 200M for fine-tuning)");
  TrainJob& job = s.report.job;
  job.seq = q.seq_tokens.value_or(defaults::kTrainSeqTokens);
  job.tokens = *q.tokens * q.epochs.value_or(1);
  job.overlap_grad_reduce = !q.no_overlap_grad_reduce;
  job.grad_reduce_bytes = q.fp32_grad_reduce ? 4 : 2;
  if (q.global_batch && q.global_batch_tokens) {
    return make_error(ErrorCode::conflict, "give --global-batch (sequences) or --global-batch-tokens, not both");
  }
  job.global_batch_seqs =
      q.global_batch
          ? *q.global_batch
          : std::max(1.0, std::round(q.global_batch_tokens.value_or(defaults::kGlobalBatchTokens) / job.seq));
  return true;
}

Result<bool> resolve_cluster(const Context& ctx, const TrainRequest& q, TrainSetup& s) {
  io::TrainReport& r = s.report;
  const Gpu& g = s.resolved.gpu;
  const std::string net = canonical_name(q.network.value_or(defaults::kNetwork));
  const Catalog::NamedLink* inter = find_link(*ctx.catalog, net);
  if (inter == nullptr) {
    std::vector<std::string> ids;
    for (const auto& l : ctx.catalog->links) ids.push_back(l.id);
    return make_error(ErrorCode::unknown_name, "unknown --network '" + net + "'" + suggestion_suffix(net, ids));
  }
  const std::string framework_name = canonical_name(q.framework.value_or(defaults::kFramework));
  const auto& names = training_frameworks();
  if (std::find(names.begin(), names.end(), framework_name) == names.end()) {
    return make_error(ErrorCode::unknown_name,
                      "unknown --framework '" + framework_name + "'" + suggestion_suffix(framework_name, names));
  }
  r.framework = training_framework(framework_name, r.method);
  if (r.fp8 && g.dense_flops.fp8 <= 0) {
    return make_error(ErrorCode::conflict, g.name + " has no FP8 tensor cores: train in bf16");
  }
  Cluster& c = r.cluster;
  c = training_cluster(g, *ctx.catalog, net, q.gpus_per_node.value_or(defaults::kGpusPerNode), r.framework, r.fp8);
  r.headroom = q.headroom.value_or(defaults::kMemoryHeadroom);
  r.capacity_bytes = s.resolved.scenario.gpu_memory_bytes;
  c.memory_bytes = r.capacity_bytes * (1 - r.headroom);
  if (q.efficiency) c.compute_efficiency = *q.efficiency;
  r.usd_per_gpu_hour = q.usd_per_gpu_hour.value_or(g.rent_usd_per_hour);
  r.network = inter->id;
  const Catalog::NamedLink* intra = intra_node_link(g, *ctx.catalog);
  r.intra_node = intra != nullptr ? intra->id : "pcie4-x16";
  return true;
}

Result<bool> given_layout(const TrainRequest& q, TrainSetup& s) {
  auto parsed = parse_layout(*q.layout);
  if (!parsed) return parsed.error();
  Layout l = parsed.value();
  const std::string text = *q.layout;
  if (text.find("recompute=") == std::string::npos) l.recompute = Recompute::full;
  if (q.zero) {
    if (text.find("zero=") != std::string::npos && l.zero != static_cast<int>(*q.zero)) {
      return make_error(ErrorCode::conflict, "--zero and the layout's zero= disagree");
    }
    l.zero = static_cast<int>(*q.zero);
  }
  if (q.recompute) {
    auto rc = parse_recompute(*q.recompute);
    if (!rc) return rc.error();
    l.recompute = rc.value();
  }
  if (q.micro_batch) l.micro_batch = *q.micro_batch;
  const double product = l.tp * l.pp * l.dp * l.cp;
  if (q.gpus && *q.gpus != product) {
    return make_error(ErrorCode::conflict,
                      "--layout uses " + format_count(product) + " GPUs but --gpus says " + format_count(*q.gpus));
  }
  io::TrainReport& r = s.report;
  r.cluster.gpus = product;
  r.job.allow_uneven_pipeline = true;
  r.layout = l;
  r.estimate = evaluate_layout(r.model, l, r.job, r.cluster);
  if (!r.estimate.valid) {
    return make_error(ErrorCode::invalid_argument,
                      "layout " + to_string(l) + " is not usable: " + describe(*r.estimate.rejected));
  }
  r.bound_by = "the layout given";
  return true;
}

void searched_layout(const Gpu& g, const TrainRequest& q, TrainSetup& s) {
  io::TrainReport& r = s.report;
  SearchLimits limits;
  const double default_max = g.tier == Tier::datacenter ? defaults::kTrainMaxGpus : r.cluster.gpus_per_node;
  limits.fixed_gpus = q.gpus.has_value();
  limits.max_gpus = q.gpus.value_or(q.max_gpus.value_or(default_max));
  limits.usd_per_gpu_hour = r.usd_per_gpu_hour;
  limits.budget_usd = q.budget_usd.value_or(0);
  r.deadline_is_default = !q.deadline_s && !q.budget_usd;
  const double default_days =
      r.method == Mode::pretrain ? defaults::kPretrainDeadlineDays : defaults::kFinetuneDeadlineDays;
  limits.deadline_s = q.deadline_s ? *q.deadline_s : r.deadline_is_default ? default_days * 86400 : 0;
  r.deadline_s = limits.deadline_s;
  r.budget_usd = limits.budget_usd;
  r.searched = true;
  limits.work.max_evaluated = q.max_evaluated.value_or(0);
  limits.work.cancel = q.cancel;
  r.search = search_layouts(r.model, r.job, r.cluster, limits);
  // Cheapest by default (and under a deadline); fastest when only a budget is given.
  const bool prefer_cheap = !(limits.budget_usd > 0 && limits.deadline_s <= 0);
  const std::string deadline =
      r.deadline_is_default ? "the default " + format_count(default_days) + "-day deadline" : "the deadline";
  r.bound_by =
      prefer_cheap ? (limits.deadline_s > 0 ? "cheapest within " + deadline : "cheapest") : "fastest within the budget";
  if (limits.budget_usd > 0 && limits.deadline_s > 0) r.bound_by += " and the budget";
  r.found = r.search.found;
  if (!r.found) return;
  r.layout = prefer_cheap ? r.search.cheapest : r.search.fastest;
  r.estimate = prefer_cheap ? r.search.cheapest_estimate : r.search.fastest_estimate;
  r.cluster.gpus = prefer_cheap ? r.search.gpus_cheapest : r.search.gpus_fastest;
}

void figures(const Context& ctx, TrainSetup& s) {
  io::TrainReport& r = s.report;
  const Gpu& g = s.resolved.gpu;
  const PriceBook& book = ctx.catalog->prices;
  r.server_power_factor = book.server_power_factor.value;
  r.pue = book.pue.value;
  r.energy_kwh = r.estimate.wall_s / 3600.0 * r.cluster.gpus * g.tdp_w / 1000.0 * r.server_power_factor * r.pue;
  r.cost_usd = r.estimate.gpu_hours * r.usd_per_gpu_hour;
  r.tokens_per_param = r.job.tokens / std::max(1.0, r.model.params);
  for (double n : {1.0, r.cluster.gpus_per_node, r.cluster.gpus}) {  // MFU of the best layout at each size
    if (n > r.cluster.gpus) continue;
    SearchLimits l;
    l.max_gpus = n;
    l.fixed_gpus = true;
    const SearchResult found = search_layouts(r.model, r.job, r.cluster, l);
    r.scale.push_back({n, found.found ? found.fastest_estimate.mfu : 0, found.found});
    if (n == r.cluster.gpus) break;
  }
  if (const RuntimeModel* rt = training_runtime(*ctx.catalog, r.framework); r.model.experts > 0 && rt != nullptr) {
    r.moe_low = rt->moe_ratio_low;
    r.moe_median = rt->moe_ratio_median;
    r.moe_high = rt->moe_ratio_high;
  }
}

}  // namespace

Result<Layout> parse_layout(std::string_view text) {
  if (text.size() > 512) return make_error(ErrorCode::parse_error, "--layout: too long");
  Layout l;
  std::stringstream ss{std::string(text)};
  for (std::string part; std::getline(ss, part, ',');) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) return make_error(ErrorCode::parse_error, "--layout: '" + part + "' is not key=value");
    auto ok = set_layout_key(l, canonical_name(part.substr(0, eq)), part.substr(eq + 1));
    if (!ok) return ok.error();
  }
  return l;
}

Result<TrainResponse> run_train(const Context& ctx, const TrainRequest& q) {
  TrainSetup s;
  auto job = resolve_job(q, s);
  if (!job) return job.error();
  std::string method = canonical_name(q.method.value_or("pretrain"));
  if (method == "full" || method == "sft") method = "full-finetune";
  // FP8 training (Transformer Engine): FP8 GEMMs; weights, gradients and optimizer states as in
  // BF16 training, so memory is planned as BF16.
  ModelArgs m = q;
  if (!m.gpu) m.gpu = defaults::kTrainGpu;
  if (m.quant && method != "qlora") {
    auto p = find_precision(*m.quant);
    if (p && p.value().name == "fp8") {
      s.report.fp8 = true;
      m.quant = "bf16";
    }
  }
  m.gpus = 1;
  ModelInputs in;
  in.mode = method;
  in.context_tokens = s.report.job.seq;
  auto resolved = resolve_model(ctx, m, in, s.resolved);
  if (!resolved) return resolved.error();
  Workload& w = s.resolved.scenario.workload;
  if (!is_training(w.mode))
    return make_error(ErrorCode::invalid_argument, "--method must be pretrain, full, lora or qlora");
  auto precision_ok = check_mode_precision(s.resolved, method, "--method");
  if (!precision_ok) return precision_ok.error();
  if (q.optimizer) {
    auto opt = parse_optimizer(*q.optimizer);
    if (!opt) return opt.error();
    w.optimizer = opt.value();
  }
  w.optimizer_offload = q.offload_optimizer;
  io::TrainReport& r = s.report;
  r.method = w.mode;
  r.model_id = s.resolved.model.id;
  r.model_name = s.resolved.model.name;
  r.gpu_id = s.resolved.gpu.id;
  r.gpu_name = s.resolved.gpu.name;
  auto cluster = resolve_cluster(ctx, q, s);
  if (!cluster) return cluster.error();
  if (q.budget_usd && r.usd_per_gpu_hour <= 0) {
    return make_error(ErrorCode::invalid_argument,
                      "--budget needs a price: the catalog has none for " + r.gpu_id + "; give --price-per-gpu-hour");
  }
  r.model = prepare_train_model(s.resolved.scenario, r.job);
  if (q.layout) {
    auto ok = given_layout(q, s);
    if (!ok) return ok.error();
  } else {
    searched_layout(s.resolved.gpu, q, s);
  }
  if (r.found) figures(ctx, s);
  TrainResponse out;
  out.resolved = std::move(s.resolved);
  out.report = std::move(s.report);
  return out;
}

}  // namespace gpuplan::api
