// config.json -> architecture: real config.json files of public checkpoints parse to the catalog's
// architecture and to the published parameter counts; a config built from every catalog
// architecture parses back to the same count; unknown types, bad values and quantization configs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "catalog_fixture.hpp"
#include "gpuplan/io/hf_config.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;
using nlohmann::json;

namespace {

const std::filesystem::path kFixtures = std::filesystem::path(GPUPLAN_SOURCE_DIR) / "tests" / "fixtures" / "hf";

// Every architecture field, for equality checks with a readable diff.
std::map<std::string, double> fields(const ModelArch& a) {
  return {{"hidden_size", a.hidden_size},
          {"num_layers", a.num_layers},
          {"num_heads", a.num_heads},
          {"num_kv_heads", a.num_kv_heads},
          {"head_dim", a.head_dim},
          {"intermediate_size", a.intermediate_size},
          {"vocab_size", a.vocab_size},
          {"tie_word_embeddings", a.tie_word_embeddings},
          {"mlp", a.mlp == MlpKind::gated},
          {"qkv_bias", a.qkv_bias},
          {"o_bias", a.o_bias},
          {"mlp_bias", a.mlp_bias},
          {"norms_per_layer", a.norms_per_layer},
          {"final_norm", a.final_norm},
          {"qk_norm", static_cast<double>(a.qk_norm)},
          {"learned_positions", a.learned_positions},
          {"attn_sinks", a.attn_sinks},
          {"sliding_window", a.sliding_window},
          {"global_every", a.global_every},
          {"num_experts", a.num_experts},
          {"experts_per_token", a.experts_per_token},
          {"moe_intermediate_size", a.moe_intermediate_size},
          {"num_shared_experts", a.num_shared_experts},
          {"shared_expert_intermediate_size", a.shared_expert_intermediate_size},
          {"shared_expert_gate", a.shared_expert_gate},
          {"first_dense_layers", a.first_dense_layers},
          {"router_bias", a.router_bias},
          {"expert_bias", a.expert_bias},
          {"score_correction_bias", a.score_correction_bias},
          {"q_lora_rank", a.q_lora_rank},
          {"kv_lora_rank", a.kv_lora_rank},
          {"qk_nope_head_dim", a.qk_nope_head_dim},
          {"qk_rope_head_dim", a.qk_rope_head_dim},
          {"v_head_dim", a.v_head_dim},
          {"mtp_layers", a.mtp_layers},
          {"vision_params", a.vision_params},
          {"context_length", a.context_length},
          {"attn_output_gate", a.attn_output_gate},
          {"index_heads", a.index_heads},
          {"index_head_dim", a.index_head_dim},
          {"moe_every", a.moe_every},
          {"moe_offset", a.moe_offset},
          {"recurrent", static_cast<double>(a.recurrent)},
          {"attention_every", a.attention_every},
          {"attention_offset", a.attention_offset},
          {"ssm_inner", a.ssm_inner},
          {"ssm_state", a.ssm_state},
          {"ssm_conv", a.ssm_conv},
          {"ssm_groups", a.ssm_groups},
          {"ssm_dt_rank", a.ssm_dt_rank},
          {"ssm_conv_bias", a.ssm_conv_bias},
          {"ssm_proj_bias", a.ssm_proj_bias},
          {"ssm_dt_norms", a.ssm_dt_norms}};
}

void expect_same_arch(const ModelArch& got, const ModelArch& want, const std::string& what) {
  const auto g = fields(got);
  const auto w = fields(want);
  for (const auto& [k, v] : w) EXPECT_EQ(g.at(k), v) << what << ": field " << k;
}

// A config.json in each family's own keys, built from a catalog architecture (the inverse of the
// parser's mapping, written from the transformers config classes).
json config_for(const std::string& family, const ModelArch& a) {
  json c;
  auto common = [&](json& j) {
    j["hidden_size"] = a.hidden_size;
    j["num_hidden_layers"] = a.num_layers;
    j["num_attention_heads"] = a.num_heads;
    j["num_key_value_heads"] = a.num_kv_heads;
    j["head_dim"] = a.head_dim;
    j["intermediate_size"] = a.intermediate_size;
    j["vocab_size"] = a.vocab_size;
    j["tie_word_embeddings"] = a.tie_word_embeddings;
    j["max_position_embeddings"] = a.context_length;
  };
  c["model_type"] = family;
  if (family == "gpt2") {
    c = {{"model_type", "gpt2"},
         {"n_embd", a.hidden_size},
         {"n_layer", a.num_layers},
         {"n_head", a.num_heads},
         {"n_positions", a.learned_positions},
         {"vocab_size", a.vocab_size}};
    return c;
  }
  if (family == "falcon") {
    c = {{"model_type", "falcon"},
         {"hidden_size", a.hidden_size},
         {"num_hidden_layers", a.num_layers},
         {"num_attention_heads", a.num_heads},
         {"vocab_size", a.vocab_size},
         {"multi_query", a.num_kv_heads == 1},
         {"new_decoder_architecture", false},
         {"parallel_attn", true},
         {"bias", false},
         {"max_position_embeddings", a.context_length}};
    return c;
  }
  if (family == "mamba") {  // MambaConfig
    c = {{"model_type", "mamba"},
         {"hidden_size", a.hidden_size},
         {"num_hidden_layers", a.num_layers},
         {"intermediate_size", a.ssm_inner},
         {"state_size", a.ssm_state},
         {"conv_kernel", a.ssm_conv},
         {"time_step_rank", a.ssm_dt_rank},
         {"use_conv_bias", a.ssm_conv_bias},
         {"use_bias", a.ssm_proj_bias},
         {"vocab_size", a.vocab_size},
         {"tie_word_embeddings", a.tie_word_embeddings}};
    return c;
  }
  if (family == "kimi_k25") {  // KimiK25Config: a DeepseekV3 text_config and MoonViT-3D as Kimi K2.5 ships it
    json text = config_for("deepseek_v3", a);
    return {{"model_type", "kimi_k25"},
            {"text_config", text},
            {"vision_config",
             {{"vt_hidden_size", 1152},
              {"vt_intermediate_size", 4304},
              {"vt_num_hidden_layers", 27},
              {"vt_num_attention_heads", 16},
              {"patch_size", 14},
              {"init_pos_emb_height", 64},
              {"init_pos_emb_width", 64},
              {"mm_hidden_size", 1152},
              {"merge_kernel_size", {2, 2}},
              {"text_hidden_size", a.hidden_size}}}};
  }
  if (family == "qwen3_5_moe" || family == "llama4") {  // multimodal wrappers, text tower only
    json text = config_for(family == "llama4" ? "llama4_text" : "qwen3_next", a);
    text["model_type"] = family + "_text";
    return {{"model_type", family}, {"text_config", text}};
  }
  common(c);
  if (family == "llama4_text") {
    c["intermediate_size"] = a.moe_intermediate_size;
    c["intermediate_size_mlp"] = a.intermediate_size;
    c["num_local_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["interleave_moe_layer_step"] = a.moe_every > 0 ? a.moe_every : 1;
    c["attention_chunk_size"] = a.sliding_window;
    c["no_rope_layer_interval"] = a.global_every;
    return c;
  }
  if (family == "minimax_m2") {
    c["intermediate_size"] = a.moe_intermediate_size;
    c["num_local_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["use_qk_norm"] = a.qk_norm != QkNorm::none;
    c["qk_norm_type"] = a.qk_norm == QkNorm::full ? "per_layer" : "per_head";
    c["use_routing_bias"] = a.score_correction_bias;
    c["shared_intermediate_size"] = 0;
    return c;
  }
  if (family == "jamba") {
    c.erase("head_dim");
    c["attn_layer_period"] = a.attention_every;
    c["attn_layer_offset"] = a.attention_offset;
    c["expert_layer_period"] = a.moe_every;
    c["expert_layer_offset"] = a.moe_offset;
    c["num_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["mamba_expand"] = a.ssm_inner / a.hidden_size;
    c["mamba_d_state"] = a.ssm_state;
    c["mamba_d_conv"] = a.ssm_conv;
    c["mamba_dt_rank"] = "auto";  // ceil(hidden / 16)
    c["mamba_conv_bias"] = a.ssm_conv_bias;
    c["mamba_proj_bias"] = a.ssm_proj_bias;
    return c;
  }
  if (family == "qwen3_next") {
    c["num_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["moe_intermediate_size"] = a.moe_intermediate_size;
    c["shared_expert_intermediate_size"] = a.shared_expert_intermediate_size;
    json types = json::array();
    for (double i = 0; i < a.num_layers; ++i) {
      types.push_back(std::fmod(i, a.attention_every) == a.attention_offset ? "full_attention" : "linear_attention");
    }
    c["layer_types"] = types;
    c["linear_num_key_heads"] = a.ssm_groups;
    c["linear_key_head_dim"] = a.ssm_state;
    c["linear_num_value_heads"] = a.ssm_dt_rank;
    c["linear_value_head_dim"] = a.ssm_inner / a.ssm_dt_rank;
    c["linear_conv_kernel_dim"] = a.ssm_conv;
    return c;
  }
  if (family == "llama") {
    c["attention_bias"] = a.qkv_bias;
    c["mlp_bias"] = a.mlp_bias;
  } else if (family == "mistral" || family == "phi3" || family == "gemma2" || family == "starcoder2") {
    c["sliding_window"] = a.sliding_window > 0 ? json(a.sliding_window) : json(nullptr);
  } else if (family == "mixtral") {
    c["num_local_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["sliding_window"] = nullptr;
  } else if (family == "qwen2") {
    c["use_sliding_window"] = false;
  } else if (family == "qwen2_moe" || family == "qwen3_moe") {
    c["num_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["moe_intermediate_size"] = a.moe_intermediate_size;
    if (family == "qwen2_moe") c["shared_expert_intermediate_size"] = a.shared_expert_intermediate_size;
    c["mlp_only_layers"] = json::array();
  } else if (family == "deepseek_v2" || family == "deepseek_v3" || family == "glm_moe_dsa") {
    c["q_lora_rank"] = a.q_lora_rank > 0 ? json(a.q_lora_rank) : json(nullptr);
    c["kv_lora_rank"] = a.kv_lora_rank;
    c["qk_nope_head_dim"] = a.qk_nope_head_dim;
    c["qk_rope_head_dim"] = a.qk_rope_head_dim;
    c["v_head_dim"] = a.v_head_dim;
    c["n_routed_experts"] = a.num_experts;
    c["n_shared_experts"] = a.num_shared_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["moe_intermediate_size"] = a.moe_intermediate_size;
    c["first_k_dense_replace"] = a.first_dense_layers;
    c["topk_method"] = a.score_correction_bias ? "noaux_tc" : "greedy";
    c["num_nextn_predict_layers"] = a.mtp_layers;
    if (a.index_head_dim > 0) {
      c["index_topk"] = 2048;
      c["index_n_heads"] = a.index_heads;
      c["index_head_dim"] = a.index_head_dim;
    }
    c.erase("head_dim");
  } else if (family == "gpt_oss") {
    c["num_local_experts"] = a.num_experts;
    c["num_experts_per_tok"] = a.experts_per_token;
    c["sliding_window"] = a.sliding_window;
    json types = json::array();
    for (double i = 0; i < a.num_layers; ++i)
      types.push_back(std::fmod(i + 1, a.global_every) == 0 ? "full_attention" : "sliding_attention");
    c["layer_types"] = types;
    c["attention_bias"] = a.qkv_bias;
  } else if (family == "cohere") {
    c["use_qk_norm"] = a.qk_norm != QkNorm::none;
  } else if (family == "gemma3") {
    json text = c;
    text["model_type"] = "gemma3_text";
    text["sliding_window"] = a.sliding_window;
    text["sliding_window_pattern"] = a.global_every;
    if (a.vision_params <= 0) return text;
    c = {{"model_type", "gemma3"},
         {"text_config", text},
         {"vision_config",  // SigLIP so400m as Gemma 3 ships it
          {{"model_type", "siglip_vision_model"},
           {"hidden_size", 1152},
           {"intermediate_size", 4304},
           {"num_hidden_layers", 27},
           {"num_attention_heads", 16},
           {"image_size", 896},
           {"patch_size", 14},
           {"vision_use_head", false}}}};
  }
  return c;
}

// Fixture folder -> catalog id (the same architecture; instruct variants share their base's).
const std::map<std::string, std::string> kFixtureIds = {
    {"meta-llama__Llama-3.1-8B", "llama-3.1-8b"},
    {"meta-llama__Llama-3.2-1B-Instruct", "llama-3.2-1b"},
    {"meta-llama__Llama-3.2-3B", "llama-3.2-3b"},
    {"meta-llama__Llama-3.3-70B-Instruct", "llama-3.3-70b"},
    {"mistralai__Mistral-7B-v0.3", "mistral-7b"},
    {"mistralai__Mixtral-8x7B-v0.1", "mixtral-8x7b"},
    {"Qwen__Qwen2.5-3B", "qwen2.5-3b"},
    {"Qwen__Qwen2.5-7B", "qwen2.5-7b"},
    {"Qwen__Qwen2.5-14B", "qwen2.5-14b"},
    {"Qwen__Qwen2.5-32B", "qwen2.5-32b"},
    {"Qwen__Qwen3-0.6B", "qwen3-0.6b"},
    {"Qwen__Qwen3-4B", "qwen3-4b"},
    {"Qwen__Qwen3-8B", "qwen3-8b"},
    {"Qwen__Qwen3-14B", "qwen3-14b"},
    {"Qwen__Qwen3-32B", "qwen3-32b"},
    {"Qwen__Qwen3-30B-A3B", "qwen3-30b-a3b"},
    {"Qwen__Qwen1.5-MoE-A2.7B-Chat", "qwen1.5-moe-a2.7b"},
    {"google__gemma-2-2b-it", "gemma-2-2b"},
    {"google__gemma-2-9b", "gemma-2-9b"},
    {"google__gemma-2-27b", "gemma-2-27b"},
    {"google__gemma-3-1b-it", "gemma-3-1b"},
    {"google__gemma-3-4b-it", "gemma-3-4b"},
    {"microsoft__Phi-3-mini-4k-instruct", "phi-3-mini"},
    {"deepseek-ai__DeepSeek-V2-Lite", "deepseek-v2-lite"},
    {"deepseek-ai__DeepSeek-V2.5", "deepseek-v2"},
    {"deepseek-ai__DeepSeek-R1", "deepseek-r1"},
    {"tiiuae__falcon-7b-instruct", "falcon-7b"},
    {"allenai__OLMo-2-1124-7B", "olmo-2-7b"},
    {"openai-community__gpt2", "gpt2"},
    {"state-spaces__mamba-2.8b-hf", "mamba-2.8b"},
    {"ai21labs__AI21-Jamba-1.5-Mini", "jamba-1.5-mini"},
    {"Qwen__Qwen3-Next-80B-A3B-Instruct", "qwen3-next-80b-a3b"},
};

io::ParsedConfig parse_fixture(const std::string& dir) {
  auto r = io::parse_hf_config(gpuplan::testing::read_text(kFixtures / dir / "config.json"));
  if (!r) ADD_FAILURE() << dir << ": " << r.error().message;
  return r ? r.value() : io::ParsedConfig{};
}

}  // namespace

TEST(HfConfig, RealConfigsParseToTheCatalogArchitectureAndPublishedCounts) {
  std::set<std::string> families;
  int exact = 0;
  std::printf("%-36s %-12s %16s %16s %9s\n", "fixture", "model_type", "parsed", "published", "error");
  for (const auto& [dir, id] : kFixtureIds) {
    ASSERT_TRUE(std::filesystem::exists(kFixtures / dir / "SOURCE")) << dir << " needs a SOURCE note";
    const io::ParsedConfig c = parse_fixture(dir);
    const Model& m = gpuplan::testing::model(id.c_str());
    ModelArch want = m.arch;
    ModelArch got = c.arch;
    // The catalog records one context per model; instruct/base variants and early configs differ.
    got.context_length = want.context_length = 0;
    expect_same_arch(got, want, dir);
    const double counted = count_params(c.arch).total;
    EXPECT_EQ(counted, count_params(m.arch).total) << dir;
    if (m.published_params > 0) {
      const double err = (counted - m.published_params) / m.published_params;
      std::printf("%-36s %-12s %16.0f %16.0f %+8.4f%%\n", dir.c_str(), c.model_type.c_str(), counted,
                  m.published_params, 100 * err);
      EXPECT_LE(std::fabs(err), 0.005) << dir;
      exact += counted == m.published_params;
    }
    EXPECT_TRUE(c.known_family) << dir;
    families.insert(c.model_type);
  }
  std::printf("%zu fixtures, %zu families, %d equal to the published count to the parameter\n", kFixtureIds.size(),
              families.size(), exact);
  EXPECT_GE(families.size(), 14u);
  EXPECT_GE(exact, 20);
}

TEST(HfConfig, FixturesOutsideTheCatalogMatchTheirKnownCounts) {
  // google/gemma-2b: 2,506,172,416 (GemmaForCausalLM, tied); RedPajama-INCITE-3B (GPT-NeoX):
  // 2,775,864,320 -- both the sum of their checkpoints' tensor shapes.
  EXPECT_EQ(count_params(parse_fixture("google__gemma-2b").arch).total, 2506172416.0);
  EXPECT_EQ(count_params(parse_fixture("togethercomputer__RedPajama-INCITE-Chat-3B-v1").arch).total, 2775864320.0);
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
    EXPECT_TRUE(std::filesystem::exists(entry.path() / "SOURCE")) << entry.path();
  }
}

// The widths a token passes through, by hand from each config.json. shared_expert_intermediate_size
// is the width of all shared experts together: DeepSeek's n_shared_experts x moe_intermediate_size,
// Qwen's one shared expert as written; num_shared_experts never multiplies it again.
TEST(HfConfig, ActiveMlpWidthFromRealConfigs) {
  const ModelArch v25 = parse_fixture("deepseek-ai__DeepSeek-V2.5").arch;  // the DeepSeek-V2 shape
  EXPECT_EQ(v25.shared_expert_intermediate_size, 2 * 1536);                // n_shared_experts 2 x 1536
  EXPECT_EQ(active_mlp_width(v25), 6 * 1536 + 2 * 1536);                   // top-6 routed + 2 shared = 12288
  const ModelArch lite = parse_fixture("deepseek-ai__DeepSeek-V2-Lite").arch;
  EXPECT_EQ(active_mlp_width(lite), 6 * 1408 + 2 * 1408);  // 11264
  const ModelArch qwen = parse_fixture("Qwen__Qwen1.5-MoE-A2.7B-Chat").arch;
  EXPECT_EQ(active_mlp_width(qwen), 4 * 1408 + 5632);  // top-4 of 1408 + one shared expert of 5632 = 11264
  EXPECT_EQ(active_mlp_width(parse_fixture("meta-llama__Llama-3.1-8B").arch), 14336);  // dense
  EXPECT_EQ(active_mlp_width(parse_fixture("Qwen__Qwen3-30B-A3B").arch), 8 * 768);     // no shared expert
}

// MLA widths of DeepSeek-V2.5 (128 heads, qk_nope 128, qk_rope 64, v 128, kv_lora_rank 512) and the
// GQA widths of Llama-3.1-8B (32 heads, 8 KV heads of 128), by hand.
TEST(HfConfig, AttentionWidthsFromRealConfigs) {
  const ModelArch mla = parse_fixture("deepseek-ai__DeepSeek-V2.5").arch;
  EXPECT_EQ(attention_qk_head_dim(mla), 128 + 64);
  EXPECT_EQ(attention_v_head_dim(mla), 128);
  EXPECT_EQ(attention_head_dims(mla), 128 + 64 + 128);
  EXPECT_EQ(attention_q_width(mla), 128 * 192);
  EXPECT_EQ(attention_output_width(mla), 128 * 128);
  EXPECT_EQ(attention_kv_heads(mla), 128);
  EXPECT_EQ(attention_kv_width(mla), 128 * (192 + 128));
  EXPECT_EQ(attention_kv_projection_width(mla), 128 * (128 + 128));
  EXPECT_EQ(mla_kv_latent_width(mla), 512 + 64);
  EXPECT_EQ(kv_elements_per_token_per_layer(mla), 576);  // the cached latent, vLLM and llama.cpp alike
  const ModelArch gqa = parse_fixture("meta-llama__Llama-3.1-8B").arch;
  EXPECT_EQ(attention_head_dims(gqa), 2 * 128);
  EXPECT_EQ(attention_q_width(gqa), 32 * 128);
  EXPECT_EQ(attention_output_width(gqa), 32 * 128);
  EXPECT_EQ(attention_kv_heads(gqa), 8);
  EXPECT_EQ(attention_kv_width(gqa), 2 * 8 * 128);
  EXPECT_EQ(attention_kv_projection_width(gqa), 2 * 8 * 128);
  EXPECT_EQ(kv_elements_per_token_per_layer(gqa), 2 * 8 * 128);
}

TEST(HfConfig, ConfigBuiltFromEveryCatalogArchitectureParsesBack) {
  const auto& supported = io::hf_model_types();
  int checked = 0;
  for (const auto& m : gpuplan::testing::catalog().models) {
    if (std::find(supported.begin(), supported.end(), m.family) == supported.end()) {
      ADD_FAILURE() << m.id << ": family " << m.family << " has no config.json reader";
      continue;
    }
    const json cfg = config_for(m.family, m.arch);
    auto parsed = io::parse_hf_config(cfg.dump());
    ASSERT_TRUE(parsed) << m.id << ": " << parsed.error().message << "\n" << cfg.dump();
    ModelArch got = parsed.value().arch;
    if (m.family == "gpt2" || m.family == "falcon") got.context_length = m.arch.context_length;
    expect_same_arch(got, m.arch, m.id);
    EXPECT_EQ(count_params(parsed.value().arch).total, count_params(m.arch).total) << m.id;
    EXPECT_TRUE(parsed.value().warnings.empty()) << m.id << ": " << parsed.value().warnings.front();
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(gpuplan::testing::catalog().models.size()));
}

TEST(HfConfig, SparseGemma3ConfigTakesTransformersDefaultsAndCountsTheVisionTower) {
  const io::ParsedConfig c = parse_fixture("google__gemma-3-4b-it");
  EXPECT_EQ(c.model_type, "gemma3_text");
  EXPECT_EQ(c.arch.num_heads, 8);
  EXPECT_EQ(c.arch.num_kv_heads, 4);
  EXPECT_EQ(c.arch.head_dim, 256);
  EXPECT_EQ(c.arch.vocab_size, 262208);
  EXPECT_EQ(c.arch.global_every, 6);
  EXPECT_EQ(c.arch.vision_params, 419816304);  // SigLIP so400m at 896 px + projector, as the checkpoint holds
  EXPECT_EQ(c.precision, "bf16");
}

TEST(HfConfig, UnknownModelTypeIsReadBestEffortAndSaysWhatWasGuessed) {
  auto r = io::parse_hf_config(R"({"model_type": "brand_new", "hidden_size": 2048, "num_hidden_layers": 16,
      "num_attention_heads": 16, "intermediate_size": 5632, "vocab_size": 32000})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r.value().known_family);
  ASSERT_EQ(r.value().warnings.size(), 1u);
  const std::string& w = r.value().warnings[0];
  for (const char* s : {"brand_new", "guessed", "num_key_value_heads", "head_dim", "tie_word_embeddings"}) {
    EXPECT_NE(w.find(s), std::string::npos) << s << " in: " << w;
  }
  EXPECT_EQ(w.find("intermediate_size"), std::string::npos) << "given, not guessed: " << w;
  EXPECT_EQ(r.value().arch.num_kv_heads, 16);
  EXPECT_EQ(r.value().arch.head_dim, 128);
}

TEST(HfConfig, BadConfigsGetAnErrorNamingTheField) {
  struct Case {
    const char* json;
    const char* expect;
  };
  const Case cases[] = {
      {R"({"model_type":"llama","num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"vocab_size":9})",
       "missing 'hidden_size'"},
      {R"({"model_type":"llama","hidden_size":-8,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"vocab_size":9})",
       "'hidden_size' must be a whole number"},
      {R"({"model_type":"llama","hidden_size":"8","num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"vocab_size":9})",
       "'hidden_size' must be a number"},
      {R"({"model_type":"llama","hidden_size":8,"hidden_size":8})", "twice"},
      {R"({"model_type":"llama","hidden_size":8,"num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":4,"intermediate_size":8,"vocab_size":9})",
       "num_kv_heads cannot exceed num_heads"},
      {R"({"model_type":"deepseek_v3","hidden_size":8,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":8,"vocab_size":9})",
       "missing 'kv_lora_rank'"},
      {"[1,2]", "JSON object"},
      {"{\"model_type\": ", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = io::parse_hf_config(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
  }
  std::string deep = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(io::parse_hf_config(deep));
  EXPECT_FALSE(io::parse_hf_config(std::string(io::kMaxConfigBytes + 1, ' ')));
}

