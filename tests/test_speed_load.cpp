// Requests in flight on the roofline runtimes (llama.cpp's parallel slots, Ollama, the generic
// engine): the closed loop on top of the single-stream figures. At one request it is the single
// stream exactly; with more, the others' prompts share the card, so TTFT and TPOT grow, and plan,
// speed and cost take the same figures.
#include <gtest/gtest.h>

#include <cmath>

#include "api_context.hpp"
#include "gpuplan/speed.hpp"
#include "plan_speed_question.hpp"

using namespace gpuplan;

namespace {

LoadInputs llama_8b_like(double concurrency) {
  LoadInputs in;
  in.concurrency = concurrency;
  in.prompt_tokens = 1000;
  in.output_tokens = 200;
  in.prefill_one_s = 0.117;
  in.tpot_one_s = 7.5e-3;
  in.tpot_all_s = 7.5e-3 + (concurrency - 1) * 0.25e-3;
  return in;
}

api::SpeedRequest llama_cpp_speed(double concurrency) {
  api::SpeedRequest q;
  q.model = "llama-3.1-8b";
  q.gpu = "rtx-4090";
  q.quant = "q4_k_m";
  q.runtime = "llama.cpp";
  q.prompt_tokens = 1000;
  q.output_tokens = 200;
  q.concurrency = concurrency;
  return q;
}

}  // namespace

TEST(SpeedLoad, OneRequestIsTheSingleStream) {
  const RooflineLoad r = roofline_closed_loop(llama_8b_like(1));
  EXPECT_DOUBLE_EQ(r.ttft_s, 0.117);
  EXPECT_DOUBLE_EQ(r.tpot_s, 7.5e-3);
  EXPECT_DOUBLE_EQ(r.prefill_share, 0);
}

TEST(SpeedLoad, TheOthersPromptsSlowDecodeAndDelayTheFirstToken) {
  double last_ttft = 0, last_tpot = 0, last_throughput = 0;
  for (const double c : {1.0, 2.0, 8.0, 32.0, 128.0}) {
    const LoadInputs in = llama_8b_like(c);
    const RooflineLoad r = roofline_closed_loop(in);
    EXPECT_GT(r.ttft_s, last_ttft * (c > 1 ? 1.0 : 0.0)) << c;
    EXPECT_GE(r.tpot_s, last_tpot) << c;
    EXPECT_GT(r.output_tokens_per_s, last_throughput) << c;
    // Little's law holds at the fixed point: rho is the others' prefill work per second.
    EXPECT_NEAR(r.prefill_share, c / r.request_latency_s * in.prefill_one_s * (c - 1) / c, 1e-4) << c;
    EXPECT_NEAR(r.output_tokens_per_s, c * 200 / (r.ttft_s + 199 * r.tpot_s), 1e-9 * r.output_tokens_per_s);
    // Throughput never beats the card doing nothing but prompts and decodes of every request.
    EXPECT_LT(r.requests_per_s * in.prefill_one_s, 1.0) << c;
    last_ttft = r.ttft_s;
    last_tpot = r.tpot_s;
    last_throughput = r.output_tokens_per_s;
  }
}

TEST(SpeedLoad, HostileInputsGiveFiniteNonNegativeFigures) {
  for (const double c : {1.0, 3.0, 1e6}) {
    for (const double prompt_s : {0.0, 1e-9, 10.0}) {
      LoadInputs in = llama_8b_like(c);
      in.prefill_one_s = prompt_s;
      in.output_tokens = c > 2 ? 1 : 1e6;
      const RooflineLoad r = roofline_closed_loop(in);
      for (const double v : {r.ttft_s, r.tpot_s, r.prefill_share, r.requests_per_s, r.output_tokens_per_s}) {
        EXPECT_TRUE(std::isfinite(v)) << c << " " << prompt_s;
        EXPECT_GE(v, 0) << c << " " << prompt_s;
      }
      EXPECT_LT(r.prefill_share, 1);
    }
  }
}

TEST(SpeedLoad, LlamaCppUnderLoadInSpeed) {
  const api::Context ctx = gpuplan::testing::offline_context();
  auto one = api::run_speed(ctx, llama_cpp_speed(1));
  auto eight = api::run_speed(ctx, llama_cpp_speed(8));
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_TRUE(eight) << eight.error().message;
  const Speed& a = one.value().estimate.speed;
  const Speed& b = eight.value().estimate.speed;
  EXPECT_FALSE(a.under_load);
  EXPECT_TRUE(b.under_load);
  EXPECT_GT(b.ttft_s.expected, a.ttft_s.expected);  // the others' prompts and decodes share the card
  EXPECT_GT(b.tpot_s.expected, a.tpot_s.expected);
  EXPECT_GT(b.prefill_share, 0.05);
  EXPECT_LT(b.prefill_share, 1);
  EXPECT_NEAR(b.aggregate_tokens_per_s.expected, b.requests_per_s * 200, 1e-9 * b.aggregate_tokens_per_s.expected);
  EXPECT_LT(b.ttft_s.low, b.ttft_s.expected);
  EXPECT_GT(b.ttft_s.high, b.ttft_s.expected);
}

TEST(SpeedLoad, PlanAndSpeedAgreeOnLlamaCppUnderLoad) {
  gpuplan::testing::PlanAndSpeed r;
  ASSERT_NO_FATAL_FAILURE(gpuplan::testing::plan_then_speed({"llama-3.1-8b", "rtx-4090", "q4_k_m", "llama.cpp", 8}, r));
  ASSERT_GT(r.best.batch, 1);
  EXPECT_NEAR(r.speed.tpot_s.expected, r.best.tpot_s, 1e-9);
  EXPECT_NEAR(r.speed.ttft_s.expected, r.best.ttft_s, 1e-9);
}

TEST(SpeedLoad, PlanDoesNotServeAHundredUsersFromOnePromptAlone) {
  // DeepSeek-R1 for 100 users: a llama.cpp candidate's TTFT includes the others' prompts (it was
  // one prompt alone, 0.09 s, and won the plan on four MI250X at TPOT 41 ms).
  const api::Context ctx = gpuplan::testing::offline_context();
  api::PlanQuery plan;
  plan.model = "deepseek-r1";
  plan.users = 100;
  auto p = api::run_plan(ctx, plan);
  ASSERT_TRUE(p) << p.error().message;
  for (const PlanCandidate& c : p.value().plan.candidates) {
    if (!c.feasible || c.batch < 50 || c.runtime.rfind("llama.cpp", 0) != 0) continue;
    const double alone_s = 1000 / c.estimate.speed.prefill_tokens_per_s.expected;
    EXPECT_TRUE(c.estimate.speed.under_load);
    EXPECT_GT(c.ttft_s, 1.1 * alone_s) << c.gpu->id << " x" << c.gpus << " " << c.precision.name << " at " << c.batch;
  }
}
