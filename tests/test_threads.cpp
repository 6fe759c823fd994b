// Requests on many threads at once (a server): run_fit, run_speed, run_plan and run_cost share one
// catalog and context and must give exactly the single-thread answers. Built and run under
// ThreadSanitizer by scripts/test.sh (label `threads`).
#include <gtest/gtest.h>

#include "api_context.hpp"

#include <string>
#include <thread>
#include <vector>

#include "gpuplan/api/api.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan {
namespace {

// The figures of each answer that must not depend on which thread computed it.
struct Answers {
  double fit_headroom_bytes = 0, fit_max_batch = 0;
  double speed_decode_bytes = 0, speed_decode_flops = 0;
  double plan_evaluated = 0, plan_top_usd = 0;
  double cost_best_usd = 0;
  bool ok = false;
  std::string error;  // the first request that failed
  bool operator==(const Answers&) const = default;
};

Answers answer(const api::Context& ctx, const std::string& model, const std::string& gpu) {
  Answers a;
  api::FitRequest fit;
  fit.model = model;
  fit.gpu = gpu;
  auto f = api::run_fit(ctx, fit);
  api::SpeedRequest speed;
  speed.model = model;
  speed.gpu = gpu;
  auto s = api::run_speed(ctx, speed);
  api::PlanQuery plan;
  plan.model = model;
  plan.gpus = gpu;
  auto p = api::run_plan(ctx, plan);
  api::CostRequest cost;
  cost.model = model;
  cost.gpu = gpu;
  cost.tokens_per_month = 3e9;
  auto c = api::run_cost(ctx, cost);
  if (!f || !s || !p || !c) {
    a.error = !f ? f.error().message : !s ? s.error().message : !p ? p.error().message : c.error().message;
    return a;
  }
  a.ok = true;
  a.fit_headroom_bytes = f.value().estimate.headroom_bytes;
  a.fit_max_batch = f.value().estimate.max_batch;
  a.speed_decode_bytes = s.value().estimate.speed.decode_bytes_per_step;
  a.speed_decode_flops = s.value().estimate.speed.decode_flops_per_step;
  a.plan_evaluated = p.value().plan.candidates_evaluated;
  a.plan_top_usd = p.value().plan.top() ? p.value().plan.top()->rank_usd() : -1;
  a.cost_best_usd = c.value().best ? c.value().best->monthly_usd : -1;
  return a;
}

TEST(Threads, ConcurrentRequestsEqualTheSingleThreadAnswers) {
  api::Context ctx = testing::offline_context();
  ctx.sources.allow_local_paths = false;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"llama-3.1-8b", "rtx-4090"}, {"qwen2.5-7b", "l4"}, {"llama-3.1-70b", "h100-sxm"}};
  std::vector<Answers> expected;
  for (const auto& [model, gpu] : cases) {
    expected.push_back(answer(ctx, model, gpu));
    ASSERT_TRUE(expected.back().ok) << model << " on " << gpu << ": " << expected.back().error;
  }
  constexpr int kThreads = 4;
  constexpr int kRounds = 2;
  std::vector<std::vector<Answers>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (std::size_t i = 0; i < cases.size(); ++i) {
          const auto& [model, gpu] = cases[(i + static_cast<std::size_t>(t)) % cases.size()];
          got[static_cast<std::size_t>(t)].push_back(answer(ctx, model, gpu));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    std::size_t k = 0;
    for (int round = 0; round < kRounds; ++round) {
      for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::size_t c = (i + static_cast<std::size_t>(t)) % cases.size();
        EXPECT_TRUE(got[static_cast<std::size_t>(t)][k++] == expected[c])
            << "thread " << t << ": " << cases[c].first << " on " << cases[c].second;
      }
    }
  }
}

}  // namespace
}  // namespace gpuplan
