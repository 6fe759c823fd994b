// Calibration: fits a runtime's efficiency factors on measured speeds (relative least squares,
// one set of factors per runtime + hardware family, never per row).
#pragma once
#include <vector>

namespace gpuplan {

struct DecodeSample {
  double memory_s;      // bytes / peak bandwidth
  double layer_passes;  // passes x layers
  double measured_s;    // 1 / measured tokens per second
};
struct DecodeFit {
  double bandwidth_efficiency = 1;
  double layer_overhead_s = 0;
};
// Minimises sum(((memory_s / eff + layer_passes * overhead) / measured - 1)^2), overhead >= 0.
DecodeFit fit_decode(const std::vector<DecodeSample>& samples);

struct PrefillSample {
  double compute_s;   // FLOPs / dense peak
  double overhead_s;  // fixed part already known (layer overheads)
  double measured_s;
};
// Minimises sum(((compute_s / eff + overhead_s) / measured - 1)^2); returns eff.
double fit_prefill_efficiency(const std::vector<PrefillSample>& samples);

// The q-quantile (0..1) of values, linear interpolation; 0 for none.
double quantile(std::vector<double> values, double q);

}  // namespace gpuplan
