// Issue 13, part 5: answers a new user got wrong, each kept by a test (partial offload in speed,
// Apple memory variants, contradictory flags, the printed training step adding up, home-owned cards).
#include <gtest/gtest.h>

#include "api_context.hpp"

#include <cmath>
#include <regex>
#include <string>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/train_report.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan {
namespace {

struct AnswersFixture : ::testing::Test {
  static const Catalog& catalog() { return testing::builtin_catalog(); }
  static api::Context context() { return testing::offline_context(); }
  // llama-3.1-70b Q4_K_M under llama.cpp, one sequence, 512 + 128 tokens.
  static api::SpeedRequest llama_70b_q4(const char* gpu) {
    api::SpeedRequest q;
    q.model = "llama-3.1-70b";
    q.gpu = gpu;
    q.quant = "q4_k_m";
    q.runtime = "llama.cpp";
    q.prompt_tokens = 512;
    q.output_tokens = 128;
    return q;
  }
};

TEST_F(AnswersFixture, PartialOffloadDecodesAtHostBandwidth) {
  api::SpeedRequest full = llama_70b_q4("rtx-4090");
  full.gpu_memory_bytes = 64.0 * kGiB;  // the same card with room for every layer
  auto on_gpu = api::run_speed(context(), full);
  ASSERT_TRUE(on_gpu) << on_gpu.error().message;
  ASSERT_TRUE(on_gpu.value().estimate.fits);
  EXPECT_TRUE(on_gpu.value().resolved.warnings.empty());

  api::SpeedRequest half = llama_70b_q4("rtx-4090");
  half.n_gpu_layers = "40";  // of 80
  auto offload = api::run_speed(context(), half);
  ASSERT_TRUE(offload) << offload.error().message;
  ASSERT_TRUE(offload.value().estimate.fits);
  const Speed& off = offload.value().estimate.speed;
  const Speed& gpu = on_gpu.value().estimate.speed;
  // decode = the GPU's half of the layers + the other half's bytes at host bandwidth (+ a PCIe hop
  // of microseconds, inside the tolerance).
  const double host_s = 0.5 * gpu.decode_bytes_per_step / api::defaults::kHostMemoryBandwidthBytesPerS;
  const double expected_tpot = 0.5 * gpu.tpot_s.expected + host_s;
  EXPECT_NEAR(off.tpot_s.expected, expected_tpot, 0.01 * expected_tpot);
  EXPECT_GT(off.tpot_s.expected, 4.0 * gpu.tpot_s.expected);
  EXPECT_NEAR(off.decode_tokens_per_s.expected * off.tpot_s.expected, 1.0, 1e-9);
  EXPECT_FALSE(offload.value().resolved.warnings.empty());
}

// Prefill under partial offload: ggml's CUDA backend computes every ubatch of 32+ tokens on the GPU,
// uploading the RAM layers' weights over the host link each time; the context curve uses the same
// model as the point estimate (it said "all layers on the GPU" before).
TEST_F(AnswersFixture, PartialOffloadPrefillUploadsAndTheCurveAgrees) {
  api::SpeedRequest full = llama_70b_q4("rtx-4090");
  full.gpu_memory_bytes = 64.0 * kGiB;
  auto on_gpu = api::run_speed(context(), full);
  ASSERT_TRUE(on_gpu) << on_gpu.error().message;
  api::SpeedRequest half = llama_70b_q4("rtx-4090");
  half.n_gpu_layers = "40";
  half.curve_points = 4;
  auto offload = api::run_speed(context(), half);
  ASSERT_TRUE(offload) << offload.error().message;
  const Speed& gpu = on_gpu.value().estimate.speed;
  const Speed& off = offload.value().estimate.speed;
  // One ubatch of 512: half of the 70B q4_k_m weights (~20 GiB) cross PCIe 4.0 x16 once.
  const Gpu& card = offload.value().resolved.gpu;
  const double host_weights = 0.5 * scenario_weights_bytes(offload.value().resolved.scenario);
  const double link = compute_spec(card).link_bytes_per_s;
  EXPECT_GT(off.ttft_s.expected, gpu.ttft_s.expected + 0.8 * host_weights / link);
  EXPECT_LT(off.ttft_s.expected, gpu.ttft_s.expected + 1.2 * host_weights / link);
  // The curve's first point (context 512) is within a few percent of the point estimate at 512+128.
  ASSERT_FALSE(offload.value().curve.empty());
  const CurvePoint& first = offload.value().curve.front();
  EXPECT_NEAR(first.tpot_s, off.tpot_s.expected, 0.05 * off.tpot_s.expected);
  EXPECT_GT(first.tpot_s, 4.0 * gpu.tpot_s.expected);
}

TEST_F(AnswersFixture, SpeedOfAModelThatDoesNotFitKeepsTheVerdict) {
  api::SpeedRequest q = llama_70b_q4("rtx-4090");
  q.n_gpu_layers = "all";
  auto r = api::run_speed(context(), q);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r.value().estimate.fits);
}

