#include "gpuplan/codes.hpp"

#include <array>
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

}  // namespace gpuplan
