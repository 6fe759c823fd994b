// The request layer: field parsing, JSON requests, defaults, and the consistency of the answers
// fit, speed, cost and plan give to the same question.
#include <gtest/gtest.h>

#include "api_context.hpp"

#include <set>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/api/json_request.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/cost_report.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/plan_report.hpp"
#include "gpuplan/io/speed_report.hpp"

namespace gpuplan {
namespace {

struct ApiFixture : ::testing::Test {
  static const Catalog& catalog() { return testing::builtin_catalog(); }
  // llama-3.1-70b on 2 x h100-sxm under vLLM at 1200 tokens per sequence: the trial's case.
  static api::FitRequest vllm_70b_on_two_h100() {
    api::FitRequest fit;
    fit.model = "llama-3.1-70b";
    fit.gpu = "h100-sxm";
    fit.gpus = 2;
    fit.context_tokens = 1200;
    fit.runtime = "vllm";
    return fit;
  }
  static api::Context context() { return testing::offline_context(); }
};

TEST_F(ApiFixture, FieldsParseUnitsAndRefuseBareDurations) {
  api::PlanQuery q;
  const auto& fields = api::plan_fields();
  ASSERT_TRUE(api::assign_text(q, *api::find_field(fields, "tpot"), "50ms"));
  EXPECT_DOUBLE_EQ(*q.tpot_s, 0.050);
  const auto bare = api::assign_text(q, *api::find_field(fields, "--tpot"), "50");
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message.find("needs a unit"), std::string::npos) << bare.error().message;
  ASSERT_TRUE(api::assign_text(q, *api::find_field(fields, "ctx"), "32k"));  // a CLI alias
  EXPECT_DOUBLE_EQ(*q.context_tokens, 32000);                                // decimal, as every k
  ASSERT_TRUE(api::assign_text(q, *api::find_field(fields, "ctx"), "32Ki"));
  EXPECT_DOUBLE_EQ(*q.context_tokens, 32768);
  EXPECT_FALSE(api::assign_text(q, *api::find_field(fields, "users"), "2.5"));
  EXPECT_FALSE(api::assign_text(q, *api::find_field(fields, "users"), "nan"));
}

// The request parser bounds its input before nlohmann::json builds anything: a deep nesting is
// refused (not a stack overflow), a key given twice is an error (not the last one silently).
TEST_F(ApiFixture, JsonRequestsAreBoundedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto nested = api::request_from_json_text<api::FitRequest>(deep, api::fit_fields());
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("deeper than"), std::string::npos) << nested.error().message;
  auto twice =
      api::request_from_json_text<api::FitRequest>(R"({"model": "a", "model": "llama-3.1-8b"})", api::fit_fields());
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos) << twice.error().message;
  const std::string big = "{\"model\": \"" + std::string(api::kMaxRequestBytes, 'x') + "\"}";
  EXPECT_FALSE(api::request_from_json_text<api::FitRequest>(big, api::fit_fields()));
  EXPECT_FALSE(api::request_from_json_text<api::FitRequest>("{\"model\": ", api::fit_fields()));
}

TEST_F(ApiFixture, JsonRequestsUseTheSameTable) {
  auto fit = api::request_from_json_text<api::FitRequest>(
      R"({"model": "llama-3.1-8b", "gpu": "rtx-4090", "context": "32k", "batch": 2, "gpu-memory-utilization": 0.8,
          "runtime": "vllm", "no_flash_attention": false, "quant": null})",
      api::fit_fields());
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_EQ(*fit.value().model, "llama-3.1-8b");
  EXPECT_DOUBLE_EQ(*fit.value().context_tokens, 32000);
  EXPECT_DOUBLE_EQ(*fit.value().batch, 2);
  EXPECT_DOUBLE_EQ(*fit.value().memory_fraction, 0.8);
  EXPECT_FALSE(fit.value().quant.has_value());
  const auto unknown = api::request_from_json_text<api::FitRequest>(R"({"contxt": 5})", api::fit_fields());
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("context"), std::string::npos) << unknown.error().message;
  EXPECT_FALSE((api::request_from_json_text<api::PlanQuery>(R"({"tpot": 50})", api::plan_fields())));
  EXPECT_FALSE((api::request_from_json_text<api::FitRequest>(R"({"batch": -1})", api::fit_fields())));
  EXPECT_FALSE((api::request_from_json_text<api::FitRequest>(R"({"model": 7})", api::fit_fields())));
  EXPECT_FALSE((api::request_from_json_text<api::FitRequest>("[1,2]", api::fit_fields())));
  EXPECT_FALSE((api::request_from_json_text<api::FitRequest>("{\"model\": \"a\x01\"}", api::fit_fields())));
}

