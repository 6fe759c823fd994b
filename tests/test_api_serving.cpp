// Issue 14 on the request layer: `speed`, `plan` and `cost` take the serving step model for vLLM,
// SGLang and TensorRT-LLM, with the engines' layout flags, `--concurrency max` and the calibration
// the figures rest on; the commands agree on TPOT and TTFT for the same question.
#include <gtest/gtest.h>

#include <cmath>

#include "api_context.hpp"
#include "gpuplan/api/json_request.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/speed_report.hpp"
#include "plan_speed_question.hpp"

using namespace gpuplan;

namespace {

api::SpeedRequest vllm_8b_h100(double concurrency) {
  api::SpeedRequest q;
  q.model = "llama-3.1-8b";
  q.gpu = "h100-sxm";
  q.runtime = "vllm";
  q.prompt_tokens = 1024;
  q.output_tokens = 256;
  q.concurrency = concurrency;
  return q;
}

api::SpeedRequest deepseek_on_b200(api::SpeedRequest q = {}) {
  q.model = "deepseek-r1";
  q.gpu = "b200";
  q.gpus = 8;
  q.runtime = "sglang";
  q.prompt_tokens = 1000;
  q.output_tokens = 1000;
  q.concurrency = 128;
  return q;
}

}  // namespace

TEST(ApiServing, SpeedUnderLoadIsTheCalibratedClosedLoop) {
  auto r = api::run_speed(gpuplan::testing::offline_context(), vllm_8b_h100(64));
  ASSERT_TRUE(r) << r.error().message;
  const Estimate& e = r.value().estimate;
  ASSERT_TRUE(e.has_load);
  const ServingLoad& l = e.load;
  EXPECT_TRUE(l.fits);
  EXPECT_EQ(l.admitted, 64);  // 443,792 tokens of vLLM's pool hold 64 x 1,152
  // The figures speed prints are the closed loop's, and its throughput is the benchmark tools' one.
  EXPECT_DOUBLE_EQ(e.speed.tpot_s.expected, l.tpot_s);
  EXPECT_DOUBLE_EQ(e.speed.ttft_s.expected, l.ttft_s);
  EXPECT_NEAR(l.output_tokens_per_s, 64 * 256 / (l.ttft_s + 255 * l.tpot_s), 1e-6 * l.output_tokens_per_s);
  EXPECT_NEAR(l.step.total_s,
              l.step.dense_s + l.step.experts_s + l.step.attention_s + l.step.communication_s + l.step.overhead_s,
              1e-12);
  const ServingCalibration& c = r.value().resolved.scenario.serving_calibration;
  EXPECT_TRUE(c.calibrated);
  EXPECT_EQ(c.engine, "vllm");
  EXPECT_EQ(c.architecture, "hopper");
  EXPECT_FALSE(c.measured.empty());
  EXPECT_LT(e.speed.tpot_s.low, l.tpot_s);
  EXPECT_GT(e.speed.tpot_s.high, l.tpot_s);
  // Measured (vLLM 0.x, H100 SXM, Llama 3.1 8B bf16, 1024/256 at 64 in flight, serving_aic_silicon.csv):
  // TPOT ~15.2 ms, TTFT ~196 ms. The range must hold them.
  EXPECT_LE(e.speed.tpot_s.low, 15.2e-3);
  EXPECT_GE(e.speed.tpot_s.high, 15.2e-3);
  EXPECT_LE(e.speed.ttft_s.low, 0.196);
  EXPECT_GE(e.speed.ttft_s.high, 0.196);
}

TEST(ApiServing, TtftGrowsWithTheRequestsInFlight) {
  double last_ttft = 0, last_throughput = 0;
  for (const double c : {1.0, 8.0, 32.0, 128.0}) {
    auto r = api::run_speed(gpuplan::testing::offline_context(), vllm_8b_h100(c));
    ASSERT_TRUE(r) << r.error().message;
    const ServingLoad& l = r.value().estimate.load;
    EXPECT_GT(l.ttft_s, last_ttft) << c;
    EXPECT_GT(l.output_tokens_per_s, last_throughput) << c;
    last_ttft = l.ttft_s;
    last_throughput = l.output_tokens_per_s;
  }
}

