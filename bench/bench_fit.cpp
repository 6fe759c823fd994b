// Google Benchmark: one full `fit` estimate (memory breakdown, verdict, largest context and
// batch by search) and its parts. Run: build/release/bench/gpuplan_bench
#include <benchmark/benchmark.h>

#include "gpuplan/advice.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/training.hpp"

using namespace gpuplan;

namespace {

const Catalog& catalog() {
  static const Catalog c = io::builtin_catalog().value();
  return c;
}

Scenario make(const char* model, const char* precision, const char* gpu, Mode mode, double context, double batch) {
  Scenario s;
  s.arch = find_model(catalog(), model).value()->arch;
  s.precision = find_precision(precision).value();
  s.gpu_memory_bytes = usable_memory_bytes(*find_gpu(catalog(), gpu).value());
  s.workload.mode = mode;
  s.workload.context = context;
  s.workload.batch = batch;
  return s;
}

void BM_FitEstimate(benchmark::State& state, Scenario s) {
  for (auto _ : state) {
    Estimate e = estimate(s);
    benchmark::DoNotOptimize(e);
  }
}

void BM_FitWithAdvice(benchmark::State& state, Scenario s) {
  for (auto _ : state) {
    Estimate e = estimate(s);
    auto advice = fit_suggestions(s, e, catalog().gpus);
    benchmark::DoNotOptimize(advice);
  }
}

void BM_WeightsBytes(benchmark::State& state, Scenario s) {
  for (auto _ : state) benchmark::DoNotOptimize(weights_bytes(s.arch, s.precision));
}

}  // namespace

BENCHMARK_CAPTURE(BM_FitEstimate, llama70b_q4km_4090,
                  make("llama-3.1-70b", "q4_k_m", "rtx-4090", Mode::inference, 32768, 4));
BENCHMARK_CAPTURE(BM_FitEstimate, llama8b_bf16_h100,
                  make("llama-3.1-8b", "bf16", "h100-sxm", Mode::inference, 8192, 1));
BENCHMARK_CAPTURE(BM_FitEstimate, mistral7b_full_a100,
                  make("mistral-7b", "bf16", "a100-80gb", Mode::full_finetune, 4096, 4));
BENCHMARK_CAPTURE(BM_FitEstimate, deepseek_v3_fp8_h100,
                  make("deepseek-v3", "fp8", "h100-sxm", Mode::inference, 32768, 8));
BENCHMARK_CAPTURE(BM_FitEstimate, qwen25_7b_qlora_l4, make("qwen2.5-7b", "nf4-dq", "l4", Mode::qlora, 2048, 1));
BENCHMARK_CAPTURE(BM_FitWithAdvice, llama70b_q4km_4090,
                  make("llama-3.1-70b", "q4_k_m", "rtx-4090", Mode::inference, 32768, 4));
BENCHMARK_CAPTURE(BM_WeightsBytes, llama405b_q4km,
                  make("llama-3.1-405b", "q4_k_m", "h100-sxm", Mode::inference, 4096, 1));
BENCHMARK_CAPTURE(BM_WeightsBytes, llama405b_bf16,
                  make("llama-3.1-405b", "bf16", "h100-sxm", Mode::inference, 4096, 1));

