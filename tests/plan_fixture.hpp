// Plan tests: requests for a model of the built-in catalog, the serving invariants every feasible
// candidate holds, and finding lookup (test_plan.cpp, test_plan_golden.cpp).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "catalog_fixture.hpp"
#include "gpuplan/plan.hpp"
#include "plan_request.hpp"

namespace gpuplan::testing {

inline PlanRequest serve_request(const char* model_name) {
  return serve_request(catalog(), model(model_name));
}

inline PlanRequest train_request(const char* model_name, Mode method, double tokens, double deadline_days) {
  return train_request(serve_request(model_name), method, tokens, deadline_days);
}

// Whether the plan has the finding `code`; a finding found must carry a why and a fix.
inline bool has_finding(const Plan& p, const std::string& code) {
  for (const auto& f : p.findings) {
    if (f.code == code) {
      EXPECT_FALSE(f.why.empty());
      EXPECT_FALSE(f.fix.empty());
      return true;
    }
  }
  return false;
}

// The serving invariants every feasible candidate must hold.
inline void expect_serving_sane(const PlanRequest& q, const PlanCandidate& c) {
  ASSERT_TRUE(c.feasible) << c.reason;
  EXPECT_TRUE(c.fits);
  EXPECT_LE(c.memory_per_gpu_bytes, c.capacity_per_gpu_bytes);
  if (q.serve.tpot_target_s > 0) {
    EXPECT_LE(c.tpot_s, q.serve.tpot_target_s);
  }
  if (q.serve.ttft_target_s > 0) {
    EXPECT_LE(c.ttft_s, q.serve.ttft_target_s);
  }
  EXPECT_GE(c.replicas * c.batch, q.serve.users);  // every peak user has a slot
  EXPECT_EQ(c.fleet_gpus, c.replicas * c.gpus);
  EXPECT_LE(c.fleet_gpus, q.filters.max_gpus);
  EXPECT_GT(c.monthly_usd, 0);
  EXPECT_TRUE(std::isfinite(c.monthly_usd));
  EXPECT_GE(c.utilization, 0);
  EXPECT_LE(c.utilization, 1);
}

}  // namespace gpuplan::testing
