#include <gtest/gtest.h>

#include <set>

#include "catalog_fixture.hpp"
#include "gpuplan/names.hpp"

using namespace gpuplan;
using gpuplan::testing::catalog;

TEST(Catalog, HasEnoughModelsAndGpus) {
  EXPECT_GE(catalog().models.size(), 40u);
  EXPECT_GE(catalog().gpus.size(), 45u);
  std::set<std::string> vendors, tiers;
  for (const auto& g : catalog().gpus) {
    vendors.insert(g.vendor);
    EXPECT_NE(g.vendor_kind, Vendor::other) << g.id << ": vendor '" << g.vendor << "' is not one the rules know";
    EXPECT_STREQ(to_string(g.vendor_kind), g.vendor.c_str()) << g.id;
    tiers.insert(to_string(g.tier));
  }
  for (const char* v : {"nvidia", "amd", "intel", "apple"}) EXPECT_TRUE(vendors.count(v)) << v;
  EXPECT_EQ(tiers.size(), 3u);
}

TEST(Catalog, NamesFromTheIssueWorkAsWritten) {
  for (const char* m : {"llama-3.1-70b", "mistral-7b", "qwen2.5-7b", "llama-3.1-8b", "llama3.1:70b",
                        "meta-llama/Llama-3.1-70B", "qwen3-30b-a3b", "deepseek-v3", "gpt-oss-120b"}) {
    EXPECT_TRUE(find_model(catalog(), m).has_value()) << m;
  }
  for (const char* g : {"rtx-4090", "a100-80gb", "l4", "rtx-a6000", "h100-sxm", "l40s", "rtx-5090", "m2-ultra",
                        "mi300x", "RTX 4090", "rtx4090"}) {
    EXPECT_TRUE(find_gpu(catalog(), g).has_value()) << g;
  }
}

TEST(Catalog, UnknownNamesSuggestTheNearest) {
  const auto m = find_model(catalog(), "llama-3.1-7b");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("llama-3.1-"), std::string::npos) << m.error().message;
  const auto g = find_gpu(catalog(), "rtx-4900");
  ASSERT_FALSE(g.has_value());
  EXPECT_NE(g.error().message.find("rtx-4090"), std::string::npos) << g.error().message;
}

TEST(Catalog, EveryFigureHasASourceAndDate) {
  for (const auto& m : catalog().models) {
    EXPECT_FALSE(m.source.empty()) << m.id;
    EXPECT_FALSE(m.as_of.empty()) << m.id;
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : catalog().gpu_sources) keys.insert(k);
  for (const auto& g : catalog().gpus) {
    for (const char* field : {"memory_gib", "memory_bandwidth_gbps", "tdp_w"}) {
      ASSERT_TRUE(g.provenance.count(field)) << g.id << " " << field;
    }
    for (const auto& [field, p] : g.provenance) {
      EXPECT_FALSE(p.source.empty()) << g.id << " " << field;
      EXPECT_FALSE(p.as_of.empty()) << g.id << " " << field;
    }
    EXPECT_GT(g.memory_bytes, 0) << g.id;
    EXPECT_GT(g.memory_bandwidth_bytes_per_s, 0) << g.id;
    EXPECT_TRUE(g.dense_flops.bf16 > 0 || g.dense_flops.fp16 > 0) << g.id;
  }
}

TEST(Catalog, IdsAndAliasesAreUnique) {
  std::set<std::string> seen;
  for (const auto& m : catalog().models) {
    EXPECT_TRUE(seen.insert(canonical_name(m.id)).second) << m.id;
    for (const auto& a : m.aliases) EXPECT_TRUE(seen.insert(canonical_name(a)).second) << m.id << " alias " << a;
  }
  seen.clear();
  for (const auto& g : catalog().gpus) {
    EXPECT_TRUE(seen.insert(canonical_name(g.id)).second) << g.id;
    for (const auto& a : g.aliases) EXPECT_TRUE(seen.insert(canonical_name(a)).second) << g.id << " alias " << a;
  }
}

TEST(CatalogJson, BadDocumentsAreErrorsNamingTheField) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"[1,2]", "must be a JSON object"},
      {R"({"schema":"gpuplan-models/1"})", "needs an array"},
      {R"({"schema":"other/1","models":[]})", "schema"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":-1,"num_layers":2,"num_heads":2,"vocab_size":10}}]})",
       "hidden_size"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":"big","num_layers":2,"num_heads":2,"vocab_size":10}}]})",
       "number"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":64,"num_layers":0,"num_heads":2,"vocab_size":10,"intermediate_size":8}}]})",
       "positive"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":64,"num_layers":2,"num_heads":2,"num_kv_heads":4,"vocab_size":10,"intermediate_size":8}}]})",
       "num_kv_heads"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":64,"num_layers":2,"num_heads":2,"vocab_size":10,"intermediate_size":8,"num_experts":4,"experts_per_token":8,"moe_intermediate_size":8}}]})",
       "experts_per_token"},
      {R"({"models":[{"id":"x","arch":{"hidden_size":1e400,"num_layers":2,"num_heads":2,"vocab_size":10}}]})", "JSON"},
  };
  for (const auto& c : cases) {
    const auto r = io::parse_models_json(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << c.text << " -> " << r.error().message;
  }
  const auto deep = io::parse_models_json(std::string(100000, '[') + std::string(100000, ']'));
  ASSERT_FALSE(deep.has_value());
  EXPECT_NE(deep.error().message.find("deeper than 64"), std::string::npos) << deep.error().message;
  const auto g = io::parse_gpus_json(R"({"gpus":[{"id":"x","memory_gib":{"value":-24},"memory_bandwidth_gbps":1}]})");
  ASSERT_FALSE(g.has_value());
  EXPECT_NE(g.error().message.find("memory_gib"), std::string::npos) << g.error().message;
}

// A required string that is present but empty names nothing (found by fuzz_prices_json).
TEST(CatalogJson, RequiredStringsMustNotBeEmpty) {
  const auto gpu = io::parse_gpus_json(R"({"gpus":[{"id":"","memory_gib":24,"memory_bandwidth_gbps":1}]})");
  ASSERT_FALSE(gpu.has_value());
  EXPECT_NE(gpu.error().message.find("field 'id' must not be empty"), std::string::npos) << gpu.error().message;
  Catalog c;
  const auto link = io::parse_links_json(
      R"({"links":[{"id":"l","kind":"intra","gbps":1,"latency_us":1,"source":"","as_of":"2024"}]})", c);
  ASSERT_FALSE(link.has_value());
  EXPECT_NE(link.error().message.find("field 'source' must not be empty"), std::string::npos) << link.error().message;
  const auto model = io::parse_models_json(
      R"({"models":[{"id":"","arch":{"hidden_size":64,"num_layers":2,"num_heads":2,"vocab_size":10,"intermediate_size":8}}]})");
  ASSERT_FALSE(model.has_value());
  EXPECT_NE(model.error().message.find("field 'id' must not be empty"), std::string::npos) << model.error().message;
}

TEST(CatalogJson, UserCatalogAddsAModel) {
  Catalog c = catalog();
  const auto ok = io::merge_models_json(c, R"({"models":[{"id":"my-model","source":"test","as_of":"2026-11-25",
    "arch":{"hidden_size":1024,"num_layers":4,"num_heads":8,"num_kv_heads":2,"head_dim":128,
            "intermediate_size":4096,"vocab_size":32000}}]})");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_TRUE(find_model(c, "my-model").has_value());
}
