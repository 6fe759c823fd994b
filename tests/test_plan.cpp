// Plan (unit): the search rules, the ranking and Pareto properties over random workloads, and
// each finding on a constructed case where it must fire and a clean one where it must not.
// Golden plans and the CLI are in test_plan_golden.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "gpuplan/plan.hpp"
#include "plan_fixture.hpp"

using namespace gpuplan;
using gpuplan::testing::expect_serving_sane;
using gpuplan::testing::has_finding;
using gpuplan::testing::serve_request;
using gpuplan::testing::train_request;

// ---- search rules ----

TEST(PlanSearch, GpuCountsFillANodeThenWholeNodes) {
  EXPECT_EQ(gpu_counts(8, 64), (std::vector<double>{1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64}));
  EXPECT_EQ(gpu_counts(8, 4), (std::vector<double>{1, 2, 4}));
  EXPECT_EQ(gpu_counts(6, 20), (std::vector<double>{1, 2, 4, 6, 12, 18}));
}

TEST(PlanSearch, DefaultPrecisionsRunFromFullTo4BitAndGguf) {
  PlanRequest q = serve_request("llama-3.1-8b");
  const auto ps = plan_precisions(q);
  ASSERT_GE(ps.size(), 6u);
  EXPECT_EQ(ps.front().name, "bf16");
  bool gguf = false, four = false;
  for (const auto& p : ps) {
    EXPECT_FALSE(p.quality.empty()) << p.name;  // each carries its quality note
    gguf = gguf || p.kind == QuantKind::gguf_mix;
    four = four || p.linear_bits < 5;
  }
  EXPECT_TRUE(gguf);
  EXPECT_TRUE(four);
  q.kind = PlanKind::train;
  q.train.method = Mode::qlora;
  EXPECT_EQ(plan_precisions(q).front().name, "nf4-dq");
}

TEST(PlanSearch, RulesRejectWhatCannotRun) {
  const PlanRequest q = serve_request("llama-3.1-8b");
  const Gpu& a100 = gpuplan::testing::gpu("a100-80gb");
  const Gpu& mac = gpuplan::testing::gpu("m2-ultra");
  auto fp8 = find_precision("fp8").value();
  const PlanCandidate no_fp8 = evaluate_serving(q, a100, 1, fp8, Split::layer);
  EXPECT_NE(no_fp8.reason.find("fp8"), std::string::npos);
  EXPECT_EQ(no_fp8.rejection, RejectReason::no_fp8_tensor_cores);
  const PlanCandidate two_macs = evaluate_serving(q, mac, 2, find_precision("q4_k_m").value(), Split::layer);
  EXPECT_NE(two_macs.reason.find("one device"), std::string::npos);
  EXPECT_EQ(two_macs.rejection, RejectReason::unified_memory_single_device);
  const PlanCandidate awq_on_mac = evaluate_serving(q, mac, 1, find_precision("awq-int4").value(), Split::layer);
  EXPECT_FALSE(awq_on_mac.feasible);
  EXPECT_EQ(awq_on_mac.rejection, RejectReason::llama_cpp_needs_gguf);  // Apple runs llama.cpp
  PlanRequest on_vllm = q;
  on_vllm.filters.runtime = "vllm";
  EXPECT_EQ(evaluate_serving(on_vllm, a100, 1, find_precision("q4_k_m").value(), Split::layer).rejection,
            RejectReason::gguf_needs_llama_cpp);
  // 8 KV heads: tensor parallelism over 3 cards cannot split them (3 is not a count the search makes, but the rule
  // holds)
  const PlanCandidate tp3 = evaluate_serving(q, a100, 3, find_precision("bf16").value(), Split::tensor);
  EXPECT_NE(tp3.reason.find("KV heads"), std::string::npos);
  EXPECT_EQ(tp3.rejection, RejectReason::tp_heads);  // 32 attention heads do not split over 3 either
  // A model that does not fit says by how much.
  const PlanRequest big = serve_request("llama-3.1-405b");
  const PlanCandidate c =
      evaluate_serving(big, gpuplan::testing::gpu("rtx-4090"), 1, find_precision("bf16").value(), Split::layer);
  EXPECT_FALSE(c.feasible);
  EXPECT_NE(c.reason.find("does not fit"), std::string::npos);
  EXPECT_EQ(c.rejection, RejectReason::does_not_fit);
}

