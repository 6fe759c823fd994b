// Cost: the crossover math by hand-computed cases, and sanity over random inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "catalog_fixture.hpp"
#include "gpuplan/cost.hpp"

using namespace gpuplan;

namespace {

Prices h100_like() {
  Prices p;
  p.purchase_usd_per_gpu = 30000;
  p.years = 3;
  p.gpu_tdp_w = 700;
  p.hosting_usd_per_kw_month = 184.06;
  p.server_power_factor = 1.82;
  p.pue = 1.58;
  p.power_usd_per_kwh = 0.1194;
  p.rent_usd_per_gpu_hour = 2.99;
  p.api_input_usd_per_million = 0.5;
  p.api_output_usd_per_million = 1.5;
  return p;
}

}  // namespace

TEST(Cost, OwnedHourByHand) {
  const Prices p = h100_like();
  // 30000 / (3 x 8760) + 184.06 x 0.7 kW x 1.82 / 730
  EXPECT_NEAR(own_fixed_usd_per_gpu_hour(p), 30000.0 / 26280.0 + 184.06 * 0.7 * 1.82 / 730.0, 1e-12);
  EXPECT_NEAR(own_power_usd_per_gpu_hour_at_full_load(p), 0.7 * 1.82 * 1.58 * 0.1194, 1e-12);
  // u* = fixed / (rent - power): 1.46278 / (2.99 - 0.24035) = 0.532
  const double expected = (30000.0 / 26280.0 + 184.06 * 0.7 * 1.82 / 730.0) / (2.99 - 0.7 * 1.82 * 1.58 * 0.1194);
  EXPECT_NEAR(breakeven_utilization_own_vs_rent(p), expected, 1e-12);
  std::printf("H100-like owned vs rented at $2.99/h: break-even utilisation %.1f%%\n",
              100 * breakeven_utilization_own_vs_rent(p));
  EXPECT_GT(breakeven_utilization_own_vs_rent(p), 0.5);  // the seed's ~50-60 % rule of thumb
  EXPECT_LT(breakeven_utilization_own_vs_rent(p), 0.6);
}

TEST(Cost, RentingNeverDearerMeansInfiniteBreakEven) {
  Prices p = h100_like();
  p.rent_usd_per_gpu_hour = 0.2;  // below the power bill alone
  EXPECT_TRUE(std::isinf(breakeven_utilization_own_vs_rent(p)));
}

TEST(Cost, ServingByHand) {
  const Prices p = h100_like();
  ReplicaCapacity r;
  r.gpus = 2;
  r.concurrency = 10;
  r.request_s = 20;  // 10 slots x 1200 tokens / 20 s = 600 tokens/s
  ServingDemand d;
  d.tokens_per_month = 1e9;
  d.prompt_tokens = 1000;
  d.output_tokens = 200;
  d.peak_concurrency = 10;
  const ServingCost c = serving_cost(d, r, p, -1);
  const double capacity = 600.0 * 730 * 3600;
  EXPECT_DOUBLE_EQ(c.replicas, 1);
  EXPECT_DOUBLE_EQ(c.gpus, 2);
  EXPECT_NEAR(c.capacity_tokens_per_month, capacity, 1e-3);
  EXPECT_NEAR(c.utilization, 1e9 / capacity, 1e-12);
  const double api_per_token = (1000 * 0.5 + 200 * 1.5) / 1200.0 / 1e6;
  EXPECT_NEAR(c.api.monthly_usd, 1e9 * api_per_token, 1e-6);
  EXPECT_NEAR(c.api.usd_per_million_tokens, api_per_token * 1e6, 1e-9);
  EXPECT_NEAR(c.rent.monthly_usd, 2 * 2.99 * 730, 1e-9);
  EXPECT_NEAR(c.rent_elastic.monthly_usd, 2 * 2.99 * 730 * c.utilization, 1e-9);
  EXPECT_NEAR(c.own.monthly_usd,
              2 * 730 * (own_fixed_usd_per_gpu_hour(p) + own_power_usd_per_gpu_hour_at_full_load(p) * c.utilization),
              1e-9);
  EXPECT_NEAR(c.breakeven_tokens_api_vs_rent, 2 * 2.99 * 730 / api_per_token, 1e-3);
  EXPECT_DOUBLE_EQ(c.rent_committed.monthly_usd, 0);  // no committed price given
  // More volume than one replica carries: the fleet grows.
  d.tokens_per_month = 2.5 * capacity;
  EXPECT_DOUBLE_EQ(serving_cost(d, r, p, -1).replicas, 3);
  // A peak above one replica's slots: the fleet grows too.
  d.tokens_per_month = 1e8;
  d.peak_concurrency = 25;
  EXPECT_DOUBLE_EQ(serving_cost(d, r, p, -1).replicas, 3);
}

