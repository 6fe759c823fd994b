// The serving step model against rows it was never fitted on: TensorRT-LLM's perf-overview
// (v0.9.0, gptSessionBenchmark) in shared/reference/serving_speed.csv — static-batch throughput per
// GPU and batch-1 TTFT on A100, H100, H200 and L40S. Predicted with the calibration the fallback
// chain gives each card (TensorRT-LLM on Hopper; on Ampere and Ada, which have no rows of their own,
// the engine's all-family fallback). The harness is C++ (no HTTP): no per-request overhead; a
// static batch prefills all its prompts in one pass, then decodes them together. Held out in full:
// neither the constants nor the mechanisms were chosen on these rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "serving_rows.hpp"
#include "validation_report.hpp"

namespace gpuplan::testing {
namespace {

std::string perf_overview_gpu(const std::string& hardware) {
  for (const auto& [prefix, id] : std::vector<std::pair<std::string, std::string>>{
           {"H200", "h200"}, {"H100", "h100-sxm"}, {"A100", "a100-80gb"}, {"L40S", "l40s"}}) {
    if (hardware.rfind(prefix, 0) == 0) return id;
  }
  return "";
}

std::string perf_overview_model(const std::string& name) {
  if (name.find("Llama-2-70b") != std::string::npos) return "llama-2-70b";
  if (name.find("Llama-2-7b") != std::string::npos) return "llama-2-7b";
  if (name.find("Mixtral 8x7B") != std::string::npos) return "mixtral-8x7b";
  return "";
}

// Static batch: every prompt in one pass, then `output` decode steps of the whole batch (the mean
// over four quarters of the growing context).
double static_batch_s(const ServingInputs& in, double batch, double prompt, double output) {
  double total = serving_step(in, StepWork{batch * prompt, prompt, 0, 0}).total_s;
  for (int q = 0; q < 4; ++q) {
    const double depth = prompt + output * (q + 0.5) / 4;
    total += output / 4 * serving_step(in, StepWork{0, prompt, batch, depth}).total_s;
  }
  return total;
}

TEST(ServingSpeedValidation, PerfOverviewRowsHeldOut) {
  const std::vector<CsvRow> csv = read_csv(std::string(GPUPLAN_REFERENCE_DIR) + "/serving_speed.csv");
  ASSERT_GE(csv.size(), 100u);
  std::map<std::string, Precision> precisions;
  std::vector<double> ttft_errors, throughput_errors;
  std::ostringstream table;
  table << "| row (model, card, weights, TP, input x output, batch, metric) | calibration | predicted | measured | "
           "error |\n|---|---|---:|---:|---:|\n";
  for (const CsvRow& r : csv) {
    const std::string metric = r.at("metric");
    if (r.at("engine") != "tensorrt-llm" || r.at("concurrency_or_batch").empty() ||
        (metric != "ttft_ms" && metric != "output_tokens_per_s_per_gpu")) {
      continue;
    }
    const std::string gpu_id = perf_overview_gpu(r.at("hardware"));
    const std::string model_id = perf_overview_model(r.at("model"));
    ASSERT_FALSE(gpu_id.empty()) << r.at("hardware");
    ASSERT_FALSE(model_id.empty()) << r.at("model");
    const Gpu& gpu = *find_gpu(catalog(), gpu_id).value();
    const Model& model = *find_model(catalog(), model_id).value();
    const std::string quant = r.at("weights_precision");
    if (!precisions.count(quant)) precisions.emplace(quant, find_precision(quant).value());
    ServingInputs in;
    in.arch = &model.arch;
    in.precision = &precisions.at(quant);
    in.hardware = compute_spec(gpu);
    in.gemm_path = serving_gemm_path(*in.precision, gpu.dense_flops);
    in.kv_bytes = r.at("kv_cache_dtype") == "fp8" ? 1 : 2;
    in.layout.tensor_parallel = std::max(1.0, number_or(r.at("tensor_parallel"), 1));
    in.calibration =
        find_serving_calibration(catalog().serving_calibrations, "tensorrt-llm", arch_family(gpu.architecture));
    const double batch = number_or(r.at("concurrency_or_batch"), 1);
    const double prompt = number_or(r.at("input_len"), 1);
    const double output = number_or(r.at("output_len"), 1);
    const double measured = number_or(r.at("value"), 0);
    double predicted = 0;
    if (metric == "ttft_ms") {
      predicted = serving_step(in, StepWork{batch * prompt, prompt, 0, 0}).total_s * 1e3;
    } else {
      predicted = batch * output / static_batch_s(in, batch, prompt, output) / in.layout.tensor_parallel;
    }
    ASSERT_TRUE(std::isfinite(predicted) && predicted > 0) << model_id << " " << gpu_id;
    const double error = predicted / measured - 1;
    (metric == "ttft_ms" ? ttft_errors : throughput_errors).push_back(error);
    char line[400];
    std::snprintf(line, sizeof line, "| %s %s %s tp%g %gx%g b%g %s | %s%s | %.1f | %.1f | %+.1f%% |\n",
                  model_id.c_str(), gpu_id.c_str(), quant.c_str(), in.layout.tensor_parallel, prompt, output, batch,
                  metric.c_str(), in.calibration.fitted_on.c_str(),
                  in.calibration.fallback.empty() ? "" : (" (" + in.calibration.fallback + ")").c_str(), predicted,
                  measured, 100 * error);
    table << line;
  }
  char summary[300];
  std::snprintf(summary, sizeof summary,
                "\nHeld out (never fitted): static-batch throughput %zu rows, median |error| %.1f%%; batch-1 TTFT %zu "
                "rows, median |error| %.1f%%.\n",
                throughput_errors.size(), 100 * median_abs(throughput_errors), ttft_errors.size(),
                100 * median_abs(ttft_errors));
  table << summary;
  std::printf("%s", table.str().c_str());
  expect_readme_block("serving-speed-accuracy", "serving_speed_accuracy.md", table.str());
  EXPECT_EQ(throughput_errors.size(), 17u);
  EXPECT_EQ(ttft_errors.size(), 12u);
  // Today's held-out errors (16.9 % and 24.0 %; 14.7 % and 23.3 % before the step overhead was
  // bounded at 1 ms, a change chosen on the development set), asserted near them.
  EXPECT_LE(median_abs(throughput_errors), 0.18);
  EXPECT_LE(median_abs(ttft_errors), 0.255);
}

}  // namespace
}  // namespace gpuplan::testing
