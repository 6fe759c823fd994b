#include "gpuplan/calibration.hpp"

#include <algorithm>
#include <cmath>

namespace gpuplan {

DecodeFit fit_decode(const std::vector<DecodeSample>& samples) {
  // With u = memory_s / t, v = layer_passes / t: minimise sum (a u + b v - 1)^2, a = 1/eff.
  double uu = 0, uv = 0, vv = 0, u1 = 0, v1 = 0;
  for (const auto& s : samples) {
    if (s.measured_s <= 0) continue;
    const double u = s.memory_s / s.measured_s;
    const double v = s.layer_passes / s.measured_s;
    uu += u * u;
    uv += u * v;
    vv += v * v;
    u1 += u;
    v1 += v;
  }
  DecodeFit fit;
  const double det = uu * vv - uv * uv;
  double a = uu > 0 ? u1 / uu : 1;
  double b = 0;
  if (std::fabs(det) > 1e-30) {
    a = (u1 * vv - v1 * uv) / det;
    b = (uu * v1 - uv * u1) / det;
  }
  if (b < 0) {  // a negative overhead is not physical: fit the bandwidth term alone
    b = 0;
    a = uu > 0 ? u1 / uu : 1;
  }
  fit.bandwidth_efficiency = a > 0 ? 1.0 / a : 1.0;
  fit.layer_overhead_s = b;
  return fit;
}

double fit_prefill_efficiency(const std::vector<PrefillSample>& samples) {
  double num = 0, den = 0;
  for (const auto& s : samples) {
    if (s.measured_s <= 0) continue;
    const double u = s.compute_s / s.measured_s;
    const double w = s.overhead_s / s.measured_s;
    num += (1.0 - w) * u;
    den += u * u;
  }
  const double c = den > 0 ? num / den : 1;
  return c > 0 ? 1.0 / c : 1.0;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = static_cast<std::size_t>(std::ceil(pos));
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace gpuplan