TEST_F(AnswersFixture, AppleMemoryVariantsKeepMetalsWorkingSet) {
  api::FitRequest q;
  q.model = "llama-3.1-8b";
  q.gpu = "m3-max";
  q.gpu_memory_bytes = 64.0 * kGiB;
  auto given = api::run_fit(context(), q);
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_DOUBLE_EQ(given.value().resolved.scenario.gpu_memory_bytes, 48.0 * kGiB);  // 75 % above 36 GiB
  q.gpu_memory_bytes = 36.0 * kGiB;
  auto small = api::run_fit(context(), q);
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_NEAR(small.value().resolved.scenario.gpu_memory_bytes, 24.0 * kGiB, 1.0);  // 2/3 at 36 GiB
  api::FitRequest named;
  named.model = "llama-3.1-8b";
  named.gpu = "m3-max-64gb";
  auto variant = api::run_fit(context(), named);
  ASSERT_TRUE(variant) << variant.error().message;
  EXPECT_DOUBLE_EQ(variant.value().resolved.scenario.gpu_memory_bytes, 48.0 * kGiB);
  named.gpu = "m3-max-50gb";  // not a size Apple sells
  auto unknown = api::run_fit(context(), named);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("64gb"), std::string::npos) << unknown.error().message;
}

TEST_F(AnswersFixture, QloraRefusesAnFp8Base) {
  api::FitRequest fit;
  fit.model = "llama-3.1-8b";
  fit.gpu = "h100-sxm";
  fit.mode = "qlora";
  fit.quant = "fp8";
  auto f = api::run_fit(context(), fit);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::conflict);
  fit.quant = "nf4";
  EXPECT_TRUE(api::run_fit(context(), fit));
  api::TrainRequest train;
  train.model = "llama-3.1-8b";
  train.gpu = "h100-sxm";
  train.method = "qlora";
  train.quant = "fp8";
  train.tokens = 50e6;
  auto t = api::run_train(context(), train);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::conflict);
  // Each command names its own option: fit --mode, train --method.
  EXPECT_NE(f.error().message.find("--mode qlora"), std::string::npos) << f.error().message;
  EXPECT_NE(t.error().message.find("--method qlora"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().message.find("--mode"), std::string::npos) << t.error().message;
}

TEST_F(AnswersFixture, TensorParallelMustDivideTheHeads) {
  api::FitRequest fit;
  fit.model = "llama-3.1-70b";  // 64 attention heads, 8 KV heads
  fit.gpu = "h100-sxm";
  fit.gpus = 3;
  fit.runtime = "vllm";
  auto f = api::run_fit(context(), fit);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::conflict);
  fit.gpus = 4;
  EXPECT_TRUE(api::run_fit(context(), fit));
  api::SpeedRequest speed;
  speed.model = "llama-3.1-70b";
  speed.gpu = "h100-sxm";
  speed.gpus = 3;
  speed.split = "tensor";
  auto s = api::run_speed(context(), speed);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::conflict);
}

TEST_F(AnswersFixture, PrintedTrainingStepAddsUp) {
  api::TrainRequest q;
  q.model = "llama-3.1-8b";
  q.gpu = "h100-sxm";
  q.gpus = 64;
  q.tokens = 1e12;
  q.layout = "tp=2,pp=2,dp=16";
  auto r = api::run_train(context(), q);
  ASSERT_TRUE(r) << r.error().message;
  const std::string text = io::train_table(r.value().report);
  std::smatch line;
  ASSERT_TRUE(std::regex_search(text, line, std::regex("Step +([0-9.]+) s = ([^\n]*)"))) << text;
  const double total = std::stod(line[1].str());
  const std::string terms = line[2].str();
  double sum = 0;
  int n = 0;
  const std::regex number("([0-9]+\\.[0-9]+)");
  for (auto it = std::sregex_iterator(terms.begin(), terms.end(), number); it != std::sregex_iterator(); ++it) {
    sum += std::stod((*it)[1].str());
    ++n;
  }
  ASSERT_GE(n, 3) << terms;
  EXPECT_GT(total, 0.0);
  // Each term is rounded to 0.001 as printed: the sum may differ by half a unit per term.
  EXPECT_NEAR(sum, total, 0.0005 * (n + 1)) << line[0].str();
}

TEST_F(AnswersFixture, ConsumerCardOwnedAtHomePaysNoColocation) {
  api::CostRequest q;
  q.model = "llama-3.1-8b";
  q.gpu = "rtx-4090";
  q.utilization = 0.3;
  auto home = api::run_cost(context(), q);
  ASSERT_TRUE(home) << home.error().message;
  ASSERT_NE(home.value().best, nullptr);
  EXPECT_DOUBLE_EQ(home.value().best->prices.hosting_usd_per_kw_month, 0.0);
  q.hosting_usd_per_kw_month = catalog().prices.hosting_usd_per_kw_month.value;  // colocation asked
  auto colo = api::run_cost(context(), q);
  ASSERT_TRUE(colo) << colo.error().message;
  ASSERT_NE(colo.value().best, nullptr);
  EXPECT_GT(colo.value().best->prices.hosting_usd_per_kw_month, 0.0);
  EXPECT_LT(home.value().best->cost.own.monthly_usd, colo.value().best->cost.own.monthly_usd);
  EXPECT_DOUBLE_EQ(home.value().best->cost.rent.monthly_usd, colo.value().best->cost.rent.monthly_usd);
  api::CostRequest datacenter = q;  // a datacenter card keeps the price book's hosting
  datacenter.gpu = "h100-sxm";
  datacenter.hosting_usd_per_kw_month.reset();
  auto dc = api::run_cost(context(), datacenter);
  ASSERT_TRUE(dc) << dc.error().message;
  ASSERT_NE(dc.value().best, nullptr);
  EXPECT_GT(dc.value().best->prices.hosting_usd_per_kw_month, 0.0);
}

}  // namespace
}  // namespace gpuplan
