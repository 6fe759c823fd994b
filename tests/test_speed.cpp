// Properties of the speed model: roofline shifts, MoE, long context, multi-GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "catalog_fixture.hpp"

using namespace gpuplan;
using gpuplan::testing::catalog;

namespace {

const RuntimeModel& runtime(const char* name, const char* vendor) {
  static std::map<std::string, RuntimeModel> cache;
  const std::string key = std::string(name) + "/" + vendor;
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, find_runtime(catalog(), name, vendor).value()).first;
  return it->second;
}

struct Case {
  Scenario s;
  Estimate e() const { return estimate(s); }
};

Scenario speed_scenario(const char* model, const char* quant, const char* gpu, double gpus = 1,
                        const char* rt = "llama.cpp", Split split = Split::layer) {
  Scenario s = gpuplan::testing::scenario(model, quant, gpu);
  const Gpu& g = gpuplan::testing::gpu(gpu);
  s.with_speed = true;
  s.hardware = compute_spec(g);
  s.runtime = runtime(rt, g.vendor.c_str());
  s.gpus = gpus;
  s.speed.prompt_tokens = 512;
  s.speed.output_tokens = 128;
  s.speed.split = split;
  return s;
}

}  // namespace

TEST(Speed, BatchingShiftsDecodeFromMemoryToCompute) {
  Scenario s = speed_scenario("llama-3.1-8b", "bf16", "h100-sxm", 1, "vllm");
  s.speed.concurrency = 1;
  const Speed one = estimate(s).speed;
  EXPECT_EQ(one.bound, Bound::memory);
  s.speed.concurrency = 4096;
  s.speed.prompt_tokens = 128;
  s.speed.output_tokens = 16;
  const Speed many = estimate(s).speed;
  EXPECT_EQ(many.bound, Bound::compute);
  EXPECT_GT(many.arithmetic_intensity, one.arithmetic_intensity * 100);
  EXPECT_GT(many.aggregate_tokens_per_s.expected, 20 * one.aggregate_tokens_per_s.expected);
  EXPECT_LT(many.decode_tokens_per_s.expected, one.decode_tokens_per_s.expected);
  const SpeedInputs in = speed_inputs(s);
  // At short context the weights dominate the bytes and batching reaches the ridge point; at long
  // context the KV cache read grows with the batch too and decode never turns compute-bound.
  const double crossover = compute_bound_concurrency(in, 136);
  std::printf("Llama-3.1-8B bf16 on H100: decode turns compute-bound at %.0f sequences (context 136)\n", crossover);
  EXPECT_EQ(compute_bound_concurrency(in, 32768), 0);
  EXPECT_GT(crossover, 32);
  EXPECT_LT(crossover, 4096);
}

TEST(Speed, PrefillIsComputeBoundDecodeMemoryBound) {
  const Speed sp = estimate(speed_scenario("llama-3.1-8b", "q4_k_m", "rtx-4090")).speed;
  EXPECT_EQ(sp.prefill_bound, Bound::compute);
  EXPECT_EQ(sp.bound, Bound::memory);
  EXPECT_GT(sp.prefill_tokens_per_s.expected, 20 * sp.decode_tokens_per_s.expected);
  EXPECT_LE(sp.decode_tokens_per_s.low, sp.decode_tokens_per_s.expected);
  EXPECT_GE(sp.decode_tokens_per_s.high, sp.decode_tokens_per_s.expected);
  EXPECT_NEAR(sp.tpot_s.expected * sp.decode_tokens_per_s.expected, 1.0, 1e-9);
}

TEST(Speed, MoeReadsOnlyTheActiveExperts) {
  Scenario moe = speed_scenario("qwen3-30b-a3b", "q4_k_m", "rtx-4090");
  Scenario dense = speed_scenario("qwen3-32b", "q4_k_m", "rtx-4090");
  const Speed m = estimate(moe).speed;
  const Speed d = estimate(dense).speed;
  const double moe_weights = weights_bytes(moe.arch, moe.precision);
  EXPECT_LT(m.decode_bytes_per_step, 0.25 * moe_weights);
  EXPECT_GT(m.decode_tokens_per_s.expected, 3 * d.decode_tokens_per_s.expected);
  // With many sequences nearly every expert is touched.
  moe.speed.concurrency = 256;
  EXPECT_GT(estimate(moe).speed.decode_bytes_per_step, 0.9 * moe_weights);
}

