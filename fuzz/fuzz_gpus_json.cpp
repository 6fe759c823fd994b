// Fuzz target: parse_gpus_json (untrusted user GPU catalogs), with a Catalog to receive as_of
// and the sources map. Invariant: every numeric field of every parsed Gpu is finite and >= 0
// (memory and bandwidth > 0, which the parser promises), and so is usable_memory_bytes().
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/catalog.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace {

void check(bool ok, const gpuplan::Gpu& gpu, const char* field, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_gpus_json: invariant violated: gpu '%s' %s = %g\n", gpu.id.c_str(), field, value);
  std::abort();
}

void check_non_negative(const gpuplan::Gpu& gpu, const char* field, double value) {
  check(std::isfinite(value) && value >= 0, gpu, field, value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  const auto gpus = gpuplan::io::parse_gpus_json(text, &catalog);
  if (!gpus) return 0;
  for (const gpuplan::Gpu& g : gpus.value()) {
    check_non_negative(g, "memory_bytes", g.memory_bytes);
    check(g.memory_bytes > 0, g, "memory_bytes (not positive)", g.memory_bytes);
    for (const double gib : g.memory_options_gib) check_non_negative(g, "memory_options_gib[]", gib);
    check_non_negative(g, "memory_bandwidth_bytes_per_s", g.memory_bandwidth_bytes_per_s);
    check(g.memory_bandwidth_bytes_per_s > 0, g, "memory_bandwidth_bytes_per_s (not positive)",
          g.memory_bandwidth_bytes_per_s);
    check_non_negative(g, "dense_flops.fp32", g.dense_flops.fp32);
    check_non_negative(g, "dense_flops.tf32", g.dense_flops.tf32);
    check_non_negative(g, "dense_flops.fp16", g.dense_flops.fp16);
    check_non_negative(g, "dense_flops.fp16_acc16", g.dense_flops.fp16_acc16);
    check_non_negative(g, "dense_flops.bf16", g.dense_flops.bf16);
    check_non_negative(g, "dense_flops.fp8", g.dense_flops.fp8);
    check_non_negative(g, "dense_flops.int8", g.dense_flops.int8);
    check_non_negative(g, "dense_flops.int4", g.dense_flops.int4);
    check_non_negative(g, "dense_flops.fp4", g.dense_flops.fp4);
    check_non_negative(g, "tdp_w", g.tdp_w);
    check_non_negative(g, "host_link_bytes_per_s", g.host_link_bytes_per_s);
    check_non_negative(g, "peer_link_bytes_per_s", g.peer_link_bytes_per_s);
    check_non_negative(g, "launch_year", g.launch_year);
    check_non_negative(g, "launch_price_usd", g.launch_price_usd);
    check_non_negative(g, "rent_usd_per_hour", g.rent_usd_per_hour);
    check_non_negative(g, "rent_low_usd_per_hour", g.rent_low_usd_per_hour);
    check_non_negative(g, "rent_high_usd_per_hour", g.rent_high_usd_per_hour);
    check_non_negative(g, "usable_memory_bytes()", gpuplan::usable_memory_bytes(g));
  }
  return 0;
}
