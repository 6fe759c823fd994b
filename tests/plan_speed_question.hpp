// One serving question asked of `plan` (one card, one engine, one precision) and of `speed` at the
// batch plan chose per replica: the two must give the same TPOT and TTFT.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "api_context.hpp"

namespace gpuplan::testing {

struct ServingQuestion {
  std::string model, gpu, quant, runtime;
  double users = 1, prompt_tokens = 1000, output_tokens = 200;
};

// plan's top choice, by value (its card points into the response's catalog, gone after the call).
struct PlanFigures {
  double batch = 0, tpot_s = 0, ttft_s = 0;
};

struct PlanAndSpeed {
  PlanFigures best;  // plan's top choice: requests per replica at the peak and its latency
  Speed speed;       // speed at best.batch requests in flight
};

// Fails the calling test (ASSERT inside) when either command errs or plan finds nothing.
inline void plan_then_speed(const ServingQuestion& q, PlanAndSpeed& out) {
  const api::Context ctx = offline_context();
  api::PlanQuery plan;
  plan.model = q.model;
  plan.gpus = q.gpu;
  plan.quants = q.quant;
  plan.runtime = q.runtime;
  plan.users = q.users;
  plan.prompt_tokens = q.prompt_tokens;
  plan.output_tokens = q.output_tokens;
  plan.max_gpus = 1;
  auto p = api::run_plan(ctx, plan);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p.value().plan.found);
  const PlanCandidate& top = *p.value().plan.top();
  out.best = PlanFigures{top.batch, top.tpot_s, top.ttft_s};
  api::SpeedRequest s;
  s.model = q.model;
  s.gpu = q.gpu;
  s.quant = q.quant;
  s.runtime = q.runtime;
  s.prompt_tokens = q.prompt_tokens;
  s.output_tokens = q.output_tokens;
  s.concurrency = out.best.batch;
  auto r = api::run_speed(ctx, s);
  ASSERT_TRUE(r) << r.error().message;
  out.speed = r.value().estimate.speed;
}

}  // namespace gpuplan::testing