namespace {

Scenario with_speed(Scenario s, const char* gpu, const char* runtime, double concurrency, double gpus, Split split) {
  const Gpu& g = *find_gpu(catalog(), gpu).value();
  s.with_speed = true;
  s.hardware = compute_spec(g);
  s.runtime = find_runtime(catalog(), runtime, g.vendor).value();
  s.speed.prompt_tokens = 2000;
  s.speed.output_tokens = 500;
  s.speed.concurrency = concurrency;
  s.gpus = gpus;
  s.speed.split = split;
  return s;
}

void BM_SpeedOnly(benchmark::State& state, Scenario s) {
  const SpeedInputs in = speed_inputs(s);
  for (auto _ : state) {
    Speed sp = estimate_speed(in);
    benchmark::DoNotOptimize(sp);
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_SpeedOnly, llama8b_q4km_4090,
                  with_speed(make("llama-3.1-8b", "q4_k_m", "rtx-4090", Mode::inference, 2500, 1), "rtx-4090",
                             "llama.cpp", 1, 1, Split::layer));
BENCHMARK_CAPTURE(BM_SpeedOnly, llama70b_bf16_4xh100_tp,
                  with_speed(make("llama-3.1-70b", "bf16", "h100-sxm", Mode::inference, 2500, 32), "h100-sxm", "vllm",
                             32, 4, Split::tensor));
BENCHMARK_CAPTURE(BM_FitEstimate, llama8b_q4km_4090_with_speed,
                  with_speed(make("llama-3.1-8b", "q4_k_m", "rtx-4090", Mode::inference, 2500, 1), "rtx-4090",
                             "llama.cpp", 1, 1, Split::layer));

namespace {

// The layout search: configurations evaluated per second (one core).
void BM_TrainSearch(benchmark::State& state, const char* model, double gpus) {
  Scenario s = make(model, "bf16", "h100-sxm", Mode::pretrain, 8192, 1);
  TrainJob job;
  job.tokens = 15e12;
  job.seq = 8192;
  job.global_batch_seqs = 2048;
  const TrainModel m = prepare_train_model(s, job);
  Cluster c;
  c.gpus_per_node = 8;
  c.intra = Link{450e9, 3e-6, 1.0};  // NVLink 4 (data/links.json)
  c.inter = Link{50e9, 8e-6, 0.9};   // InfiniBand NDR 400
  c.peak_flops = 989e12;
  c.compute_efficiency = 0.76;
  c.memory_bytes = 80.0 * 1024 * 1024 * 1024;
  c.memory_bytes_per_s = 3.35e12;  // memory-bound ops and the optimizer step are modelled
  SearchLimits limits;
  limits.max_gpus = gpus;
  double evaluated = 0;
  double full = 0;
  for (auto _ : state) {
    const SearchResult r = search_layouts(m, job, c, limits);
    evaluated += r.evaluated;
    full += r.fully_evaluated;
    benchmark::DoNotOptimize(r);
  }
  state.counters["configs_per_s"] = benchmark::Counter(evaluated, benchmark::Counter::kIsRate);
  state.counters["full_estimates_per_s"] = benchmark::Counter(full, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_TrainSearch, llama70b_up_to_4096, "llama-3.1-70b", 4096)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TrainSearch, llama405b_up_to_16384, "llama-3.1-405b", 16384)->Unit(benchmark::kMillisecond);

namespace {

Scenario with_engine(Scenario s, const char* engine_id, double max_model_len) {
  s.engine_spec = *find_engine(catalog(), engine_id).value();
  s.engine.max_model_len = max_model_len;
  return s;
}

void BM_EngineMemory(benchmark::State& state, Scenario s) {
  for (auto _ : state) {
    EngineMemory m = engine_memory(s);
    benchmark::DoNotOptimize(m);
  }
}

}  // namespace

// Engine-faithful plans (fit --runtime): the engine's memory alone, and the whole estimate (which
// also searches the largest context and batch in the engine's terms).
BENCHMARK_CAPTURE(BM_EngineMemory, vllm_llama8b_3090,
                  with_engine(make("llama-3.1-8b", "bf16", "rtx-3090", Mode::inference, 20000, 1), "vllm", 20000));
BENCHMARK_CAPTURE(BM_EngineMemory, vllm_gemma3_27b_h100,
                  with_engine(make("gemma-3-27b", "bf16", "h100-sxm", Mode::inference, 8192, 1), "vllm", 8192));
BENCHMARK_CAPTURE(BM_EngineMemory, llamacpp_llama70b_q4km_4090_fit_layers,
                  with_engine(make("llama-3.1-70b", "q4_k_m", "rtx-4090", Mode::inference, 8192, 1), "llama.cpp",
                              8192));
BENCHMARK_CAPTURE(BM_FitEstimate, vllm_llama8b_3090,
                  with_engine(make("llama-3.1-8b", "bf16", "rtx-3090", Mode::inference, 20000, 1), "vllm", 20000));
BENCHMARK_CAPTURE(BM_FitEstimate, llamacpp_llama70b_q4km_4090,
                  with_engine(make("llama-3.1-70b", "q4_k_m", "rtx-4090", Mode::inference, 8192, 1), "llama.cpp",
                              8192));

BENCHMARK_MAIN();