TEST_F(ApiFixture, EveryDefaultHasAValueAndASource) {
  const auto& all = api::defaults::describe_defaults();
  EXPECT_GE(all.size(), 25u);
  for (const auto& d : all) {
    EXPECT_FALSE(d.value.empty()) << d.name;
    EXPECT_FALSE(d.source.empty()) << d.name;
    EXPECT_FALSE(d.applies.empty()) << d.name;
  }
}

TEST_F(ApiFixture, EveryFieldHasHelpAndAUniqueKey) {
  auto check = [](const auto& fields) {
    std::set<std::string> keys;
    for (const auto& f : fields) {
      EXPECT_TRUE(keys.insert(f.info.key).second) << f.info.key;
      EXPECT_GT(std::string(f.info.help).size(), 5u) << f.info.key;
      if (f.info.kind != api::FieldKind::text && f.info.kind != api::FieldKind::flag) {
        EXPECT_LE(f.info.min, f.info.max) << f.info.key;
      }
    }
  };
  check(api::fit_fields());
  check(api::speed_fields());
  check(api::cost_fields());
  check(api::plan_fields());
  check(api::train_fields());
  check(api::inspect_fields());
  check(api::idle_fields());
}

// The trial's contradiction: cost said 2 H100s serve 65 requests of llama-3.1-70b, plan needed 4,
// vLLM's own arithmetic on 2 cards held 16. One rule now sizes the replica for all three.
TEST_F(ApiFixture, CostPlanAndFitAgreeOnTheReplica) {
  const api::Context ctx = context();
  api::CostRequest cost;
  cost.model = "llama-3.1-70b";
  cost.gpu = "h100-sxm";
  cost.users = 65;
  cost.tokens_per_month = 5e9;
  auto c = api::run_cost(ctx, cost);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_NE(c.value().best, nullptr);
  api::PlanQuery plan;
  plan.model = "llama-3.1-70b";
  plan.gpus = "h100-sxm";
  plan.quants = "bf16";
  plan.users = 65;
  plan.tokens_per_month = 5e9;
  plan.pay = "rent";
  auto p = api::run_plan(ctx, plan);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p.value().plan.found);
  const PlanCandidate& pb = *p.value().plan.top();
  const PlanCandidate& cb = *c.value().best;
  EXPECT_EQ(cb.gpus, pb.gpus);
  EXPECT_EQ(cb.replica.concurrency, pb.replica.concurrency);
  EXPECT_EQ(cb.fleet_gpus, pb.fleet_gpus);
  EXPECT_DOUBLE_EQ(cb.cost.rent.monthly_usd, pb.cost.rent.monthly_usd);
  EXPECT_DOUBLE_EQ(cb.memory_per_gpu_bytes, pb.memory_per_gpu_bytes);
  EXPECT_DOUBLE_EQ(cb.tpot_s, pb.tpot_s);
  EXPECT_GE(cb.fleet_gpus, 4) << "65 requests of 1200 tokens do not fit in 2 H100s' KV pool";

  // fit --runtime vllm on 2 cards at the average request: the KV pool holds what the plan says.
  const PlanCandidate two = evaluate_serving(p.value().request, *cb.gpu, 2, cb.precision, Split::tensor);
  api::FitRequest fit = vllm_70b_on_two_h100();
  auto f = api::run_fit(ctx, fit);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f.value().estimate.max_batch, two.max_concurrency_memory);
  EXPECT_LT(f.value().estimate.max_batch, 65);
}

TEST_F(ApiFixture, CostWithOnlyAUtilisationRunsOneReplicaAtItsCapacity) {
  api::CostRequest cost;
  cost.model = "llama-3.1-70b";
  cost.gpu = "h100-sxm";
  cost.utilization = 0.3;
  auto c = api::run_cost(context(), cost);
  ASSERT_TRUE(c) << c.error().message;
  const PlanCandidate& b = *c.value().best;
  EXPECT_EQ(b.replicas, 1);
  EXPECT_EQ(b.demand.peak_concurrency, b.replica.concurrency);
  EXPECT_NEAR(b.cost.utilization, 0.3, 1e-9);
  EXPECT_NEAR(b.demand.tokens_per_month, 0.3 * b.cost.capacity_tokens_per_month, 1.0);
}

TEST_F(ApiFixture, EngineVerdictHonoursTheBatch) {
  api::FitRequest fit = vllm_70b_on_two_h100();
  fit.batch = 65;
  auto f = api::run_fit(context(), fit);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_FALSE(f.value().estimate.fits);
  EXPECT_TRUE(f.value().estimate.batch_exceeds_concurrency);
  EXPECT_LT(f.value().estimate.max_batch, 65);
  EXPECT_LE(f.value().estimate.max_context * 65, f.value().estimate.engine.kv_cache_tokens);
  fit.batch = f.value().estimate.max_batch;
  auto ok = api::run_fit(context(), fit);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.value().estimate.fits);
}