// ---- properties ----

TEST(PlanProperties, BestIsFeasibleAndNeverBeatenParetoIsNonDominated) {
  std::mt19937 rng(7);
  const char* models[] = {"llama-3.1-8b", "qwen3-30b-a3b", "mistral-7b", "llama-3.1-70b"};
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 8; ++trial) {
    PlanRequest q = serve_request(models[trial % 4]);
    q.serve.users = std::round(1 + 63 * u(rng));
    q.serve.context = std::pow(2.0, std::round(11 + 4 * u(rng)));
    q.serve.prompt_tokens = std::floor(q.serve.context * (0.1 + 0.5 * u(rng)));
    q.serve.output_tokens = std::floor(std::min(1000.0, q.serve.context * 0.2));
    q.serve.tpot_target_s = 0.02 + 0.1 * u(rng);
    if (trial % 3 == 0) q.ownership = Ownership::rent;
    const Plan p = make_plan(q);
    SCOPED_TRACE(q.model_id + " users " + std::to_string(q.serve.users));
    if (!p.found) {
      for (const auto& c : p.candidates) EXPECT_FALSE(c.feasible);
      EXPECT_TRUE(has_finding(p, "no_feasible_plan"));
      continue;
    }
    const PlanCandidate& b = *p.top();
    expect_serving_sane(q, b);
    for (const auto& c : p.candidates) {
      if (!c.feasible) continue;
      expect_serving_sane(q, c);
      EXPECT_GE(c.rank_usd(), b.rank_usd() - 0.005) << c.gpu->id << " beats the best on its own ranking";
      EXPECT_FALSE(ranks_before(c, b));
    }
    for (std::size_t i : p.pareto) {
      for (std::size_t j : p.pareto) EXPECT_FALSE(dominates(p.candidates[i], p.candidates[j]));
    }
    // Every feasible candidate off the front is dominated by (or ties) one on it.
    for (std::size_t k = 0; k < p.candidates.size(); ++k) {
      const PlanCandidate& c = p.candidates[k];
      if (!c.feasible) continue;
      bool covered = false;
      for (std::size_t i : p.pareto) {
        const PlanCandidate& f = p.candidates[i];
        covered = covered || i == k || dominates(f, c) ||
                  (f.rank_usd() == c.rank_usd() && speed_figure(f) == speed_figure(c));
      }
      EXPECT_TRUE(covered) << c.gpu->id << " is missing from the Pareto front";
    }
    for (const TierChoice& t : p.by_tier) {
      if (!t.found) continue;
      for (const auto& c : p.candidates) {
        if (c.feasible && c.gpu->tier == t.tier) {
          EXPECT_GE(c.rank_usd(), p.candidates[t.index].rank_usd() - 0.005);
        }
      }
    }
  }
}

TEST(PlanProperties, TrainingBestIsTheCheapestJobWithinTheDeadline) {
  const PlanRequest q = train_request("mistral-7b", Mode::lora, 200e6, 1);
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  for (const auto& c : p.candidates) {
    if (!c.feasible) continue;
    EXPECT_LE(c.wall_s, q.train.deadline_s);
    EXPECT_GE(c.job_usd, p.top()->job_usd - 0.005);
  }
}