TEST(Speed, LongContextSlowsDecode) {
  const Scenario s = speed_scenario("llama-3.1-8b", "q4_k_m", "rtx-4090");
  const auto curve = context_curve(speed_inputs(s), 131072, 8);
  ASSERT_EQ(curve.size(), 8u);
  for (std::size_t i = 1; i < curve.size(); ++i) {
    EXPECT_GT(curve[i].context, curve[i - 1].context);
    EXPECT_LT(curve[i].decode_tokens_per_s, curve[i - 1].decode_tokens_per_s);
    EXPECT_LT(curve[i].prefill_tokens_per_s, curve[i - 1].prefill_tokens_per_s * 1.0001);
  }
  std::printf("Llama-3.1-8B Q4_K_M on RTX 4090: decode %.0f tok/s at %.0f tokens, %.0f tok/s at %.0f\n",
              curve.front().decode_tokens_per_s, curve.front().context, curve.back().decode_tokens_per_s,
              curve.back().context);
  EXPECT_LT(curve.back().decode_tokens_per_s, 0.6 * curve.front().decode_tokens_per_s);
}

TEST(Speed, SlidingWindowLayersKeepDecodeFlatter) {
  const Scenario gemma = speed_scenario("gemma-2-9b", "q4_k_m", "rtx-4090");
  const auto curve = context_curve(speed_inputs(gemma), 8192, 2);
  Scenario full = gemma;
  full.arch.sliding_window = 0;
  const auto curve_full = context_curve(speed_inputs(full), 8192, 2);
  EXPECT_GT(curve.back().decode_tokens_per_s, curve_full.back().decode_tokens_per_s);
}

TEST(Speed, TwoRtx4090BeatOneA6000On70B) {
  // llama.cpp layer split: the cards run in turn, each reading its half of the weights.
  const Speed two_4090 = estimate(speed_scenario("llama-3-70b", "q4_k_m", "rtx-4090", 2)).speed;
  const Speed one_a6000 = estimate(speed_scenario("llama-3-70b", "q4_k_m", "rtx-a6000", 1)).speed;
  const Speed two_3090 = estimate(speed_scenario("llama-3-70b", "q4_k_m", "rtx-3090", 2)).speed;
  std::printf("70B Q4_K_M decode: 2x4090 %.1f, 2x3090 %.1f, 1xA6000 %.1f tok/s\n",
              two_4090.decode_tokens_per_s.expected, two_3090.decode_tokens_per_s.expected,
              one_a6000.decode_tokens_per_s.expected);
  EXPECT_GT(two_4090.decode_tokens_per_s.expected, one_a6000.decode_tokens_per_s.expected);
  EXPECT_GT(two_3090.decode_tokens_per_s.expected, one_a6000.decode_tokens_per_s.expected);
  EXPECT_GT(two_4090.decode_tokens_per_s.expected, two_3090.decode_tokens_per_s.expected);
}

TEST(Speed, TensorParallelHelpsOnNvlinkAndPaysForPcie) {
  const Speed layer = estimate(speed_scenario("llama-3.1-70b", "bf16", "h100-sxm", 4, "vllm", Split::layer)).speed;
  const Speed tensor = estimate(speed_scenario("llama-3.1-70b", "bf16", "h100-sxm", 4, "vllm", Split::tensor)).speed;
  EXPECT_GT(tensor.decode_tokens_per_s.expected, 2 * layer.decode_tokens_per_s.expected);
  EXPECT_GT(tensor.communication_s_per_token, 0);
  const Speed nvlink = tensor;
  const Speed pcie = estimate(speed_scenario("llama-3.1-70b", "bf16", "h100-pcie", 4, "vllm", Split::tensor)).speed;
  EXPECT_GT(pcie.communication_s_per_token, nvlink.communication_s_per_token);
}

