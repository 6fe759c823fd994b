// Fuzz target: io::parse_runtimes_json (data/runtimes.json: speed efficiency per runtime and
// hardware family). On success: every factor of every runtime is finite and >= 0, the bandwidth and
// compute efficiencies and ubatch are positive, every entry has an id, a runtime and a vendor list
// entry; find_runtime for each parsed runtime (on an NVIDIA and an unknown vendor) returns factors
// that are finite and >= 0. On failure the error has a message.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/catalog.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/speed.hpp"

namespace {

void check(bool ok, const gpuplan::RuntimeModel& m, const char* what, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_runtimes_json: invariant violated: runtime '%s' %s = %g\n", m.id.c_str(), what, value);
  std::abort();
}

void check_factors(const gpuplan::RuntimeModel& m) {
  const struct {
    const char* name;
    double value;
  } fields[] = {{"bandwidth_efficiency", m.bandwidth_efficiency},
                {"layer_overhead_s", m.layer_overhead_s},
                {"compute_efficiency_float", m.compute_efficiency_float},
                {"compute_efficiency_quant", m.compute_efficiency_quant},
                {"attention_efficiency", m.attention_efficiency},
                {"moe_ratio_low", m.moe_ratio_low},
                {"moe_ratio_median", m.moe_ratio_median},
                {"moe_ratio_high", m.moe_ratio_high},
                {"decode_ratio_low", m.decode_ratio_low},
                {"decode_ratio_high", m.decode_ratio_high},
                {"prefill_ratio_low", m.prefill_ratio_low},
                {"prefill_ratio_high", m.prefill_ratio_high},
                {"ubatch", m.ubatch}};
  for (const auto& f : fields) check(std::isfinite(f.value) && f.value >= 0, m, f.name, f.value);
  check(m.bandwidth_efficiency > 0, m, "bandwidth_efficiency (not positive)", m.bandwidth_efficiency);
  check(m.compute_efficiency_float > 0, m, "compute_efficiency_float (not positive)", m.compute_efficiency_float);
  check(m.compute_efficiency_quant > 0, m, "compute_efficiency_quant (not positive)", m.compute_efficiency_quant);
  check(m.ubatch >= 1, m, "ubatch (below 1)", m.ubatch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  const auto parsed = gpuplan::io::parse_runtimes_json(text, catalog);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  if (catalog.runtimes.size() != catalog.runtime_vendors.size()) std::abort();
  for (const gpuplan::RuntimeModel& m : catalog.runtimes) {
    check(!m.id.empty() && !m.runtime.empty(), m, "id/runtime (empty)", 0);
    check(m.default_split == gpuplan::Split::layer || m.default_split == gpuplan::Split::tensor, m,
          "default_split (not layer or tensor)", 0);
    check_factors(m);
  }
  // Lookups the speed commands make; at most 8 runtimes so large catalogs stay fast.
  for (std::size_t i = 0; i < catalog.runtimes.size() && i < 8; ++i) {
    for (const char* vendor : {"nvidia", "no-such-vendor"}) {
      const auto found = gpuplan::find_runtime(catalog, catalog.runtimes[i].runtime, vendor);
      if (found) check_factors(found.value());
    }
  }
  return 0;
}