TEST(ApiServing, ConcurrencyMaxIsWhatTheKvPoolHolds) {
  api::SpeedRequest q = vllm_8b_h100(0);
  auto parsed = api::parse_field_number(api::speed_fields()[0].info, "max");
  EXPECT_FALSE(parsed);  // only the fields that say so take "max"
  auto json = api::request_from_json_text<api::SpeedRequest>(
      R"({"model": "llama-3.1-8b", "gpu": "h100-sxm", "runtime": "vllm", "prompt": 1024, "output": 256,
          "concurrency": "max"})",
      api::speed_fields());
  ASSERT_TRUE(json) << json.error().message;
  ASSERT_TRUE(json.value().concurrency);
  EXPECT_EQ(*json.value().concurrency, api::kFieldMax);
  auto r = api::run_speed(gpuplan::testing::offline_context(), json.value());
  ASSERT_TRUE(r) << r.error().message;
  const Estimate& e = r.value().estimate;
  EXPECT_TRUE(e.fits);
  EXPECT_EQ(e.load.concurrency, std::floor(e.engine.max_concurrency));
  EXPECT_EQ(e.load.admitted, e.load.concurrency);
  EXPECT_EQ(r.value().resolved.scenario.speed.concurrency, e.load.concurrency);
}

TEST(ApiServing, EngineLayoutsByTheirFlagNames) {
  const api::Context ctx = gpuplan::testing::offline_context();
  api::SpeedRequest q = deepseek_on_b200();
  q.data_parallel_size = 8;
  q.enable_expert_parallel = true;
  auto r = api::run_speed(ctx, q);
  ASSERT_TRUE(r) << r.error().message;
  const Scenario& s = r.value().resolved.scenario;
  EXPECT_EQ(s.gpus, 8);
  EXPECT_EQ(s.data_parallel, 8);
  EXPECT_EQ(s.expert_parallel, 8);  // vLLM's rule: tensor x data parallel
  const ServingInputs in = serving_inputs(s, serving_pool(s, r.value().estimate));
  EXPECT_EQ(in.layout.tensor_parallel, 1);
  EXPECT_EQ(in.gemm_path, GemmPath::fp8);                      // DeepSeek-R1's own FP8 checkpoint on FP8 tensor cores
  EXPECT_GT(r.value().estimate.load.step.communication_s, 0);  // the all-to-alls
  // TP 8 instead: the same GPUs, the all-reduces of every layer.
  auto tp = api::run_speed(ctx, deepseek_on_b200());
  ASSERT_TRUE(tp) << tp.error().message;
  EXPECT_EQ(serving_inputs(tp.value().resolved.scenario, {}).layout.tensor_parallel, 8);
  EXPECT_NE(tp.value().estimate.load.tpot_s, r.value().estimate.load.tpot_s);
  // Memory: with attention data parallel each rank holds the whole non-expert part (attention,
  // dense layers, shared experts, embeddings); the routed experts spread over all 8.
  const WeightBytes b = weight_bytes_breakdown(s.arch, s.precision);
  const double total = s.measured_weights.total > 0 ? s.measured_weights.total : b.total;
  const double routed =
      s.measured_weights.routed_experts > 0 ? s.measured_weights.routed_experts : total * b.routed_experts / b.total;
  EXPECT_NEAR(r.value().estimate.engine.weights_bytes, routed / 8 + (total - routed), 1e-6 * total);
  EXPECT_NEAR(tp.value().estimate.engine.weights_bytes, total / 8, 1e-6 * total);
  EXPECT_GT(r.value().estimate.engine.weights_bytes, 1.15 * tp.value().estimate.engine.weights_bytes);
}

