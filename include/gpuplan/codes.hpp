// The codes gpuplan decides on, as enums: which memory term binds, what a plan's cost is based on,
// how severe a finding is. Control flow switches over these; text and JSON print them through the
// one to_string here, and parse_* reads the same spelling back (nullopt for anything else).
#pragma once
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace gpuplan {

// The largest term of a memory breakdown (Estimate::binding).
enum class MemoryTerm { weights, kv_cache, activations, gradients, optimizer, adapters, overhead };
const char* to_string(MemoryTerm term);  // "weights", "kv_cache", ... (the JSON spelling)
const char* describe(MemoryTerm term);   // "weights", "KV cache", "optimizer states", ... (prose)
std::optional<MemoryTerm> parse_memory_term(std::string_view text);

// What a plan candidate's price is: renting the cards or owning them.
enum class CostBasis { rent, own };
const char* to_string(CostBasis basis);  // "rent", "own"
std::optional<CostBasis> parse_cost_basis(std::string_view text);

// How much a plan finding matters.
enum class Severity { info, warning, error };
const char* to_string(Severity severity);  // "info", "warning", "error"
std::optional<Severity> parse_severity(std::string_view text);

// Which engine's wording a "does not fit" error takes (EngineSpec::error_style, data/engines.json):
// vLLM V0 and V1, SGLang, TensorRT-LLM. V1 also sizes sliding-window layers' KV at the window.
enum class ErrorStyle { v0, v1, sglang, trtllm };
const char* to_string(ErrorStyle style);  // "v0", "v1", "sglang", "trtllm" (the catalog spelling)
std::optional<ErrorStyle> parse_error_style(std::string_view text);

// Who makes a card (Gpu::vendor_kind, from the catalog's "vendor"): which software stacks run on it.
enum class Vendor { other, nvidia, amd, intel, apple, google };
const char* to_string(Vendor vendor);  // "other", "nvidia", "amd", ... (the catalog spelling)
std::optional<Vendor> parse_vendor(std::string_view text);

// Which roof a phase of a speed estimate sits under (Speed::bound, Speed::prefill_bound).
enum class Bound { memory, compute };
const char* to_string(Bound bound);  // "memory", "compute"
std::optional<Bound> parse_bound(std::string_view text);

// How a runtime's speed is estimated (RuntimeModel::speed_model, data/runtimes.json "speed_model"):
// the single-stream roofline of speed.hpp (llama.cpp, training stacks), or the continuous-batching
// step model under load of serving.hpp (vLLM, SGLang, TensorRT-LLM, transformers), calibrated per
// (engine, GPU family) in data/serving_calibration.json.
enum class SpeedModel { roofline, serving };
const char* to_string(SpeedModel model);  // "roofline", "serving"
std::optional<SpeedModel> parse_speed_model(std::string_view text);

// The rule that rejected a plan candidate (PlanCandidate::rejection) or a training layout
// (TrainEstimate::rejected). to_string is the JSON code ("does_not_fit"); describe is the rule in
// words as the text reports count it ("does not fit"); a candidate's own message adds its figures.
enum class RejectReason {
  // serving candidates (evaluate_serving)
  unknown_runtime,               // the runtime is not in the catalog
  gguf_needs_llama_cpp,          // GGUF types on a runtime other than llama.cpp
  llama_cpp_needs_gguf,          // llama.cpp with a type that is not GGUF or 16-bit float
  runtime_not_on_apple,          // a runtime other than llama.cpp on an Apple GPU
  no_fp8_tensor_cores,           // fp8 on a card without FP8 tensor cores (also training)
  unified_memory_single_device,  // more than one unified-memory machine per replica
  tp_crosses_nodes,              // tensor parallelism wider than a node (also training)
  tp_heads,                      // tensor parallelism does not divide the attention heads (also training)
  tp_kv_heads,                   // tensor parallelism does not divide the KV heads (also training)
  does_not_fit,                  // one request at the longest context does not fit at launch
  too_slow,                      // TPOT at one request or TTFT at the peak over its target
  no_rental_price,               // --pay rent and the card has no rental price
  no_purchase_price,             // --pay own and the card has no purchase price
  no_price,                      // neither price (also training)
  fleet_over_limit,              // the fleet needs more cards than --max-gpus
  // training candidates (evaluate_training)
  qlora_needs_quantised_base,  // QLoRA with a float precision
  quantised_base,              // another method with a quantised precision
  no_training_stack,           // a vendor without a Megatron/DeepSpeed-style stack
  no_layout,                   // the layout search evaluated nothing
  // training layouts (evaluate_layout, search_layouts)
  gpu_count_mismatch,   // tp x pp x dp x cp is not the GPU count
  pp_layers,            // pipeline stages do not divide the layers
  pp_more_than_layers,  // more pipeline stages than layers (uneven pipelines allowed)
  ep_dense,             // expert parallelism on a dense model
  ep_experts,           // expert parallelism does not divide the experts
  ep_group,             // expert parallelism does not divide the data-parallel group
  cp_sequence,          // context parallelism does not divide the sequence
  batch_indivisible,    // the global batch is not a multiple of dp x micro-batch
  layout_does_not_fit,  // the layout's memory per GPU exceeds the card
  misses_deadline,      // the job takes longer than --deadline
  over_budget,          // the job costs more than --budget
  // a plan tier without a choice (tier_why_none), when no candidate rule explains it
  tier_not_in_catalog,  // the catalog has no card of the tier
  tier_filtered_out,    // --tier / --gpu left none of its cards in the search
  tier_not_evaluated,   // its cards were searched but no candidate was evaluated (work budget)
};
const char* to_string(RejectReason reason);  // "does_not_fit", ... (the JSON code)
const char* describe(RejectReason reason);   // "does not fit", ... (the rule in words)
std::optional<RejectReason> parse_reject_reason(std::string_view text);

// How many candidates or layouts one rule rejected.
struct RejectCount {
  RejectReason reason = RejectReason::does_not_fit;
  double count = 0;
};
// The counts, commonest first; equal counts in the order of their descriptions.
std::vector<RejectCount> commonest_first(const std::map<RejectReason, double>& counts);

}  // namespace gpuplan
