// The plan search: candidates, the rules that reject them, ranking, tiers and the Pareto front.
#include "gpuplan/plan.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "gpuplan/memory.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "plan_text.hpp"

namespace gpuplan {
namespace {

constexpr double kSecondsPerMonth = kHoursPerMonth * 3600.0;

using plan_text::dollars;
using plan_text::ms;
using plan_text::num;

bool is_gguf(const Precision& p) {
  return p.kind == QuantKind::gguf_mix;
}
// The memory family of a runtime's engine (data/engines.json): llamacpp for llama.cpp and Ollama.
EngineFamily engine_family(const Catalog& catalog, const std::string& runtime) {
  auto engine = find_engine(catalog, runtime);
  return engine ? engine.value()->family : EngineFamily::none;
}

// Why a rule rejects a candidate: the rule, and the candidate's message in words.
struct Rejection {
  RejectReason reason;
  std::string message;
};
using ServingRule = std::optional<Rejection>;
Rejection because(RejectReason reason, std::string message = {}) {
  return {reason, message.empty() ? describe(reason) : std::move(message)};
}

// ---- the rules a serving candidate must obey, one function each; nullopt when it holds ----

ServingRule rule_runtime_runs_precision(const Gpu& gpu, const Precision& p, const RuntimeModel& rt,
                                        EngineFamily family) {
  const bool llama_cpp = family == EngineFamily::llamacpp;
  if (is_gguf(p) && !llama_cpp) {
    return because(RejectReason::gguf_needs_llama_cpp, "GGUF types run on llama.cpp, not " + rt.runtime);
  }
  if (!is_gguf(p) && llama_cpp && !(p.kind == QuantKind::floating && p.linear_bits == 16)) {
    return because(RejectReason::llama_cpp_needs_gguf, "llama.cpp runs GGUF types (use q8_0 or q4_k_m), not " + p.name);
  }
  if (gpu.vendor == "apple" && !llama_cpp) {
    return because(RejectReason::runtime_not_on_apple, rt.runtime + " does not run on Apple GPUs");
  }
  return {};
}

ServingRule rule_card_supports_precision(const Gpu& gpu, const Precision& p) {
  if (p.name == "fp8" && gpu.dense_flops.fp8 <= 0) {
    return because(RejectReason::no_fp8_tensor_cores, "fp8 needs FP8 tensor cores (Ada, Hopper, Blackwell, MI300)");
  }
  return {};
}

ServingRule rule_gpu_count_allowed(const Gpu& gpu, double gpus) {
  if (gpus > 1 && gpu.unified_memory) return because(RejectReason::unified_memory_single_device);
  return {};
}

ServingRule rule_split_valid(const ModelArch& a, double gpus, Split split, double gpus_per_node) {
  if (gpus <= 1 || split == Split::layer) return {};
  if (gpus > gpus_per_node) {
    return because(RejectReason::tp_crosses_nodes,
                   "tensor parallelism crosses nodes (layer split across nodes instead)");
  }
  if (!tensor_parallel_divides(a, gpus)) {
    const bool heads = a.num_heads > 0 && std::fmod(a.num_heads, gpus) != 0;
    return because(heads ? RejectReason::tp_heads : RejectReason::tp_kv_heads,
                   "tensor parallelism does not divide the attention and KV heads");
  }
  return {};
}

ServingRule rule_priced(const Prices& p, Ownership o) {
  const bool rent = p.rent_usd_per_gpu_hour > 0;
  const bool own = p.purchase_usd_per_gpu > 0 && p.gpu_tdp_w > 0;
  if (o == Ownership::rent && !rent) return because(RejectReason::no_rental_price);
  if (o == Ownership::own && !own) return because(RejectReason::no_purchase_price);
  if (!rent && !own) return because(RejectReason::no_price);
  return {};
}

std::string split_name(Split s) {
  return s == Split::tensor ? "tensor" : "layer";
}

std::string layout_text(double gpus, Split split) {
  if (gpus <= 1) return "single GPU";
  return split_name(split) + " split x" + num(gpus, 0);
}

// Picks the monthly figure by ownership: rent (always on), own, or the cheaper available.
void choose_monthly(PlanCandidate& c, Ownership o) {
  const bool rent = c.prices.rent_usd_per_gpu_hour > 0;
  const bool own = c.prices.purchase_usd_per_gpu > 0 && c.prices.gpu_tdp_w > 0;
  const bool use_own = o == Ownership::own ||
                       (o == Ownership::cheaper && own && (!rent || c.cost.own.monthly_usd < c.cost.rent.monthly_usd));
  c.cost_basis = use_own ? CostBasis::own : CostBasis::rent;
  c.monthly_usd = use_own ? c.cost.own.monthly_usd : c.cost.rent.monthly_usd;
}

// Fixes the scenario of one serving candidate (runtime, hardware, speed workload).
// `weights`: the precision's weight bytes computed once for the whole search (the same numbers
// estimate() would compute tensor by tensor on every call); a checkpoint's measured bytes win.
Scenario serving_scenario(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split,
                          const RuntimeModel& rt, const PricedWeights* weights) {
  Scenario s = r.base;
  s.precision = p;
  s.measured_weights = weights != nullptr ? weights->totals : WeightBytes{};
  if (weights != nullptr) s.layer_weights = weights->layers;
  if (r.base.measured_weights.total > 0 && r.base.precision.name == p.name)
    s.measured_weights = r.base.measured_weights;
  s.gpu_memory_bytes = usable_memory_bytes(gpu);
  s.gpus = gpus;
  s.runtime = rt;
  s.hardware = compute_spec(gpu);
  s.with_speed = true;
  s.workload.mode = Mode::inference;
  s.workload.ubatch = rt.ubatch;
  s.speed.prompt_tokens = r.serve.prompt_tokens;
  s.speed.output_tokens = r.serve.output_tokens;
  s.speed.gpus = gpus;
  s.speed.split = split;
  // Memory as the serving engine allocates it (the same engine plan as `fit --runtime`): vLLM's
  // fraction of the card and its KV pool, llama.cpp's buffers with every layer on the GPUs.
  if (auto engine = find_engine(*r.catalog, rt.runtime)) {
    s.engine_spec = *engine.value();
    s.engine_spec.auto_layers = false;  // the speed model assumes every layer on the GPUs
    s.engine = EngineSettings{};
    s.engine.tp = gpus;
    s.engine.search_layers = false;
    s.engine.type_k_bytes = s.engine.type_v_bytes = s.workload.kv_bytes;
    s.engine.type_k = s.engine.type_v = s.workload.kv_dtype;
    s.unified_memory = gpu.unified_memory;
    for (const auto& [id, bytes] : r.catalog->cuda_visible_bytes) {
      if (id == gpu.id) s.engine.visible_bytes = bytes;
    }
  }
  return s;
}

}  // namespace

// Batch (concurrent requests) at the scenario's context; the engine's terms follow: llama.cpp
// shares n_ctx among n_seq sequences, the paged engines size their pool for max_model_len.
void set_batch(Scenario& s, double batch) {
  s.workload.batch = batch;
  s.speed.concurrency = batch;
  if (s.engine_spec.family == EngineFamily::llamacpp) {
    s.engine.n_seq = batch;
    s.engine.max_model_len = s.workload.context * batch;
    if (s.engine_spec.context_per_sequence) s.engine.max_model_len = s.workload.context;  // num_ctx per sequence
  } else if (s.engine_spec.family == EngineFamily::paged) {
    s.engine.max_model_len = s.workload.context;
  }
}

bool tensor_parallel_divides(const ModelArch& a, double tp) {
  if (tp <= 1) return true;
  const double kv = attention_kv_heads(a) > 0 ? attention_kv_heads(a) : a.num_heads;
  const bool kv_ok = std::fmod(kv, tp) == 0 || std::fmod(tp, kv) == 0;  // KV heads replicated past their count
  return kv_ok && (a.num_heads <= 0 || std::fmod(a.num_heads, tp) == 0);
}

const char* to_string(PlanKind kind) {
  return kind == PlanKind::serve ? "serve" : "train";
}
const char* to_string(Ownership o) {
  return o == Ownership::rent ? "rent" : o == Ownership::own ? "own" : "cheaper";
}

double derived_tokens_per_month(const ServeWorkload& w) {
  const double ttft = w.ttft_target_s > 0 ? w.ttft_target_s : 1.0;
  const double tpot = w.tpot_target_s > 0 ? w.tpot_target_s : 0.05;
  const double request_s = ttft + w.output_tokens * tpot;
  const double in_flight = std::max(0.5, w.users / kPeakOverAverageInFlight);
  return in_flight / request_s * (w.prompt_tokens + w.output_tokens) * kSecondsPerMonth;
}

double peak_from_volume(const ServingDemand& d, double request_s) {
  const double per_request = d.prompt_tokens + d.output_tokens;
  if (per_request <= 0 || d.tokens_per_month <= 0) return 1;
  const double requests_per_s = d.tokens_per_month / kSecondsPerMonth / per_request;
  return std::max(1.0, std::ceil(kPeakOverAverageInFlight * requests_per_s * request_s));
}

void apply_price_overrides(Prices& p, const PriceOverrides& o) {
  for (const auto& [given, target] :
       {std::pair{o.rent_usd_per_gpu_hour, &p.rent_usd_per_gpu_hour},
        std::pair{o.committed_usd_per_gpu_hour, &p.committed_usd_per_gpu_hour},
        std::pair{o.purchase_usd_per_gpu, &p.purchase_usd_per_gpu},
        std::pair{o.capex_extra_usd_per_gpu, &p.capex_extra_usd_per_gpu}, std::pair{o.years, &p.years},
        std::pair{o.power_usd_per_kwh, &p.power_usd_per_kwh}, std::pair{o.pue, &p.pue},
        std::pair{o.hosting_usd_per_kw_month, &p.hosting_usd_per_kw_month},
        std::pair{o.api_input_usd_per_million, &p.api_input_usd_per_million},
        std::pair{o.api_output_usd_per_million, &p.api_output_usd_per_million}}) {
    if (given >= 0) *target = given;
  }
}

std::string default_serving_runtime(const Gpu& gpu, const Precision& p) {
  if (is_gguf(p) || gpu.vendor == "apple") return "llama.cpp";
  return "vllm";
}

Prices gpu_prices(const Gpu& gpu, const PriceBook& book) {
  Prices p;
  p.power_usd_per_kwh = book.power_usd_per_kwh.value;
  p.pue = book.pue.value;
  p.hosting_usd_per_kw_month = book.hosting_usd_per_kw_month.value;
  p.server_power_factor = book.server_power_factor.value;
  p.gpu_tdp_w = gpu.tdp_w;
  p.rent_usd_per_gpu_hour = gpu.rent_usd_per_hour;
  p.committed_usd_per_gpu_hour =
      book.committed_discount.value > 0 ? gpu.rent_usd_per_hour * (1.0 - book.committed_discount.value) : 0;
  p.purchase_usd_per_gpu = gpu.launch_price_usd;
  return p;
}

const Catalog::NamedLink* find_link(const Catalog& catalog, const std::string& id) {
  for (const auto& l : catalog.links) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

const Catalog::NamedLink* intra_node_link(const Gpu& gpu, const Catalog& catalog) {
  const Catalog::NamedLink* intra = find_link(catalog, gpu.peer_link);
  if (intra == nullptr) intra = find_link(catalog, gpu.host_link.empty() ? "pcie4-x16" : gpu.host_link);
  if (intra == nullptr) intra = find_link(catalog, "pcie4-x16");
  return intra;
}

Cluster training_cluster(const Gpu& gpu, const Catalog& catalog, const std::string& network, double gpus_per_node,
                         const std::string& framework, bool fp8) {
  Cluster c;
  c.gpus_per_node = gpus_per_node;
  c.peak_flops = gpu.dense_flops.bf16 > 0   ? gpu.dense_flops.bf16
                 : gpu.dense_flops.fp16 > 0 ? gpu.dense_flops.fp16
                                            : gpu.dense_flops.fp32;
  c.memory_bytes = usable_memory_bytes(gpu);
  c.tdp_w = gpu.tdp_w;
  c.memory_bytes_per_s = gpu.memory_bandwidth_bytes_per_s;  // memory-bound ops, as `gpuplan train`
  const Catalog::NamedLink* intra = intra_node_link(gpu, catalog);
  const Catalog::NamedLink* inter = find_link(catalog, network);
  if (intra != nullptr) c.intra = Link{intra->bytes_per_s, intra->latency_s, intra->bus_efficiency};
  if (inter != nullptr) c.inter = Link{inter->bytes_per_s, inter->latency_s, inter->bus_efficiency};
  c.compute_efficiency = 0.76;  // data/runtimes.json megatron-training, when the catalog lacks it
  const RuntimeModel* rt = training_runtime(catalog, framework);
  if (rt != nullptr) {
    c.compute_efficiency = rt->compute_efficiency_float;
    c.attention_efficiency = rt->attention_efficiency;
  }
  if (fp8 && gpu.dense_flops.fp8 > 0 && rt != nullptr) {  // FP8 GEMMs; attention stays BF16
    c.attention_peak_flops = c.peak_flops;
    if (c.attention_efficiency <= 0) c.attention_efficiency = c.compute_efficiency;
    c.peak_flops = gpu.dense_flops.fp8;
    c.compute_efficiency = rt->compute_efficiency_quant;
  }
  return c;
}

const RuntimeModel* training_runtime(const Catalog& catalog, const std::string& framework) {
  for (const auto& rt : catalog.runtimes) {
    if (rt.id == framework + "-training") return &rt;
  }
  return nullptr;
}

const std::vector<std::string>& training_frameworks() {
  static const std::vector<std::string> names = {"auto", "megatron", "fsdp"};
  return names;
}

std::string training_framework(const std::string& framework, Mode mode) {
  if (framework != "auto") return framework;
  return mode == Mode::pretrain ? "megatron" : "fsdp";
}

std::vector<double> gpu_counts(double gpus_per_node, double max_gpus) {
  std::vector<double> out;
  for (double n = 1; n <= std::min(gpus_per_node, max_gpus); n *= 2) out.push_back(n);
  if (!out.empty() && out.back() < gpus_per_node && gpus_per_node <= max_gpus) out.push_back(gpus_per_node);
  for (double n = 2 * gpus_per_node; n <= max_gpus; n += gpus_per_node) out.push_back(n);
  return out;
}

std::vector<Precision> plan_precisions(const PlanRequest& r) {
  std::vector<std::string> names = r.filters.precisions;
  if (names.empty()) {
    if (r.kind == PlanKind::serve) {
      names = {"bf16", "fp8", "int8", "awq-int4", "q8_0", "q5_k_m", "q4_k_m"};
    } else {
      // FP8 training (Transformer Engine GEMMs) is a candidate for pre-training and full fine-tuning.
      names = r.train.method == Mode::qlora  ? std::vector<std::string>{"nf4-dq"}
              : r.train.method == Mode::lora ? std::vector<std::string>{"bf16"}
                                             : std::vector<std::string>{"bf16", "fp8"};
    }
  }
  std::vector<Precision> out;
  for (const auto& n : names) {
    auto p = find_precision(n);
    if (p) out.push_back(p.value());
  }
  return out;
}

PricedWeights priced_weights(const ModelArch& arch, const Precision& p) {
  return {weight_bytes_breakdown(arch, p), std::make_shared<const LayerWeightBytes>(layer_weight_bytes(arch, p))};
}

PlanCandidate evaluate_serving(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split,
                               double* evaluated, const PricedWeights* weights) {
  PlanCandidate c;
  c.gpu = &gpu;
  c.gpus = gpus;
  c.precision = p;
  c.split = split;
  c.layout = layout_text(gpus, split);
  c.prices = gpu_prices(gpu, r.catalog->prices);
  c.capacity_per_gpu_bytes = usable_memory_bytes(gpu);
  double local_count = 0;
  double& count = evaluated != nullptr ? *evaluated : local_count;
  auto reject = [&c](Rejection why) -> PlanCandidate& {
    c.rejection = why.reason;
    c.reason = std::move(why.message);
    c.feasible = false;
    return c;
  };
  const ServeWorkload& w = r.serve;
  const std::string rt_name = r.filters.runtime.empty() ? default_serving_runtime(gpu, p) : r.filters.runtime;
  auto rt = find_runtime(*r.catalog, rt_name, gpu.vendor);
  if (!rt) return reject(because(RejectReason::unknown_runtime, rt.error().message));
  c.runtime = rt.value().id;
  const EngineFamily family = engine_family(*r.catalog, rt.value().runtime);
  for (const ServingRule& why :
       {rule_runtime_runs_precision(gpu, p, rt.value(), family), rule_card_supports_precision(gpu, p),
        rule_gpu_count_allowed(gpu, gpus), rule_split_valid(r.base.arch, gpus, split, r.gpus_per_node)}) {
    if (why) return reject(*why);
  }
  Scenario s = serving_scenario(r, gpu, gpus, p, split, rt.value(), weights);

  // 1. At launch: one request at the longest context must fit (vLLM refuses to start otherwise).
  s.workload.context = w.context;
  set_batch(s, 1);
  const Estimate longest = estimate(s);
  count += 1;
  c.estimate = longest;
  c.memory_per_gpu_bytes = longest.memory.total_bytes;
  c.fits = longest.fits;
  if (!longest.fits) {
    return reject(because(RejectReason::does_not_fit, "does not fit: one " + format_tokens(w.context) +
                                                          "-token request needs " +
                                                          format_gib(longest.memory.total_bytes) + " per GPU, " +
                                                          format_gib(longest.capacity_bytes) + " available"));
  }
  // 2. Memory: how many average requests one replica holds (the hardware's capacity, not the load).
  const double average = w.prompt_tokens + w.output_tokens;
  s.workload.context = average;
  set_batch(s, std::max(1.0, w.users));
  const Estimate at_users = estimate(s);
  count += 1;
  c.max_concurrency_memory = std::max(1.0, at_users.max_batch);
  // 3. Latency: the most requests per replica that still meet the TPOT target.
  auto tpot_at = [&](double k) {  // s is set to the chosen capacity right after
    set_batch(s, k);
    count += 1;
    return estimate_speed(speed_inputs(s)).tpot_s.expected;
  };
  if (w.tpot_target_s > 0) {
    const double one = tpot_at(1);
    if (one > w.tpot_target_s) {
      c.tpot_s = one;
      return reject(because(RejectReason::too_slow,
                            "too slow: TPOT " + ms(one) + " at one request, target " + ms(w.tpot_target_s)));
    }
  }
  const double capacity = std::max(1.0, largest_fitting(c.max_concurrency_memory, [&](double b) {
                                     return w.tpot_target_s <= 0 || tpot_at(b) <= w.tpot_target_s;
                                   }));
  // 4. The replica at its capacity: what one copy serves, which sizes the fleet and its cost.
  set_batch(s, capacity);
  const Speed at_capacity = estimate_speed(speed_inputs(s));
  count += 1;
  c.replica.gpus = gpus;
  c.replica.concurrency = capacity;
  c.replica.tpot_s = at_capacity.tpot_s.expected;
  c.replica.ttft_s = at_capacity.ttft_s.expected;
  c.replica.request_s = c.replica.ttft_s + w.output_tokens * c.replica.tpot_s;
  c.replica.meets_latency = true;
  // 5. The fleet and its cost (serving_cost, as `gpuplan cost`).
  ServingDemand d;
  d.prompt_tokens = w.prompt_tokens;
  d.output_tokens = w.output_tokens;
  d.tokens_per_month = w.tokens_per_month > 0 ? w.tokens_per_month : derived_tokens_per_month(w);
  if (r.utilization > 0 && w.tokens_per_month <= 0) {
    d.tokens_per_month = r.utilization * c.replica.tokens_per_s(d) * kSecondsPerMonth;
  }
  d.peak_concurrency = w.users > 0 ? w.users : peak_from_volume(d, c.replica.request_s);
  if (w.users <= 0 && r.utilization > 0 && w.tokens_per_month <= 0) d.peak_concurrency = capacity;
  c.prices.api_input_usd_per_million = r.api.usd_per_million_input;
  c.prices.api_output_usd_per_million = r.api.usd_per_million_output;
  apply_price_overrides(c.prices, r.price_overrides);
  c.cost = serving_cost(d, c.replica, c.prices, r.utilization > 0 ? r.utilization : -1);
  c.demand = d;
  c.replicas = c.cost.replicas;
  c.fleet_gpus = c.cost.gpus;
  c.utilization = c.cost.utilization;
  // 6. The replica as the users see it at the peak: its share of the peak requests.
  c.batch = std::min(capacity, std::ceil(d.peak_concurrency / std::max(1.0, c.replicas)));
  set_batch(s, c.batch);
  c.estimate = estimate(s);
  count += 1;
  c.memory_per_gpu_bytes = c.estimate.memory.total_bytes;
  c.max_context = c.estimate.max_context;
  c.ttft_s = c.estimate.speed.ttft_s.expected;
  c.tpot_s = c.estimate.speed.tpot_s.expected;
  c.tokens_per_s = c.estimate.speed.aggregate_tokens_per_s.expected;
  if (w.ttft_target_s > 0 && c.ttft_s > w.ttft_target_s) {
    return reject(because(RejectReason::too_slow, "too slow: TTFT " + num(c.ttft_s, 2) + " s for a " +
                                                      format_tokens(w.prompt_tokens) + "-token prompt, target " +
                                                      num(w.ttft_target_s, 2) + " s"));
  }
  if (const ServingRule why = rule_priced(c.prices, r.ownership)) return reject(*why);
  choose_monthly(c, r.ownership);
  const double fleet_limit = r.filters.max_fleet_gpus > 0 ? r.filters.max_fleet_gpus : r.filters.max_gpus;
  if (c.fleet_gpus > fleet_limit) {
    return reject(because(RejectReason::fleet_over_limit,
                          "fleet of " + num(c.fleet_gpus, 0) + " GPUs exceeds the limit of " + num(fleet_limit, 0)));
  }
  c.feasible = true;
  return c;
}

Scenario candidate_scenario(const PlanRequest& r, const PlanCandidate& c) {
  RuntimeModel rt;
  const std::string name = r.filters.runtime.empty() ? default_serving_runtime(*c.gpu, c.precision) : r.filters.runtime;
  if (auto found = find_runtime(*r.catalog, name, c.gpu->vendor)) rt = found.value();
  Scenario s = serving_scenario(r, *c.gpu, c.gpus, c.precision, c.split, rt, nullptr);
  s.workload.context = r.serve.prompt_tokens + r.serve.output_tokens;
  set_batch(s, c.batch);
  return s;
}

PlanCandidate evaluate_training(const PlanRequest& r, const Gpu& gpu, const Precision& p, double* evaluated) {
  PlanCandidate c;
  c.gpu = &gpu;
  c.precision = p;
  const std::string framework = training_framework(r.framework, r.train.method);
  c.runtime = framework + "-training";
  c.prices = gpu_prices(gpu, r.catalog->prices);
  apply_price_overrides(c.prices, r.price_overrides);
  c.capacity_per_gpu_bytes = usable_memory_bytes(gpu);
  auto reject = [&c](Rejection why) -> PlanCandidate& {
    c.rejection = why.reason;
    c.reason = std::move(why.message);
    c.feasible = false;
    return c;
  };
  const TrainWorkload& t = r.train;
  // FP8 training: FP8 GEMMs, weights and optimizer states kept as in BF16 training.
  const bool fp8 = p.name == "fp8" && t.method != Mode::qlora && t.method != Mode::lora;
  if (fp8) {
    c.precision.quality = "FP8 GEMMs, BF16 master weights (Transformer Engine); published FP8 runs match BF16 loss";
    if (gpu.dense_flops.fp8 <= 0) return reject(because(RejectReason::no_fp8_tensor_cores, "no FP8 tensor cores"));
  }
  const bool quantised_base = p.kind != QuantKind::floating && !fp8;
  if (t.method == Mode::qlora && !quantised_base) return reject(because(RejectReason::qlora_needs_quantised_base));
  if (t.method != Mode::qlora && quantised_base) {
    return reject(because(RejectReason::quantised_base, p.name + " is quantised; this method trains in bf16"));
  }
  if (gpu.vendor == "apple" || gpu.vendor == "google") return reject(because(RejectReason::no_training_stack));
  if (c.prices.rent_usd_per_gpu_hour <= 0 && c.prices.purchase_usd_per_gpu <= 0) {
    return reject(because(RejectReason::no_price));
  }
  if (const ServingRule why = rule_priced(c.prices, r.ownership)) return reject(*why);

  Scenario s = r.base;
  s.precision = fp8 ? find_precision("bf16").value() : p;
  s.measured_weights = {};
  s.workload.mode = t.method;
  s.workload.context = t.seq;
  s.workload.batch = 1;
  s.gpu_memory_bytes = usable_memory_bytes(gpu);
  s.gpus = 1;
  c.estimate = estimate(s);
  TrainJob job;
  job.tokens = t.tokens;
  job.seq = t.seq;
  job.global_batch_seqs = std::max(1.0, std::round(t.global_batch_tokens / t.seq));
  const Cluster cluster = training_cluster(gpu, *r.catalog, r.network, r.gpus_per_node, framework, fp8);
  const TrainModel model = prepare_train_model(s, job);

  // Price per GPU-hour: rent on demand, or owned cards (idle hours paid through the utilisation).
  const double rent = c.prices.rent_usd_per_gpu_hour;
  const double own = c.prices.purchase_usd_per_gpu > 0 ? job_cost(1, c.prices, r.own_utilization).own_usd : 0;
  const bool use_own =
      r.ownership == Ownership::own || (r.ownership == Ownership::cheaper && own > 0 && (rent <= 0 || own < rent));
  c.cost_basis = use_own ? CostBasis::own : CostBasis::rent;
  const double usd_per_gpu_hour = use_own ? own : rent;

  SearchLimits limits;
  limits.max_gpus = gpu.tier == Tier::datacenter ? r.filters.max_gpus : std::min(r.filters.max_gpus, r.gpus_per_node);
  limits.deadline_s = t.deadline_s;
  limits.budget_usd = t.budget_usd;
  limits.usd_per_gpu_hour = usd_per_gpu_hour;
  limits.work = r.work;  // the plan's search passes what is left of its budget
  const SearchResult found = search_layouts(model, job, cluster, limits);
  if (evaluated != nullptr) *evaluated += std::max(1.0, found.evaluated);
  if (!found.found) {
    RejectReason why = RejectReason::no_layout;
    if (!found.rejected.empty()) {
      // The most telling reason: missing the deadline or budget beats the layout rules.
      why = found.rejected.front().reason;
      for (const RejectCount& n : found.rejected) {
        if (n.reason == RejectReason::misses_deadline || n.reason == RejectReason::over_budget) why = n.reason;
      }
    }
    return reject(because(why, std::string(describe(why)) + " (" + num(found.evaluated, 0) + " layouts on up to " +
                                   num(limits.max_gpus, 0) + " GPUs)"));
  }
  c.train_layout = found.cheapest;
  c.train_estimate = found.cheapest_estimate;
  c.gpus = found.gpus_cheapest;
  c.fleet_gpus = c.gpus;
  c.batch = c.train_layout.micro_batch;
  c.layout = to_string(c.train_layout);
  c.split = c.train_layout.tp > 1 ? Split::tensor : Split::layer;
  c.memory_per_gpu_bytes = c.train_estimate.memory_bytes;
  c.fits = true;
  c.tokens_per_s = c.train_estimate.tokens_per_s;
  c.wall_s = c.train_estimate.wall_s;
  c.gpu_hours = c.train_estimate.gpu_hours;
  c.job_usd = c.gpu_hours * usd_per_gpu_hour;
  c.utilization = r.own_utilization;
  c.feasible = true;
  return c;
}

double speed_figure(const PlanCandidate& c) {
  if (c.monthly_usd > 0 || c.tpot_s > 0) return c.tpot_s > 0 ? 1.0 / c.tpot_s : 0;
  return c.tokens_per_s;
}

bool ranks_before(const PlanCandidate& a, const PlanCandidate& b) {
  if (a.feasible != b.feasible) return a.feasible;
  if (!a.feasible) return false;
  // Cents decide; equal cost prefers the higher precision, then the faster, then fewer GPUs.
  const double ca = std::round(a.rank_usd() * 100), cb = std::round(b.rank_usd() * 100);
  if (ca != cb) return ca < cb;
  if (a.precision.linear_bits != b.precision.linear_bits) return a.precision.linear_bits > b.precision.linear_bits;
  if (speed_figure(a) != speed_figure(b)) return speed_figure(a) > speed_figure(b);
  return a.fleet_gpus < b.fleet_gpus;
}

bool dominates(const PlanCandidate& a, const PlanCandidate& b) {
  // Cost in cents, as the ranking; at equal cost the ranking prefers the higher precision, so a
  // lower precision does not dominate a higher one there (the best is never dominated).
  const double ca = std::round(a.rank_usd() * 100), cb = std::round(b.rank_usd() * 100);
  const double sa = speed_figure(a), sb = speed_figure(b);
  const double ba = a.precision.linear_bits, bb = b.precision.linear_bits;
  if (ca > cb || sa < sb) return false;
  if (ca < cb) return true;
  return ba >= bb && (sa > sb || ba > bb);
}

namespace {

bool tier_allowed(const PlanRequest& r, const Gpu& g) {
  if (r.filters.tier && g.tier != *r.filters.tier) return false;
  if (r.filters.gpus.empty()) return true;
  return std::any_of(r.filters.gpus.begin(), r.filters.gpus.end(),
                     [&g](const std::string& id) { return canonical_name(id) == canonical_name(g.id); });
}

struct SearchOut {
  std::vector<PlanCandidate> candidates;
  double evaluated = 0;
};

// `spent`: scenarios already evaluated for this plan (the main search, when searching a tier below).
SearchOut search(const PlanRequest& r, SearchStopper& stopper, double spent) {
  SearchOut out;
  const std::vector<Precision> precisions = plan_precisions(r);
  std::vector<PricedWeights> weights;
  weights.reserve(precisions.size());
  for (const Precision& p : precisions) weights.push_back(priced_weights(r.base.arch, p));
  [&] {  // returns at once when the work budget is spent or the caller cancels
    for (const Gpu& g : r.catalog->gpus) {
      if (!tier_allowed(r, g)) continue;
      if (r.kind == PlanKind::train) {
        for (const Precision& p : precisions) {
          if (stopper.stop(spent + out.evaluated)) return;
          PlanRequest budgeted = r;  // the layouts of this card get what is left of the budget
          if (r.work.max_evaluated > 0) budgeted.work.max_evaluated = r.work.max_evaluated - spent - out.evaluated;
          out.candidates.push_back(evaluate_training(budgeted, g, p, &out.evaluated));
        }
        continue;
      }
      for (double n : gpu_counts(r.gpus_per_node, r.filters.max_gpus)) {
        if (n > 1 && g.unified_memory) break;
        for (std::size_t i = 0; i < precisions.size(); ++i) {
          for (Split split : {Split::layer, Split::tensor}) {
            if (n == 1 && split == Split::tensor) continue;
            if (stopper.stop(spent + out.evaluated)) return;
            // Keep what was estimated; rules that rejected before any estimate are only counted.
            out.candidates.push_back(evaluate_serving(r, g, n, precisions[i], split, &out.evaluated, &weights[i]));
          }
        }
      }
    }
  }();
  // Rank by index, then move each candidate once (a candidate carries whole estimates).
  std::vector<std::size_t> order(out.candidates.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&out](std::size_t a, std::size_t b) { return ranks_before(out.candidates[a], out.candidates[b]); });
  std::vector<PlanCandidate> ranked;
  ranked.reserve(order.size());
  for (std::size_t i : order) ranked.push_back(std::move(out.candidates[i]));
  out.candidates = std::move(ranked);
  return out;
}

// Why a tier has no choice: the catalog has none of its cards, the filters dropped them all, or
// the commonest rejection of its candidates.
std::string tier_why_none(const PlanRequest& r, const std::vector<PlanCandidate>& cs, Tier tier) {
  const auto& gpus = r.catalog->gpus;
  const auto of_tier = [tier](const Gpu& g) { return g.tier == tier; };
  if (std::none_of(gpus.begin(), gpus.end(), of_tier)) {
    return std::string("no ") + to_string(tier) + " GPU in the catalog";
  }
  const bool searched =
      std::any_of(gpus.begin(), gpus.end(), [&](const Gpu& g) { return of_tier(g) && tier_allowed(r, g); });
  if (!searched) {
    std::string by;
    if (r.filters.tier && *r.filters.tier != tier) by = std::string("--tier ") + to_string(*r.filters.tier);
    if (!r.filters.gpus.empty()) {
      std::string list;
      for (const auto& id : r.filters.gpus) list += (list.empty() ? "" : ",") + id;
      by += (by.empty() ? "" : ", ") + std::string("--gpu ") + list;
    }
    return "filtered out (" + by + ")";
  }
  std::map<RejectReason, double> counts;
  std::map<RejectReason, std::string> example;  // the best-ranked candidate each rule rejected
  for (const auto& c : cs) {
    if (c.gpu->tier != tier || c.feasible || !c.rejection) continue;
    counts[*c.rejection] += 1;
    std::string& e = example[*c.rejection];
    if (e.empty()) e = c.gpu->id + " x" + num(c.gpus, 0) + " " + c.precision.name + ": " + c.reason;
  }
  if (counts.empty()) return std::string("no ") + to_string(tier) + " candidate evaluated";
  // Prefer the reasons that say what is missing (speed, price, fleet size) over "does not fit".
  const std::vector<RejectCount> ranked = commonest_first(counts);
  const auto telling = std::find_if(ranked.begin(), ranked.end(),
                                    [](const RejectCount& n) { return n.reason != RejectReason::does_not_fit; });
  const RejectCount& best = telling != ranked.end() ? *telling : ranked.front();
  return std::string(describe(best.reason)) + " (" + num(best.count, 0) + " candidates; e.g. " + example[best.reason] +
         ")";
}

// The candidates no other feasible candidate dominates, in ranking order (cheapest first, so the
// best leads whenever one is found).
std::vector<std::size_t> pareto_front(const std::vector<PlanCandidate>& cs) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].feasible) idx.push_back(i);
  }
  std::vector<std::size_t> front;
  for (std::size_t i : idx) {
    const bool dominated =
        std::any_of(idx.begin(), idx.end(), [&](std::size_t j) { return j != i && dominates(cs[j], cs[i]); });
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::string gives_up(const PlanCandidate& top, const PlanCandidate& low, std::string& how) {
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (low.precision.linear_bits < top.precision.linear_bits) {
    add("precision " + low.precision.name + " instead of " + top.precision.name + " (" + low.precision.quality + ")");
    how = "quantisation";
  }
  if (low.tpot_s > 0 && top.tpot_s > 0 && low.tpot_s > top.tpot_s * 1.05) {
    add("TPOT " + ms(low.tpot_s) + " instead of " + ms(top.tpot_s));
  }
  if (low.wall_s > 0 && top.wall_s > 0 && low.wall_s > top.wall_s * 1.05) {
    add(num(low.wall_s / 3600, 1) + " h instead of " + num(top.wall_s / 3600, 1) + " h");
  }
  if (low.batch < top.batch && low.monthly_usd > 0) {
    add(count_of(low.batch, "request") + " per replica instead of " + num(top.batch, 0) + " (" +
        count_of(low.replicas, "replica") + ")");
    how += how.empty() ? "batching" : ", batching";
  }
  if (low.fleet_gpus > top.fleet_gpus) add(count_of(low.fleet_gpus, "GPU") + " instead of " + num(top.fleet_gpus, 0));
  const double dc = low.rank_usd() - top.rank_usd();
  const std::string unit = low.monthly_usd > 0 ? "/month" : " for the job";
  if (dc > 0.5) add(dollars(dc, 0) + unit + " more");
  if (dc < -0.5) add(dollars(-dc, 0) + unit + " less");
  add("capex $" + num(low.fleet_gpus * low.prices.purchase_usd_per_gpu, 0) + " to buy vs $" +
      num(top.fleet_gpus * top.prices.purchase_usd_per_gpu, 0));
  return out;
}

OneTierLower one_tier_lower(const PlanRequest& r, const Plan& plan, double& evaluated, SearchStopper& stopper) {
  OneTierLower low;
  const PlanCandidate* top = plan.top();
  if (top == nullptr) {
    low.why_none = "no top choice";
    return low;
  }
  if (top->gpu->tier == Tier::consumer) {
    low.why_none = "the top choice is already on consumer cards";
    return low;
  }
  low.tier = static_cast<Tier>(static_cast<int>(top->gpu->tier) - 1);
  PlanRequest lr = r;
  lr.filters.tier = low.tier;
  lr.filters.gpus.clear();
  const bool serve = r.kind == PlanKind::serve;
  // Shrinking the context is the last resort (serving only): the asked context first.
  std::vector<double> contexts = {r.serve.context};
  if (serve) {
    for (double c = std::floor(r.serve.context / 2); c >= r.serve.prompt_tokens + r.serve.output_tokens; c /= 2) {
      contexts.push_back(std::floor(c));
    }
  }
  const bool covered = !r.filters.tier && r.filters.gpus.empty();  // the main search holds that tier
  for (double ctx : contexts) {
    lr.serve.context = ctx;
    const PlanCandidate* found = nullptr;
    SearchOut s;
    std::string why;
    if (ctx == r.serve.context && covered) {
      const TierChoice& t = plan.by_tier[static_cast<int>(low.tier)];
      if (t.found) found = &plan.candidates[t.index];
      why = t.why_none;
    } else {
      s = search(lr, stopper, evaluated);
      evaluated += s.evaluated;
      if (!s.candidates.empty() && s.candidates.front().feasible) found = &s.candidates.front();
      why = tier_why_none(lr, s.candidates, low.tier);
    }
    if (found == nullptr) {
      if (low.why_none.empty()) low.why_none = why;
      if (!serve) break;
      continue;
    }
    low.available = true;
    low.candidate = *found;
    low.context = ctx;
    low.gives_up = gives_up(*top, *found, low.how);
    if (ctx < r.serve.context) {
      low.gives_up = "context " + format_tokens(ctx) + " instead of " + format_tokens(r.serve.context) +
                     (low.gives_up.empty() ? "" : "; ") + low.gives_up;
      low.how += low.how.empty() ? "a smaller context" : ", a smaller context";
    }
    if (low.how.empty()) low.how = "the same settings";
    low.why_none.clear();
    break;
  }
  return low;
}

}  // namespace