TEST(HfConfig, QuantizationConfigsMapToPrecisions) {
  const std::string base =
      R"("model_type":"llama","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100)";
  struct Case {
    const char* quant;
    const char* precision;
  };
  const Case cases[] = {
      {R"({"quant_method":"gptq","bits":4,"group_size":128,"desc_act":false})", "gptq-int4"},
      {R"({"quant_method":"awq","bits":4,"group_size":128,"version":"gemm"})", "awq-int4"},
      {R"({"quant_method":"bitsandbytes","load_in_4bit":true,"bnb_4bit_quant_type":"nf4","bnb_4bit_use_double_quant":true})",
       "nf4-dq"},
      {R"({"quant_method":"bitsandbytes","load_in_4bit":true,"bnb_4bit_quant_type":"nf4"})", "nf4"},
      {R"({"quant_method":"bitsandbytes","load_in_8bit":true})", "int8"},
      {R"({"quant_method":"fp8","fmt":"e4m3","weight_block_size":[128,128]})", "fp8"},
      {R"({"quant_method":"mxfp4"})", "mxfp4"},
      {R"({"quant_method":"compressed-tensors","config_groups":{"group_0":{"weights":{"num_bits":4,"type":"int","group_size":128}}}})",
       "gptq-int4"},
      {R"({"quant_method":"compressed-tensors","config_groups":{"group_0":{"weights":{"num_bits":8,"type":"float"}}}})",
       "fp8"},
      // nvfp4-pack-quantized (llm-compressor): 4-bit floats in groups of 16.
      {R"({"quant_method":"compressed-tensors","format":"nvfp4-pack-quantized","config_groups":{"group_0":{"weights":{"num_bits":4,"type":"float","group_size":16}}}})",
       "nvfp4"},
      // moonshotai/Kimi-K2.5: INT4 group 32 with attention, shared experts and dense MLPs ignored.
      {R"({"quant_method":"compressed-tensors","format":"pack-quantized","ignore":["lm_head","re:.*self_attn.*","re:.*shared_experts.*"],"config_groups":{"group_0":{"weights":{"num_bits":4,"type":"int","group_size":32}}}})",
       "int4-experts"},
      {R"({"quant_method":"modelopt","quant_algo":"NVFP4","group_size":16})", "nvfp4"},
      {R"({"quant_method":"modelopt","quantization":{"quant_algo":"FP8"}})", "fp8"},
  };
  for (const auto& c : cases) {
    auto r = io::parse_hf_config("{" + base + R"(,"torch_dtype":"float16","quantization_config":)" + c.quant + "}");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().precision, c.precision) << c.quant;
    EXPECT_EQ(r.value().quantization.precision, c.precision) << c.quant;
  }
  auto hqq = io::parse_hf_config("{" + base + R"(,"quantization_config":{"quant_method":"hqq"}})");
  ASSERT_TRUE(hqq);
  EXPECT_TRUE(hqq.value().precision.empty());
  EXPECT_FALSE(hqq.value().warnings.empty());
  EXPECT_EQ(parse_fixture("deepseek-ai__DeepSeek-R1").precision, "fp8");
}