TEST(Cost, SweepCrossesAtTheBreakEven) {
  const Prices p = h100_like();
  ReplicaCapacity r;
  r.gpus = 1;
  r.concurrency = 8;
  r.request_s = 10;
  ServingDemand d;
  d.tokens_per_month = 1e9;
  d.peak_concurrency = 8;
  const double u = breakeven_utilization_own_vs_rent(p);
  const auto at = sweep_utilization(d, r, p, u, u, 1);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_NEAR(at[0].own_usd, at[0].rent_elastic_usd, 1e-6);
  const auto sweep = sweep_utilization(d, r, p, 0.1, 1.0, 10);
  ASSERT_EQ(sweep.size(), 10u);
  EXPECT_GT(sweep.front().own_usd, sweep.front().rent_elastic_usd);  // idle hardware: rent
  EXPECT_LT(sweep.back().own_usd, sweep.back().rent_elastic_usd);    // busy hardware: own
  const auto volume = sweep_volume(d, r, p, 1e8, 1e11, 7);
  ASSERT_EQ(volume.size(), 7u);
  for (std::size_t i = 1; i < volume.size(); ++i) EXPECT_GE(volume[i].own_usd, volume[i - 1].own_usd);
}

TEST(Cost, JobByHand) {
  const Prices p = h100_like();
  const JobCost j = job_cost(1000, p, 0.5);
  EXPECT_NEAR(j.rent_usd, 2990, 1e-9);
  EXPECT_NEAR(j.own_usd, 1000 * (own_fixed_usd_per_gpu_hour(p) / 0.5 + own_power_usd_per_gpu_hour_at_full_load(p)),
              1e-9);
  // At the break-even utilisation, owning a GPU-hour costs what renting it does.
  const JobCost even = job_cost(1000, p, breakeven_utilization_own_vs_rent(p));
  EXPECT_NEAR(even.own_usd, even.rent_usd, 1e-6);
}

TEST(Cost, RandomInputsGiveFiniteNonNegativeFigures) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> U(0, 1);
  for (int i = 0; i < 20000; ++i) {
    Prices p;
    p.purchase_usd_per_gpu = 100 + U(rng) * 60000;
    p.years = 1 + U(rng) * 6;
    p.gpu_tdp_w = 50 + U(rng) * 1200;
    p.rent_usd_per_gpu_hour = 0.05 + U(rng) * 12;
    p.committed_usd_per_gpu_hour = U(rng) * 8;
    p.power_usd_per_kwh = U(rng) * 0.5;
    p.pue = 1 + U(rng);
    p.hosting_usd_per_kw_month = U(rng) * 400;
    p.server_power_factor = 1 + U(rng);
    p.api_input_usd_per_million = U(rng) * 10;
    p.api_output_usd_per_million = U(rng) * 30;
    ReplicaCapacity r;
    r.gpus = std::floor(1 + U(rng) * 16);
    r.concurrency = std::floor(1 + U(rng) * 256);
    r.request_s = 0.01 + U(rng) * 120;
    ServingDemand d;
    d.tokens_per_month = U(rng) * 1e12;
    d.prompt_tokens = std::floor(1 + U(rng) * 32000);
    d.output_tokens = std::floor(1 + U(rng) * 4000);
    d.peak_concurrency = std::floor(1 + U(rng) * 1000);
    const ServingCost c = serving_cost(d, r, p, i % 3 == 0 ? U(rng) : -1);
    for (double v : {c.api.monthly_usd, c.rent.monthly_usd, c.rent_elastic.monthly_usd, c.own.monthly_usd,
                     c.api.usd_per_million_tokens, c.own.usd_per_million_tokens, c.utilization, c.replicas,
                     c.capacity_tokens_per_month, c.breakeven_tokens_api_vs_rent, c.breakeven_tokens_api_vs_own}) {
      ASSERT_TRUE(std::isfinite(v) && v >= 0) << i;
    }
    ASSERT_TRUE(c.breakeven_utilization >= 0);  // may be +infinity: renting never dearer
    ASSERT_LE(c.utilization, 1.0);
    const JobCost j = job_cost(U(rng) * 1e6, p, U(rng));
    for (double v : {j.rent_usd, j.own_usd, j.committed_usd}) ASSERT_TRUE(std::isfinite(v) && v >= 0) << i;
  }
}

TEST(Cost, ApiPriceFallsBackToTheNearestOfferedModel) {
  const Catalog& c = gpuplan::testing::catalog();
  const ApiPrice own = api_price(c.prices, gpuplan::testing::model("llama-3.1-70b"), c.models);
  EXPECT_GE(own.offers, 3);
  EXPECT_NE(own.basis.find("median"), std::string::npos);
  const ApiPrice near = api_price(c.prices, gpuplan::testing::model("qwen2.5-7b"), c.models);
  EXPECT_NE(near.basis.find("llama-3.1-8b"), std::string::npos) << near.basis;
  EXPECT_GT(near.usd_per_million_input, 0);
  EXPECT_FALSE(c.prices.power_usd_per_kwh.source.empty());
  EXPECT_FALSE(c.prices.pue.as_of.empty());
}
