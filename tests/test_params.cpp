// Golden: exact parameter counts from the architecture vs the published counts of real checkpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "catalog_fixture.hpp"

using namespace gpuplan;

TEST(Params, MatchPublishedCountsWithinHalfAPercent) {
  const Catalog& c = gpuplan::testing::catalog();
  int compared = 0;
  std::set<std::string> families;
  double worst = 0;
  std::printf("%-22s %18s %18s %9s\n", "model", "formula", "published", "error");
  for (const auto& m : c.models) {
    if (m.published_params <= 0) continue;
    const double counted = count_params(m.arch).total;
    const double err = (counted - m.published_params) / m.published_params;
    std::printf("%-22s %18.0f %18.0f %+8.4f%%\n", m.id.c_str(), counted, m.published_params, 100 * err);
    EXPECT_LE(std::fabs(err), 0.005) << m.id << ": " << m.published_source;
    worst = std::max(worst, std::fabs(err));
    families.insert(m.family);
    ++compared;
  }
  std::printf("%d models in %zu families compared; worst error %.4f%%\n", compared, families.size(), 100 * worst);
  EXPECT_GE(compared, 12);
  EXPECT_GE(families.size(), 8u);
}

TEST(Params, MixtureOfExpertsActiveCounts) {
  // Published active parameters: Mixtral 8x7B 12.9B (Mistral AI), Qwen3-30B-A3B 3.3B (model card),
  // DeepSeek-V3 37B (paper), gpt-oss-120b 5.13B excluding the input embedding (model card).
  struct Case {
    const char* id;
    double active;
    bool minus_embedding;
  };
  for (const Case& k : {Case{"mixtral-8x7b", 12.9e9, false}, Case{"qwen3-30b-a3b", 3.3e9, false},
                        Case{"deepseek-v3", 37e9, false}, Case{"gpt-oss-120b", 5.13e9, true}}) {
    const Model& m = gpuplan::testing::model(k.id);
    const ParamCounts p = count_params(m.arch);
    const double active = p.active - (k.minus_embedding ? m.arch.vocab_size * m.arch.hidden_size : 0);
    std::printf("%-16s active %.3f B (published %.2f B), total %.2f B\n", k.id, active / 1e9, k.active / 1e9,
                p.total / 1e9);
    EXPECT_NEAR(active / k.active, 1.0, 0.03) << k.id;
    EXPECT_LT(p.active, p.total);
  }
}

TEST(Params, DeepSeekV3MultiTokenPredictionIsReportedApart) {
  const ParamCounts p = count_params(gpuplan::testing::model("deepseek-v3").arch);
  EXPECT_NEAR(p.total / 1e9, 671, 1);
  EXPECT_NEAR(p.mtp / 1e9, 11.6, 0.2);
}
