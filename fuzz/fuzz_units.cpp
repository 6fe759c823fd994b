// Fuzz target: the quantity parsers (parse_count, parse_tokens, parse_bytes, parse_duration,
// parse_positive) and the precision lookups (find_precision, kv_bytes_per_element) on the input
// taken as text, and the formatters (format_gib, format_gb, format_count, format_tokens) on what
// parses. Invariants: a successful parse is finite and > 0 (parse_tokens: an integer >= 1); a found
// precision has finite, positive bit widths; a KV element size is finite and > 0; a formatted
// quantity is not empty.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gpuplan/precision.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/units.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view text, double value) {
  std::fprintf(stderr, "fuzz_units: invariant violated: %s(\"%.*s\") = %g\n", what, static_cast<int>(text.size()),
               text.data(), value);
  std::abort();
}

void check_positive(const char* what, std::string_view text, const gpuplan::Result<double>& r) {
  if (!r) return;
  const double v = r.value();
  if (!std::isfinite(v) || v <= 0) fail(what, text, v);
  if (gpuplan::format_gib(v).empty() || gpuplan::format_gb(v).empty() || gpuplan::format_count(v).empty() ||
      gpuplan::format_tokens(v).empty()) {
    fail("format_* (empty)", text, v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  check_positive("parse_count", text, gpuplan::parse_count(text, "count"));
  const auto tokens = gpuplan::parse_tokens(text, "tokens");
  check_positive("parse_tokens", text, tokens);
  if (tokens && (tokens.value() < 1 || std::floor(tokens.value()) != tokens.value())) {
    fail("parse_tokens (not an integer >= 1)", text, tokens.value());
  }
  check_positive("parse_bytes", text, gpuplan::parse_bytes(text, "bytes"));
  check_positive("parse_positive", text, gpuplan::parse_positive(text, "positive"));
  check_positive("parse_duration", text, gpuplan::parse_duration(text, "duration"));

  if (const auto p = gpuplan::find_precision(text)) {
    const gpuplan::Precision& prec = p.value();
    const double bits[] = {prec.linear_bits, prec.embed_bits, prec.vector_bits, prec.compute_bytes};
    for (const double b : bits) {
      if (!std::isfinite(b) || b <= 0) fail("find_precision", text, b);
    }
    if (prec.name.empty()) fail("find_precision (empty name)", text, 0);
  }
  check_positive("kv_bytes_per_element", text, gpuplan::kv_bytes_per_element(text));
  return 0;
}
