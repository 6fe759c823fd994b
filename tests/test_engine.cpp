// Engine-faithful memory: the rules of each engine's plan, checked by hand arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog_fixture.hpp"
#include "cli_run.hpp"
#include "gpuplan/engine.hpp"
#include "gpuplan/estimate.hpp"

using namespace gpuplan;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

Scenario with_engine(const char* model, const char* precision, const char* gpu, const char* engine_id) {
  Scenario s = gpuplan::testing::scenario(model, precision, gpu);
  s.engine_spec = *find_engine(gpuplan::testing::catalog(), engine_id).value();
  s.unified_memory = gpuplan::testing::gpu(gpu).unified_memory;
  return s;
}

bool sane(const EngineMemory& m) {
  for (double v : {m.weights_bytes, m.kv_cache_bytes, m.kv_cache_tokens, m.kv_cache_blocks, m.max_concurrency,
                   m.activation_peak_bytes, m.compute_buffer_bytes, m.vram_bytes, m.ram_bytes, m.budget_bytes}) {
    if (!std::isfinite(v) || v < 0) return false;
  }
  for (const auto& d : m.devices) {
    if (!std::isfinite(d.total_bytes) || d.total_bytes < 0) return false;
  }
  return true;
}

}  // namespace

TEST(Engine, VllmBlocksAreTheBudgetLeftOverInWholeBlocks) {
  Scenario s = with_engine("llama-3.1-8b", "bf16", "h100-sxm", "vllm");
  s.engine.max_model_len = 8192;
  const EngineMemory m = engine_memory(s);
  ASSERT_TRUE(m.fits) << m.error;
  // 32 layers x 8 KV heads x 128 x (K+V) x 2 bytes = 128 KiB per token; 16 tokens per block = 2 MiB.
  EXPECT_DOUBLE_EQ(m.block_bytes, 2.0 * kMiB);
  EXPECT_DOUBLE_EQ(m.kv_cache_bytes, m.budget_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes);
  EXPECT_DOUBLE_EQ(m.kv_cache_blocks, std::floor(m.kv_cache_bytes / m.block_bytes));
  EXPECT_DOUBLE_EQ(m.kv_cache_tokens, 16 * m.kv_cache_blocks);
  EXPECT_DOUBLE_EQ(m.max_concurrency, m.kv_cache_tokens / 8192);
}

TEST(Engine, VllmMoreUtilisationAndSmallerKvTypesGiveMoreTokens) {
  Scenario s = with_engine("llama-3.1-8b", "bf16", "a100-80gb", "vllm");
  s.engine.max_model_len = 8192;
  const double base = engine_memory(s).kv_cache_tokens;
  s.engine.memory_fraction = 0.95;
  const double more = engine_memory(s).kv_cache_tokens;
  EXPECT_GT(more, base);
  s.engine.type_k_bytes = s.engine.type_v_bytes = 1;  // fp8 KV cache
  EXPECT_NEAR(engine_memory(s).kv_cache_tokens / more, 2.0, 0.01);
}

TEST(Engine, VllmTensorParallelSplitsWeightsAndKvHeads) {
  Scenario s = with_engine("llama-3.1-70b", "bf16", "h100-sxm", "vllm");
  s.engine.max_model_len = 8192;
  s.gpus = s.engine.tp = 4;
  const EngineMemory m4 = engine_memory(s);
  s.gpus = s.engine.tp = 2;
  const EngineMemory m2 = engine_memory(s);
  EXPECT_NEAR(m4.weights_bytes * 2, m2.weights_bytes, 1);
  EXPECT_NEAR(m4.kv_bytes_per_token * 2, m2.kv_bytes_per_token, 1);  // 8 KV heads: 2 per rank at tp 4
  EXPECT_EQ(m4.devices.size(), 4U);
  // More ranks than KV heads: heads are replicated, not split further (vLLM: max(1, kv_heads // tp)).
  s.gpus = s.engine.tp = 16;
  EXPECT_NEAR(engine_memory(s).kv_bytes_per_token, m4.kv_bytes_per_token / 2, 1);
}

