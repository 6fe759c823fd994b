// Plan requests for a catalog model, shared by the plan tests (through plan_fixture.hpp) and the
// plan benchmark. No GoogleTest here: the benchmark does not link it.
#pragma once
#include <algorithm>

#include "gpuplan/catalog.hpp"
#include "gpuplan/plan.hpp"

namespace gpuplan::testing {

// Serving `m` at the plan's default workload (bf16 base, the model's API prices), with the
// context capped at the model's own.
inline PlanRequest serve_request(const Catalog& catalog, const Model& m) {
  PlanRequest q;
  q.catalog = &catalog;
  q.model_id = m.id;
  q.model_name = m.name;
  q.base.arch = m.arch;
  q.base.precision = find_precision("bf16").value();
  q.api = api_price(catalog.prices, m, catalog.models);
  if (m.arch.context_length > 0) q.serve.context = std::min(q.serve.context, m.arch.context_length);
  return q;
}

// `q` turned into a training job: `method` on `tokens` tokens within `deadline_days`, up to 4096 GPUs.
inline PlanRequest train_request(PlanRequest q, Mode method, double tokens, double deadline_days) {
  q.kind = PlanKind::train;
  q.train.method = method;
  q.train.tokens = tokens;
  q.train.deadline_s = deadline_days * 86400;
  q.base.workload.mode = method;
  q.filters.max_gpus = 4096;
  return q;
}

}  // namespace gpuplan::testing
