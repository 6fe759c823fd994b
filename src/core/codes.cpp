#include "gpuplan/codes.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace gpuplan {
namespace {

// Reads `text` back through `to_string` over every value of the enum: one spelling, in one place.
template <typename E, std::size_t N>
std::optional<E> parse_by_name(std::string_view text, const std::array<E, N>& all) {
  for (E e : all) {
    if (text == to_string(e)) return e;
  }
  return std::nullopt;
}

// Reads `text` back for an enum whose to_string returns "" past its last value: every value is
// found by counting up from 0, so a value added to the enum (and its switch) parses at once.
template <typename E>
std::optional<E> parse_by_count(std::string_view text) {
  for (int i = 0;; ++i) {
    const char* name = to_string(static_cast<E>(i));
    if (*name == '\0') return std::nullopt;
    if (text == name) return static_cast<E>(i);
  }
}

constexpr std::array kMemoryTerms = {MemoryTerm::weights,   MemoryTerm::kv_cache,  MemoryTerm::activations,
                                     MemoryTerm::gradients, MemoryTerm::optimizer, MemoryTerm::adapters,
                                     MemoryTerm::overhead};

}  // namespace

const char* to_string(MemoryTerm term) {
  switch (term) {
    case MemoryTerm::weights: return "weights";
    case MemoryTerm::kv_cache: return "kv_cache";
    case MemoryTerm::activations: return "activations";
    case MemoryTerm::gradients: return "gradients";
    case MemoryTerm::optimizer: return "optimizer";
    case MemoryTerm::adapters: return "adapters";
    case MemoryTerm::overhead: return "overhead";
  }
  return "overhead";
}

const char* describe(MemoryTerm term) {
  switch (term) {
    case MemoryTerm::kv_cache: return "KV cache";
    case MemoryTerm::optimizer: return "optimizer states";
    default: return to_string(term);
  }
}

std::optional<MemoryTerm> parse_memory_term(std::string_view text) {
  return parse_by_name(text, kMemoryTerms);
}

const char* to_string(CostBasis basis) {
  return basis == CostBasis::own ? "own" : "rent";
}

std::optional<CostBasis> parse_cost_basis(std::string_view text) {
  return parse_by_name(text, std::array{CostBasis::rent, CostBasis::own});
}

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "error";
}

std::optional<Severity> parse_severity(std::string_view text) {
  return parse_by_name(text, std::array{Severity::info, Severity::warning, Severity::error});
}

const char* to_string(ErrorStyle style) {
  switch (style) {
    case ErrorStyle::v0: return "v0";
    case ErrorStyle::v1: return "v1";
    case ErrorStyle::sglang: return "sglang";
    case ErrorStyle::trtllm: return "trtllm";
  }
  return "v1";
}

std::optional<ErrorStyle> parse_error_style(std::string_view text) {
  return parse_by_name(text, std::array{ErrorStyle::v0, ErrorStyle::v1, ErrorStyle::sglang, ErrorStyle::trtllm});
}

const char* to_string(Vendor vendor) {
  switch (vendor) {
    case Vendor::other: return "other";
    case Vendor::nvidia: return "nvidia";
    case Vendor::amd: return "amd";
    case Vendor::intel: return "intel";
    case Vendor::apple: return "apple";
    case Vendor::google: return "google";
  }
  return "";
}

std::optional<Vendor> parse_vendor(std::string_view text) {
  return parse_by_count<Vendor>(text);
}

const char* to_string(Bound bound) {
  switch (bound) {
    case Bound::memory: return "memory";
    case Bound::compute: return "compute";
  }
  return "";
}

std::optional<Bound> parse_bound(std::string_view text) {
  return parse_by_count<Bound>(text);
}

const char* to_string(SpeedModel model) {
  switch (model) {
    case SpeedModel::roofline: return "roofline";
    case SpeedModel::serving: return "serving";
  }
  return "";
}

std::optional<SpeedModel> parse_speed_model(std::string_view text) {
  return parse_by_count<SpeedModel>(text);
}