TEST(Engine, VllmSaysWhatVllmSaysWhenTheLongestSequenceDoesNotFit) {
  Scenario s = with_engine("llama-3.1-8b", "bf16", "rtx-4090", "vllm");
  s.engine.max_model_len = 131072;
  const EngineMemory m = engine_memory(s);
  EXPECT_FALSE(m.fits);
  EXPECT_NE(m.error.find("estimated maximum model length is"), std::string::npos) << m.error;
  EXPECT_GT(m.longest_sequence, 0);
  EXPECT_LT(m.longest_sequence, 131072);
  s.engine_spec = *find_engine(gpuplan::testing::catalog(), "vllm-v0").value();
  s.engine.max_model_len = 40000;  // V0 profiles max_model_len tokens at once: 131072 would leave no KV at all
  EXPECT_NE(engine_memory(s).error.find("larger than the maximum number of tokens"), std::string::npos)
      << engine_memory(s).error;
  // Weights larger than the card: out of memory while loading.
  Scenario big = with_engine("llama-3.1-70b", "bf16", "rtx-4090", "vllm");
  EXPECT_NE(engine_memory(big).error.find("CUDA out of memory"), std::string::npos);
}

TEST(Engine, SglangDefaultFractionFollowsTensorParallelSize) {
  const EngineSpec& sg = *find_engine(gpuplan::testing::catalog(), "sglang").value();
  EXPECT_DOUBLE_EQ(default_memory_fraction(sg, 1), 0.88);
  EXPECT_DOUBLE_EQ(default_memory_fraction(sg, 2), 0.87);
  EXPECT_DOUBLE_EQ(default_memory_fraction(sg, 4), 0.85);
  EXPECT_DOUBLE_EQ(default_memory_fraction(sg, 8), 0.81);
  EXPECT_DOUBLE_EQ(default_memory_fraction(sg, 16), 0.79);
  Scenario s = with_engine("llama-3.1-8b", "bf16", "h100-sxm", "sglang");
  s.engine.max_model_len = 8192;
  const EngineMemory m = engine_memory(s);
  EXPECT_DOUBLE_EQ(m.block_size, 1);  // token-granular pool
  EXPECT_DOUBLE_EQ(m.kv_cache_bytes, m.budget_bytes - m.weights_bytes - m.non_torch_bytes);
}

TEST(Engine, TensorRtLlmTakesItsFractionOfWhatIsFree) {
  Scenario s = with_engine("llama-3.1-8b", "bf16", "h100-sxm", "tensorrt-llm");
  s.engine.max_model_len = 8192;
  const EngineMemory m = engine_memory(s);
  const double free_bytes = m.visible_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes;
  EXPECT_NEAR(m.kv_cache_bytes, 0.9 * free_bytes, 1);
  EXPECT_DOUBLE_EQ(m.block_size, 32);
}

