// The GPU families a serving calibration is kept for, and the lookup with its fallback chain.
#include <string>
#include <string_view>

#include "gpuplan/serving.hpp"

namespace gpuplan {

const char* to_string(ArchFamily f) {
  switch (f) {
    case ArchFamily::ampere_datacenter: return "ampere-datacenter";
    case ArchFamily::ampere_consumer: return "ampere-consumer";
    case ArchFamily::ada: return "ada";
    case ArchFamily::hopper: return "hopper";
    case ArchFamily::blackwell_datacenter: return "blackwell-datacenter";
    case ArchFamily::blackwell_consumer: return "blackwell-consumer";
    case ArchFamily::apple: return "apple";
    case ArchFamily::cdna: return "cdna";
    case ArchFamily::rdna: return "rdna";
    case ArchFamily::other: return "other";
  }
  return "other";
}

ArchFamily arch_family(std::string_view a) {
  auto has = [&](std::string_view s) { return a.find(s) != std::string_view::npos; };
  if (has("Hopper")) return ArchFamily::hopper;
  if (has("Blackwell")) return has("GB20") ? ArchFamily::blackwell_consumer : ArchFamily::blackwell_datacenter;
  if (has("Ada")) return ArchFamily::ada;
  if (has("Ampere")) return has("GA100") ? ArchFamily::ampere_datacenter : ArchFamily::ampere_consumer;
  if (has("Apple")) return ArchFamily::apple;
  if (has("CDNA")) return ArchFamily::cdna;
  if (has("RDNA")) return ArchFamily::rdna;
  return ArchFamily::other;
}

ServingCalibration find_serving_calibration(const std::vector<ServingCalibration>& calibrations,
                                            std::string_view engine, ArchFamily family) {
  const std::string_view wanted_family = to_string(family);
  auto find = [&](std::string_view e, std::string_view f) -> const ServingCalibration* {
    for (const auto& c : calibrations) {
      if (c.engine == e && c.architecture == f) return &c;
    }
    return nullptr;
  };
  if (const auto* c = find(engine, wanted_family)) {
    ServingCalibration out = *c;
    // A pair fitted on one system has no held-out rows of its own: its range is its engine's.
    if (out.held_out_rows <= 0) {
      if (const auto* e = find(engine, "any")) {
        out.median_error = e->median_error;
        out.p90_error = e->p90_error;
        out.ttft_median_error = e->ttft_median_error;
        out.ttft_p90_error = e->ttft_p90_error;
        out.held_out_by = e->held_out_by + " (the engine's: one system of its own)";
      }
    }
    return out;
  }
  if (const auto* c = find(engine, "any")) return *c;
  if (const auto* c = find("any", "any")) return *c;
  ServingCalibration none;
  none.fallback = "none: built-in constants, not fitted";
  none.p90_error = 2.0;  // no measurement behind it: a factor of 3 either way
  none.ttft_p90_error = 2.0;
  return none;
}

}  // namespace gpuplan
