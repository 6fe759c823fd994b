// Golden: exact parameter counts from the architecture vs the published counts of real checkpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <span>
#include <string>

#include "catalog_fixture.hpp"
#include "gpuplan/io/gguf.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;

TEST(Params, MatchPublishedCountsWithinHalfAPercent) {
  const Catalog& c = gpuplan::testing::catalog();
  int compared = 0;
  std::set<std::string> families;
  double worst = 0;
  std::printf("%-22s %18s %18s %9s\n", "model", "formula", "published", "error");
  for (const auto& m : c.models) {
    if (m.published_params <= 0) continue;
    const double counted = count_params(m.arch).total;
    const double err = (counted - m.published_params) / m.published_params;
    std::printf("%-22s %18.0f %18.0f %+8.4f%%\n", m.id.c_str(), counted, m.published_params, 100 * err);
    EXPECT_LE(std::fabs(err), 0.005) << m.id << ": " << m.published_source;
    worst = std::max(worst, std::fabs(err));
    families.insert(m.family);
    ++compared;
  }
  std::printf("%d models in %zu families compared; worst error %.4f%%\n", compared, families.size(), 100 * worst);
  EXPECT_GE(compared, 12);
  EXPECT_GE(families.size(), 8u);
}

TEST(Params, MixtureOfExpertsActiveCounts) {
  // Published active parameters: Mixtral 8x7B 12.9B (Mistral AI), Qwen3-30B-A3B 3.3B (model card),
  // DeepSeek-V3 37B (paper), gpt-oss-120b 5.13B excluding the input embedding (model card).
  struct Case {
    const char* id;
    double active;
    bool minus_embedding;
  };
  for (const Case& k : {Case{"mixtral-8x7b", 12.9e9, false}, Case{"qwen3-30b-a3b", 3.3e9, false},
                        Case{"deepseek-v3", 37e9, false}, Case{"gpt-oss-120b", 5.13e9, true}}) {
    const Model& m = gpuplan::testing::model(k.id);
    const ParamCounts p = count_params(m.arch);
    const double active = p.active - (k.minus_embedding ? m.arch.vocab_size * m.arch.hidden_size : 0);
    std::printf("%-16s active %.3f B (published %.2f B), total %.2f B\n", k.id, active / 1e9, k.active / 1e9,
                p.total / 1e9);
    EXPECT_NEAR(active / k.active, 1.0, 0.03) << k.id;
    EXPECT_LT(p.active, p.total);
  }
}

TEST(Params, DeepSeekV3MultiTokenPredictionIsReportedApart) {
  const ParamCounts p = count_params(gpuplan::testing::model("deepseek-v3").arch);
  EXPECT_NEAR(p.total / 1e9, 671, 1);
  EXPECT_NEAR(p.mtp / 1e9, 11.6, 0.2);
}

TEST(Params, RecurrentAndHybridModelsMatchTheirCheckpoints) {
  // Exact element counts of the released checkpoints (sum of the safetensors tensor shapes):
  //  - Qwen/Qwen3-Next-80B-A3B-Instruct: 81,324,862,720 (safetensors total) = main model + the MTP
  //    layer; llama.cpp reports n_params 79,674,391,296 for a GGUF of the same architecture
  //    (Qwen3-Coder-Next), which drops the MTP layer.
  //  - state-spaces/mamba-2.8b-hf: 2,768,345,600 (MambaForCausalLM, tied).
  //  - ai21labs/Jamba-v0.1: 51.574 B as total_size / 2 of its index (A_log and D are stored in f32
  //    there, which that division counts twice: 28 x (8192 x 16 + 8192) = 3.9 M), 51.6 B on its page.
  struct Case {
    const char* id;
    double checkpoint;
    bool with_mtp;
    double tolerance;  // relative; 1e-5 for the figure given to three decimals in billions
  };
  for (const Case& k : {Case{"qwen3-next-80b-a3b", 81324862720.0, true, 0}, Case{"mamba-2.8b", 2768345600.0, false, 0},
                        Case{"jamba-v0.1", 51.574e9 - 28 * (8192 * 16 + 8192), false, 1e-5}}) {
    const ParamCounts p = count_params(gpuplan::testing::model(k.id).arch);
    const double counted = p.total + (k.with_mtp ? p.mtp : 0);
    const double err = (counted - k.checkpoint) / k.checkpoint;
    std::printf("%-20s counted %16.0f checkpoint %16.0f %+8.4f%%\n", k.id, counted, k.checkpoint, 100 * err);
    EXPECT_LE(std::fabs(err), k.tolerance) << k.id;
  }
  EXPECT_EQ(count_params(gpuplan::testing::model("qwen3-next-80b-a3b").arch).total, 79674391296.0);
}

