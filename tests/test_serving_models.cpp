// The models of the measured serving data (shared/reference/serving_aic_silicon.csv and
// serving_speed.csv, issue 14 item 6): every model the rows name resolves to a catalog entry by the
// name as written there, the new entries reproduce their published sizes, and their KV cache per
// token is what their config.json gives by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "catalog_fixture.hpp"
#include "csv.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/sources/model_source.hpp"

using namespace gpuplan;
using gpuplan::testing::catalog;
using gpuplan::testing::model;

namespace {

std::set<std::string> column_values(const char* file, const char* column) {
  std::set<std::string> out;
  for (const auto& row : gpuplan::testing::read_csv(std::string(GPUPLAN_REFERENCE_DIR) + "/" + file)) {
    out.insert(row.at(column));
  }
  return out;
}

// serving_speed.csv's `model` is a label, not always a repo id: "LLaMA 7B (Llama-2-7b)" names the
// checkpoint in parentheses, "Llama 4 Scout (FP8)" the weights format. The label's checkpoint is
// the parenthesised name when that is a catalog name, else the label without the parentheses.
std::string speed_label_model(const std::string& label) {
  const auto open = label.find(" (");
  if (open == std::string::npos || label.back() != ')') return label;
  const std::string inner = label.substr(open + 2, label.size() - open - 3);
  return sources::catalog_entry(inner, catalog()) ? inner : label.substr(0, open);
}

const Model* entry(const std::string& spec) {
  return sources::catalog_entry(spec, catalog());
}

double kv_bytes_per_token(const char* id) {
  return kv_cache_bytes(model(id).arch, 1, 1, 2.0);  // bf16 KV cache, one token of one sequence
}

}  // namespace

TEST(ServingModels, EveryModelPathOfTheSiliconMeasurementsResolves) {
  const auto paths = column_values("serving_aic_silicon.csv", "model_path");
  ASSERT_GE(paths.size(), 14u);  // 14 repos as of 2026-12-03
  for (const auto& path : paths) {
    const Model* m = entry(path);
    EXPECT_NE(m, nullptr) << path;
    if (m) std::printf("%-36s -> %s (%s)\n", path.c_str(), m->id.c_str(), m->weights_dtype.c_str());
  }
}

TEST(ServingModels, EveryModelOfTheSpeedMeasurementsResolves) {
  const auto labels = column_values("serving_speed.csv", "model");
  ASSERT_GE(labels.size(), 19u);
  for (const auto& label : labels) {
    const std::string name = speed_label_model(label);
    const Model* m = entry(name);
    EXPECT_NE(m, nullptr) << label << " (looked up as '" << name << "')";
    if (m) std::printf("%-36s -> %s\n", label.c_str(), m->id.c_str());
  }
  EXPECT_EQ(speed_label_model("LLaMA 7B (Llama-2-7b)"), "Llama-2-7b");
  EXPECT_EQ(speed_label_model("Llama 4 Scout (FP8)"), "Llama 4 Scout");
}

TEST(ServingModels, RepoIdsAndShortIdsNameTheSameEntries) {
  struct Case {
    const char* repo;
    const char* id;
    const char* weights;  // the checkpoint's own format
  };
  for (const Case& k : {Case{"deepseek-ai/DeepSeek-V3.1", "deepseek-v3.1", "fp8"},
                        Case{"moonshotai/Kimi-K2.5", "kimi-k2.5", "int4-experts"},
                        Case{"MiniMaxAI/MiniMax-M2.5", "minimax-m2.5", "fp8"}, Case{"zhipuai/GLM-5", "glm-5", "bf16"},
                        Case{"zai-org/GLM-5", "glm-5", "bf16"}, Case{"zai-org/GLM-5-FP8", "glm-5-fp8", "fp8"},
                        Case{"Qwen/Qwen3.5-397B-A17B", "qwen3.5-397b-a17b", "bf16"},
                        Case{"Qwen/Qwen3-235B-A22B-FP8", "qwen3-235b-a22b-fp8", "fp8"},
                        Case{"nvidia/DeepSeek-R1-NVFP4", "deepseek-r1-nvfp4", "nvfp4"},
                        Case{"nvidia/DeepSeek-V3.1-NVFP4", "deepseek-v3.1-nvfp4", "nvfp4"},
                        Case{"nvidia/Qwen3-32B-NVFP4", "qwen3-32b-nvfp4", "nvfp4"},
                        Case{"deepseek-ai/DeepSeek-R1", "deepseek-r1", "fp8"},
                        Case{"meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b", "bf16"},
                        Case{"openai/gpt-oss-120b", "gpt-oss-120b", "mxfp4"}}) {
    const Model* by_repo = entry(k.repo);
    const Model* by_id = entry(k.id);
    ASSERT_NE(by_repo, nullptr) << k.repo;
    ASSERT_NE(by_id, nullptr) << k.id;
    EXPECT_EQ(by_repo, by_id) << k.repo;
    EXPECT_EQ(by_id->id, k.id);
    EXPECT_EQ(by_id->weights_dtype, k.weights) << k.id;
    EXPECT_TRUE(find_precision(by_id->weights_dtype)) << k.id << ": " << by_id->weights_dtype;
  }
}

TEST(ServingModels, AnOrgNameAliasIsACatalogEntryNotAPathOrAHubSpec) {
  // load_model_source reads a bare org/name from the catalog before probing the file system; only
  // hf:, ./, /, ~ and file: specs leave the catalog.
  auto loaded = sources::load_model_source("MiniMaxAI/MiniMax-M2.5", catalog(), sources::SourceOptions{});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded.value().kind, "catalog");
  EXPECT_EQ(loaded.value().model.id, "minimax-m2.5");
  EXPECT_EQ(loaded.value().precision, "fp8");
  EXPECT_EQ(entry("hf:MiniMaxAI/MiniMax-M2.5"), nullptr);
  EXPECT_EQ(entry("./MiniMaxAI/MiniMax-M2.5"), nullptr);
  EXPECT_EQ(entry("file:zai-org/GLM-5"), nullptr);
  // Case and separators fold; '/' and '.' do not.
  EXPECT_EQ(entry("QWEN/QWEN3.5_397B_A17B"), entry("qwen3.5-397b-a17b"));
  EXPECT_EQ(entry("Qwen3.5-397B-A17B"), entry("qwen3.5-397b-a17b"));
  EXPECT_EQ(entry("Qwen/Qwen35-397B-A17B"), nullptr);
}

TEST(ServingModels, VariantsShareTheirBaseArchitecture) {
  for (const auto& [variant, base] : {std::pair{"deepseek-v3.1", "deepseek-v3"},
                                      {"deepseek-v3.1-nvfp4", "deepseek-v3"},
                                      {"deepseek-r1-nvfp4", "deepseek-r1"},
                                      {"qwen3-32b-nvfp4", "qwen3-32b"},
                                      {"qwen3-235b-a22b-fp8", "qwen3-235b-a22b"},
                                      {"glm-5-fp8", "glm-5"},
                                      {"llama-3.1-8b-fp8", "llama-3.1-8b"},
                                      {"llama-3.3-70b-fp8", "llama-3.3-70b"}}) {
    const Model& v = model(variant);
    const Model& b = model(base);
    EXPECT_EQ(count_params(v.arch).total, count_params(b.arch).total) << variant;
    EXPECT_EQ(v.arch.context_length, b.arch.context_length) << variant;
    EXPECT_EQ(v.family, b.family) << variant;
    EXPECT_NE(v.hf_repo, b.hf_repo) << variant;
    EXPECT_FALSE(v.source.empty()) << variant;
    EXPECT_FALSE(v.as_of.empty()) << variant;
  }
  // An NVFP4 checkpoint of DeepSeek-R1 weighs 4.5/8 of the FP8 one on its linear layers.
  const ModelArch& r1 = model("deepseek-r1").arch;
  const double fp8 = weights_bytes(r1, find_precision("fp8").value());
  const double nvfp4 = weights_bytes(r1, find_precision("nvfp4").value());
  std::printf("DeepSeek-R1 weights: fp8 %.1f GiB, nvfp4 %.1f GiB\n", fp8 / (1 << 30), nvfp4 / (1 << 30));
  EXPECT_NEAR(nvfp4 / fp8, 4.5 / 8, 0.01);
}

TEST(ServingModels, VariantOfIsCheckedWhenTheCatalogIsRead) {
  const char* base = R"({"id": "base-m", "arch": {"hidden_size": 64, "num_layers": 2, "num_heads": 4,
                          "intermediate_size": 128, "vocab_size": 100}, "context_length": 4096})";
  auto doc = [&](const std::string& second) {
    return std::string(R"({"schema": "gpuplan-models/1", "models": [)") + base + ", " + second + "]}";
  };
  auto ok = io::parse_models_json(doc(R"({"id": "base-m-fp8", "variant_of": "base-m", "weights_dtype": "fp8"})"));
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok.value().size(), 2u);
  EXPECT_EQ(ok.value()[1].arch.hidden_size, 64);
  EXPECT_EQ(ok.value()[1].arch.context_length, 4096);
  EXPECT_EQ(ok.value()[1].weights_dtype, "fp8");
  EXPECT_TRUE(ok.value()[1].aliases.empty());
  // Its own keys win: a variant may change the context.
  auto longer = io::parse_models_json(doc(R"({"id": "base-m-long", "variant_of": "base-m", "context_length": 8192})"));
  ASSERT_TRUE(longer) << longer.error().message;
  EXPECT_EQ(longer.value()[1].arch.context_length, 8192);
  auto unknown = io::parse_models_json(doc(R"({"id": "x", "variant_of": "nope"})"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("variant_of"), std::string::npos) << unknown.error().message;
  auto chained =
      io::parse_models_json(doc(R"({"id": "v1", "variant_of": "base-m"}, {"id": "v2", "variant_of": "v1"})"));
  EXPECT_FALSE(chained);
  auto typed = io::parse_models_json(doc(R"({"id": "v1", "variant_of": 3})"));
  EXPECT_FALSE(typed);
}

TEST(ServingModels, NewModelsMatchTheirPublishedSizes) {
  // Published totals and active counts (the model cards unless said otherwise):
  //  - DeepSeek-V3.1: 671B total, 37B activated (model card, Model Downloads table).
  //  - Kimi K2.5: 1T total, 32B activated (card); the checkpoint's own tensor shapes give 1,026.88 B
  //    (data/models.json published_params); K2 tech report: 32.6B active.
  //  - MiniMax-M2.5: 230B total, 10B active (MiniMax's deployment guides for the M2 series); its
  //    active count leaves out the embedding and the LM head (1.23 B), as the 9.8B quoted for M2.7 does.
  //  - GLM-5: 744B total, 40B active (model card of zai-org/GLM-5-FP8); the card does not say whether
  //    40B counts the embeddings: without them gpuplan's count is 39.9 B, with them 41.8 B.
  //  - Qwen3.5-397B-A17B: 397B total, 17B activated (model card).
  //  - Llama 4 Scout: 109B total, 17B active (Meta's card; the vision tower is not counted here).
  // Active counts here include the input embedding and the LM head, as the cards do, unless said.
  struct Case {
    const char* id;
    double total, active;
    double tolerance;  // relative
    bool active_without_embeddings = false;
  };
  for (const Case& k : {Case{"deepseek-v3.1", 671e9, 37e9, 0.01}, Case{"kimi-k2.5", 1026.88e9, 32.6e9, 0.01},
                        Case{"minimax-m2.5", 230e9, 10e9, 0.02, true}, Case{"glm-5", 744e9, 40e9, 0.02, true},
                        Case{"qwen3.5-397b-a17b", 397e9, 17e9, 0.02}, Case{"llama-4-scout", 109e9, 17e9, 0.02}}) {
    ParamCounts p = count_params(model(k.id).arch);
    if (k.active_without_embeddings) p.active -= p.embedding + p.lm_head;
    std::printf(
        "%-18s total %8.2f B (published %6.0f B, %+.2f%%), active %6.2f B (published %4.1f B, %+.2f%%), "
        "MTP %.2f B\n",
        k.id, p.total / 1e9, k.total / 1e9, 100 * (p.total / k.total - 1), p.active / 1e9, k.active / 1e9,
        100 * (p.active / k.active - 1), p.mtp / 1e9);
    EXPECT_NEAR(p.total / k.total, 1.0, k.tolerance) << k.id;
    EXPECT_NEAR(p.active / k.active, 1.0, 0.05) << k.id;
  }
}

TEST(ServingModels, Glm5WithItsMtpLayerMatchesTheHubCount) {
  // The Hub's safetensors parameter count of zai-org/GLM-5-FP8 is 753.9B: the 744B main model, the
  // MTP layer (a full MoE layer with its own indexer) and the DSA indexers of all 78 layers.
  const ParamCounts p = count_params(model("glm-5").arch);
  std::printf("GLM-5: main %.2f B + MTP %.2f B = %.2f B (Hub 753.9 B)\n", p.total / 1e9, p.mtp / 1e9,
              (p.total + p.mtp) / 1e9);
  EXPECT_NEAR((p.total + p.mtp) / 1e9, 753.9, 753.9 * 0.002);
  // The indexer: per layer wq_b (q_lora 2048 -> 32 x 128), wk (6144 -> 128), weights_proj (6144 -> 32), k_norm.
  ModelArch no_indexer = model("glm-5").arch;
  no_indexer.index_heads = no_indexer.index_head_dim = 0;
  EXPECT_EQ(p.total - count_params(no_indexer).total, 78 * (2048.0 * 32 * 128 + 6144.0 * 128 + 6144.0 * 32 + 2 * 128));
}

TEST(ServingModels, KimiK25WeightsMatchItsCheckpointBytes) {
  // The tensor table of moonshotai/Kimi-K2.5: 64 safetensors files, 554.27 GiB of tensors: INT4
  // experts packed 8 per int32 with a bf16 scale per 32 (4.5 bits), the rest bf16.
  const double bytes = weights_bytes(model("kimi-k2.5").arch, find_precision("int4-experts").value());
  std::printf("Kimi K2.5 int4-experts: %.2f GiB (checkpoint 554.27 GiB)\n", bytes / (1 << 30));
  EXPECT_NEAR(bytes / (1 << 30), 554.27, 554.27 * 0.002);
}

TEST(ServingModels, KvCachePerTokenFollowsTheConfigs) {
  // By hand from config.json, bf16 (2 bytes per element), one token:
  //  - MLA caches kv_lora_rank + qk_rope_head_dim = 512 + 64 per layer: DeepSeek-V3.1 and Kimi K2.5
  //    x 61 layers; GLM-5 x 78, plus its DSA indexer key (index_head_dim 128) on every layer.
  //  - MiniMax-M2.5: K and V of 8 KV heads x 128 on all 62 layers.
  //  - Qwen3.5-397B-A17B: K and V of 2 KV heads x 256 on the 15 gated-attention layers (every 4th).
  //  - Llama 4 Scout: 8 KV heads x 128 on 48 layers (the chunked layers stop growing at 8192 tokens).
  EXPECT_EQ(kv_bytes_per_token("deepseek-v3.1"), 576.0 * 61 * 2);
  EXPECT_EQ(kv_bytes_per_token("kimi-k2.5"), 576.0 * 61 * 2);
  EXPECT_EQ(kv_bytes_per_token("glm-5"), (576.0 + 128) * 78 * 2);  // + the DSA indexer key of 128
  EXPECT_EQ(kv_bytes_per_token("minimax-m2.5"), 2.0 * 8 * 128 * 62 * 2);
  EXPECT_EQ(kv_bytes_per_token("qwen3.5-397b-a17b"), 2.0 * 2 * 256 * 15 * 2);
  EXPECT_EQ(kv_bytes_per_token("llama-4-scout"), 2.0 * 8 * 128 * 48 * 2);
  const ModelArch& scout = model("llama-4-scout").arch;
  EXPECT_EQ(kv_cache_bytes(scout, 100000, 1, 2.0), 2.0 * 8 * 128 * 2 * (12 * 100000.0 + 36 * 8192.0));
  // Qwen3.5's 45 Gated DeltaNet layers hold a fixed state per sequence: conv (4 - 1) x (8192 + 2 x
  // 16 x 128) + SSM 64 heads x 128 x 128, in f32.
  const ModelArch& q = model("qwen3.5-397b-a17b").arch;
  EXPECT_EQ(num_recurrent_layers(q), 45);
  EXPECT_EQ(recurrent_state_elements_per_layer(q), 3.0 * (8192 + 2 * 16 * 128) + 64.0 * 128 * 128);
  EXPECT_EQ(recurrent_state_bytes(q, 1), 45 * (3.0 * 12288 + 1048576) * 4);
}
