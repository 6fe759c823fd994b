// The serving step model and the closed loop: parts add up, layouts and limits act the way they must.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "catalog_fixture.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/serving.hpp"

namespace gpuplan::testing {
namespace {

struct Case {
  ServingInputs in;
};

const Precision& precision(const char* name) {
  static std::map<std::string, Precision> held;
  auto it = held.find(name);
  if (it == held.end()) it = held.emplace(name, find_precision(name).value()).first;
  return it->second;
}

Case setup(const char* model, const char* gpu, const char* quant) {
  Case s;
  const Gpu& g = *find_gpu(catalog(), gpu).value();
  s.in.arch = &find_model(catalog(), model).value()->arch;
  s.in.precision = &precision(quant);
  s.in.hardware = compute_spec(g);
  s.in.gemm_path = serving_gemm_path(*s.in.precision, g.dense_flops);
  return s;
}

TEST(ServingStep, PartsAddUpAndDecodeIsMemoryBound) {
  Case s = setup("llama-3.1-8b", "h100-sxm", "bf16");
  const StepTime t = serving_step(s.in, StepWork{0, 1024, 8, 1536});
  EXPECT_NEAR(t.total_s, t.dense_s + t.experts_s + t.attention_s + t.communication_s + t.overhead_s, 1e-12);
  // 16.06 GB of bf16 weights less the 1.05 GB embedding table (gathered, not read) at 3.35 TB/s x
  // 0.75: ~5.98 ms; 8 tokens of compute are far below it.
  EXPECT_NEAR(t.dense_s, (16.06e9 - 1.05e9) / (3.35e12 * 0.75), 0.05e-3);
  EXPECT_EQ(t.experts_s, 0);
  EXPECT_EQ(t.communication_s, 0);
}

TEST(ServingStep, TensorParallelSplitsWeightsAndAddsAllReduce) {
  Case s = setup("llama-3.1-70b", "h100-sxm", "fp8");
  const StepTime one = serving_step(s.in, StepWork{0, 1024, 16, 1536});
  s.in.layout.tensor_parallel = 4;
  const StepTime four = serving_step(s.in, StepWork{0, 1024, 16, 1536});
  EXPECT_NEAR(four.dense_s, one.dense_s / 4, one.dense_s * 0.01);
  EXPECT_GT(four.communication_s, 0);
  EXPECT_LT(four.total_s, one.total_s);
}

TEST(ServingStep, GemmPathFollowsTheCard) {
  const Precision fp8 = find_precision("fp8").value();
  const Precision bf16 = find_precision("bf16").value();
  const Gpu& h100 = *find_gpu(catalog(), "h100-sxm").value();
  const Gpu& a100 = *find_gpu(catalog(), "a100-80gb").value();
  EXPECT_EQ(serving_gemm_path(fp8, h100.dense_flops), GemmPath::fp8);
  EXPECT_EQ(serving_gemm_path(fp8, a100.dense_flops), GemmPath::bf16);  // Ampere has no FP8 tensor cores
  EXPECT_EQ(serving_gemm_path(bf16, h100.dense_flops), GemmPath::bf16);
  EXPECT_DOUBLE_EQ(gemm_path_flops(h100.dense_flops, GemmPath::fp8), h100.dense_flops.fp8);
}

TEST(ServingLoad, ThroughputIsLittlesLawAndGrowsWithConcurrency) {
  Case s = setup("llama-3.1-8b", "h100-sxm", "bf16");
  const ServingLoad low = serve_closed_loop(s.in, 4, 1024, 256);
  const ServingLoad high = serve_closed_loop(s.in, 64, 1024, 256);
  EXPECT_NEAR(high.output_tokens_per_s, 64 * 256 / (high.ttft_s + 255 * high.tpot_s), 1e-6 * high.output_tokens_per_s);
  EXPECT_GT(high.output_tokens_per_s, 4 * low.output_tokens_per_s);
  EXPECT_GT(high.tpot_s, low.tpot_s);
  EXPECT_GT(high.ttft_s, low.ttft_s);
  EXPECT_GT(high.prefill_tokens_per_step, 0);
}

TEST(ServingLoad, ConcurrencyBeyondTheKvPoolWaitsInTheQueue) {
  Case s = setup("llama-3.1-70b", "h100-sxm", "fp8");
  // One card: 80 GB x 0.9 - 3 GiB holds less than the ~72 GB of weights: nothing runs.
  s.in.kv_pool_tokens = serving_kv_pool_tokens(s.in, 80e9, 0.9);
  EXPECT_EQ(s.in.kv_pool_tokens, 0);
  EXPECT_FALSE(serve_closed_loop(s.in, 8, 1024, 1024).fits);
  // TP 2: 2 x (72 GB - 3.2 GB) - 72 GB = ~65 GB of KV at 320 KiB per token: ~200k tokens, 130
  // sequences of 1024 + 1024/2 tokens.
  s.in.layout.tensor_parallel = 2;
  s.in.kv_pool_tokens = serving_kv_pool_tokens(s.in, 80e9, 0.9);
  EXPECT_NEAR(s.in.kv_pool_tokens, 65.5e9 / 327680, 0.05 * 65.5e9 / 327680);
  const ServingLoad r = serve_closed_loop(s.in, 256, 1024, 1024);
  EXPECT_TRUE(r.fits);
  EXPECT_LT(r.admitted, 256);
  EXPECT_GT(r.queue_wait_s, 0);
  EXPECT_GT(r.ttft_s, r.queue_wait_s);
}

TEST(ServingLoad, BadInputGivesFiniteNonNegativeFigures) {
  Case s = setup("llama-3.1-8b", "h100-sxm", "bf16");
  for (const double c : {0.0, -5.0, 1.0, 1e6}) {
    for (const double tokens : {0.0, -1.0, 1.0, 1e6}) {
      const ServingLoad r = serve_closed_loop(s.in, c, tokens, tokens);
      for (const double x : {r.ttft_s, r.tpot_s, r.output_tokens_per_s, r.requests_per_s}) {
        EXPECT_TRUE(std::isfinite(x) && x >= 0) << c << " " << tokens;
      }
    }
  }
}

TEST(ServingFamilies, ArchitectureTextMapsToTheIssueFamilies) {
  EXPECT_EQ(arch_family("Hopper (GH100)"), ArchFamily::hopper);
  EXPECT_EQ(arch_family("Blackwell (GB100)"), ArchFamily::blackwell_datacenter);
  EXPECT_EQ(arch_family("Blackwell (GB202)"), ArchFamily::blackwell_consumer);
  EXPECT_EQ(arch_family("Ampere (GA100)"), ArchFamily::ampere_datacenter);
  EXPECT_EQ(arch_family("Ampere (GA102)"), ArchFamily::ampere_consumer);
  EXPECT_EQ(arch_family("Ada Lovelace (AD102)"), ArchFamily::ada);
  EXPECT_EQ(arch_family("Apple M3 (Apple9 GPU)"), ArchFamily::apple);
  EXPECT_EQ(arch_family("CDNA 3"), ArchFamily::cdna);
  EXPECT_EQ(arch_family("RDNA 3 (Navi 31)"), ArchFamily::rdna);
}

}  // namespace
}  // namespace gpuplan::testing