TEST(Params, HybridActiveCounts) {
  // Published active parameters: Jamba 12B of 52B (AI21, Lieber et al. 2024); Qwen3-Next 3B of 80B
  // (model card; gpuplan's active count includes the 0.62 B of embedding and LM head, the card's not).
  struct Case {
    const char* id;
    double active;
    bool minus_embeddings;
  };
  for (const Case& k : {Case{"jamba-1.5-mini", 12e9, false}, Case{"qwen3-next-80b-a3b", 3e9, true}}) {
    const Model& m = gpuplan::testing::model(k.id);
    const ParamCounts p = count_params(m.arch);
    const double active = p.active - (k.minus_embeddings ? p.embedding + p.lm_head : 0);
    std::printf("%-20s active %.3f B (published %.1f B), total %.2f B, %g of %g layers recurrent\n", k.id, active / 1e9,
                k.active / 1e9, p.total / 1e9, num_recurrent_layers(m.arch), m.arch.num_layers);
    EXPECT_NEAR(active / k.active, 1.0, 0.1) << k.id;
    EXPECT_LT(p.active, p.total);
  }
}

TEST(Params, RecurrentStateMatchesTheSourceFormulas) {
  // llama.cpp llama-hparams.cpp: n_embd_r = (d_conv - 1) x (d_inner + 2 n_group d_state),
  // n_embd_s = d_state x d_inner. vLLM mamba_utils.py MambaStateShapeCalculator gives the same shapes.
  // Mamba-2.8B, mamba1_state_shape: conv (3, 5120), ssm (5120, 16).
  const ModelArch mamba = gpuplan::testing::model("mamba-2.8b").arch;
  EXPECT_EQ(recurrent_state_elements_per_layer(mamba), 3 * 5120 + 5120 * 16);
  EXPECT_EQ(num_recurrent_layers(mamba), 64);
  EXPECT_EQ(recurrent_state_bytes(mamba, 1), 64 * 97280 * 4.0);  // 23.75 MiB per sequence, f32
  EXPECT_EQ(kv_elements_per_token_per_layer(mamba) * kv_token_layers(mamba, 1e6), 0);
  // Jamba: 28 Mamba layers (attention on 4, 12, 20, 28), d_inner 8192, d_state 16.
  const ModelArch jamba = gpuplan::testing::model("jamba-1.5-mini").arch;
  EXPECT_EQ(num_recurrent_layers(jamba), 28);
  EXPECT_EQ(recurrent_state_elements_per_layer(jamba), 3 * 8192 + 8192 * 16);
  EXPECT_TRUE(!is_recurrent_layer(jamba, 4) && !is_recurrent_layer(jamba, 28) && is_recurrent_layer(jamba, 31));
  EXPECT_EQ(kv_token_layers(jamba, 1000), 4 * 1000);
  // Qwen3-Next, gated_delta_net_state_shape: conv (3, 2 x 16 x 128 + 32 x 128), ssm (32, 128, 128);
  // 36 Gated DeltaNet layers, 12 full-attention layers (3, 7, ..., 47).
  const ModelArch next = gpuplan::testing::model("qwen3-next-80b-a3b").arch;
  EXPECT_EQ(recurrent_state_elements_per_layer(next), 3 * (2 * 16 * 128 + 32 * 128) + 32 * 128 * 128);
  EXPECT_EQ(num_recurrent_layers(next), 36);
  EXPECT_FALSE(is_recurrent_layer(next, 3));
  EXPECT_TRUE(is_recurrent_layer(next, 46));
  EXPECT_FALSE(is_recurrent_layer(next, 48));  // the MTP layer attends
  EXPECT_EQ(kv_token_layers(next, 1000), 12 * 1000);
  // Mamba-2 (Mamba-Codestral-7B shape): conv (3, 8192 + 2 x 8 x 128), ssm (128 heads, 64, 128).
  ModelArch m2 = mamba;
  m2.recurrent = RecurrentKind::mamba2;
  m2.ssm_inner = 8192;
  m2.ssm_state = 128;
  m2.ssm_groups = 8;
  m2.ssm_dt_rank = 128;
  EXPECT_EQ(recurrent_state_elements_per_layer(m2), 3 * (8192 + 2 * 8 * 128) + 128 * 64 * 128);
  // Transformers have none.
  EXPECT_EQ(recurrent_state_elements_per_layer(gpuplan::testing::model("llama-3.1-8b").arch), 0);
  EXPECT_EQ(num_recurrent_layers(gpuplan::testing::model("llama-3.1-8b").arch), 0);
}

