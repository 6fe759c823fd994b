// Fuzz target: io::parse_serving_calibration_json (data/serving_calibration.json: the serving step
// model's constants per engine and GPU family). On success: every entry names an engine and a
// family; every efficiency is in (0, 1]; overheads, burst share and errors are finite and >= 0;
// find_serving_calibration answers for any engine and family with such constants, and a closed
// loop on them gives finite, non-negative figures. On failure the error has a message.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/catalog.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/serving.hpp"

namespace {

void check(bool ok, const char* what, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_serving_calibration_json: invariant violated: %s = %g\n", what, value);
  std::abort();
}

void check_calibration(const gpuplan::ServingCalibration& c) {
  check(!c.engine.empty() && !c.architecture.empty(), "engine/architecture (empty)", 0);
  for (const double e : {c.gemm_efficiency, c.bandwidth_efficiency, c.link_efficiency}) {
    check(std::isfinite(e) && e > 0 && e <= 1, "efficiency", e);
  }
  for (const double x : {c.step_overhead_s, c.layer_overhead_s, c.burst_share, c.median_error, c.p90_error}) {
    check(std::isfinite(x) && x >= 0, "constant", x);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  const auto parsed = gpuplan::io::parse_serving_calibration_json(text, catalog);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto& c : catalog.serving_calibrations) check_calibration(c);
  const gpuplan::ServingCalibration found =
      gpuplan::find_serving_calibration(catalog.serving_calibrations, "vllm", gpuplan::ArchFamily::hopper);
  static const gpuplan::ModelArch arch = [] {
    gpuplan::ModelArch a;
    a.hidden_size = 4096;
    a.num_layers = 32;
    a.num_heads = 32;
    a.num_kv_heads = 8;
    a.head_dim = 128;
    a.intermediate_size = 14336;
    a.vocab_size = 128256;
    return a;
  }();
  static const gpuplan::Precision bf16 = gpuplan::find_precision("bf16").value();
  gpuplan::ServingInputs in;
  in.arch = &arch;
  in.precision = &bf16;
  in.hardware.memory_bandwidth_bytes_per_s = 3.35e12;
  in.hardware.dense_flops.bf16 = 989e12;
  in.calibration = found;
  const gpuplan::ServingLoad load = gpuplan::serve_closed_loop(in, 16, 1024, 128);
  for (const double x : {load.ttft_s, load.tpot_s, load.output_tokens_per_s}) {
    check(std::isfinite(x) && x >= 0, "closed-loop figure", x);
  }
  return 0;
}
