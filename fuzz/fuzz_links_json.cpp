// Fuzz target: io::parse_links_json (data/links.json: interconnects with bandwidth, latency and
// bus efficiency). On success: every link has an id, a kind, a source and an as_of, its bandwidth
// and bus efficiency are finite and > 0 and its latency finite and >= 0; find_link finds each id.
// On failure the error has a message.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/catalog.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/plan.hpp"

namespace {

void check(bool ok, const gpuplan::Catalog::NamedLink& l, const char* what, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_links_json: invariant violated: link '%s' %s = %g\n", l.id.c_str(), what, value);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  const auto parsed = gpuplan::io::parse_links_json(text, catalog);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto& l : catalog.links) {
    check(!l.id.empty() && !l.kind.empty() && !l.source.empty() && !l.as_of.empty(), l, "id/kind/source/as_of", 0);
    check(std::isfinite(l.bytes_per_s) && l.bytes_per_s > 0, l, "bytes_per_s", l.bytes_per_s);
    check(std::isfinite(l.latency_s) && l.latency_s >= 0, l, "latency_s", l.latency_s);
    check(std::isfinite(l.bus_efficiency) && l.bus_efficiency > 0, l, "bus_efficiency", l.bus_efficiency);
  }
  for (std::size_t i = 0; i < catalog.links.size() && i < 64; ++i) {
    const auto& l = catalog.links[i];
    check(gpuplan::find_link(catalog, l.id) != nullptr, l, "find_link (not found)", 0);
  }
  return 0;
}
