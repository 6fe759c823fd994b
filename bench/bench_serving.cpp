// Google Benchmark: one serving estimate under load (step model + closed loop to its fixed point)
// and one step. Run: build/release/bench/gpuplan_bench --benchmark_filter=Serving
#include <benchmark/benchmark.h>

#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/serving.hpp"

using namespace gpuplan;

namespace {

struct Setup {
  Catalog catalog = io::builtin_catalog().value();
  Precision precision;
  ServingInputs in;
};

Setup* make(const char* model, const char* gpu, const char* quant, double tp, double ep) {
  auto* s = new Setup;  // lives for the process: the inputs point into it
  s->precision = find_precision(quant).value();
  const Gpu& g = *find_gpu(s->catalog, gpu).value();
  s->in.arch = &find_model(s->catalog, model).value()->arch;
  s->in.precision = &s->precision;
  s->in.hardware = compute_spec(g);
  s->in.gemm_path = serving_gemm_path(s->precision, g.dense_flops);
  s->in.layout.tensor_parallel = tp;
  s->in.layout.expert_parallel = ep;
  s->in.calibration = find_serving_calibration(s->catalog.serving_calibrations, "vllm", arch_family(g.architecture));
  s->in.kv_pool_tokens = serving_kv_pool_tokens(s->in, g.memory_bytes, 0.9);
  return s;
}

void BM_ServingClosedLoop(benchmark::State& state, Setup* s) {
  for (auto _ : state) benchmark::DoNotOptimize(serve_closed_loop(s->in, 64, 1024, 256));
}

void BM_ServingStep(benchmark::State& state, Setup* s) {
  for (auto _ : state) benchmark::DoNotOptimize(serving_step(s->in, StepWork{512, 1024, 64, 1152}));
}

}  // namespace

BENCHMARK_CAPTURE(BM_ServingClosedLoop, llama70b_fp8_h100_tp4, make("llama-3.1-70b", "h100-sxm", "fp8", 4, 1));
BENCHMARK_CAPTURE(BM_ServingClosedLoop, deepseek_r1_fp8_b200_tp8_ep8, make("deepseek-r1", "b200", "fp8", 8, 8));
BENCHMARK_CAPTURE(BM_ServingStep, llama70b_fp8_h100_tp4, make("llama-3.1-70b", "h100-sxm", "fp8", 4, 1));
