// Property tests over many random scenarios: every figure finite and non-negative, and memory
// monotone in context, batch and precision.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "catalog_fixture.hpp"

using namespace gpuplan;

namespace {

bool sane(const MemoryBreakdown& m) {
  const double v[] = {m.weights_bytes, m.kv_cache_bytes, m.activations_bytes, m.gradients_bytes, m.optimizer_bytes,
                      m.adapter_bytes, m.overhead_bytes, m.host_bytes,        m.total_bytes};
  for (double x : v) {
    if (!std::isfinite(x) || x < 0) return false;
  }
  return true;
}

}  // namespace

TEST(Properties, RandomScenariosAreSaneAndMonotone) {
  const Catalog& c = gpuplan::testing::catalog();
  ASSERT_FALSE(c.models.empty());
  ASSERT_FALSE(c.gpus.empty());
  std::mt19937_64 rng(20261125);
  const auto& all = precisions();
  const Mode modes[] = {Mode::inference, Mode::full_finetune, Mode::lora, Mode::qlora, Mode::pretrain};
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    Scenario s;
    const Model& m = c.models[rng() % c.models.size()];
    s.arch = m.arch;
    s.workload.mode = modes[rng() % 5];
    if (s.workload.mode == Mode::inference) {
      s.precision = all[rng() % all.size()];
    } else if (s.workload.mode == Mode::qlora) {
      s.precision = find_precision("nf4-dq").value();
    } else {
      s.precision = find_precision(rng() % 2 ? "bf16" : "fp32").value();
    }
    s.workload.context = static_cast<double>(1 + rng() % 200000);
    s.workload.batch = static_cast<double>(1 + rng() % 64);
    s.workload.flash_attention = rng() % 2;
    s.workload.recompute = static_cast<Recompute>(rng() % 3);
    s.workload.optimizer = static_cast<Optimizer>(rng() % 6);
    s.gpus = static_cast<double>(1 + rng() % 8);
    s.gpu_memory_bytes = usable_memory_bytes(c.gpus[rng() % c.gpus.size()]);

    const Estimate e = estimate(s);
    ASSERT_TRUE(sane(e.memory)) << m.id;
    ASSERT_TRUE(std::isfinite(e.max_context) && e.max_context >= 0) << m.id;
    ASSERT_TRUE(std::isfinite(e.max_batch) && e.max_batch >= 0) << m.id;
    ASSERT_EQ(e.fits, e.memory.total_bytes <= s.gpu_memory_bytes);

    Scenario longer = s;
    longer.workload.context = s.workload.context * 2;
    ASSERT_GE(estimate_memory(longer).total_bytes, e.memory.total_bytes) << m.id << " context";
    Scenario wider = s;
    wider.workload.batch = s.workload.batch + 1;
    ASSERT_GE(estimate_memory(wider).total_bytes, e.memory.total_bytes) << m.id << " batch";
    ++checked;
  }
  std::printf("checked %d random scenarios\n", checked);
}

TEST(Properties, LowerPrecisionNeverNeedsMoreWeights) {
  // Within each family of formats (floats with 16-bit embeddings; llama.cpp mixes) fewer bits never cost more.
  const std::vector<std::vector<const char*>> ladders = {
      {"fp32", "bf16", "fp8", "gptq-int4"},
      {"bf16", "int8", "nf4", "nf4-dq"},
      {"f16", "q8_0", "q6_k", "q5_k_m", "q5_k_s", "q4_k_m", "q4_k_s", "q3_k_l", "q3_k_m", "q3_k_s"},
      // Q2_K gives GQA models a Q4_K attn_v (llama.cpp), so it can outgrow Q3_K_S; it stays below Q3_K_M.
      {"q3_k_m", "q2_k", "iq1_s"}};
  for (const auto& m : gpuplan::testing::catalog().models) {
    for (const auto& ladder : ladders) {
      double previous = INFINITY;
      for (const char* p : ladder) {
        const double w = weights_bytes(m.arch, find_precision(p).value());
        EXPECT_LE(w, previous * (1 + 1e-12)) << m.id << " " << p;
        previous = w;
      }
    }
  }
}

TEST(Properties, LargestWithinMatchesBisection) {
  // The interpolating search gives the bisection's answer for every non-decreasing need: linear,
  // convex, concave, stepped, flat, with whole and fractional upper bounds.
  std::mt19937_64 rng(20261203);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int probes_linear = 0;
  int probes_bisect = 0;
  for (int i = 0; i < 20000; ++i) {
    const double upper = i % 3 == 0 ? std::floor(1 + unit(rng) * 2e6) : 1 + unit(rng) * 5000;
    const double base = unit(rng) * 100;
    const double slope = unit(rng) * 10;
    const double step = std::floor(1 + unit(rng) * 300);
    const int shape = i % 5;
    auto need = [&](double x) {
      switch (shape) {
        case 0: return base + slope * x;
        case 1: return base + slope * x * x / 1000;
        case 2: return base + slope * std::sqrt(x);
        case 3: return base + slope * std::ceil(x / step) * step;
        default: return base;
      }
    };
    const double limit = need(1 + unit(rng) * upper * 1.2) - (i % 7 == 0 ? 1e-9 : 0.0);
    int within = 0;
    int bisect = 0;
    const double fast = largest_within(upper, limit, [&](double x) {
      ++within;
      return need(x);
    });
    const double plain = largest_fitting(upper, [&](double x) {
      ++bisect;
      return need(x) <= limit;
    });
    ASSERT_EQ(fast, plain) << "shape " << shape << " upper " << upper << " limit " << limit;
    if (shape == 0) {
      probes_linear += within;
      probes_bisect += bisect;
    }
  }
  // A linear need lands next to the boundary: far fewer probes than the bisection's log2(upper).
  EXPECT_LT(probes_linear * 2, probes_bisect);
}

TEST(Properties, EstimateLimitsMatchPlainBisection) {
  // estimate()'s largest context and batch equal a plain bisection over the same memory terms.
  const Catalog& c = gpuplan::testing::catalog();
  std::mt19937_64 rng(20261204);
  const auto& all = precisions();
  for (int i = 0; i < 500; ++i) {
    Scenario s;
    s.arch = c.models[rng() % c.models.size()].arch;
    s.workload.mode = i % 4 == 0 ? Mode::full_finetune : Mode::inference;
    s.precision = s.workload.mode == Mode::inference ? all[rng() % all.size()] : find_precision("bf16").value();
    s.workload.context = static_cast<double>(1 + rng() % 100000);
    s.workload.batch = static_cast<double>(1 + rng() % 32);
    s.workload.flash_attention = rng() % 2;
    s.gpus = static_cast<double>(1 + rng() % 4);
    s.gpu_memory_bytes = usable_memory_bytes(c.gpus[rng() % c.gpus.size()]);
    const Estimate e = estimate(s);
    auto total_at = [&](double context, double batch) {
      Scenario t = s;
      t.workload.context = context;
      t.workload.batch = batch;
      return estimate_memory(t).total_bytes;
    };
    const double limit = s.arch.context_length > 0 ? s.arch.context_length : 16.0 * 1024 * 1024;
    EXPECT_EQ(e.max_context,
              largest_fitting(limit, [&](double x) { return total_at(x, s.workload.batch) <= s.gpu_memory_bytes; }));
    EXPECT_EQ(e.max_batch, largest_fitting(1 << 20, [&](double b) {
                return total_at(s.workload.context, b) <= s.gpu_memory_bytes;
              }));
  }
}
