// One estimate through the installed headers and libraries: Llama 3.1 8B from the built-in
// catalog (gpuplan::io), in bf16 with a 4096-token context on a 24 GiB card (gpuplan::core).
// Prints the weights in GiB and whether it fits; exits 1 when the numbers are not plausible.
#include <cstdio>

#include "gpuplan/catalog.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/precision.hpp"
#include "gpuplan/units.hpp"

int main() {
  auto catalog = gpuplan::io::builtin_catalog();
  if (!catalog) {
    std::fprintf(stderr, "consumer: %s\n", catalog.error().message.c_str());
    return 1;
  }
  auto model = gpuplan::find_model(catalog.value(), "llama-3.1-8b");
  auto precision = gpuplan::find_precision("bf16");
  if (!model || !precision) {
    std::fprintf(stderr, "consumer: model or precision not found\n");
    return 1;
  }
  gpuplan::Scenario s;
  s.arch = model.value()->arch;
  s.precision = precision.value();
  s.workload.context = 4096;
  s.gpu_memory_bytes = 24 * gpuplan::kGiB;
  const gpuplan::Estimate e = gpuplan::estimate(s);
  const double weights_gib = e.memory.weights_bytes / gpuplan::kGiB;
  std::printf("consumer: llama-3.1-8b bf16 weights %.2f GiB, total %.2f GiB, fits %s\n", weights_gib,
              e.memory.total_bytes / gpuplan::kGiB, e.fits ? "yes" : "no");
  // 8.03 B parameters x 2 bytes = 14.96 GiB.
  return weights_gib > 14 && weights_gib < 16 && e.fits ? 0 : 1;
}
