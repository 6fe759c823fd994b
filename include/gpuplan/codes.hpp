// The codes gpuplan decides on, as enums: which memory term binds, what a plan's cost is based on,
// how severe a finding is. Control flow switches over these; text and JSON print them through the
// one to_string here, and parse_* reads the same spelling back (nullopt for anything else).
#pragma once
#include <optional>
#include <string_view>

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

}  // namespace gpuplan