TEST(Speed, UncalibratedRuntimesSaySo) {
  EXPECT_TRUE(runtime("llama.cpp", "nvidia").calibrated);
  EXPECT_TRUE(runtime("llama.cpp", "apple").calibrated);
  EXPECT_FALSE(runtime("vllm", "nvidia").calibrated);
  const RuntimeModel amd = runtime("llama.cpp", "amd");
  EXPECT_FALSE(amd.calibrated);
  EXPECT_NE(amd.calibration.find("borrowing"), std::string::npos) << amd.calibration;
  // Uncalibrated entries borrow the fitted llama.cpp-cuda factors rather than inventing their own.
  const RuntimeModel& cuda = runtime("llama.cpp", "nvidia");
  for (const auto& r : catalog().runtimes) {
    if (r.calibrated) continue;
    if (r.speed_model == SpeedModel::serving) {  // the serving step model carries its own calibration
      EXPECT_NE(r.calibration.find("serving_calibration.json"), std::string::npos) << r.id;
      EXPECT_LE(r.compute_efficiency_float, 1.0) << r.id;
      continue;
    }
    EXPECT_NE(r.calibration.find("copied from"), std::string::npos) << r.id;
    if (r.calibration.find("llama.cpp-cuda") == std::string::npos) continue;
    EXPECT_DOUBLE_EQ(r.bandwidth_efficiency, cuda.bandwidth_efficiency) << r.id;
    EXPECT_DOUBLE_EQ(r.compute_efficiency_quant, cuda.compute_efficiency_quant) << r.id;
  }
  EXPECT_FALSE(find_runtime(catalog(), "vlm", "nvidia").has_value());
}

// Every fitted constant of data/runtimes.json is a share of the peak it divides (issue 14): llama.cpp's
// GeForce F16 prefill was 1.008 of the FP32-accumulate peak until it ran at the FP16-accumulate one.
TEST(Speed, NoRuntimeEfficiencyAboveOneOfItsPeak) {
  for (const auto& r : catalog().runtimes) {
    EXPECT_LE(r.compute_efficiency_float, 1.0) << r.id;
    EXPECT_LE(r.compute_efficiency_quant, 1.0) << r.id;
    EXPECT_LE(r.bandwidth_efficiency, 1.0) << r.id;
    EXPECT_GT(r.compute_efficiency_float, 0.0) << r.id;
  }
  // The FP16-accumulate peak is what llama.cpp's F16 prefill divides on GeForce (2x the FP32 one).
  const RuntimeModel& cuda = runtime("llama.cpp", "nvidia");
  EXPECT_TRUE(cuda.fp16_accumulate);
  const Gpu& g = *find_gpu(catalog(), "rtx-4090").value();
  const ComputeSpec hw = compute_spec(g);
  const Precision f16 = find_precision("f16").value();
  EXPECT_DOUBLE_EQ(matmul_flops(hw, f16, cuda), g.dense_flops.fp16_acc16);
  EXPECT_GT(matmul_flops(hw, f16, cuda), compute_flops(hw, f16));
  EXPECT_DOUBLE_EQ(matmul_flops(hw, f16, runtime("vllm", "nvidia")), compute_flops(hw, f16));
}

TEST(Speed, EveryModelAndGpuGivesFiniteSpeeds) {
  int checked = 0;
  for (const auto& m : catalog().models) {
    for (const auto& g : catalog().gpus) {
      Scenario s;
      s.arch = m.arch;
      s.precision = find_precision(checked % 2 ? "q4_k_m" : "bf16").value();
      s.with_speed = true;
      s.hardware = compute_spec(g);
      s.runtime = runtime("llama.cpp", g.vendor.c_str());
      s.gpu_memory_bytes = usable_memory_bytes(g);
      s.speed.concurrency = 1 + checked % 64;
      const Speed sp = estimate(s).speed;
      for (double v : {sp.prefill_tokens_per_s.low, sp.decode_tokens_per_s.expected, sp.aggregate_tokens_per_s.high,
                       sp.ttft_s.expected, sp.tpot_s.high, sp.arithmetic_intensity}) {
        ASSERT_TRUE(std::isfinite(v) && v > 0) << m.id << " on " << g.id;
      }
      ++checked;
    }
  }
  std::printf("%d model x GPU speed estimates finite and positive\n", checked);
}
