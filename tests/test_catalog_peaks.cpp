// The dense peaks per dtype in data/gpus.json: the accumulate each figure means, and the ratios
// between dtypes that the vendor tables imply.
#include <gtest/gtest.h>

#include <string>

#include "catalog_fixture.hpp"

using namespace gpuplan;
using gpuplan::testing::catalog;
using gpuplan::testing::gpu;

namespace {

constexpr double kT = 1e12;

bool is_geforce_with_tensor_cores(const Gpu& g) {
  if (g.vendor_kind != Vendor::nvidia || g.tier != Tier::consumer) return false;
  for (const char* arch : {"Turing", "Ampere", "Ada", "Blackwell"}) {
    if (g.architecture.find(arch) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(CatalogJson, Fp16Acc16IsReadWithItsSourceAndDefaultsToFp16) {
  const auto gpus = io::parse_gpus_json(R"({"gpus":[
      {"id":"geforce","memory_gib":24,"memory_bandwidth_gbps":1000,
       "dense_tflops":{"fp16":{"value":100,"source":"WP","as_of":"2024-01"},
                       "fp16_acc16":{"value":200,"source":"WP table","as_of":"2024-02"}}},
      {"id":"datacenter","memory_gib":80,"memory_bandwidth_gbps":3000,"dense_tflops":{"fp16":989}}]})");
  ASSERT_TRUE(gpus.has_value()) << gpus.error().message;
  const Gpu& geforce = gpus.value()[0];
  EXPECT_DOUBLE_EQ(geforce.dense_flops.fp16, 100 * kT);
  EXPECT_DOUBLE_EQ(geforce.dense_flops.fp16_acc16, 200 * kT);
  const auto p = geforce.provenance.find("fp16_acc16");
  ASSERT_NE(p, geforce.provenance.end());
  EXPECT_EQ(p->second.source, "WP table");
  EXPECT_EQ(p->second.as_of, "2024-02");
  EXPECT_DOUBLE_EQ(gpus.value()[1].dense_flops.fp16_acc16, 989 * kT);  // absent: the fp16 rate

  const auto bad = io::parse_gpus_json(
      R"({"gpus":[{"id":"x","memory_gib":24,"memory_bandwidth_gbps":1,"dense_tflops":{"fp16_acc16":-1}}]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("fp16_acc16"), std::string::npos) << bad.error().message;
}

// fp16/bf16/fp8 are with FP32 accumulate; FP16 accumulate is never slower, and each narrower
// format at least as fast as the wider one (0 = not supported, skipped).
TEST(CatalogPeaks, NarrowerFormatsAreNeverSlower) {
  for (const auto& g : catalog().gpus) {
    const DenseFlops& f = g.dense_flops;
    EXPECT_GE(f.fp16_acc16, f.fp16) << g.id;
    const double bf16 = f.bf16 > 0 ? f.bf16 : f.fp16;
    if (f.fp8 > 0) {
      EXPECT_GE(f.fp8, bf16) << g.id;
    }
    if (f.fp4 > 0) {
      EXPECT_GT(f.fp8, 0) << g.id << ": FP4 tensor cores without FP8";
      EXPECT_GE(f.fp4, f.fp8) << g.id;
    }
  }
}

// GeForce RTX cards halve FP16 with FP32 accumulate (Turing, GA102, Ada and RTX Blackwell
// whitepapers): fp16_acc16 is twice fp16 (within rounding of the vendor tables).
TEST(CatalogPeaks, GeforceRunsFp16AccumulateAtTwiceTheFp32AccumulateRate) {
  int geforce = 0;
  for (const auto& g : catalog().gpus) {
    if (!is_geforce_with_tensor_cores(g)) continue;
    ++geforce;
    ASSERT_GT(g.dense_flops.fp16, 0) << g.id;
    EXPECT_TRUE(g.provenance.count("fp16_acc16")) << g.id << ": fp16_acc16 needs its own source";
    EXPECT_NEAR(g.dense_flops.fp16_acc16 / g.dense_flops.fp16, 2.0, 0.02) << g.id;
  }
  EXPECT_GE(geforce, 15);
}

TEST(CatalogPeaks, DatacenterAndWorkstationCardsRunBothAccumulatesAtOneRate) {
  for (const char* id : {"h100-sxm", "h100-pcie", "h200", "b200", "gb200", "b300", "a100-40gb", "a100-80gb", "l40s",
                         "l4", "rtx-6000-ada", "rtx-a6000", "rtx-pro-6000", "t4", "v100-32gb"}) {
    const Gpu& g = gpu(id);
    EXPECT_DOUBLE_EQ(g.dense_flops.fp16_acc16, g.dense_flops.fp16) << id;
  }
}

// Vendor tables, dense (no sparsity), TFLOPS: the figures the speed model divides by.
TEST(CatalogPeaks, PublishedDensePeaks) {
  struct Row {
    const char* id;
    double fp16, fp16_acc16, fp8, int8, fp4;
  };
  const Row rows[] = {
      {"rtx-3090", 71, 142, 0, 284, 0},             // GA102 whitepaper
      {"rtx-4090", 165.2, 330.3, 330.3, 660.6, 0},  // Ada whitepaper v2.1 (FP8 with FP32 accumulate)
      {"rtx-5090", 209.5, 419, 419, 838, 1676},     // RTX Blackwell whitepaper v1.1
      {"rtx-5080", 113, 225, 225, 450, 900},        // GPUMAP
      {"rtx-2080-ti", 53.8, 107.6, 0, 215.2, 0},    // Turing whitepaper, reference clock
      {"h100-sxm", 989, 989, 1979, 1979, 0},        // H100 datasheet sparse / 2
      {"h100-pcie", 756, 756, 1513, 1513, 0},
      {"h200", 989, 989, 1979, 1979, 0},
      {"a100-80gb", 312, 312, 0, 624, 0},
      {"l40s", 362, 362, 733, 733, 0},
      {"l4", 121, 121, 242, 242, 0},
      {"b200", 2250, 2250, 4500, 4500, 9000},    // HGX B200: 18 PF NVFP4 sparse, 72 PF dense / 8
      {"gb200", 2500, 2500, 5000, 5000, 10000},  // GB200 NVL72: 720 PF NVFP4 dense / 72
      {"b300", 2250, 2250, 4500, 0, 13500},      // HGX B300: 108 PF NVFP4 dense / 8
      {"rtx-pro-6000", 500, 500, 1000, 1000, 2000},
  };
  for (const Row& r : rows) {
    const DenseFlops& f = gpu(r.id).dense_flops;
    EXPECT_NEAR(f.fp16 / kT, r.fp16, 0.5) << r.id;
    EXPECT_NEAR(f.fp16_acc16 / kT, r.fp16_acc16, 0.5) << r.id;
    EXPECT_NEAR(f.fp8 / kT, r.fp8, 0.5) << r.id;
    EXPECT_NEAR(f.int8 / kT, r.int8, 0.5) << r.id;
    EXPECT_NEAR(f.fp4 / kT, r.fp4, 0.5) << r.id;
  }
}
