// safetensors headers: the reader against files written by tests/model_file_writer.hpp, sharded
// checkpoints through the index, parameters of quantised checkpoints (packed 4-bit, FP8 with
// block scales, MXFP4 experts, bitsandbytes), and one committed bad file per failure kind.
#include <gtest/gtest.h>

#include <filesystem>

#include "catalog_fixture.hpp"
#include "gpuplan/io/safetensors.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;
using gpuplan::testing::SafetensorsWriter;
namespace fs = std::filesystem;

namespace {

io::SafetensorsHeader parse(const SafetensorsWriter& w) {
  const std::string h = w.header_json();
  auto r = io::parse_safetensors_header(h, 8 + h.size() + w.data_bytes());
  if (!r) throw std::runtime_error(r.error().message);
  return r.value();
}

}  // namespace

TEST(Safetensors, HeaderLengthIsCheckedBeforeAnythingIsRead) {
  const std::uint8_t ok[8] = {16, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(io::safetensors_header_length(ok, 100).value(), 16u);
  const std::uint8_t huge[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  auto r = io::safetensors_header_length(huge, 100);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("100 MB"), std::string::npos);
  auto past = io::safetensors_header_length(ok, 20);
  ASSERT_FALSE(past);
  EXPECT_NE(past.error().message.find("past the end"), std::string::npos);
  EXPECT_FALSE(io::safetensors_header_length(std::span<const std::uint8_t>(ok, 4), 4));
}

TEST(Safetensors, TensorsDtypesAndParams) {
  SafetensorsWriter w;
  w.metadata("format", "pt");
  w.tensor("model.embed_tokens.weight", "BF16", {1000, 64});
  w.tensor("model.layers.0.self_attn.q_proj.weight", "BF16", {64, 64});
  w.tensor("model.layers.0.input_layernorm.weight", "F32", {64});
  w.tensor("model.layers.0.self_attn.rotary_emb.inv_freq", "F32", {16});  // a buffer, not a parameter
  w.tensor("lm_head.weight", "BF16", {1000, 64});
  const auto h = parse(w);
  ASSERT_EQ(h.tensors.size(), 5u);
  EXPECT_EQ(h.metadata.at(0).first, "format");
  const auto s = io::summarize_tensors(h.tensors);
  EXPECT_EQ(s.params, 1000 * 64 * 2 + 64 * 64 + 64);
  EXPECT_EQ(s.aux_elements, 16);
  EXPECT_EQ(s.bytes, 2.0 * (1000 * 64 * 2 + 64 * 64) + 4 * 64 + 4 * 16);
  EXPECT_EQ(s.weights.token_embedding, 2.0 * 1000 * 64);
  ASSERT_EQ(s.by_dtype.size(), 2u);
  EXPECT_EQ(s.by_dtype[0].dtype, "BF16");
  EXPECT_EQ(s.by_dtype[0].tensors, 3);
  EXPECT_TRUE(s.quantization.empty());
}

TEST(Safetensors, QuantisedCheckpointsCountLogicalParameters) {
  // GPTQ 4-bit, group 128 (AutoGPTQ layout): qweight I32 [in/8, out], qzeros I32 [in/128, out/8],
  // scales F16 [in/128, out], g_idx I32 [in].
  SafetensorsWriter gptq;
  gptq.tensor("model.layers.0.mlp.down_proj.qweight", "I32", {1024 / 8, 512});
  gptq.tensor("model.layers.0.mlp.down_proj.qzeros", "I32", {1024 / 128, 512 / 8});
  gptq.tensor("model.layers.0.mlp.down_proj.scales", "F16", {1024 / 128, 512});
  gptq.tensor("model.layers.0.mlp.down_proj.g_idx", "I32", {1024});
  auto g = io::summarize_tensors(parse(gptq).tensors, 4);
  EXPECT_EQ(g.params, 1024 * 512);
  EXPECT_EQ(g.quantization, "gptq");
  // DeepSeek-V3 FP8: weights F8_E4M3 with F32 scales per 128x128 block.
  SafetensorsWriter fp8;
  fp8.tensor("model.layers.3.mlp.experts.7.up_proj.weight", "F8_E4M3", {256, 512});
  fp8.tensor("model.layers.3.mlp.experts.7.up_proj.weight_scale_inv", "F32", {2, 4});
  fp8.tensor("model.layers.3.mlp.shared_experts.up_proj.weight", "F8_E4M3", {256, 512});
  auto f = io::summarize_tensors(parse(fp8).tensors);
  EXPECT_EQ(f.params, 2 * 256 * 512);
  EXPECT_EQ(f.routed_expert_params, 256 * 512);
  EXPECT_EQ(f.quantization, "fp8");
  // gpt-oss MXFP4: 16 bytes hold a block of 32 values, one U8 exponent per block.
  SafetensorsWriter mx;
  mx.tensor("model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", {4, 256, 90, 16});
  mx.tensor("model.layers.0.mlp.experts.gate_up_proj_scales", "U8", {4, 256, 90});
  mx.tensor("model.layers.0.mlp.experts.gate_up_proj_bias", "BF16", {4, 256});
  auto m = io::summarize_tensors(parse(mx).tensors);
  EXPECT_EQ(m.params, 4.0 * 256 * 90 * 32 + 4 * 256);
  EXPECT_EQ(m.quantization, "mxfp4");
  // bitsandbytes NF4: packed U8 weight (two per byte) with absmax and quant_state side tensors.
  SafetensorsWriter bnb;
  bnb.tensor("model.layers.0.self_attn.q_proj.weight", "U8", {64 * 64 / 2, 1});
  bnb.tensor("model.layers.0.self_attn.q_proj.weight.absmax", "F32", {64});
  bnb.tensor("model.layers.0.self_attn.q_proj.weight.quant_map", "F32", {16});
  bnb.tensor("model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__nf4", "U8", {100});
  auto b = io::summarize_tensors(parse(bnb).tensors);
  EXPECT_EQ(b.params, 64 * 64);
  EXPECT_EQ(b.quantization, "bitsandbytes-4bit");
}

TEST(Safetensors, IndexNamesShardsAndRefusesPaths) {
  auto idx = io::parse_safetensors_index(
      R"({"metadata":{"total_size":16060522496},"weight_map":{"a":"model-00001-of-00002.safetensors",
          "b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}})");
  ASSERT_TRUE(idx) << idx.error().message;
  EXPECT_EQ(idx.value().shards.size(), 2u);
  EXPECT_EQ(idx.value().tensors, 3u);
  EXPECT_EQ(idx.value().total_size, 16060522496.0);
  for (const char* bad : {R"({"weight_map":{"a":"../x.safetensors"}})", R"({"weight_map":{"a":"/x.safetensors"}})",
                          R"({"weight_map":{"a":"sub/x.safetensors"}})", R"({"weight_map":{"a":"x.bin"}})",
                          R"({"weight_map":{}})", R"({"weight_map":[]})"}) {
    EXPECT_FALSE(io::parse_safetensors_index(bad)) << bad;
  }
}

// One committed file per failure kind (fuzz/corpus/safetensors), each refused with a message that names it.
TEST(Safetensors, EveryBadFileKindGetsAClearError) {
  const fs::path corpus = fs::path(GPUPLAN_SOURCE_DIR) / "fuzz" / "corpus" / "safetensors";
  struct Case {
    const char* file;
    const char* expect;
  };
  const Case cases[] = {
      {"short-length.safetensors", "8-byte header length is missing"},
      {"header-length-zero.safetensors", "header length is 0"},
      {"header-length-over-100MB.safetensors", "exceeds the 100 MB limit"},
      {"header-length-past-eof.safetensors", "runs past the end of the file"},
      {"header-not-json.safetensors", "not valid JSON"},
      {"header-array.safetensors", "must be a JSON object"},
      {"header-not-utf8-brace.safetensors", "must be a JSON object"},
      {"dtype-unknown.safetensors", "unknown dtype 'Q4'"},
      {"dtype-not-string.safetensors", "'dtype' is missing or not a string"},
      {"shape-negative.safetensors", "non-negative integers"},
      {"shape-float.safetensors", "non-negative integers"},
      {"shape-overflow.safetensors", "overflows"},
      {"shape-too-many-dims.safetensors", "more than 16 dimensions"},
      {"offsets-size-mismatch.safetensors", "12 bytes in data_offsets but shape x F32 needs 8"},
      {"offsets-reversed.safetensors", "end 0 < begin 8"},
      {"offsets-missing.safetensors", "'data_offsets' must be [begin, end]"},
      {"offsets-gap.safetensors", "gap of 4 bytes"},
      {"offsets-overlap.safetensors", "overlaps"},
      {"offsets-huge.safetensors", "truncated file"},
      {"tensor-name-duplicate.safetensors", "the key 'a' twice"},
      {"data-truncated.safetensors", "truncated file"},
      {"data-trailing.safetensors", "trailing bytes"},
      {"metadata-not-string.safetensors", "must be a string"},
      {"nested-deep.safetensors", "deeper than"},
  };
  for (const auto& c : cases) {
    const fs::path p = corpus / c.file;
    ASSERT_TRUE(fs::exists(p)) << p;
    auto loaded = sources::load_model_source(p.string(), gpuplan::testing::catalog(), {});
    ASSERT_FALSE(loaded) << c.file;
    EXPECT_NE(loaded.error().message.find(c.expect), std::string::npos) << c.file << ": " << loaded.error().message;
  }
  for (const char* ok : {"valid-tiny-llama.safetensors", "valid-gptq-packed.safetensors",
                         "valid-fp8-mxfp4-experts.safetensors", "valid-empty-header.safetensors"}) {
    auto loaded = sources::load_model_source((corpus / ok).string(), gpuplan::testing::catalog(), {});
    EXPECT_TRUE(loaded) << ok << ": " << (loaded ? "" : loaded.error().message);
  }
}