TEST(ApiServing, LayoutsThatCannotRunAreRefusedWithTheReason) {
  const api::Context ctx = gpuplan::testing::offline_context();
  auto refused = [&](api::SpeedRequest q, const char* says) {
    auto r = api::run_speed(ctx, q);
    ASSERT_FALSE(r) << says;
    EXPECT_EQ(r.error().code, ErrorCode::conflict) << r.error().message;
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  };
  api::SpeedRequest dense = vllm_8b_h100(8);
  dense.enable_expert_parallel = true;
  refused(dense, "dense");
  api::SpeedRequest uneven = vllm_8b_h100(8);
  uneven.gpus = 4;
  uneven.data_parallel_size = 3;
  refused(uneven, "not a multiple");
  api::SpeedRequest both = deepseek_on_b200();
  both.tensor_parallel_size = 4;  // 4 x 1 x 1 != --gpus 8
  refused(both, "tensor x pipeline x data");
  api::SpeedRequest llama = vllm_8b_h100(1);
  llama.runtime = "llama.cpp";
  llama.quant = "q4_k_m";
  llama.data_parallel_size = 2;
  refused(llama, "--split-mode");
  api::SpeedRequest no_runtime = vllm_8b_h100(1);
  no_runtime.runtime.reset();
  no_runtime.pipeline_parallel_size = 2;
  refused(no_runtime, "--runtime");
}

TEST(ApiServing, SpeedAndPlanGiveTheSameServingFigures) {
  // plan's best vLLM candidate on one H100 and `speed` asked the same question (model, card,
  // engine, precision, prompt/output, requests per replica) answer with the same TPOT and TTFT.
  gpuplan::testing::PlanAndSpeed r;
  ASSERT_NO_FATAL_FAILURE(gpuplan::testing::plan_then_speed({"llama-3.1-8b", "h100-sxm", "bf16", "vllm", 48}, r));
  std::printf("plan: %g in flight, TPOT %.2f ms, TTFT %.1f ms; speed: TPOT %.2f ms, TTFT %.1f ms\n", r.best.batch,
              r.best.tpot_s * 1e3, r.best.ttft_s * 1e3, r.speed.tpot_s.expected * 1e3, r.speed.ttft_s.expected * 1e3);
  EXPECT_NEAR(r.speed.tpot_s.expected, r.best.tpot_s, 1e-9);
  EXPECT_NEAR(r.speed.ttft_s.expected, r.best.ttft_s, 1e-9);
}

TEST(ApiServing, UncalibratedPairsSaySoWithAWideRange) {
  // transformers has no measured rows: the any-engine fallback, its fallback named.
  api::SpeedRequest q = vllm_8b_h100(8);
  q.runtime = "transformers";
  auto r = api::run_speed(gpuplan::testing::offline_context(), q);
  ASSERT_TRUE(r) << r.error().message;
  const ServingCalibration& c = r.value().resolved.scenario.serving_calibration;
  EXPECT_EQ(c.engine, "any");
  EXPECT_FALSE(c.fallback.empty());
  const auto j = io::serving_calibration_json(c);
  EXPECT_EQ(j["engine"], "any");
  EXPECT_TRUE(j["fallback"].is_string());
}

TEST(ApiServing, PlanAndCostTakeTheMoeLayouts) {
  const api::Context ctx = gpuplan::testing::offline_context();
  api::PlanQuery plan;
  plan.model = "deepseek-r1";
  plan.gpus = "b200";
  plan.runtime = "sglang";
  plan.users = 256;
  plan.prompt_tokens = 1000;
  plan.output_tokens = 1000;
  plan.enable_expert_parallel = true;
  plan.enable_dp_attention = true;
  auto p = api::run_plan(ctx, plan);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p.value().plan.found);
  const PlanCandidate& best = *p.value().plan.top();
  EXPECT_NE(best.layout.find("attention data parallel"), std::string::npos) << best.layout;
  const Scenario s = candidate_scenario(p.value().request, best);
  EXPECT_EQ(s.expert_parallel, best.gpus);
  EXPECT_EQ(s.data_parallel, best.gpus);
  // speed asked the same: the same TPOT.
  api::SpeedRequest q;
  q.model = "deepseek-r1";
  q.gpu = "b200";
  q.gpus = best.gpus;
  q.quant = best.precision.name;
  q.runtime = "sglang";
  q.prompt_tokens = 1000;
  q.output_tokens = 1000;
  q.concurrency = best.batch;
  q.data_parallel_size = best.gpus;
  q.expert_parallel_size = best.gpus;
  auto sp = api::run_speed(ctx, q);
  ASSERT_TRUE(sp) << sp.error().message;
  EXPECT_NEAR(sp.value().estimate.speed.tpot_s.expected, best.tpot_s, 1e-9);
  // A dense model has no experts to spread: refused, in plan and in cost.
  api::CostRequest cost;
  cost.model = "llama-3.1-8b";
  cost.gpu = "h100-sxm";
  cost.tokens_per_month = 3e9;
  cost.enable_expert_parallel = true;
  auto c = api::run_cost(ctx, cost);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::conflict);
}

