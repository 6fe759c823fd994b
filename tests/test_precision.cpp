#include <gtest/gtest.h>

#include "gpuplan/precision.hpp"

using namespace gpuplan;

TEST(Precision, GgmlBlockBitsMatchLlamaCpp) {
  // ggml-common.h block sizes: bits = 8 * type_size / block_size.
  EXPECT_DOUBLE_EQ(find_ggml_type("Q4_0")->bits_per_weight(), 4.5);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q8_0")->bits_per_weight(), 8.5);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q4_K")->bits_per_weight(), 4.5);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q5_K")->bits_per_weight(), 5.5);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q6_K")->bits_per_weight(), 6.5625);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q2_K")->bits_per_weight(), 2.625);
  EXPECT_DOUBLE_EQ(find_ggml_type("Q3_K")->bits_per_weight(), 3.4375);
  EXPECT_DOUBLE_EQ(find_ggml_type("IQ4_XS")->bits_per_weight(), 4.25);
  EXPECT_DOUBLE_EQ(find_ggml_type("IQ2_XXS")->bits_per_weight(), 2.0625);
  EXPECT_DOUBLE_EQ(find_ggml_type("MXFP4")->bits_per_weight(), 4.25);
  EXPECT_EQ(find_ggml_type("Q9_Z"), nullptr);
}

TEST(Precision, GroupScalesCostBits) {
  EXPECT_NEAR(find_precision("gptq-int4").value().linear_bits, 4.156, 0.001);
  EXPECT_NEAR(find_precision("nf4").value().linear_bits, 4.5, 1e-9);
  EXPECT_NEAR(find_precision("nf4-dq").value().linear_bits, 4.127, 0.001);
  EXPECT_NEAR(find_precision("mxfp4").value().linear_bits, 4.25, 1e-9);
}

TEST(Precision, Nvfp4AndInt4ExpertsBitsPerWeight) {
  // NVFP4: 16 E2M1 values (4 bits each) share one FP8 E4M3 scale, plus one FP32 per tensor:
  // 4 + 8/16 = 4.5 bits. compressed-tensors INT4 group 32 with a bf16 scale: 4 + 16/32 = 4.5 bits.
  const Precision nv = find_precision("nvfp4").value();
  EXPECT_DOUBLE_EQ(nv.linear_bits, 4.5);
  EXPECT_EQ(nv.kind, QuantKind::grouped);
  EXPECT_EQ(nv.embed_bits, 16);
  EXPECT_EQ(find_precision("NVFP4").value().name, "nvfp4");
  EXPECT_EQ(find_precision("nv-fp4").value().name, "nvfp4");
  const Precision i4 = find_precision("int4-experts").value();
  EXPECT_DOUBLE_EQ(i4.linear_bits, 4.5);
  EXPECT_EQ(i4.kind, QuantKind::experts);
  // A dense model in NVFP4: every linear at 4.5 bits, embeddings and head bf16, norms 16 bit.
  ModelArch a;
  a.hidden_size = 4096;
  a.num_layers = 32;
  a.num_heads = 32;
  a.num_kv_heads = 8;
  a.head_dim = 128;
  a.intermediate_size = 14336;
  a.vocab_size = 128256;
  const ParamCounts c = count_params(a);
  const double embeddings = 2 * a.vocab_size * a.hidden_size;
  const double norms = (2 * a.num_layers + 1) * a.hidden_size;
  const double linear = c.total - embeddings - norms;
  EXPECT_NEAR(weights_bytes(a, nv), linear * 4.5 / 8 + (embeddings + norms) * 2, 1);
  // int4-experts leaves a dense model's linears in bf16 (only routed experts are INT4).
  EXPECT_NEAR(weights_bytes(a, i4), c.total * 2, 1);
}

TEST(Precision, AliasesAndNearMatches) {
  EXPECT_EQ(find_precision("FP16").value().name, "fp16");
  EXPECT_EQ(find_precision("Q4_K_M").value().name, "q4_k_m");
  EXPECT_EQ(find_precision("q4km").value().name, "q4_k_m");
  EXPECT_EQ(find_precision("awq").value().name, "awq-int4");
  const auto bad = find_precision("q4_k_x");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("did you mean"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("q4_k_m"), std::string::npos) << bad.error().message;
}

TEST(Precision, KvCacheTypes) {
  EXPECT_DOUBLE_EQ(kv_bytes_per_element("f16").value(), 2.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_element("q8_0").value(), 34.0 / 32.0);
  EXPECT_DOUBLE_EQ(kv_bytes_per_element("q4_0").value(), 18.0 / 32.0);
  EXPECT_FALSE(kv_bytes_per_element("q3_banana").has_value());
}

TEST(Precision, Llama2Q4KMixGivesLlamaCppBitsPerWeight) {
  // Llama-2-7B: llama.cpp prints "model size = 3.80 GiB (4.84 BPW)" for Q4_K_M.
  ModelArch a;
  a.hidden_size = 4096;
  a.num_layers = 32;
  a.num_heads = 32;
  a.num_kv_heads = 32;
  a.head_dim = 128;
  a.intermediate_size = 11008;
  a.vocab_size = 32000;
  const double params = count_params(a).total;
  const double bpw = weights_bytes(a, find_precision("q4_k_m").value()) * 8 / params;
  std::printf("Llama-2-7B Q4_K_M: %.3f bits/weight (llama.cpp: 4.84)\n", bpw);
  EXPECT_NEAR(bpw, 4.84, 0.02);
}