TEST(HfConfig, QwenMoeDenseLayersBecomeALeadingDenseBlock) {
  auto r = io::parse_hf_config(R"({"model_type":"qwen3_moe","hidden_size":64,"num_hidden_layers":4,
      "num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"intermediate_size":128,"vocab_size":100,
      "num_experts":8,"num_experts_per_tok":2,"moe_intermediate_size":32,"mlp_only_layers":[1,0]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().arch.first_dense_layers, 2);
  EXPECT_TRUE(r.value().warnings.empty());
}

TEST(HfConfig, RecurrentFamiliesReadTheirLayerPatternsAndStateDimensions) {
  // Mamba: the real state-spaces/mamba-130m-hf keys (quoted verbatim by public code): 24 layers of
  // norm + MambaMixer, d_inner 1536, dt_rank 48, tied. 129,135,360 = the count public loaders print.
  auto mamba = io::parse_hf_config(R"({"architectures": ["MambaForCausalLM"], "conv_kernel": 4, "expand": 2,
      "hidden_act": "silu", "hidden_size": 768, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05,
      "model_type": "mamba", "num_hidden_layers": 24, "state_size": 16, "time_step_rank": 48,
      "use_bias": false, "use_conv_bias": true, "vocab_size": 50280})");
  ASSERT_TRUE(mamba) << mamba.error().message;
  EXPECT_EQ(count_params(mamba.value().arch).total, 129135360.0);
  EXPECT_EQ(num_recurrent_layers(mamba.value().arch), 24);
  EXPECT_EQ(kv_token_layers(mamba.value().arch, 4096), 0);

  // Jamba: attention on layers 4, 12, 20, 28; MoE on the odd layers; dt_rank "auto" = 4096 / 16.
  const io::ParsedConfig jamba = parse_fixture("ai21labs__AI21-Jamba-1.5-Mini");
  std::string pattern;
  for (double i = 0; i < jamba.arch.num_layers; ++i) {
    pattern += is_recurrent_layer(jamba.arch, i) ? (is_moe_layer(jamba.arch, i) ? 'm' : 'M')
                                                 : (is_moe_layer(jamba.arch, i) ? 'a' : 'A');
  }
  EXPECT_EQ(pattern, "MmMmAmMmMmMmAmMmMmMmAmMmMmMmAmMm");
  json j = json::parse(gpuplan::testing::read_text(kFixtures / "ai21labs__AI21-Jamba-1.5-Mini" / "config.json"));
  j["mamba_dt_rank"] = "auto";
  auto jamba_auto = io::parse_hf_config(j.dump());
  ASSERT_TRUE(jamba_auto);
  EXPECT_EQ(jamba_auto.value().arch.ssm_dt_rank, 256);

  // Qwen3-Next: layer_types wins over full_attention_interval; an irregular list is a warning.
  json q = json::parse(gpuplan::testing::read_text(kFixtures / "Qwen__Qwen3-Next-80B-A3B-Instruct" / "config.json"));
  json types = json::array();
  for (int i = 0; i < 48; ++i) types.push_back(i % 6 == 5 ? "full_attention" : "linear_attention");
  q["layer_types"] = types;
  auto six = io::parse_hf_config(q.dump());
  ASSERT_TRUE(six);
  EXPECT_EQ(six.value().arch.attention_every, 6);
  EXPECT_EQ(six.value().arch.attention_offset, 5);
  EXPECT_EQ(num_recurrent_layers(six.value().arch), 40);
  q["layer_types"][0] = "full_attention";
  auto odd = io::parse_hf_config(q.dump());
  ASSERT_TRUE(odd);
  EXPECT_FALSE(odd.value().warnings.empty());

  // Mamba-2 (Mamba2Config keys of mistralai/Mamba-Codestral-7B-v0.1 as quoted by public code).
  auto m2 = io::parse_hf_config(R"({"model_type": "mamba2", "hidden_size": 4096, "num_hidden_layers": 64,
      "num_heads": 128, "head_dim": 64, "expand": 2, "n_groups": 8, "state_size": 128, "conv_kernel": 4,
      "use_bias": false, "use_conv_bias": true, "vocab_size": 32768, "tie_word_embeddings": false})");
  ASSERT_TRUE(m2) << m2.error().message;
  EXPECT_TRUE(m2.value().warnings.empty());
  // Per layer: in_proj 4096 x (8192 + 10240 + 128), conv 10240 x 4 + bias, A/D/dt_bias 3 x 128, gated
  // norm 8192, out_proj 8192 x 4096, layer norm 4096; plus embedding, head (untied) and final norm.
  const double layer = 4096.0 * 18560 + 10240 * 4 + 10240 + 3 * 128 + 8192 + 8192.0 * 4096 + 4096;
  EXPECT_EQ(count_params(m2.value().arch).total, 64 * layer + 2 * 32768.0 * 4096 + 4096);
}