TEST(Params, RecurrentTensorsQuantiseLikeLlamaCpp) {
  // ssm_conv1d, A and D stay f32 in GGUF files (llama-quant.cpp); the projections follow the mix.
  const ModelArch a = gpuplan::testing::model("mamba-2.8b").arch;
  const LayerTensors t = layer_tensors(a, 0);
  double f32_elements = 0;
  double matrix_elements = 0;
  for (std::size_t i = 0; i < t.count; ++i) {
    const auto& w = t.tensors[i];
    const bool f32 = w.role == TensorRole::ssm_conv || w.role == TensorRole::ssm_a || w.role == TensorRole::ssm_d ||
                     w.role == TensorRole::vector;
    (f32 ? f32_elements : matrix_elements) += w.elements;
  }
  const Result<Precision> q8 = find_precision("q8_0");
  ASSERT_TRUE(q8);
  const WeightBytes b = weight_bytes_breakdown(a, q8.value());
  // 64 layers: f32 parts at 4 bytes, the rest Q8_0 (34 bytes per 32); the tied embedding as output (Q8_0).
  const double expected = 64 * (f32_elements * 4 + matrix_elements * 34.0 / 32) + 2560 * 4 + 50280 * 2560 * 34.0 / 32;
  std::printf("mamba-2.8b q8_0: %.4f GB (f32 per layer %.0f elements)\n", b.total / 1e9, f32_elements);
  EXPECT_NEAR(b.total / expected, 1.0, 1e-12);
}

namespace {

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string block(int i) {
  std::string s = "blk.";
  s += std::to_string(i);
  s += '.';
  return s;
}

}  // namespace