TEST(ApiServing, RuntimesSayWhichSpeedModelTheyTake) {
  // data/runtimes.json: the continuous-batching engines take the serving step model, llama.cpp the roofline.
  const Catalog& c = gpuplan::testing::builtin_catalog();
  for (const char* id : {"vllm", "sglang", "tensorrt-llm", "transformers"}) {
    EXPECT_EQ(find_runtime(c, id, "nvidia").value().speed_model, SpeedModel::serving) << id;
  }
  EXPECT_EQ(find_runtime(c, "llama.cpp", "nvidia").value().speed_model, SpeedModel::roofline);
  // The field is parsed by name; anything else is refused with the field named.
  const std::string base =
      R"({"runtimes": [{"id": "x", "runtime": "x", "vendors": ["nvidia"], "calibrated": false, "calibration": "t",
          "bandwidth_efficiency": 0.8, "layer_overhead_s": 0.0001, "compute_efficiency_float": 0.6,
          "compute_efficiency_quant": 0.5, "decode_ratio_low": 0.7, "decode_ratio_high": 1.2,
          "prefill_ratio_low": 0.6, "prefill_ratio_high": 1.3, "speed_model": ")";
  Catalog ok;
  ASSERT_TRUE(io::parse_runtimes_json(base + R"(serving"}]})", ok));
  EXPECT_EQ(ok.runtimes.back().speed_model, SpeedModel::serving);
  Catalog bad;
  auto refused = io::parse_runtimes_json(base + R"(warp"}]})", bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("speed_model"), std::string::npos) << refused.error().message;
  EXPECT_EQ(parse_speed_model(to_string(SpeedModel::serving)), SpeedModel::serving);
  EXPECT_FALSE(parse_speed_model("warp"));
}

TEST(ApiServing, RequestsBeyondTheKvPoolQueueAndWaitInTtft) {
  api::SpeedRequest q = vllm_8b_h100(2000);
  q.prompt_tokens = 8000;
  q.output_tokens = 1000;
  auto r = api::run_speed(gpuplan::testing::offline_context(), q);
  ASSERT_TRUE(r) << r.error().message;
  const Estimate& e = r.value().estimate;
  EXPECT_TRUE(e.batch_exceeds_concurrency);  // the memory verdict: not all at once
  ASSERT_TRUE(e.load.fits);                  // but the engine queues them
  EXPECT_LT(e.load.admitted, 2000);
  EXPECT_NEAR(e.load.admitted, std::floor(e.engine.kv_cache_tokens / 8500), 1);  // at their mean length
  EXPECT_GT(e.load.queue_wait_s, 0);
  EXPECT_GT(e.load.ttft_s, e.load.queue_wait_s);
  const api::Resolved& v = r.value().resolved;
  const std::vector<FitSuggestion> none;
  const std::string text = io::speed_table(
      io::SpeedReport{io::FitReport{v.model, v.architecture_assumed, v.gpu, v.scenario, e, none}, {}, 0});
  EXPECT_NE(text.find("wait in the engine's queue"), std::string::npos) << text;
}