const char* to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::unknown_runtime: return "unknown_runtime";
    case RejectReason::gguf_needs_llama_cpp: return "gguf_needs_llama_cpp";
    case RejectReason::llama_cpp_needs_gguf: return "llama_cpp_needs_gguf";
    case RejectReason::runtime_not_on_apple: return "runtime_not_on_apple";
    case RejectReason::no_fp8_tensor_cores: return "no_fp8_tensor_cores";
    case RejectReason::unified_memory_single_device: return "unified_memory_single_device";
    case RejectReason::tp_crosses_nodes: return "tp_crosses_nodes";
    case RejectReason::tp_heads: return "tp_heads";
    case RejectReason::tp_kv_heads: return "tp_kv_heads";
    case RejectReason::does_not_fit: return "does_not_fit";
    case RejectReason::too_slow: return "too_slow";
    case RejectReason::no_rental_price: return "no_rental_price";
    case RejectReason::no_purchase_price: return "no_purchase_price";
    case RejectReason::no_price: return "no_price";
    case RejectReason::fleet_over_limit: return "fleet_over_limit";
    case RejectReason::qlora_needs_quantised_base: return "qlora_needs_quantised_base";
    case RejectReason::quantised_base: return "quantised_base";
    case RejectReason::no_training_stack: return "no_training_stack";
    case RejectReason::no_layout: return "no_layout";
    case RejectReason::gpu_count_mismatch: return "gpu_count_mismatch";
    case RejectReason::pp_layers: return "pp_layers";
    case RejectReason::pp_more_than_layers: return "pp_more_than_layers";
    case RejectReason::ep_dense: return "ep_dense";
    case RejectReason::ep_experts: return "ep_experts";
    case RejectReason::ep_group: return "ep_group";
    case RejectReason::cp_sequence: return "cp_sequence";
    case RejectReason::batch_indivisible: return "batch_indivisible";
    case RejectReason::layout_does_not_fit: return "layout_does_not_fit";
    case RejectReason::misses_deadline: return "misses_deadline";
    case RejectReason::over_budget: return "over_budget";
    case RejectReason::tier_not_in_catalog: return "tier_not_in_catalog";
    case RejectReason::tier_filtered_out: return "tier_filtered_out";
    case RejectReason::tier_not_evaluated: return "tier_not_evaluated";
  }
  return "";
}

const char* describe(RejectReason reason) {
  switch (reason) {
    case RejectReason::unknown_runtime: return "unknown runtime";
    case RejectReason::gguf_needs_llama_cpp: return "GGUF types run on llama.cpp";
    case RejectReason::llama_cpp_needs_gguf: return "llama.cpp runs GGUF types";
    case RejectReason::runtime_not_on_apple: return "the runtime does not run on Apple GPUs";
    case RejectReason::no_fp8_tensor_cores: return "fp8 needs FP8 tensor cores";
    case RejectReason::unified_memory_single_device: return "unified-memory machines serve on one device";
    case RejectReason::tp_crosses_nodes: return "tensor parallelism crosses nodes";
    case RejectReason::tp_heads: return "tensor parallelism does not divide the attention heads";
    case RejectReason::tp_kv_heads: return "tensor parallelism does not divide the KV heads";
    case RejectReason::does_not_fit: return "does not fit";
    case RejectReason::too_slow: return "too slow";
    case RejectReason::no_rental_price: return "no rental price in the catalog";
    case RejectReason::no_purchase_price: return "no purchase price in the catalog";
    case RejectReason::no_price: return "no rental or purchase price in the catalog";
    case RejectReason::fleet_over_limit: return "the fleet exceeds the GPU limit";
    case RejectReason::qlora_needs_quantised_base: return "QLoRA trains adapters on a quantised base";
    case RejectReason::quantised_base: return "a quantised base; this method trains in bf16";
    case RejectReason::no_training_stack: return "no Megatron/DeepSpeed-style training stack";
    case RejectReason::no_layout: return "no layout";
    case RejectReason::gpu_count_mismatch: return "tp x pp x dp x cp differs from the GPU count";
    case RejectReason::pp_layers: return "pipeline stages do not divide the layers";
    case RejectReason::pp_more_than_layers: return "more pipeline stages than layers";
    case RejectReason::ep_dense: return "expert parallelism on a dense model";
    case RejectReason::ep_experts: return "expert parallelism does not divide the experts";
    case RejectReason::ep_group:
      return "expert parallelism must divide the data-parallel (or tensor x data-parallel) group";
    case RejectReason::cp_sequence: return "context parallelism does not divide the sequence";
    case RejectReason::batch_indivisible: return "global batch not divisible by dp x micro-batch";
    case RejectReason::layout_does_not_fit: return "does not fit in GPU memory";
    case RejectReason::misses_deadline: return "misses the deadline";
    case RejectReason::over_budget: return "over the budget";
    case RejectReason::tier_not_in_catalog: return "no card of the tier in the catalog";
    case RejectReason::tier_filtered_out: return "the tier's cards were filtered out";
    case RejectReason::tier_not_evaluated: return "no candidate of the tier evaluated";
  }
  return "";
}

std::optional<RejectReason> parse_reject_reason(std::string_view text) {
  return parse_by_count<RejectReason>(text);
}

std::vector<RejectCount> commonest_first(const std::map<RejectReason, double>& counts) {
  std::vector<RejectCount> out;
  out.reserve(counts.size());
  for (const auto& [reason, n] : counts) out.push_back({reason, n});
  std::sort(out.begin(), out.end(), [](const RejectCount& a, const RejectCount& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::strcmp(describe(a.reason), describe(b.reason)) < 0;
  });
  return out;
}

}  // namespace gpuplan
