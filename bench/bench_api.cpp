// Google Benchmark: the same questions through the request layer (typed request → resolve →
// run → response), as every face asks them, beside the core-only figures of bench_fit.cpp and
// bench_plan.cpp. The difference is what the request layer costs: name lookup, defaults, engine
// options and the suggestions. Run: build/release/bench/gpuplan_bench --benchmark_filter=Api
#include <benchmark/benchmark.h>

#include "api_context.hpp"
#include "gpuplan/api/api.hpp"

using namespace gpuplan;

namespace {

api::Context api_context() {
  return testing::offline_context();
}

api::FitRequest fit_request(const char* model, const char* gpu, double context_tokens, const char* runtime) {
  api::FitRequest q;
  q.model = model;
  q.gpu = gpu;
  q.context_tokens = context_tokens;
  if (runtime != nullptr) q.runtime = runtime;
  return q;
}

void BM_ApiFit(benchmark::State& state, api::FitRequest q) {
  const api::Context ctx = api_context();
  for (auto _ : state) {
    auto r = api::run_fit(ctx, q);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
}

void BM_ApiResolveFit(benchmark::State& state, api::FitRequest q) {
  const api::Context ctx = api_context();
  for (auto _ : state) {
    auto r = api::resolve_fit(ctx, q);
    benchmark::DoNotOptimize(r);
  }
}

void BM_ApiPlan(benchmark::State& state, const char* model) {
  const api::Context ctx = api_context();
  api::PlanQuery q;
  q.model = model;
  for (auto _ : state) {
    auto r = api::run_plan(ctx, q);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
}

}  // namespace

// The generic estimate (no engine named) and llama.cpp's own layer fit (-fit on).
BENCHMARK_CAPTURE(BM_ApiFit, llama8b_4090_generic, fit_request("llama-3.1-8b", "rtx-4090", 8192, nullptr));
BENCHMARK_CAPTURE(BM_ApiFit, llama70b_4090_generic, fit_request("llama-3.1-70b", "rtx-4090", 32768, nullptr));
BENCHMARK_CAPTURE(BM_ApiFit, llama70b_4090_llamacpp, fit_request("llama-3.1-70b", "rtx-4090", 8192, "llama.cpp"));
BENCHMARK_CAPTURE(BM_ApiFit, llama8b_3090_vllm, fit_request("llama-3.1-8b", "rtx-3090", 20000, "vllm"));
BENCHMARK_CAPTURE(BM_ApiResolveFit, llama70b_4090_generic, fit_request("llama-3.1-70b", "rtx-4090", 32768, nullptr));
// plan with every default (the README's 70B question without flags).
BENCHMARK_CAPTURE(BM_ApiPlan, llama70b_defaults, "llama-3.1-70b")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ApiPlan, qwen3_30b_a3b_defaults, "qwen3-30b-a3b")->Unit(benchmark::kMillisecond);
