// Fuzz target: io::parse_hf_config (config.json of any model_type, multimodal text_config,
// quantization_config). Invariants on every accepted config:
//  - the architecture validates and every count_params() field is finite, >= 0, active <= total;
//  - an inference estimate in the config's own precision (bf16 when it has none) is finite;
//    q4_k_m is priced layer by layer and checked up to 4096 layers, as in fuzz_models_json.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/estimate.hpp"
#include "gpuplan/io/hf_config.hpp"

namespace {

void check(bool ok, const char* what, double value = 0) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_hf_config: invariant violated: %s (%g)\n", what, value);
  std::abort();
}

void check_estimate(const gpuplan::ModelArch& arch, const char* precision) {
  auto p = gpuplan::find_precision(precision);
  check(p.has_value(), "precision exists");
  gpuplan::Scenario s;
  s.arch = arch;
  s.precision = p.value();
  s.gpu_memory_bytes = 24.0 * (1ull << 30);
  const gpuplan::Estimate e = gpuplan::estimate(s);
  check(std::isfinite(e.memory.total_bytes) && e.memory.total_bytes >= 0, "total bytes", e.memory.total_bytes);
  check(std::isfinite(e.max_context) && e.max_context >= 0, "max_context", e.max_context);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = gpuplan::io::parse_hf_config(text);
  if (!parsed) return 0;
  const auto& cfg = parsed.value();
  check(gpuplan::validate_arch(cfg.arch).empty(), "architecture validates");
  const auto c = gpuplan::count_params(cfg.arch);
  for (double v : {c.total, c.active, c.embedding, c.lm_head, c.routed_experts, c.mtp, c.vision}) {
    check(std::isfinite(v) && v >= 0, "param field finite", v);
  }
  check(c.active <= c.total * (1 + 1e-12), "active <= total", c.active);
  check_estimate(cfg.arch, cfg.precision.empty() ? "bf16" : cfg.precision.c_str());
  if (cfg.arch.num_layers <= 4096) check_estimate(cfg.arch, "q4_k_m");
  return 0;
}