TEST(PlanSearch, PretrainingWeighsFp8GemmsWhereTheCardHasThem) {
  const PlanRequest q = train_request("llama-3.1-8b", Mode::pretrain, 1e12, 1);
  EXPECT_EQ(plan_precisions(q).size(), 2u);  // bf16 and fp8
  const Plan p = make_plan(q);
  bool h100_fp8 = false;
  for (const auto& c : p.candidates) {
    if (c.precision.name != "fp8") continue;
    if (c.gpu->dense_flops.fp8 <= 0) {
      EXPECT_FALSE(c.feasible) << c.gpu->id;
      EXPECT_EQ(c.reason, "no FP8 tensor cores") << c.gpu->id;
      EXPECT_EQ(c.rejection, RejectReason::no_fp8_tensor_cores) << c.gpu->id;
    }
    if (c.gpu->id == "h100-sxm" && c.feasible) {
      h100_fp8 = true;
      // Memory as BF16 training; only the GEMMs change.
      for (const auto& b : p.candidates) {
        if (b.gpu->id == "h100-sxm" && b.precision.name == "bf16" && b.feasible && b.gpus == c.gpus &&
            b.layout == c.layout) {
          EXPECT_GT(c.train_estimate.tokens_per_s, b.train_estimate.tokens_per_s);
          EXPECT_DOUBLE_EQ(c.train_estimate.memory_bytes, b.train_estimate.memory_bytes);
        }
      }
    }
  }
  EXPECT_TRUE(h100_fp8);
}

TEST(PlanProperties, SearchIsFast) {
  const PlanRequest q = serve_request("llama-3.1-70b");
  const auto start = std::chrono::steady_clock::now();
  const Plan p = make_plan(q);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("llama-3.1-70b plan: %.0f scenarios in %.3f s = %.0f scenarios/s (this build type)\n",
              p.candidates_evaluated, s, p.candidates_evaluated / s);
  EXPECT_GT(p.candidates_evaluated, 1000);
  EXPECT_LT(s, 10.0);  // generous for Debug and sanitizer builds; Release is ~0.15 s
}

// ---- findings: fire on a constructed case, stay quiet on a clean one ----

TEST(PlanFindings, SizedForAverageContext) {
  PlanRequest q = serve_request("qwen3-30b-a3b");
  q.serve.context = 32768;
  q.serve.users = 20;
  q.filters.gpus = {"rtx-4090"};
  EXPECT_TRUE(has_finding(make_plan(q), "sized_for_average_context"));
  q.serve.context = q.serve.prompt_tokens + q.serve.output_tokens;  // every request is the longest
  EXPECT_FALSE(has_finding(make_plan(q), "sized_for_average_context"));
}

TEST(PlanFindings, FullPrecisionWhere8BitWouldBeInvisible) {
  PlanRequest q = serve_request("llama-3.1-8b");
  q.filters.gpus = {"h100-sxm"};
  q.filters.precisions = {"bf16"};
  EXPECT_TRUE(has_finding(make_plan(q), "full_precision"));
  q.filters.precisions = {"fp8"};
  EXPECT_FALSE(has_finding(make_plan(q), "full_precision"));
}

TEST(PlanFindings, MemoryOverprovisioned) {
  PlanRequest q = serve_request("llama-3.2-1b");
  q.serve.users = 2;
  q.filters.gpus = {"h200"};
  EXPECT_TRUE(has_finding(make_plan(q), "memory_overprovisioned"));
  q.filters.gpus.clear();
  EXPECT_FALSE(has_finding(make_plan(serve_request("llama-3.1-70b")), "memory_overprovisioned"));
}

TEST(PlanFindings, OwnedBelowBreakEvenAndRentedIdle) {
  PlanRequest q = serve_request("llama-3.1-8b");
  q.filters.gpus = {"h100-sxm"};
  q.filters.precisions = {"bf16"};  // one candidate for both ownerships: the busy volume below is its capacity
  q.serve.users = 4;
  q.serve.tokens_per_month = 5e6;  // a trickle
  q.ownership = Ownership::own;
  Plan p = make_plan(q);
  EXPECT_TRUE(has_finding(p, "owned_below_breakeven"));
  EXPECT_FALSE(has_finding(p, "rented_gpus_idle"));
  q.ownership = Ownership::rent;
  p = make_plan(q);
  EXPECT_TRUE(has_finding(p, "rented_gpus_idle"));
  EXPECT_FALSE(has_finding(p, "owned_below_breakeven"));
  // Busy fleets: neither fires.
  q.serve.tokens_per_month = 0.9 * p.top()->cost.capacity_tokens_per_month;
  EXPECT_FALSE(has_finding(make_plan(q), "rented_gpus_idle"));
  q.ownership = Ownership::own;
  EXPECT_FALSE(has_finding(make_plan(q), "owned_below_breakeven"));
}