TEST(Engine, LlamaCppPadsTheContextAndPlacesLayers) {
  Scenario s = with_engine("llama-3.1-8b", "q4_k_m", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 4100;
  s.engine.flash_attention = 1;
  EXPECT_DOUBLE_EQ(engine_memory(s).n_ctx, 4352);  // padded to 256 with flash attention
  s.engine.flash_attention = 0;
  EXPECT_DOUBLE_EQ(engine_memory(s).n_ctx, 4128);  // to 32 without
  s.engine.n_gpu_layers = 10;
  const EngineMemory m = engine_memory(s);
  EXPECT_DOUBLE_EQ(m.gpu_layers, 10);
  EXPECT_FALSE(m.output_on_gpu);
  ASSERT_EQ(m.devices.size(), 2U);
  EXPECT_DOUBLE_EQ(m.devices[0].layers, 10);
  EXPECT_DOUBLE_EQ(m.devices[1].layers, 22);
  EXPECT_TRUE(m.devices[1].host);
  // KV of each layer lives with the layer: 10/32 of the KV on the GPU.
  EXPECT_NEAR(m.devices[0].kv_cache_bytes / m.kv_cache_bytes, 10.0 / 32.0, 1e-9);
  s.engine.n_gpu_layers = 33;  // n_layer + 1: the output head too
  EXPECT_TRUE(engine_memory(s).output_on_gpu);
}

TEST(Engine, LlamaCppKvTypesAndTheFlashAttentionRule) {
  Scenario s = with_engine("llama-3.1-8b", "q4_k_m", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 8192;
  s.engine.flash_attention = 1;
  const double f16 = engine_memory(s).kv_cache_bytes;
  EXPECT_DOUBLE_EQ(f16, 8192.0 * 32 * 2 * 8 * 128 * 2);  // 1024 MiB
  s.engine.type_k = s.engine.type_v = "q8_0";
  s.engine.type_k_bytes = s.engine.type_v_bytes = 34.0 / 32.0;
  EXPECT_DOUBLE_EQ(engine_memory(s).kv_cache_bytes, f16 * 34.0 / 64.0);
  s.engine.flash_attention = 0;
  const EngineMemory m = engine_memory(s);
  EXPECT_FALSE(m.fits);
  EXPECT_NE(m.error.find("V cache quantization requires flash_attn"), std::string::npos);
}

TEST(Engine, LlamaCppFindsTheLayersThatFitAndSplitsOverCards) {
  Scenario s = with_engine("llama-3.1-70b", "q4_k_m", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 8192;
  const EngineMemory m = engine_memory(s);
  ASSERT_TRUE(m.fits);
  EXPECT_GT(m.gpu_layers, 0);
  EXPECT_LT(m.gpu_layers, 80);
  EXPECT_DOUBLE_EQ(m.gpu_layers, m.max_gpu_layers_that_fit);
  EXPECT_LE(m.devices[0].total_bytes, m.devices[0].capacity_bytes);
  s.engine.n_gpu_layers = m.gpu_layers + 1;  // one more layer does not fit
  EXPECT_FALSE(engine_memory(s).fits);
  // Two cards, layer split: half the layers each; row split: weights split, KV on the main card.
  s.engine.n_gpu_layers = -1;
  s.gpus = s.engine.tp = 2;
  const EngineMemory two = engine_memory(s);
  EXPECT_TRUE(two.fits) << two.error;
  // The output head counts as layer 80 of 81 in llama.cpp's split: 41 repeating layers, then 39 + output.
  EXPECT_DOUBLE_EQ(two.devices[0].layers, 41);
  EXPECT_DOUBLE_EQ(two.devices[1].layers, 39);
  s.engine.split = SplitMode::row;
  const EngineMemory row = engine_memory(s);
  // Matrices split evenly; the main card also holds the output head.
  EXPECT_NEAR(row.devices[0].weights_bytes - row.devices[1].weights_bytes, 0, 0.06 * row.devices[0].weights_bytes);
  EXPECT_DOUBLE_EQ(row.devices[1].kv_cache_bytes, 0);
}

TEST(Engine, OllamaKeepsItsMinimumFreeAndAppleUsesMetal) {
  Scenario s = with_engine("llama-3.1-70b", "q4_k_m", "rtx-4090", "ollama");
  const EngineMemory m = engine_memory(s);
  EXPECT_LE(m.devices[0].total_bytes, 24 * kGiB - 457 * kMiB);
  EXPECT_DOUBLE_EQ(m.n_ctx, 4096);
  Scenario mac = with_engine("llama-3.1-8b", "q4_k_m", "m2-ultra", "llama.cpp");
  const EngineMemory mm = engine_memory(mac);
  EXPECT_EQ(mm.devices[0].name, "Metal");
  EXPECT_DOUBLE_EQ(mm.devices[0].capacity_bytes, usable_memory_bytes(gpuplan::testing::gpu("m2-ultra")));
}

TEST(Engine, RecurrentStateIsFixedPerSequence) {
  Scenario s = with_engine("mamba-2.8b", "q8_0", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 2048;
  const double short_ctx = engine_memory(s).kv_cache_bytes;
  s.engine.max_model_len = 8192;
  EXPECT_DOUBLE_EQ(engine_memory(s).kv_cache_bytes, short_ctx);  // no KV: state only
  s.engine.n_seq = 4;
  EXPECT_DOUBLE_EQ(engine_memory(s).kv_cache_bytes, 4 * short_ctx);
  EXPECT_DOUBLE_EQ(short_ctx, 64 * recurrent_state_elements_per_layer(s.arch) * 4.0);
}

TEST(Engine, EstimateAnswersInTheEnginesTerms) {
  Scenario s = with_engine("llama-3.1-8b", "bf16", "rtx-3090", "vllm");
  s.engine.max_model_len = 20000;
  const Estimate e = estimate(s);
  ASSERT_TRUE(e.has_engine);
  EXPECT_EQ(e.fits, e.engine.fits);
  EXPECT_DOUBLE_EQ(e.memory.kv_cache_bytes, e.engine.kv_cache_bytes);
  EXPECT_DOUBLE_EQ(e.max_batch, std::floor(e.engine.max_concurrency));
  Scenario t = with_engine("llama-3.1-8b", "bf16", "rtx-3090", "transformers");
  const Estimate et = estimate(t);
  EXPECT_TRUE(et.has_engine);
  EXPECT_NEAR(et.memory.overhead_bytes, 0.8 * kGiB, 1);
}

TEST(Engine, NeverNegativeOrNaN) {
  const char* engines[] = {"vllm",         "vllm-v0",   "vllm-0.6.4", "sglang",
                           "tensorrt-llm", "llama.cpp", "ollama",     "transformers"};
  const char* models[] = {"llama-3.1-8b", "deepseek-v3",    "gemma-3-27b", "qwen3-next-80b-a3b",
                          "mamba-2.8b",   "jamba-1.5-mini", "gpt-oss-120b"};
  int checked = 0;
  for (const char* eng : engines) {
    for (const char* model : models) {
      for (double ctx : {0.0, 1.0, 4096.0, 1e6}) {
        for (double tp : {1.0, 3.0, 8.0}) {
          Scenario s = with_engine(model, "q4_k_m", "rtx-4090", eng);
          s.gpus = s.engine.tp = tp;
          s.engine.max_model_len = ctx;
          const EngineMemory m = engine_memory(s);
          EXPECT_TRUE(sane(m)) << eng << " " << model << " ctx " << ctx << " tp " << tp;
          EXPECT_TRUE(m.fits || !m.error.empty() || s.engine_spec.family == EngineFamily::eager)
              << eng << " " << model << ": a plan that does not fit must say why";
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 8 * 7 * 4 * 3);
}

TEST(EngineCli, IssueExamplesRunAsWritten) {
  const auto vllm =
      gpuplan::testing::run_cli("fit llama-3.1-8b --gpu rtx-3090 --runtime vllm --max-model-len 20000 --json");
  ASSERT_EQ(vllm.status, 0) << vllm.err;
  const auto j = nlohmann::json::parse(vllm.out);
  for (const char* key : {"kv_cache_bytes", "kv_cache_tokens", "kv_cache_blocks", "max_concurrency", "gpu_layers",
                          "compute_buffer_bytes", "vram_bytes", "ram_bytes", "devices"}) {
    EXPECT_TRUE(j["engine"].contains(key)) << key;
  }
  const auto old =
      gpuplan::testing::run_cli("fit llama-3.1-8b --gpu rtx-3090 --runtime vllm-0.6.4 --max-model-len 20000 --json");
  ASSERT_EQ(old.status, 0) << old.err;
  EXPECT_NEAR(nlohmann::json::parse(old.out)["engine"]["kv_cache_blocks"].get<double>(), 1952, 0.02 * 1952);
  const auto llama = gpuplan::testing::run_cli(
      "fit qwen3-30b-a3b --quant q4_k_m --gpu rtx-4070 --runtime llama.cpp --ctx 32768 -ngl 20 -fa on");
  ASSERT_EQ(llama.status, 0) << llama.err;
  EXPECT_NE(llama.out.find("n_gpu_layers 20 of 48"), std::string::npos) << llama.out;
  EXPECT_NE(llama.out.find("CPU"), std::string::npos);
}

TEST(EngineCli, BadEngineInputGetsAClearError) {
  const auto typo = gpuplan::testing::run_cli("fit llama-3.1-8b --gpu rtx-3090 --runtime vlm");
  EXPECT_EQ(typo.status, 2);
  EXPECT_NE(typo.err.find("did you mean"), std::string::npos) << typo.err;
  const auto lonely = gpuplan::testing::run_cli("fit llama-3.1-8b --gpu rtx-3090 --n-gpu-layers 10");
  EXPECT_EQ(lonely.status, 2);
  EXPECT_NE(lonely.err.find("need --runtime"), std::string::npos) << lonely.err;
  const auto frac =
      gpuplan::testing::run_cli("fit llama-3.1-8b --gpu rtx-3090 --runtime vllm --gpu-memory-utilization 1.5");
  EXPECT_EQ(frac.status, 2);
}

TEST(Engine, LlamaCppModelBuffersFollowTheFilesTensorTable) {
  Scenario s = with_engine("llama-3.1-8b", "q4_k_m", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 4096;
  const double arithmetic = engine_memory(s).weights_bytes;
  // The file's tensor table says the same: nothing changes; 10% larger (a custom mix): every buffer follows.
  s.measured_weights = weight_bytes_breakdown(s.arch, s.precision);
  EXPECT_NEAR(engine_memory(s).weights_bytes, arithmetic, 1e-6 * arithmetic);
  s.measured_weights.total *= 1.1;
  const EngineMemory m = engine_memory(s);
  EXPECT_NEAR(m.weights_bytes, 1.1 * arithmetic, 1e-6 * arithmetic);
  s.engine.n_gpu_layers = 16;
  const EngineMemory half = engine_memory(s);
  EXPECT_NEAR(half.devices[0].weights_bytes + half.devices[1].weights_bytes, 1.1 * arithmetic, 1e-6 * arithmetic);
  // A tied embedding: llama.cpp loads it twice (input on the CPU, output on the GPU); the file holds it once.
  Scenario tied = with_engine("llama-3.2-1b", "q8_0", "rtx-4090", "llama.cpp");
  const double loaded = engine_memory(tied).weights_bytes;
  tied.measured_weights = weight_bytes_breakdown(tied.arch, tied.precision);
  EXPECT_GT(loaded, tied.measured_weights.total);
  EXPECT_NEAR(engine_memory(tied).weights_bytes, loaded, 1e-6 * loaded);
}

// DeepSeek-V2's MLP width is top-6 routed experts of 1536 plus its two shared experts of 1536,
// 6 x 1536 + 3072 = 12288 (shared_expert_intermediate_size is both shared experts together; the
// engine once multiplied it by num_shared_experts again, 15360). vLLM's profile peak per token at
// tp 8 in bf16: hidden states 3 x 5120, gate_up and act 3 x 12288 / 8, top-6 expert outputs 6 x 5120.
TEST(Engine, VllmProfilePeakCountsDeepSeekV2SharedExpertsOnce) {
  Scenario s = with_engine("deepseek-v2", "bf16", "h100-sxm", "vllm");
  s.gpus = s.engine.tp = 8;
  s.engine.max_num_batched_tokens = 8192;
  s.engine.max_num_seqs = 256;
  const EngineMemory m = engine_memory(s);
  const double per_token_bytes = 2.0 * (3 * 5120 + 3 * (6 * 1536 + 3072) / 8.0 + 6 * 5120);  // 101376
  const double sampler_bytes = 256 * 102400 * s.engine_spec.sampler_bytes_per_logit;
  EXPECT_NEAR(m.activation_peak_bytes, 8192 * per_token_bytes + sampler_bytes, 1);
  EXPECT_NEAR(m.activation_peak_bytes - sampler_bytes, 830472192.0, 1);  // was 849346560 with 15360
}

// llama.cpp's compute buffer for DeepSeek-V2-Lite without flash attention at n_ctx 8192: the f32
// MLP intermediates 512 x 2 x (6 x 1408 + 2816) x 4 B plus the f32 KQ matrix 512 x 8192 x 16 heads
// x 4 B = 46137344 + 268435456 B (above the output head's 512 x (102400 + 2 x 2048) x 4 B).
TEST(Engine, LlamaCppComputeBufferCountsDeepSeekV2LiteSharedExpertsOnce) {
  Scenario s = with_engine("deepseek-v2-lite", "q4_k_m", "rtx-4090", "llama.cpp");
  s.engine.max_model_len = 8192;
  s.engine.flash_attention = 0;
  const EngineMemory m = engine_memory(s);
  ASSERT_DOUBLE_EQ(m.n_ubatch, 512);
  ASSERT_TRUE(m.output_on_gpu);
  const double mlp_bytes = 512.0 * 2 * (6 * 1408 + 2816) * 4;  // 44 MiB (was 55 MiB with 14080)
  EXPECT_DOUBLE_EQ(m.compute_buffer_bytes, mlp_bytes + 512.0 * 8192 * 16 * 4);
  EXPECT_DOUBLE_EQ(m.compute_buffer_bytes, 314572800.0);  // 300 MiB; was 326107136 (311 MiB)
}

namespace gpuplan {
namespace {

// Engine behaviour is catalog data, not a check of the engine's id: the wording of the error is an
// ErrorStyle read from error_style (an unknown one is refused), and Ollama's per-sequence context and
// its own layer choice are fields of its entry.
TEST(EngineCatalog, BehaviourComesFromTheCatalogFields) {
  const Catalog& c = testing::catalog();
  EXPECT_EQ(find_engine(c, "vllm").value()->error_style, ErrorStyle::v1);
  EXPECT_EQ(find_engine(c, "sglang").value()->error_style, ErrorStyle::sglang);
  EXPECT_EQ(find_engine(c, "tensorrt-llm").value()->error_style, ErrorStyle::trtllm);
  EXPECT_TRUE(find_engine(c, "ollama").value()->context_per_sequence);
  EXPECT_TRUE(find_engine(c, "ollama").value()->picks_layers);
  EXPECT_FALSE(find_engine(c, "llama.cpp").value()->context_per_sequence);
  EXPECT_FALSE(find_engine(c, "llama.cpp").value()->picks_layers);
  const std::string bad = R"({"schema": "gpuplan-engines/1", "engines": [{"id": "x", "name": "X", "versions": "1",
    "source": "s", "as_of": "2026-01-01", "family": "paged", "budget": "total_fraction", "memory_fraction": 0.9,
    "block_size": 16, "error_style": "v2"}]})";
  Catalog copy = c;
  const auto r = io::parse_engines_json(bad, copy);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("error_style"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace gpuplan
