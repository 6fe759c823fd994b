// The seed examples of the foundation issue, as tests.
#include <gtest/gtest.h>

#include "catalog_fixture.hpp"
#include "gpuplan/units.hpp"

using namespace gpuplan;
using gpuplan::testing::scenario;

TEST(Seed, ThirteenBAtFp16NeedsAbout26GBAndFits48NotTwentyFour) {
  Scenario s = scenario("llama-2-13b", "fp16", "rtx-4090");
  const Estimate on24 = estimate(s);
  std::printf("13B fp16 weights: %.2f GB, total %.2f GB\n", on24.memory.weights_bytes / 1e9,
              on24.memory.total_bytes / 1e9);
  EXPECT_NEAR(on24.memory.weights_bytes / 1e9, 26.0, 0.5);
  EXPECT_FALSE(on24.fits);
  s.gpu_memory_bytes = usable_memory_bytes(gpuplan::testing::gpu("rtx-a6000"));
  EXPECT_TRUE(estimate(s).fits);
}

TEST(Seed, ThirteenBAtFourBitIsAboutSevenGB) {
  for (const char* p : {"gptq-int4", "nf4", "q4_k_m", "q4_0"}) {
    const Estimate e = estimate(scenario("llama-2-13b", p, "rtx-4090"));
    std::printf("13B %s weights: %.2f GB\n", p, e.memory.weights_bytes / 1e9);
    EXPECT_GT(e.memory.weights_bytes / 1e9, 6.5) << p;
    EXPECT_LT(e.memory.weights_bytes / 1e9, 8.0) << p;
  }
}

TEST(Seed, SevenBAtFp16InferenceNeeds16To18GBAndFits24) {
  const Estimate e = estimate(scenario("llama-2-7b", "fp16", "rtx-4090"));
  std::printf("7B fp16 inference total at 4k context: %.2f GB\n", e.memory.total_bytes / 1e9);
  EXPECT_GE(e.memory.total_bytes / 1e9, 16.0);
  EXPECT_LE(e.memory.total_bytes / 1e9, 18.0);
  EXPECT_TRUE(e.fits);
}

TEST(Seed, FullFineTuneOfSevenBNeedsWellOver100GB) {
  const Estimate e = estimate(scenario("llama-2-7b", "bf16", "a100-80gb", 2048, 1, Mode::full_finetune));
  std::printf("7B full fine-tune (AdamW, mixed precision): %.1f GB\n", e.memory.total_bytes / 1e9);
  EXPECT_GT(e.memory.total_bytes / 1e9, 115.0);
  EXPECT_FALSE(e.fits);
  // 16 bytes per parameter before activations (Transformer Math 101).
  const double states = e.memory.weights_bytes + e.memory.gradients_bytes + e.memory.optimizer_bytes;
  EXPECT_NEAR(states / e.params.total, 16.0, 1e-9);
}

TEST(Seed, Llama31KvCacheAt128kIsSixteenGiB) {
  const Estimate e = estimate(scenario("llama-3.1-8b", "bf16", "h100-sxm", 131072));
  EXPECT_DOUBLE_EQ(e.memory.kv_cache_bytes, 16.0 * kGiB);
}

TEST(Memory, GqaShrinksTheKvCache) {
  // Llama 2 13B (MHA, 40 KV heads) vs Llama 3.1 8B (GQA, 8 KV heads): 800 KiB vs 128 KiB per token.
  const ModelArch mha = gpuplan::testing::model("llama-2-13b").arch;
  const ModelArch gqa = gpuplan::testing::model("llama-3.1-8b").arch;
  EXPECT_DOUBLE_EQ(kv_cache_bytes(mha, 1, 1, 2), 40 * 2 * 40 * 128 * 2);
  EXPECT_DOUBLE_EQ(kv_cache_bytes(gqa, 1, 1, 2), 32 * 2 * 8 * 128 * 2);
}

TEST(Memory, MlaCachesTheLatent) {
  const ModelArch a = gpuplan::testing::model("deepseek-v3").arch;
  EXPECT_DOUBLE_EQ(kv_cache_bytes(a, 1, 1, 2), 61 * (512 + 64) * 2);
}