TEST(PlanFindings, TrainingFromScratchWhereFineTuningWouldDo) {
  PlanRequest q = train_request("llama-3.1-8b", Mode::pretrain, 1e9, 7);
  q.filters.gpus = {"h100-sxm"};
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  EXPECT_TRUE(has_finding(p, "training_from_scratch"));
  q.train.method = Mode::lora;
  q.base.workload.mode = Mode::lora;
  EXPECT_FALSE(has_finding(make_plan(q), "training_from_scratch"));
}

TEST(PlanFindings, SpreadAcrossNodes) {
  PlanRequest q = train_request("llama-3.1-70b", Mode::full_finetune, 2e9, 7);
  q.filters.gpus = {"a100-80gb"};
  q.gpus_per_node = 4;  // tensor x pipeline of 70B training needs more than one 4-GPU node
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  const Layout& l = p.top()->train_layout;
  EXPECT_EQ(has_finding(p, "spread_across_nodes"), l.tp * l.pp * l.cp > 4);
  const Plan clean = make_plan(train_request("llama-3.1-8b", Mode::qlora, 50e6, 2));
  EXPECT_FALSE(has_finding(clean, "spread_across_nodes"));
}

TEST(PlanFindings, KvCacheBinding) {
  PlanRequest q = serve_request("llama-3.1-8b");
  q.filters.gpus = {"l40s"};
  q.filters.precisions = {"fp8"};
  q.serve.context = 32768;
  q.serve.prompt_tokens = 24000;
  q.serve.output_tokens = 2000;
  q.serve.users = 32;
  q.serve.ttft_target_s = 0;
  q.serve.tpot_target_s = 0.2;  // latency allows more requests than the KV pool holds
  EXPECT_TRUE(has_finding(make_plan(q), "kv_cache_binding"));
  q.serve.context = 4096;
  q.serve.prompt_tokens = 500;
  q.serve.output_tokens = 100;
  q.serve.users = 1;
  EXPECT_FALSE(has_finding(make_plan(q), "kv_cache_binding"));
}

TEST(PlanFindings, PcieTensorParallel) {
  PlanRequest q = serve_request("llama-3.1-70b");
  q.filters.gpus = {"rtx-4090"};
  q.filters.precisions = {"awq-int4"};
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  EXPECT_EQ(has_finding(p, "pcie_tensor_parallel"), p.top()->split == Split::tensor && p.top()->gpus > 1);
  EXPECT_EQ(p.top()->split, Split::tensor);
  q.filters.gpus = {"h100-sxm"};  // NVLink
  EXPECT_FALSE(has_finding(make_plan(q), "pcie_tensor_parallel"));
}

TEST(PlanFindings, ConsumerCardsInADatacenterPlan) {
  PlanRequest q = serve_request("llama-3.1-8b");
  q.filters.gpus = {"rtx-4090", "h100-sxm"};
  q.ownership = Ownership::own;
  q.serve.users = 256;
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  EXPECT_EQ(has_finding(p, "consumer_cards_in_datacenter"),
            p.top()->gpu->tier == Tier::consumer && p.top()->fleet_gpus > 4);
  q.filters.gpus = {"rtx-4090"};
  q.serve.users = 2000;
  EXPECT_TRUE(has_finding(make_plan(q), "consumer_cards_in_datacenter"));
  q.serve.users = 2;
  EXPECT_FALSE(has_finding(make_plan(q), "consumer_cards_in_datacenter"));
}

TEST(PlanFindings, NothingFeasibleIsAnErrorFinding) {
  PlanRequest q = serve_request("llama-3.1-405b");
  q.filters.tier = Tier::consumer;
  q.filters.max_gpus = 2;
  const Plan p = make_plan(q);
  EXPECT_FALSE(p.found);
  EXPECT_TRUE(has_finding(p, "no_feasible_plan"));
}

