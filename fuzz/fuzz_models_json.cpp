// Fuzz target: parse_models_json (untrusted user model catalogs).
// Invariants checked on every successfully parsed model:
//  - count_params(): every field finite and >= 0, active <= total;
//  - estimate() of a small inference scenario (4k context, batch 1, 24 GiB card) in bf16 and in
//    q4_k_m: every MemoryBreakdown field finite and >= 0, and the searched limits finite and >= 0.
//    q4_k_m (a llama.cpp mix) is priced layer by layer, O(num_layers): it is checked up to
//    kMaxGgufLayers layers so one 1e5-layer input costs milliseconds, not a second (Debug); bf16 is
//    O(1) in the layer count and is checked on every model.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/precision.hpp"

namespace {

constexpr double kMaxGgufLayers = 4096;

void check(bool ok, const char* what, const char* field, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_models_json: invariant violated: %s.%s = %g\n", what, field, value);
  std::abort();
}

void check_non_negative(const char* what, const char* field, double value) {
  check(std::isfinite(value) && value >= 0, what, field, value);
}

gpuplan::Precision precision(const char* name) {
  auto p = gpuplan::find_precision(name);
  if (!p) {
    std::fprintf(stderr, "fuzz_models_json: built-in precision '%s' missing\n", name);
    std::abort();
  }
  return p.value();
}

void check_estimate(const gpuplan::ModelArch& arch, const gpuplan::Precision& p) {
  gpuplan::Scenario s;
  s.arch = arch;
  s.precision = p;
  s.workload.mode = gpuplan::Mode::inference;
  s.workload.context = 4096;
  s.workload.batch = 1;
  s.gpu_memory_bytes = 24.0 * 1024 * 1024 * 1024;
  s.gpus = 1;
  const gpuplan::Estimate e = gpuplan::estimate(s);
  const gpuplan::MemoryBreakdown& m = e.memory;
  check_non_negative("memory", "weights_bytes", m.weights_bytes);
  check_non_negative("memory", "kv_cache_bytes", m.kv_cache_bytes);
  check_non_negative("memory", "activations_bytes", m.activations_bytes);
  check_non_negative("memory", "gradients_bytes", m.gradients_bytes);
  check_non_negative("memory", "optimizer_bytes", m.optimizer_bytes);
  check_non_negative("memory", "adapter_bytes", m.adapter_bytes);
  check_non_negative("memory", "overhead_bytes", m.overhead_bytes);
  check_non_negative("memory", "host_bytes", m.host_bytes);
  check_non_negative("memory", "total_bytes", m.total_bytes);
  check_non_negative("estimate", "max_context", e.max_context);
  check_non_negative("estimate", "max_batch", e.max_batch);
  check_non_negative("estimate", "min_gpus", e.min_gpus);
  check(std::isfinite(e.headroom_bytes), "estimate", "headroom_bytes", e.headroom_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gpuplan::Precision bf16 = precision("bf16");
  static const gpuplan::Precision q4_k_m = precision("q4_k_m");

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto models = gpuplan::io::parse_models_json(text);
  if (!models) return 0;
  for (const gpuplan::Model& model : models.value()) {
    const gpuplan::ParamCounts c = gpuplan::count_params(model.arch);
    check_non_negative("params", "total", c.total);
    check_non_negative("params", "active", c.active);
    check_non_negative("params", "embedding", c.embedding);
    check_non_negative("params", "lm_head", c.lm_head);
    check_non_negative("params", "routed_experts", c.routed_experts);
    check_non_negative("params", "mtp", c.mtp);
    check_non_negative("params", "vision", c.vision);
    check(c.active <= c.total * (1 + 1e-12), "params", "active (> total)", c.active);
    check_estimate(model.arch, bf16);
    if (model.arch.num_layers <= kMaxGgufLayers) check_estimate(model.arch, q4_k_m);
  }
  return 0;
}