TEST_F(ApiFixture, LlamaCppContextIsPerSequence) {
  api::FitRequest fit;
  fit.model = "llama-3.1-8b";
  fit.gpu = "rtx-4090";
  fit.quant = "q4_k_m";
  fit.runtime = "llama.cpp";
  fit.context_tokens = 8192;
  fit.parallel = 4;
  auto r = api::resolve_fit(context(), fit);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_DOUBLE_EQ(r.value().scenario.engine.max_model_len, 8192.0 * 4);
}

TEST_F(ApiFixture, NativePrecisionByDefault) {
  api::FitRequest fit;
  fit.model = "gpt-oss-120b";
  fit.gpu = "h100-sxm";
  auto r = api::resolve_fit(context(), fit);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().scenario.precision.name, "mxfp4");
  EXPECT_TRUE(r.value().precision_is_native);
  fit.model = "llama-3.1-8b";
  fit.gpu = "t4";
  auto t4 = api::resolve_fit(context(), fit);
  ASSERT_TRUE(t4) << t4.error().message;
  EXPECT_EQ(t4.value().scenario.precision.name, "fp16") << "T4 has no BF16";
}

TEST_F(ApiFixture, ContradictoryOptionsAreRefused) {
  api::FitRequest fit;
  fit.model = "llama-3.1-8b";
  fit.gpu = "rtx-4090";
  fit.lora_rank = 8;  // inference
  auto r = api::run_fit(context(), fit);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  api::PlanQuery plan;
  plan.model = "llama-3.1-8b";
  plan.tokens = 1e9;
  plan.users = 20;
  auto p = api::run_plan(context(), plan);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::conflict);
}

TEST_F(ApiFixture, SpeedAndFitAgreeOnMemory) {
  const api::Context ctx = context();
  api::SpeedRequest speed;
  speed.model = "llama-3.1-8b";
  speed.gpu = "l40s";
  speed.runtime = "vllm";
  speed.prompt_tokens = 2000;
  speed.output_tokens = 500;
  speed.concurrency = 8;
  auto s = api::run_speed(ctx, speed);
  ASSERT_TRUE(s) << s.error().message;
  api::FitRequest fit;
  fit.model = "llama-3.1-8b";
  fit.gpu = "l40s";
  fit.runtime = "vllm";
  fit.context_tokens = 2500;
  fit.batch = 8;
  auto f = api::run_fit(ctx, fit);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_DOUBLE_EQ(s.value().estimate.memory.total_bytes, f.value().estimate.memory.total_bytes);
  EXPECT_EQ(s.value().estimate.max_batch, f.value().estimate.max_batch);
  EXPECT_EQ(s.value().estimate.fits, f.value().estimate.fits);
}