TEST(PlanExplain, StepsCarryFormulasAndSources) {
  const PlanRequest q = serve_request("llama-3.1-8b");
  const Plan p = make_plan(q);
  const auto steps = explain(q, p);
  ASSERT_GE(steps.size(), 7u);
  bool gpu_source = false, price_source = false;
  for (const auto& s : steps) {
    EXPECT_FALSE(s.title.empty());
    EXPECT_FALSE(s.formula.empty());
    EXPECT_FALSE(s.value.empty());
    EXPECT_FALSE(s.source.empty());
    gpu_source = gpu_source || s.source.find("data/gpus.json") != std::string::npos;
    price_source = price_source || s.title.find("Monthly cost") != std::string::npos;
  }
  EXPECT_TRUE(gpu_source);
  EXPECT_TRUE(price_source);
  const auto train = explain(train_request("llama-3.1-8b", Mode::qlora, 50e6, 2),
                             make_plan(train_request("llama-3.1-8b", Mode::qlora, 50e6, 2)));
  EXPECT_GE(train.size(), 5u);
}

// ---- what a new user hit: tiers filtered out, fixes that change nothing, the best off the front ----

namespace {

PlanRequest pinned(const char* model, const char* gpu, double users, Ownership pay,
                   std::vector<std::string> quants = {}) {
  PlanRequest q = serve_request(model);
  q.filters.gpus = {gpu};
  q.serve.users = users;
  q.ownership = pay;
  q.filters.precisions = std::move(quants);
  return q;
}

// The number after `prefix` in `text`, or -1 when `prefix` is absent.
double number_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + prefix.size(), nullptr);
}

}  // namespace

TEST(PlanTiers, AFilteredOutTierSaysSoNotThatTheCatalogHasNone) {
  const Plan p = make_plan(pinned("llama-3.1-70b", "h100-sxm", 65, Ownership::cheaper, {"bf16"}));
  ASSERT_TRUE(p.found);
  for (Tier t : {Tier::consumer, Tier::workstation}) {
    const TierChoice& c = p.by_tier[static_cast<int>(t)];
    EXPECT_FALSE(c.found);
    EXPECT_EQ(c.why_none.find("in the catalog"), std::string::npos) << c.why_none;
    EXPECT_NE(c.why_none.find("filtered out (--gpu h100-sxm)"), std::string::npos) << c.why_none;
  }
  PlanRequest q = serve_request("llama-3.1-8b");
  q.filters.tier = Tier::consumer;
  const Plan by_tier = make_plan(q);
  EXPECT_NE(by_tier.by_tier[static_cast<int>(Tier::datacenter)].why_none.find("filtered out (--tier consumer)"),
            std::string::npos)
      << by_tier.by_tier[static_cast<int>(Tier::datacenter)].why_none;
}

TEST(PlanFindings, NoFixRepeatsTheCurrentSettingAsksForZeroGpusOrALongerContext) {
  for (const PlanRequest& q :
       {pinned("llama-3.1-70b", "h100-sxm", 65, Ownership::cheaper, {"bf16"}),
        pinned("llama-3.1-70b", "h100-sxm", 120, Ownership::rent, {"bf16"}),
        pinned("llama-3.1-8b", "rtx-4090", 30, Ownership::cheaper), pinned("qwen2.5-7b", "l40s", 40, Ownership::rent),
        pinned("llama-3.1-70b", "a100-80gb", 40, Ownership::cheaper, {"bf16", "int8"})}) {
    const Plan p = make_plan(q);
    if (!p.found) continue;
    const PlanCandidate& top = *p.top();
    SCOPED_TRACE(q.model_id + " on " + q.filters.gpus.front() + ", " + std::to_string(q.serve.users) + " users");
    for (const Finding& f : p.findings) {
      SCOPED_TRACE(f.code + ": " + f.fix);
      EXPECT_EQ(f.fix.find(" 0 GPU"), std::string::npos);
      EXPECT_EQ(f.fix.find(" 0 request"), std::string::npos);
      const double gpus = number_after(f.fix, "give each replica ");
      if (gpus >= 0) {
        EXPECT_GT(gpus, top.gpus);
      }
      const auto cap = f.fix.find("cap the context at ");
      if (cap != std::string::npos) {
        const std::string tok = f.fix.substr(cap + 19, f.fix.find(' ', cap + 19) - cap - 19);
        const double ctx = std::strtod(tok.c_str(), nullptr) * (tok.back() == 'k' ? 1024 : 1);
        EXPECT_GT(ctx, 0);
        EXPECT_LT(ctx, q.serve.context);
      }
    }
  }
}