TEST(Memory, SlidingWindowLayersStopGrowing) {
  const ModelArch a = gpuplan::testing::model("gemma-3-27b").arch;
  ASSERT_GT(a.sliding_window, 0);
  const double at_window = kv_token_layers(a, a.sliding_window);
  const double at_32k = kv_token_layers(a, 32768);
  const double global_layers = std::floor(a.num_layers / a.global_every);
  EXPECT_DOUBLE_EQ(at_32k - at_window, global_layers * (32768 - a.sliding_window));
}

TEST(Memory, LoraAndQloraKeepTheBaseFrozen) {
  const Estimate lora = estimate(scenario("llama-3.1-8b", "bf16", "rtx-4090", 2048, 1, Mode::lora));
  const Estimate qlora = estimate(scenario("llama-3.1-8b", "nf4-dq", "rtx-4090", 2048, 1, Mode::qlora));
  EXPECT_LT(lora.trainable_params, 0.01 * lora.params.total);
  EXPECT_GT(lora.trainable_params, 0);
  EXPECT_NEAR(lora.memory.weights_bytes, lora.params.total * 2, 1);
  EXPECT_LT(qlora.memory.weights_bytes, 0.4 * lora.memory.weights_bytes);
  EXPECT_DOUBLE_EQ(lora.memory.adapter_bytes, lora.trainable_params * 4);
  EXPECT_DOUBLE_EQ(lora.memory.optimizer_bytes, lora.trainable_params * 8);
}

TEST(Memory, OptimizerChoicesOrderAsExpected) {
  auto with = [](Optimizer o) {
    Scenario s = scenario("llama-3.2-1b", "bf16", "a100-80gb", 2048, 1, Mode::full_finetune);
    s.workload.optimizer = o;
    return estimate(s).memory.optimizer_bytes;
  };
  EXPECT_GT(with(Optimizer::adamw), with(Optimizer::adamw_8bit));
  EXPECT_GT(with(Optimizer::adamw_8bit), with(Optimizer::adafactor));
  EXPECT_GT(with(Optimizer::sgd_momentum), with(Optimizer::sgd));
}

TEST(Memory, RecomputationSavesActivations) {
  auto with = [](Recompute r) {
    Scenario s = scenario("llama-3.1-8b", "bf16", "h100-sxm", 4096, 4, Mode::full_finetune);
    s.workload.recompute = r;
    s.workload.flash_attention = false;
    return estimate(s).memory.activations_bytes;
  };
  EXPECT_GT(with(Recompute::none), with(Recompute::selective));
  EXPECT_GT(with(Recompute::selective), with(Recompute::full));
}