Plan make_plan(const PlanRequest& r) {
  Plan plan;
  plan.kind = r.kind;
  if (r.catalog == nullptr) return plan;
  if (r.kind == PlanKind::serve) {
    plan.tokens_per_month_derived = r.serve.tokens_per_month <= 0;
    plan.tokens_per_month =
        plan.tokens_per_month_derived ? derived_tokens_per_month(r.serve) : r.serve.tokens_per_month;
  }
  SearchStopper stopper(r.work);
  SearchOut s = search(r, stopper, 0);
  plan.candidates = std::move(s.candidates);
  plan.candidates_evaluated = s.evaluated;
  plan.found = !plan.candidates.empty() && plan.candidates.front().feasible;
  plan.best = 0;
  std::map<RejectReason, double> rejected;
  for (const auto& c : plan.candidates) {
    if (!c.feasible && c.rejection) rejected[*c.rejection] += 1;
  }
  plan.rejected = commonest_first(rejected);
  for (int t = 0; t < 3; ++t) {
    TierChoice& choice = plan.by_tier[t];
    choice.tier = static_cast<Tier>(t);
    for (std::size_t i = 0; i < plan.candidates.size(); ++i) {
      if (plan.candidates[i].feasible && plan.candidates[i].gpu->tier == choice.tier) {
        choice.found = true;
        choice.index = i;
        break;
      }
    }
    if (!choice.found) choice.why_none = tier_why_none(r, plan.candidates, choice.tier);
  }
  plan.pareto = pareto_front(plan.candidates);
  plan.lower = one_tier_lower(r, plan, plan.candidates_evaluated, stopper);
  plan.stopped = stopper.why();
  plan.findings = advise(r, plan);
  return plan;
}

}  // namespace gpuplan
