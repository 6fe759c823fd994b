// Weights measured from a checkpoint file (Scenario::measured_weights) replace the precision
// arithmetic in the memory model and in the speed model's bytes per step, and nowhere else.
#include <gtest/gtest.h>

#include "catalog_fixture.hpp"
#include "gpuplan/memory.hpp"

using namespace gpuplan;

TEST(MeasuredWeights, ReplaceTheArithmeticInMemoryAndSpeed) {
  Scenario s = gpuplan::testing::scenario("llama-3.1-8b", "q4_k_m", "rtx-4090");
  const double arithmetic = weights_bytes(s.arch, s.precision);
  EXPECT_EQ(scenario_weights_bytes(s), arithmetic);
  const MemoryBreakdown before = estimate_memory(s);
  EXPECT_EQ(before.weights_bytes, arithmetic);

  // The same breakdown, measured: every figure is unchanged.
  s.measured_weights = weight_bytes_breakdown(s.arch, s.precision);
  s.hardware = compute_spec(gpuplan::testing::gpu("rtx-4090"));
  Scenario plain = s;
  plain.measured_weights = {};
  EXPECT_EQ(estimate_memory(s).total_bytes, before.total_bytes);
  EXPECT_DOUBLE_EQ(decode_step_s(speed_inputs(s), 4096, 1), decode_step_s(speed_inputs(plain), 4096, 1));

  // A file 10% larger than the arithmetic: memory and the bytes a decode step reads follow it.
  s.measured_weights.total *= 1.1;
  EXPECT_DOUBLE_EQ(estimate_memory(s).weights_bytes, 1.1 * arithmetic);
  EXPECT_DOUBLE_EQ(scenario_weights_bytes(s), 1.1 * arithmetic);
  EXPECT_GT(decode_step_s(speed_inputs(s), 4096, 1), decode_step_s(speed_inputs(plain), 4096, 1));
  s.gpus = 2;
  EXPECT_DOUBLE_EQ(estimate_memory(s).weights_bytes, 0.55 * arithmetic);
}

TEST(MeasuredWeights, PrecisionSuggestionsDoNotReuseTheFilesBytes) {
  // A 70B GGUF that does not fit a 24 GB card: the suggested lower precision is priced by arithmetic.
  Scenario s = gpuplan::testing::scenario("llama-3.1-70b", "q4_k_m", "rtx-4090", 2048);
  s.measured_weights = weight_bytes_breakdown(s.arch, s.precision);
  const Estimate e = estimate(s);
  ASSERT_FALSE(e.fits);
  const auto suggestions = fit_suggestions(s, e, gpuplan::testing::catalog().gpus);
  for (const auto& f : suggestions) {
    if (f.kind != "precision") continue;
    auto p = find_precision(f.value);
    ASSERT_TRUE(p);
    EXPECT_LT(weights_bytes(s.arch, p.value()), s.measured_weights.total) << f.value;
  }
}