TEST(PlanFindings, SizedForAverageContextFixesHoldEveryRequestAtFullLength) {
  const PlanRequest q = pinned("llama-3.1-70b", "h100-sxm", 65, Ownership::cheaper, {"bf16"});
  const Plan p = make_plan(q);
  ASSERT_TRUE(p.found);
  ASSERT_TRUE(has_finding(p, "sized_for_average_context"));
  for (const Finding& f : p.findings) {
    if (f.code != "sized_for_average_context") continue;
    const double gpus = number_after(f.fix, "give each replica ");
    if (gpus < 0) continue;
    PlanCandidate c = *p.top();
    c.gpus = gpus;
    Scenario s = candidate_scenario(q, c);
    s.workload.context = q.serve.context;
    set_batch(s, c.batch);
    const Estimate e = estimate(s);
    EXPECT_TRUE(e.fits && e.max_batch >= c.batch) << f.fix;
  }
}

TEST(PlanProperties, TheBestIsOnThePrintedParetoFront) {
  for (const PlanRequest& q :
       {pinned("llama-3.1-8b", "h100-sxm", 20, Ownership::rent), pinned("llama-3.1-8b", "l40s", 16, Ownership::rent),
        pinned("qwen2.5-7b", "a100-80gb", 16, Ownership::rent),
        pinned("llama-3.1-70b", "h100-sxm", 65, Ownership::rent),
        pinned("llama-3.1-70b", "h100-sxm", 65, Ownership::own), serve_request("llama-3.1-8b"),
        serve_request("mistral-7b")}) {
    const Plan p = make_plan(q);
    if (!p.found) continue;
    SCOPED_TRACE(q.model_id + (q.filters.gpus.empty() ? "" : " on " + q.filters.gpus.front()));
    ASSERT_FALSE(p.pareto.empty());
    EXPECT_EQ(p.pareto.front(), p.best);
    for (const auto& c : p.candidates) {
      if (c.feasible) {
        EXPECT_FALSE(dominates(c, *p.top())) << c.gpu->id << " " << c.precision.name;
      }
    }
  }
}

// A server's work limits: a budget of evaluated scenarios or a cancellation flag stops the search
// early; the plan says which (a field) and still ranks what it evaluated.
TEST(PlanSearch, WorkBudgetAndCancellationStopTheSearchEarly) {
  PlanRequest q = serve_request("llama-3.1-8b");
  const Plan whole = make_plan(q);
  EXPECT_EQ(whole.stopped, SearchStop::complete);
  q.work.max_evaluated = 20;
  const Plan budgeted = make_plan(q);
  EXPECT_EQ(budgeted.stopped, SearchStop::budget_spent);
  EXPECT_LT(budgeted.candidates_evaluated, whole.candidates_evaluated);
  EXPECT_LT(budgeted.candidates.size(), whole.candidates.size());
  std::atomic<bool> cancel{true};
  q.work = {};
  q.work.cancel = &cancel;
  const Plan cancelled = make_plan(q);
  EXPECT_EQ(cancelled.stopped, SearchStop::cancelled);
  EXPECT_TRUE(cancelled.candidates.empty());
  EXPECT_FALSE(cancelled.found);
  EXPECT_STREQ(to_string(SearchStop::budget_spent), "budget_spent");
}

TEST(PlanSearch, TrainingSearchesStopAtTheirBudget) {
  PlanRequest q = train_request("llama-3.1-8b", Mode::lora, 1e9, 7);
  const Plan whole = make_plan(q);
  EXPECT_EQ(whole.stopped, SearchStop::complete);
  q.work.max_evaluated = 50;
  const Plan budgeted = make_plan(q);
  EXPECT_EQ(budgeted.stopped, SearchStop::budget_spent);
  EXPECT_LT(budgeted.candidates_evaluated, whole.candidates_evaluated);
}