TEST(Params, GgufOfAHybridReadsItsRecurrentLayers) {
  // A small Jamba-shaped GGUF with llama.cpp's tensor names and ssm.* keys: 4 layers, attention on
  // layer 2 (every 4 from 2), experts on the odd layers; hidden 256, d_inner 512, d_state 16, dt_rank 16.
  using gpuplan::testing::GgufWriter;
  using gpuplan::testing::kF32;
  using gpuplan::testing::kQ8_0;
  GgufWriter w;
  w.str("general.architecture", "jamba");
  w.u32("jamba.block_count", 4);
  w.u32("jamba.embedding_length", 256);
  w.u32("jamba.feed_forward_length", 512);
  w.u32("jamba.attention.head_count", 4);
  w.u32_array("jamba.attention.head_count_kv", {0, 0, 2, 0});
  w.u32("jamba.expert_count", 4);
  w.u32("jamba.expert_used_count", 2);
  w.u32("jamba.ssm.conv_kernel", 4);
  w.u32("jamba.ssm.inner_size", 512);
  w.u32("jamba.ssm.state_size", 16);
  w.u32("jamba.ssm.time_step_rank", 16);
  w.token_array("tokenizer.ggml.tokens", 1000);
  w.tensor("token_embd.weight", {256, 1000}, kQ8_0);
  for (int i = 0; i < 4; ++i) {
    const std::string b = block(i);
    w.tensor(b + "attn_norm.weight", {256}, kF32);
    if (i == 2) {
      w.tensor(b + "attn_q.weight", {256, 256}, kQ8_0);
      w.tensor(b + "attn_k.weight", {256, 128}, kQ8_0);
      w.tensor(b + "attn_v.weight", {256, 128}, kQ8_0);
      w.tensor(b + "attn_output.weight", {256, 256}, kQ8_0);
    } else {
      w.tensor(b + "ssm_in.weight", {256, 1024}, kQ8_0);
      w.tensor(b + "ssm_conv1d.weight", {4, 512}, kF32);
      w.tensor(b + "ssm_conv1d.bias", {512}, kF32);
      w.tensor(b + "ssm_x.weight", {512, 48}, kQ8_0);
      w.tensor(b + "ssm_dt.weight", {16, 512}, kF32);
      w.tensor(b + "ssm_dt.bias", {512}, kF32);
      w.tensor(b + "ssm_dt_norm.weight", {16}, kF32);
      w.tensor(b + "ssm_b_norm.weight", {16}, kF32);
      w.tensor(b + "ssm_c_norm.weight", {16}, kF32);
      w.tensor(b + "ssm_a", {16, 512}, kF32);
      w.tensor(b + "ssm_d", {512}, kF32);
      w.tensor(b + "ssm_out.weight", {512, 256}, kQ8_0);
    }
    w.tensor(b + "ffn_norm.weight", {256}, kF32);
    if (i % 2 == 1) {
      w.tensor(b + "ffn_gate_inp.weight", {256, 4}, kF32);
      w.tensor(b + "ffn_gate_exps.weight", {256, 512, 4}, kQ8_0);
      w.tensor(b + "ffn_up_exps.weight", {256, 512, 4}, kQ8_0);
      w.tensor(b + "ffn_down_exps.weight", {512, 256, 4}, kQ8_0);
    } else {
      w.tensor(b + "ffn_gate.weight", {256, 512}, kQ8_0);
      w.tensor(b + "ffn_up.weight", {256, 512}, kQ8_0);
      w.tensor(b + "ffn_down.weight", {512, 256}, kQ8_0);
    }
  }
  w.tensor("output_norm.weight", {256}, kF32);
  w.tensor("output.weight", {256, 1000}, kQ8_0);
  const std::string h = w.header();
  auto read = io::parse_gguf(as_bytes(h), h.size() + w.data_end());
  ASSERT_TRUE(read && read.value().file);
  auto g = io::gguf_model(*read.value().file);
  ASSERT_TRUE(g) << g.error().message;
  const ModelArch& a = g.value().model.arch;
  EXPECT_EQ(a.recurrent, RecurrentKind::mamba);
  EXPECT_EQ(a.attention_every, 4);
  EXPECT_EQ(a.attention_offset, 2);
  EXPECT_EQ(a.moe_every, 2);
  EXPECT_EQ(a.moe_offset, 1);
  EXPECT_EQ(a.num_kv_heads, 2);
  EXPECT_TRUE(a.ssm_dt_norms && a.ssm_conv_bias && !a.ssm_proj_bias);
  EXPECT_EQ(num_recurrent_layers(a), 3);
  // The architecture reproduces the tensor table to the parameter, so no mismatch warning.
  EXPECT_EQ(count_params(a).total, g.value().tensors.params);
  for (const auto& warning : g.value().warnings) {
    EXPECT_EQ(warning.find("tensor table holds"), std::string::npos) << warning;
  }
}