TEST(HfConfig, HybridFamiliesItCannotModelSaySo) {
  for (const char* type : {"falcon_h1", "nemotron_h"}) {
    json c = {{"model_type", type},       {"hidden_size", 1024}, {"num_hidden_layers", 4},
              {"num_attention_heads", 8}, {"vocab_size", 1000},  {"intermediate_size", 2048}};
    auto r = io::parse_hf_config(c.dump());
    ASSERT_TRUE(r) << type;
    bool said = false;
    for (const auto& w : r.value().warnings) said = said || w.find("recurrent") != std::string::npos;
    EXPECT_TRUE(said) << type;
  }
}

TEST(HfConfig, KimiK25ConfigReadsAsTheCatalogEntry) {
  // moonshotai/Kimi-K2.5 config.json, trimmed to the keys that decide the size (values as shipped).
  auto r = io::parse_hf_config(R"({"architectures": ["KimiK25ForConditionalGeneration"], "model_type": "kimi_k25",
    "quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
      "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*", "re:.*mlp\\.(gate|up|gate_up|down)_proj.*"],
      "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"group_size": 32, "num_bits": 4,
        "strategy": "group", "symmetric": true, "type": "int"}}}},
    "text_config": {"model_type": "deepseek_v3", "dtype": "bfloat16", "first_k_dense_replace": 1, "hidden_size": 7168,
      "intermediate_size": 18432, "kv_lora_rank": 512, "max_position_embeddings": 262144,
      "moe_intermediate_size": 2048, "n_routed_experts": 384, "n_shared_experts": 1, "num_attention_heads": 64,
      "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 64, "num_nextn_predict_layers": 0,
      "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "topk_method": "noaux_tc",
      "v_head_dim": 128, "vocab_size": 163840, "tie_word_embeddings": false},
    "vision_config": {"init_pos_emb_height": 64, "init_pos_emb_width": 64, "merge_kernel_size": [2, 2],
      "mm_hidden_size": 1152, "patch_size": 14, "text_hidden_size": 7168, "vt_hidden_size": 1152,
      "vt_intermediate_size": 4304, "vt_num_attention_heads": 16, "vt_num_hidden_layers": 27}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().model_type, "deepseek_v3");
  EXPECT_EQ(r.value().precision, "int4-experts");
  EXPECT_EQ(r.value().arch.vision_params, 471143920);  // the checkpoint's vision_tower + mm_projector tensors
  EXPECT_TRUE(r.value().warnings.empty()) << r.value().warnings.front();
  const Model& kimi = gpuplan::testing::model("kimi-k2.5");
  expect_same_arch(r.value().arch, kimi.arch, "kimi-k2.5");
  EXPECT_EQ(count_params(r.value().arch).total, kimi.published_params);
}
