// Serving candidates: the rules a replica must obey, its scenario, and its evaluation step by step
// (fits at launch, requests it holds, latency, fleet and cost, the replica at the peak).
#include <algorithm>
#include <cmath>

#include "gpuplan/memory.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "plan_rules.hpp"
#include "plan_text.hpp"

namespace gpuplan {
namespace {

using plan_rules::because;
using plan_rules::CandidateRule;
using plan_rules::is_gguf;
using plan_rules::kSecondsPerMonth;
using plan_rules::rejected;
using plan_rules::Rejection;
using plan_text::ms;
using plan_text::num;

// The memory family of a runtime's engine (data/engines.json): llamacpp for llama.cpp and Ollama.
EngineFamily engine_family(const Catalog& catalog, const std::string& runtime) {
  auto engine = find_engine(catalog, runtime);
  return engine ? engine.value()->family : EngineFamily::none;
}

// ---- the rules a serving candidate must obey, one function each; nullopt when it holds ----

CandidateRule rule_runtime_runs_precision(const Gpu& gpu, const Precision& p, const RuntimeModel& rt,
                                          EngineFamily family) {
  const bool llama_cpp = family == EngineFamily::llamacpp;
  if (is_gguf(p) && !llama_cpp) {
    return because(RejectReason::gguf_needs_llama_cpp, "GGUF types run on llama.cpp, not " + rt.runtime);
  }
  if (!is_gguf(p) && llama_cpp && !(p.kind == QuantKind::floating && p.linear_bits == 16)) {
    return because(RejectReason::llama_cpp_needs_gguf, "llama.cpp runs GGUF types (use q8_0 or q4_k_m), not " + p.name);
  }
  if (gpu.vendor_kind == Vendor::apple && !llama_cpp) {
    return because(RejectReason::runtime_not_on_apple, rt.runtime + " does not run on Apple GPUs");
  }
  return {};
}

CandidateRule rule_card_supports_precision(const Gpu& gpu, const Precision& p) {
  if (p.name == "fp8" && gpu.dense_flops.fp8 <= 0) {
    return because(RejectReason::no_fp8_tensor_cores, "fp8 needs FP8 tensor cores (Ada, Hopper, Blackwell, MI300)");
  }
  return {};
}

CandidateRule rule_gpu_count_allowed(const Gpu& gpu, double gpus) {
  if (gpus > 1 && gpu.unified_memory) return because(RejectReason::unified_memory_single_device);
  return {};
}

CandidateRule rule_split_valid(const ModelArch& a, double gpus, Split split, double gpus_per_node) {
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
  s.expert_parallel = r.filters.expert_parallel ? gpus : 1;
  s.data_parallel = r.filters.attention_data_parallel ? gpus : 1;
  s.serving_calibration =
      find_serving_calibration(r.catalog->serving_calibrations, rt.runtime, arch_family(gpu.architecture));
  // Memory as the serving engine allocates it (the same engine plan as `fit --runtime`): vLLM's
  // fraction of the card and its KV pool, llama.cpp's buffers with every layer on the GPUs.
  if (auto engine = find_engine(*r.catalog, rt.runtime)) {
    s.engine_spec = *engine.value();
    s.engine_spec.auto_layers = false;  // the speed model assumes every layer on the GPUs
    s.engine = EngineSettings{};
    s.engine.tp = engine_weight_ranks(s);
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

namespace {

// One serving candidate under evaluation: its scenario, changed step by step, and the count of
// scenarios estimated. Each step fills part of the candidate, or says which rule it fails.
struct ServingEval {
  const PlanRequest& r;
  const ServeWorkload& w;
  PlanCandidate& c;
  Scenario& s;
  double& count;
  ServingPool pool;  // what one replica's KV pool holds (requests_held)

  // 1. At launch: one request at the longest context must fit (vLLM refuses to start otherwise).
  CandidateRule fits_at_launch() {
    s.workload.context = w.context;
    set_batch(s, 1);
    const Estimate longest = estimate(s);
    count += 1;
    c.estimate = longest;
    c.memory_per_gpu_bytes = longest.memory.total_bytes;
    c.fits = longest.fits;
    if (longest.fits) return {};
    return because(RejectReason::does_not_fit, "does not fit: one " + format_tokens(w.context) +
                                                   "-token request needs " + format_gib(longest.memory.total_bytes) +
                                                   " per GPU, " + format_gib(longest.capacity_bytes) + " available");
  }

  // 2. Memory: how many average requests one replica holds (the hardware's capacity, not the load).
  void requests_held() {
    s.workload.context = w.prompt_tokens + w.output_tokens;
    set_batch(s, std::max(1.0, w.users));
    const Estimate at_users = estimate(s);
    count += 1;
    c.max_concurrency_memory = std::max(1.0, at_users.max_batch);
    pool = serving_pool(s, at_users);
  }

  Latency speed_at(double batch) {
    set_batch(s, batch);
    count += 1;
    return scenario_latency(s, pool);
  }

  // Under the serving model TTFT grows with the requests in flight (their prefills share the
  // steps); the roofline's TTFT is one prompt alone.
  bool meets_latency(const Latency& l) const {
    return (w.tpot_target_s <= 0 || l.tpot_s <= w.tpot_target_s) &&
           (w.ttft_target_s <= 0 || l.ttft_s <= w.ttft_target_s);
  }

  // 3. Latency: the most requests per replica that still meet the TPOT and TTFT targets (`capacity`).
  CandidateRule meets_tpot(double& capacity) {
    if (w.tpot_target_s > 0 || w.ttft_target_s > 0) {
      const Latency one = speed_at(1);
      if (w.tpot_target_s > 0 && one.tpot_s > w.tpot_target_s) {
        c.tpot_s = one.tpot_s;
        return because(RejectReason::too_slow,
                       "too slow: TPOT " + ms(c.tpot_s) + " at one request, target " + ms(w.tpot_target_s));
      }
      if (w.ttft_target_s > 0 && one.ttft_s > w.ttft_target_s) {
        c.ttft_s = one.ttft_s;
        return because(RejectReason::too_slow, "too slow: TTFT " + num(c.ttft_s, 2) + " s for one " +
                                                   format_tokens(w.prompt_tokens) + "-token prompt, target " +
                                                   num(w.ttft_target_s, 2) + " s");
      }
    }
    capacity =
        std::max(1.0, largest_fitting(c.max_concurrency_memory, [&](double b) { return meets_latency(speed_at(b)); }));
    return {};
  }

  // 4. The replica at its capacity: what one copy serves, which sizes the fleet and its cost.
  void replica_at(double capacity) {
    const Latency at_capacity = speed_at(capacity);
    c.replica.gpus = c.gpus;
    c.replica.concurrency = capacity;
    c.replica.tpot_s = at_capacity.tpot_s;
    c.replica.ttft_s = at_capacity.ttft_s;
    c.replica.request_s = c.replica.ttft_s + w.output_tokens * c.replica.tpot_s;
    c.replica.meets_latency = true;
  }

  // 5. The fleet and its cost (serving_cost, as `gpuplan cost`).
  void fleet(double capacity) {
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
  }

  // 6. The replica as the users see it at the peak: its share of the peak requests.
  CandidateRule at_peak(double capacity) {
    c.batch = std::min(capacity, std::ceil(c.demand.peak_concurrency / std::max(1.0, c.replicas)));
    set_batch(s, c.batch);
    c.estimate = estimate(s);
    count += 1;
    c.memory_per_gpu_bytes = c.estimate.memory.total_bytes;
    c.max_context = c.estimate.max_context;
    c.ttft_s = c.estimate.speed.ttft_s.expected;
    c.tpot_s = c.estimate.speed.tpot_s.expected;
    c.tokens_per_s = c.estimate.speed.aggregate_tokens_per_s.expected;
    if (w.ttft_target_s > 0 && c.ttft_s > w.ttft_target_s) {
      return because(RejectReason::too_slow, "too slow: TTFT " + num(c.ttft_s, 2) + " s for a " +
                                                 format_tokens(w.prompt_tokens) + "-token prompt, target " +
                                                 num(w.ttft_target_s, 2) + " s");
    }
    return {};
  }

  // 7. Money and size: a price to pay, and a fleet within the limit.
  CandidateRule priced_within_limit() {
    if (CandidateRule why = plan_rules::rule_priced(c.prices, r.ownership)) return why;
    choose_monthly(c, r.ownership);
    const double fleet_limit = r.filters.max_fleet_gpus > 0 ? r.filters.max_fleet_gpus : r.filters.max_gpus;
    if (c.fleet_gpus > fleet_limit) {
      return because(RejectReason::fleet_over_limit,
                     "fleet of " + num(c.fleet_gpus, 0) + " GPUs exceeds the limit of " + num(fleet_limit, 0));
    }
    return {};
  }
};

// The candidate before any rule: the card, its count, precision, split and prices.
PlanCandidate serving_candidate(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split) {
  PlanCandidate c;
  c.gpu = &gpu;
  c.gpus = gpus;
  c.precision = p;
  c.split = split;
  c.layout = layout_text(gpus, split);
  if (gpus > 1 && r.filters.attention_data_parallel) c.layout += ", attention data parallel";
  if (gpus > 1 && r.filters.expert_parallel) c.layout += ", experts over " + num(gpus, 0);
  c.prices = gpu_prices(gpu, r.catalog->prices);
  c.capacity_per_gpu_bytes = usable_memory_bytes(gpu);
  return c;
}

// The rules checked before any estimate: the runtime runs the precision on the card, the card
// count and the split are allowed.
CandidateRule serving_rules(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split,
                            const RuntimeModel& rt) {
  const EngineFamily family = engine_family(*r.catalog, rt.runtime);
  for (CandidateRule why :
       {rule_runtime_runs_precision(gpu, p, rt, family), rule_card_supports_precision(gpu, p),
        rule_gpu_count_allowed(gpu, gpus), rule_split_valid(r.base.arch, gpus, split, r.gpus_per_node)}) {
    if (why) return why;
  }
  return {};
}

}  // namespace

PlanCandidate evaluate_serving(const PlanRequest& r, const Gpu& gpu, double gpus, const Precision& p, Split split,
                               double* evaluated, const PricedWeights* weights) {
  PlanCandidate c = serving_candidate(r, gpu, gpus, p, split);
  double local_count = 0;
  double& count = evaluated != nullptr ? *evaluated : local_count;
  const std::string rt_name = r.filters.runtime.empty() ? default_serving_runtime(gpu, p) : r.filters.runtime;
  auto rt = find_runtime(*r.catalog, rt_name, gpu.vendor);
  if (!rt) return rejected(c, because(RejectReason::unknown_runtime, rt.error().message));
  c.runtime = rt.value().id;
  if (CandidateRule why = serving_rules(r, gpu, gpus, p, split, rt.value())) return rejected(c, std::move(*why));
  Scenario s = serving_scenario(r, gpu, gpus, p, split, rt.value(), weights);
  ServingEval e{r, r.serve, c, s, count, {}};
  if (CandidateRule why = e.fits_at_launch()) return rejected(c, std::move(*why));
  e.requests_held();
  double capacity = 1;
  if (CandidateRule why = e.meets_tpot(capacity)) return rejected(c, std::move(*why));
  e.replica_at(capacity);
  e.fleet(capacity);
  if (CandidateRule why = e.at_peak(capacity)) return rejected(c, std::move(*why));
  if (CandidateRule why = e.priced_within_limit()) return rejected(c, std::move(*why));
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

}  // namespace gpuplan
