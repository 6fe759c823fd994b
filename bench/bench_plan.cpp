// Google Benchmark: the whole `plan` search (every GPU x count x precision x split x batch, the
// tiers, the Pareto front, one tier lower and the findings). Reports scenarios evaluated per
// second as the "scenarios/s" counter. Run: build/release/bench/gpuplan_bench --benchmark_filter=Plan
#include <benchmark/benchmark.h>

#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/plan.hpp"
#include "plan_request.hpp"

using namespace gpuplan;

namespace {

const Catalog& plan_catalog() {
  static const Catalog c = io::builtin_catalog().value();
  return c;
}

PlanRequest request(const char* model_name) {
  return testing::serve_request(plan_catalog(), *find_model(plan_catalog(), model_name).value());
}

void run(benchmark::State& state, const PlanRequest& q) {
  double scenarios = 0;
  for (auto _ : state) {
    Plan p = make_plan(q);
    scenarios += p.candidates_evaluated;
    benchmark::DoNotOptimize(p);
  }
  state.counters["scenarios/s"] = benchmark::Counter(scenarios, benchmark::Counter::kIsRate);
  state.counters["scenarios"] = scenarios / static_cast<double>(state.iterations());
}

void BM_PlanServe70B(benchmark::State& state) {
  run(state, request("llama-3.1-70b"));
}

void BM_PlanServeMoE32k(benchmark::State& state) {
  PlanRequest q = request("qwen3-30b-a3b");
  q.serve.context = 32768;
  q.serve.users = 20;
  run(state, q);
}

void BM_PlanServeDeepSeekDatacenter(benchmark::State& state) {
  PlanRequest q = request("deepseek-v3");
  q.filters.tier = Tier::datacenter;
  q.filters.max_gpus = 16;
  run(state, q);
}

void BM_PlanTrainQLoRA8B(benchmark::State& state) {
  run(state, testing::train_request(request("llama-3.1-8b"), Mode::qlora, 50e6, 2));
}

}  // namespace

BENCHMARK(BM_PlanServe70B)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanServeMoE32k)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanServeDeepSeekDatacenter)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlanTrainQLoRA8B)->Unit(benchmark::kMillisecond);