TEST(Memory, MaxContextAndBatchAreTight) {
  Scenario s = scenario("llama-3.1-8b", "q4_k_m", "rtx-4090", 8192, 4);
  const Estimate e = estimate(s);
  ASSERT_GT(e.max_context, 0);
  ASSERT_FALSE(e.max_context_is_model_limit);
  Scenario at = s;
  at.workload.context = e.max_context;
  EXPECT_LE(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
  at.workload.context = e.max_context + 1;
  EXPECT_GT(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
  at = s;
  at.workload.batch = e.max_batch;
  EXPECT_LE(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
  at.workload.batch = e.max_batch + 1;
  EXPECT_GT(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
}

TEST(Memory, AssumedArchitectureHitsTheStatedSize) {
  for (double p : {0.5e9, 1e9, 3e9, 7e9, 13e9, 34e9, 70e9, 180e9, 405e9, 1000e9}) {
    const double counted = count_params(assumed_arch(p)).total;
    EXPECT_NEAR(counted / p, 1.0, 0.005) << p;
  }
}

TEST(Advice, SuggestsWhatWouldFit) {
  const Scenario s = scenario("llama-3.1-8b", "bf16", "rtx-4090", 131072, 1);
  const Estimate e = estimate(s);
  ASSERT_FALSE(e.fits);
  const auto sugg = fit_suggestions(s, e, gpuplan::testing::catalog().gpus);
  bool precision = false, context = false, bigger = false;
  for (const auto& x : sugg) {
    precision |= x.kind == "precision";
    context |= x.kind == "context";
    bigger |= x.kind == "bigger_gpu";
  }
  EXPECT_TRUE(precision && context && bigger);
}

TEST(Memory, RecurrentStateIsFixedPerSequenceAndJoinsTheKvTerm) {
  // Pure Mamba: no KV at all; the KV-cache term is the f32 state, one slot per sequence, whatever
  // the context (llama.cpp llama_memory_recurrent: r_l and s_l in GGML_TYPE_F32).
  Scenario s = scenario("mamba-2.8b", "bf16", "rtx-4090", 1024, 1);
  const double state = 64 * (3 * 5120 + 5120 * 16) * 4.0;
  EXPECT_EQ(kv_cache_bytes(s.arch, 1024, 1, 2), 0);
  EXPECT_DOUBLE_EQ(estimate_memory(s).kv_cache_bytes, state);
  s.workload.context = 2048;
  EXPECT_DOUBLE_EQ(estimate_memory(s).kv_cache_bytes, state);
  s.workload.batch = 8;
  EXPECT_DOUBLE_EQ(estimate_memory(s).kv_cache_bytes, 8 * state);
  std::printf("mamba-2.8b state per sequence: %.2f MiB (f32)\n", state / kMiB);

  // Hybrid: KV of the attention layers grows, the state does not.
  Scenario h = scenario("qwen3-next-80b-a3b", "bf16", "h100-sxm", 4096, 1);
  const double kv_per_token = 12 * 2 * 2 * 256 * 2.0;  // 12 full-attention layers, 2 KV heads of 256, bf16
  const double gdn_state = 36 * (3 * 8192 + 32 * 128 * 128) * 4.0;
  EXPECT_DOUBLE_EQ(estimate_memory(h).kv_cache_bytes, 4096 * kv_per_token + gdn_state);
  h.workload.context = 8192;
  EXPECT_DOUBLE_EQ(estimate_memory(h).kv_cache_bytes, 8192 * kv_per_token + gdn_state);
}

TEST(Memory, HybridKvCacheIsFarSmallerThanASameSizeTransformer) {
  // At 128k tokens: Qwen3-Next (12 of 48 layers attend) vs Llama 3.3 70B; Jamba (4 of 32) vs Mixtral 8x7B.
  struct Pair {
    const char* hybrid;
    const char* transformer;
  };
  for (const Pair& p : {Pair{"qwen3-next-80b-a3b", "llama-3.3-70b"}, Pair{"jamba-1.5-mini", "mixtral-8x7b"}}) {
    const double hybrid = estimate_memory(scenario(p.hybrid, "bf16", "h100-sxm", 131072, 1)).kv_cache_bytes;
    const double dense = estimate_memory(scenario(p.transformer, "bf16", "h100-sxm", 131072, 1)).kv_cache_bytes;
    std::printf("128k KV: %-20s %.2f GiB   %-14s %.2f GiB\n", p.hybrid, hybrid / kGiB, p.transformer, dense / kGiB);
    EXPECT_LT(hybrid, dense / 4) << p.hybrid;
  }
}

TEST(Memory, MaxContextOfAHybridIsTight) {
  Scenario s = scenario("jamba-1.5-mini", "q4_k_m", "a100-80gb", 8192, 64);
  const Estimate e = estimate(s);
  ASSERT_GT(e.max_context, 0);
  ASSERT_FALSE(e.max_context_is_model_limit);
  Scenario at = s;
  at.workload.context = e.max_context;
  EXPECT_LE(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
  at.workload.context = e.max_context + 1;
  EXPECT_GT(estimate_memory(at).total_bytes, s.gpu_memory_bytes);
  std::printf("jamba-1.5-mini q4_k_m on A100 80GB, batch 64: max context %.0f%s\n", e.max_context,
              e.max_context_is_model_limit ? " (model limit)" : "");
}