// One JSON vocabulary: fit, speed, plan and cost documents for the same question (llama-3.1-8b on
// one l40s at bf16) spell the model's parameter count and the card's memory at the same key paths.
TEST_F(ApiFixture, DocumentsShareTheModelAndGpuVocabulary) {
  const api::Context ctx = context();
  api::FitRequest fit;
  fit.model = "llama-3.1-8b";
  fit.gpu = "l40s";
  fit.quant = "bf16";
  auto f = api::run_fit(ctx, fit);
  ASSERT_TRUE(f) << f.error().message;
  const api::FitResponse& fr = f.value();
  const auto fit_doc = io::fit_json(io::FitReport{fr.resolved.model, fr.resolved.architecture_assumed, fr.resolved.gpu,
                                                  fr.resolved.scenario, fr.estimate, fr.suggestions});
  api::SpeedRequest speed;
  speed.model = fit.model;
  speed.gpu = fit.gpu;
  speed.quant = fit.quant;
  auto s = api::run_speed(ctx, speed);
  ASSERT_TRUE(s) << s.error().message;
  const api::SpeedResponse& sr = s.value();
  const std::vector<FitSuggestion> none;
  const auto speed_doc =
      io::speed_json(io::SpeedReport{io::FitReport{sr.resolved.model, sr.resolved.architecture_assumed, sr.resolved.gpu,
                                                   sr.resolved.scenario, sr.estimate, none},
                                     sr.curve, sr.compute_bound_concurrency});
  api::PlanQuery plan;
  plan.model = fit.model;
  plan.gpus = fit.gpu;
  plan.quants = "bf16";
  auto p = api::run_plan(ctx, plan);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE(p.value().plan.found);
  const auto plan_doc = io::plan_json(io::PlanReport{p.value().request, p.value().plan, 0});
  api::CostRequest cost;
  cost.model = fit.model;
  cost.gpu = fit.gpu;
  cost.quant = "bf16";
  cost.users = 4;
  cost.tokens_per_month = 1e9;
  auto c = api::run_cost(ctx, cost);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_NE(c.value().best, nullptr);
  const auto cost_doc =
      io::cost_json(io::CostReport{c.value().plan.request, *c.value().best, c.value().plan.resolved.model,
                                   c.value().sweep, c.value().gpu_chosen, c.value().cards_priced});
  const auto total = fit_doc["model"]["params"]["total"];
  const auto memory = fit_doc["gpu"]["memory_bytes"];
  ASSERT_TRUE(total.is_number_integer());
  ASSERT_TRUE(memory.is_number_integer());
  EXPECT_GT(total.get<long long>(), 7'000'000'000LL);
  for (const auto* doc : {&speed_doc, &plan_doc, &cost_doc}) {
    EXPECT_EQ((*doc)["model"]["id"], fit_doc["model"]["id"]) << (*doc)["schema"];
    EXPECT_EQ((*doc)["model"]["params"]["total"], total) << (*doc)["schema"];
  }
  EXPECT_EQ(speed_doc["gpu"]["memory_bytes"], memory);
  EXPECT_EQ(plan_doc["plan"]["best"]["gpu"]["memory_bytes"], memory);
  EXPECT_EQ(plan_doc["plan"]["best"]["gpu"]["id"], fit_doc["gpu"]["id"]);
  EXPECT_EQ(cost_doc["gpu"]["memory_bytes"], memory);
}

}  // namespace
}  // namespace gpuplan

namespace gpuplan {
namespace {

// Every layout train can print parses back to itself (the search's layouts and random ones).
TEST(ApiLayout, ParseOfPrintIsIdentity) {
  unsigned seed = 12345;
  auto next = [&seed](int n) {
    seed = seed * 1103515245u + 12345u;
    return static_cast<int>((seed >> 16) % static_cast<unsigned>(n));
  };
  for (int i = 0; i < 2000; ++i) {
    Layout l;
    l.tp = 1 << next(4);
    l.pp = 1 + next(16);
    l.dp = 1 + next(64);
    l.cp = 1 << next(3);
    l.ep = 1 << next(4);
    l.vpp = 1 + next(4);
    l.zero = next(4);
    l.micro_batch = 1 + next(8);
    l.recompute = static_cast<Recompute>(next(3));
    l.sequence_parallel = l.tp > 1 ? next(2) == 0 : true;
    auto back = api::parse_layout(to_string(l));
    ASSERT_TRUE(back) << to_string(l) << ": " << back.error().message;
    EXPECT_EQ(to_string(back.value()), to_string(l));
    const Layout& b = back.value();
    EXPECT_EQ(b.tp, l.tp);
    EXPECT_EQ(b.zero, l.zero);
    EXPECT_EQ(b.sequence_parallel, l.sequence_parallel);
    EXPECT_EQ(b.recompute, l.recompute);
    EXPECT_EQ(b.micro_batch, l.micro_batch);
  }
  EXPECT_FALSE(api::parse_layout("tp=2,zero=abc"));
  EXPECT_FALSE(api::parse_layout("tp=2,zero=4"));
  EXPECT_FALSE(api::parse_layout("tp=0"));
  EXPECT_FALSE(api::parse_layout("sp=maybe"));
  EXPECT_FALSE(api::parse_layout(std::string(600, 't')));
}

// A server's limits reach the request path: the train search stops at its work budget (and says
// so), and a context that forbids local paths refuses one with a clear error.
TEST_F(ApiFixture, TrainBudgetAndLocalPathPolicyReachTheRequestPath) {
  api::TrainRequest train;
  train.model = "llama-3.1-8b";
  train.gpu = "h100-sxm";
  train.tokens = 1e9;
  train.method = "lora";
  auto whole = api::run_train(context(), train);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole.value().report.search.stopped, SearchStop::complete);
  train.max_evaluated = 30;
  auto budgeted = api::run_train(context(), train);
  ASSERT_TRUE(budgeted) << budgeted.error().message;
  EXPECT_EQ(budgeted.value().report.search.stopped, SearchStop::budget_spent);
  EXPECT_LE(budgeted.value().report.search.evaluated, 30);
  api::Context server = context();
  server.sources.allow_local_paths = false;
  api::FitRequest fit;
  fit.model = "./config.json";
  fit.gpu = "rtx-4090";
  auto refused = api::run_fit(server, fit);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("local paths are not allowed"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan
