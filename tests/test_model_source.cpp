// load_model_source on local files: a folder with the real config.json of Llama-3.1-8B and four
// sparse safetensors shards with its real tensor shapes (through the index), one shard, the index,
// config.json alone, GGUF files and folders, catalog names, and the errors a person meets.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "catalog_fixture.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;
using gpuplan::testing::SafetensorsWriter;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(GPUPLAN_SOURCE_DIR) / "tests" / "fixtures";

// Meta-Llama-3.1-8B as transformers saves it: 291 BF16 tensors in 4 shards (layers 0-8, 9-19,
// 20-30, and layer 31 with the norm and LM head).
fs::path llama31_8b_folder() {
  const fs::path dir = gpuplan::testing::fresh_dir("llama31_8b");
  fs::copy_file(kFixtures / "hf" / "meta-llama__Llama-3.1-8B" / "config.json", dir / "config.json");
  const int first_layer[] = {0, 9, 20, 31, 32};
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  std::uint64_t total = 0;
  for (int s = 0; s < 4; ++s) {
    SafetensorsWriter w;
    if (s == 0) w.tensor("model.embed_tokens.weight", "BF16", {128256, 4096});
    for (int i = first_layer[s]; i < first_layer[s + 1]; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      w.tensor(p + "input_layernorm.weight", "BF16", {4096});
      w.tensor(p + "mlp.down_proj.weight", "BF16", {4096, 14336});
      w.tensor(p + "mlp.gate_proj.weight", "BF16", {14336, 4096});
      w.tensor(p + "mlp.up_proj.weight", "BF16", {14336, 4096});
      w.tensor(p + "post_attention_layernorm.weight", "BF16", {4096});
      w.tensor(p + "self_attn.k_proj.weight", "BF16", {1024, 4096});
      w.tensor(p + "self_attn.o_proj.weight", "BF16", {4096, 4096});
      w.tensor(p + "self_attn.q_proj.weight", "BF16", {4096, 4096});
      w.tensor(p + "self_attn.v_proj.weight", "BF16", {1024, 4096});
    }
    if (s == 3) {
      w.tensor("lm_head.weight", "BF16", {128256, 4096});
      w.tensor("model.norm.weight", "BF16", {4096});
    }
    const std::string name = "model-0000" + std::to_string(s + 1) + "-of-00004.safetensors";
    w.write(dir / name);
    total += w.data_bytes();
    const auto header = nlohmann::json::parse(w.header_json());
    for (const auto& item : header.items()) index["weight_map"][item.key()] = name;
  }
  index["metadata"]["total_size"] = total;
  gpuplan::testing::write_text(dir / "model.safetensors.index.json", index.dump(2));
  return dir;
}

Result<sources::LoadedModel> load(const std::string& spec) {
  return sources::load_model_source(spec, gpuplan::testing::catalog(), {});
}

}  // namespace

TEST(ModelSource, FolderWithShardedSafetensorsGivesExactParamsAndBytes) {
  const fs::path dir = llama31_8b_folder();
  auto r = load(dir.string());
  ASSERT_TRUE(r) << r.error().message;
  const auto& m = r.value();
  EXPECT_EQ(m.kind, "safetensors");
  EXPECT_EQ(m.files, 4u);
  EXPECT_EQ(m.model_type, "llama");
  EXPECT_EQ(m.precision, "bf16");
  EXPECT_EQ(m.tensors.tensors, 291);
  EXPECT_EQ(m.tensors.params, 8030261248.0);  // HF Hub API safetensors.total of meta-llama/Llama-3.1-8B
  EXPECT_EQ(m.tensors.bytes, 2 * 8030261248.0);
  EXPECT_EQ(m.tensors.weights.token_embedding, 2.0 * 128256 * 4096);
  EXPECT_EQ(count_params(m.model.arch).total, m.tensors.params);
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
  // The index and config.json as specs reach the same folder; one shard is one shard.
  auto via_index = load((dir / "model.safetensors.index.json").string());
  ASSERT_TRUE(via_index) << via_index.error().message;
  EXPECT_EQ(via_index.value().tensors.params, 8030261248.0);
  auto shard = load((dir / "model-00002-of-00004.safetensors").string());
  ASSERT_TRUE(shard) << shard.error().message;
  EXPECT_EQ(shard.value().files, 1u);
  EXPECT_EQ(shard.value().tensors.tensors, 11 * 9);
  const auto& warnings = shard.value().warnings;
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(),
                          [](const std::string& w) { return w.find("one shard") != std::string::npos; }));
  auto config = load((dir / "config.json").string());
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config.value().kind, "config");
  EXPECT_FALSE(config.value().has_tensors);
  EXPECT_EQ(count_params(config.value().model.arch).total, 8030261248.0);
  fs::remove_all(dir);
}

TEST(ModelSource, BrokenFoldersSayWhatIsWrong) {
  const fs::path dir = llama31_8b_folder();
  fs::remove(dir / "model-00003-of-00004.safetensors");
  auto missing = load(dir.string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("model-00003-of-00004.safetensors but it is missing"), std::string::npos)
      << missing.error().message;
  fs::remove(dir / "config.json");
  auto no_config = load(dir.string());
  ASSERT_FALSE(no_config);
  EXPECT_NE(no_config.error().message.find("has no config.json"), std::string::npos) << no_config.error().message;
  fs::remove_all(dir);
  // Two shards holding the same tensor.
  const fs::path dup = gpuplan::testing::fresh_dir("dup");
  fs::copy_file(kFixtures / "hf" / "Qwen__Qwen3-0.6B" / "config.json", dup / "config.json");
  SafetensorsWriter w;
  w.tensor("model.norm.weight", "BF16", {1024});
  w.write(dup / "a.safetensors");
  w.write(dup / "b.safetensors");
  auto twice = load(dup.string());
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("appears in two shards"), std::string::npos) << twice.error().message;
  fs::remove_all(dup);
}

TEST(ModelSource, SingleFileWithoutConfigHasTensorsButNoArchitecture) {
  const fs::path dir = gpuplan::testing::fresh_dir("lonely");
  SafetensorsWriter w;
  w.tensor("model.embed_tokens.weight", "F16", {100, 16});
  w.write(dir / "model.safetensors");
  auto r = load((dir / "model.safetensors").string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r.value().has_architecture);
  EXPECT_TRUE(r.value().has_tensors);
  EXPECT_EQ(r.value().tensors.params, 1600);
  fs::remove_all(dir);
}

TEST(ModelSource, GgufFileAndFolderHoldingOne) {
  const fs::path src = fs::path(GPUPLAN_SOURCE_DIR) / "fuzz" / "corpus" / "gguf" / "valid-tiny-llama-v3.gguf";
  auto r = load(src.string());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().kind, "gguf");
  EXPECT_EQ(r.value().precision, "q4_k_m");
  const fs::path dir = gpuplan::testing::fresh_dir("gguf_folder");
  fs::copy_file(src, dir / "tiny.gguf");
  auto folder = load(dir.string());
  ASSERT_TRUE(folder) << folder.error().message;
  EXPECT_EQ(folder.value().tensors.params, r.value().tensors.params);
  fs::copy_file(src, dir / "second.gguf");
  auto two = load(dir.string());
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("several .gguf"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ModelSource, CatalogNamesKeepWorkingAndPathsThatDoNotExistSaySo) {
  auto m = load("llama-3.1-8b");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m.value().kind, "catalog");
  EXPECT_EQ(m.value().model.id, "llama-3.1-8b");
  auto alias = load("meta-llama/Llama-3.1-70B");
  ASSERT_TRUE(alias) << alias.error().message;
  EXPECT_EQ(alias.value().model.id, "llama-3.1-70b");
  auto typo = load("lama-3.1-8b");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("llama-3.1-8b"), std::string::npos);
  for (const char* spec : {"./no-such-folder/", "no-such-model.gguf", "/nonexistent/config.json"}) {
    auto r = load(spec);
    ASSERT_FALSE(r) << spec;
    EXPECT_NE(r.error().message.find("no such file or folder"), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(sources::is_model_file_spec("hf:org/name"));
  EXPECT_TRUE(sources::is_model_file_spec("./x"));
  EXPECT_FALSE(sources::is_model_file_spec("llama-3.1-8b"));
  EXPECT_FALSE(sources::is_model_file_spec("meta-llama/Llama-3.1-70B"));
}

// A file in the working folder named like a catalog model does not shadow the model; ./name and
// file:name still read the file.
TEST(ModelSource, CatalogNamesResolveBeforeTheFileSystem) {
  const fs::path dir = gpuplan::testing::fresh_dir("shadow");
  fs::copy_file(kFixtures / "hf" / "meta-llama__Llama-3.1-8B" / "config.json", dir / "llama-3.1-8b");
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  auto bare = load("llama-3.1-8b");
  auto dotted = load("./llama-3.1-8b");
  auto prefixed = load("file:llama-3.1-8b");
  fs::current_path(cwd);
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare.value().kind, "catalog");
  ASSERT_TRUE(dotted) << dotted.error().message;
  EXPECT_EQ(dotted.value().kind, "config");
  ASSERT_TRUE(prefixed) << prefixed.error().message;
  EXPECT_EQ(prefixed.value().kind, "config");
  fs::remove_all(dir);
}

// A server's policy: no local paths, whatever their spelling; catalog names still work.
TEST(ModelSource, AllowLocalPathsFalseForbidsEveryLocalPath) {
  const fs::path dir = gpuplan::testing::fresh_dir("policy");
  fs::copy_file(kFixtures / "hf" / "meta-llama__Llama-3.1-8B" / "config.json", dir / "config.json");
  sources::SourceOptions o;
  o.allow_local_paths = false;
  for (const std::string& spec : {dir.string(), (dir / "config.json").string(), "file:" + dir.string(),
                                  std::string("./x.gguf"), std::string("missing.safetensors")}) {
    auto r = sources::load_model_source(spec, gpuplan::testing::catalog(), o);
    ASSERT_FALSE(r) << spec;
    EXPECT_NE(r.error().message.find("local paths are not allowed"), std::string::npos) << r.error().message;
  }
  auto catalog = sources::load_model_source("llama-3.1-8b", gpuplan::testing::catalog(), o);
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_EQ(catalog.value().kind, "catalog");
  fs::remove_all(dir);
}

// Offline comes in through the options (no environment): a Hub spec with nothing cached fails at
// once with an offline error and never dials the (unreachable) endpoint.
TEST(ModelSource, OfflineInTheOptionsFailsAHubSpecWithoutNetwork) {
  sources::SourceOptions o;
  o.offline = true;
  o.endpoint = "http://192.0.2.1:9";  // TEST-NET-1: a connection attempt would time out
  o.connect_timeout_s = 30;
  o.cache_dir = gpuplan::testing::fresh_dir("offline_cache").string();
  const auto start = std::chrono::steady_clock::now();
  auto r = sources::load_model_source("hf:acme/never-cached", gpuplan::testing::catalog(), o);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("offline"), std::string::npos) << r.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  fs::remove_all(o.cache_dir);
}
