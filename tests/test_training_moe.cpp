// Mixture-of-experts training against NVIDIA's Megatron-Bridge performance tables (token-dropless
// runs with force-balanced routing, each with its published layout; tests/fixtures/
// megatron_bridge_moe.csv, 15 rows of GPT-OSS 120B, Qwen3 30B-A3B and 235B-A22B and DeepSeek-V3
// on H100, B200 and GB200). Nothing is fitted on these rows: the test prints how far the dense
// calibration is from fine-grained MoE training, a known gap (grouped GEMMs of a few hundred
// tokens per expert, token permutation and routing kernels, launch overhead are not modelled).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "csv.hpp"
#include "training_fixture.hpp"

using namespace gpuplan;

TEST(TrainingMoeValidation, MegatronBridgeMoe) {
  const auto rows =
      gpuplan::testing::read_csv(std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/megatron_bridge_moe.csv");
  ASSERT_EQ(rows.size(), 15u);
  std::printf(
      "| release | system | model | precision | GPUs | layout | measured tok/s/GPU | predicted | predicted / "
      "measured |\n|---|---|---|---|---:|---|---:|---:|---:|\n");
  std::vector<double> ratios;
  for (const auto& r : rows) {
    const auto num = [&r](const char* key) { return std::stod(r.at(key)); };
    const std::string gpu = r.at("gpu"), model = r.at("model");
    const bool fp8 = r.at("precision") == "fp8";
    Cluster c = training_cluster(gpuplan::testing::gpu(gpu.c_str()), gpuplan::testing::catalog(), "ib-ndr-400",
                                 num("gpus_per_node"), "megatron", fp8);
    c.gpus = num("gpus");
    Scenario s = gpuplan::testing::scenario(model.c_str(), "bf16", gpu.c_str(), num("seq"), 1, Mode::pretrain);
    TrainJob job;
    job.seq = num("seq");
    job.global_batch_seqs = num("gbs");
    job.tokens = job.global_batch_seqs * job.seq;
    job.allow_uneven_pipeline = true;
    const TrainModel m = prepare_train_model(s, job);
    const double tp = num("tp"), pp = num("pp"), cp = num("cp");
    const double dp = c.gpus / (tp * pp * cp);
    TrainEstimate best;
    for (Recompute rc : {Recompute::none, Recompute::selective, Recompute::full}) {
      const Layout l{tp, pp, dp, cp, num("ep"), num("vp"), 1, num("mbs"), rc};
      const TrainEstimate e = evaluate_layout(m, l, job, c);
      if (e.valid && (!best.valid || e.step_s < best.step_s)) best = e;
    }
    ASSERT_TRUE(best.valid) << r.at("release") << " " << r.at("system") << " " << model;
    const double predicted = best.tokens_per_s / c.gpus;
    const double measured = num("measured_tokens_per_s_per_gpu");
    ratios.push_back(predicted / measured);
    EXPECT_TRUE(std::isfinite(predicted) && predicted > 0);
    std::printf("| %s | %s | %s | %s | %g | tp=%g,pp=%g,vp=%g,ep=%g,mb=%g | %.0f | %.0f | %.2f |\n",
                r.at("release").c_str(), r.at("system").c_str(), model.c_str(), r.at("precision").c_str(), c.gpus, tp,
                pp, num("vp"), num("ep"), num("mbs"), measured, predicted, predicted / measured);
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf("predicted / measured over %zu MoE runs: min %.2f, median %.2f, max %.2f (dense rows: within ~15%%)\n",
              ratios.size(), ratios.front(), ratios[ratios.size() / 2], ratios.back());
  // data/runtimes.json megatron-training carries these three numbers to the MoE caveat of `train`.
  const RuntimeModel& rt = gpuplan::testing::training_stack("megatron");
  EXPECT_NEAR(rt.moe_ratio_low, ratios.front(), 0.01) << "update data/runtimes.json moe_ratio_low";
  EXPECT_NEAR(rt.moe_ratio_median, ratios[ratios.size() / 2], 0.01) << "update moe_ratio_median";
  EXPECT_NEAR(rt.moe_ratio_high, ratios.back(), 0.01) << "update moe_ratio_high";
}
