// Internal: the small number-to-text helpers of the plan, its advisor and --explain
// (plan.cpp, plan_advisor.cpp, plan_explain.cpp). Not part of the public headers.
#pragma once
#include <cstdio>
#include <string>

namespace gpuplan::plan_text {

// `v` with `decimals` digits after the point.
inline std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
// "$1234" (snprintf: GCC 12 warns falsely (-Wrestrict) on "$" + std::string at -O2).
inline std::string dollars(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.*f", decimals, v);
  return buf;
}
// Whole dollars from $100, cents below.
inline std::string usd(double v) {
  return dollars(v, v >= 100 ? 0 : 2);
}
// A fraction as a whole percentage: 0.35 -> "35%".
inline std::string pct(double fraction) {
  return num(100 * fraction, 0) + "%";
}
// Seconds as milliseconds, one decimal below 100 ms: "12.5 ms", "250 ms".
inline std::string ms(double seconds) {
  return num(seconds * 1e3, seconds < 0.1 ? 1 : 0) + " ms";
}
// Three significant digits, scientific when large or small: "1.41e+11".
inline std::string sci(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace gpuplan::plan_text
