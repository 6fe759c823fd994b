// The plan's common pieces: workload figures, prices, links, the GPU counts and precisions a
// search tries. Serving candidates: plan_serving.cpp; training candidates: plan_training.cpp;
// the search, its ranking, tiers and Pareto front: plan_search.cpp.
#include "gpuplan/plan.hpp"

#include <algorithm>
#include <cmath>

#include "gpuplan/memory.hpp"
#include "plan_rules.hpp"

namespace gpuplan {

using plan_rules::is_gguf;
using plan_rules::kSecondsPerMonth;

namespace plan_rules {

CandidateRule rule_priced(const Prices& p, Ownership o) {
  const bool rent = p.rent_usd_per_gpu_hour > 0;
  const bool own = p.purchase_usd_per_gpu > 0 && p.gpu_tdp_w > 0;
  if (o == Ownership::rent && !rent) return because(RejectReason::no_rental_price);
  if (o == Ownership::own && !own) return because(RejectReason::no_purchase_price);
  if (!rent && !own) return because(RejectReason::no_price);
  return {};
}

}  // namespace plan_rules

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
  if (is_gguf(p) || gpu.vendor_kind == Vendor::apple) return "llama.cpp";
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

}  // namespace gpuplan
