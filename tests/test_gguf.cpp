// GGUF headers: the reader against files written by tests/model_file_writer.hpp (headers with
// zero-filled sparse data), the "need more bytes" protocol, the architecture read off metadata and
// tensor table, a header-only file with the tensor table of Llama-3-70B Q4_K_M checked against
// the Q4_K_M mix arithmetic, and one committed bad file per failure kind.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "catalog_fixture.hpp"
#include "gpuplan/io/gguf.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "gpuplan/units.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;
using gpuplan::testing::GgufWriter;
namespace fs = std::filesystem;

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// "blk.<i>." built by appending (GCC 12 -Wrestrict misfires on "literal" + std::string).
std::string blk(int i) {
  std::string s = "blk.";
  s += std::to_string(i);
  s += '.';
  return s;
}

// A small Llama-shaped file: 2 layers, hidden 256 (Q4_K rows need multiples of 256).
GgufWriter tiny_llama(bool tied = false, std::uint32_t version = 3) {
  GgufWriter w(version);
  w.str("general.architecture", "llama");
  w.str("general.name", "Tiny Llama");
  w.u32("general.file_type", 15);
  w.u32("llama.block_count", 2);
  w.u32("llama.embedding_length", 256);
  w.u32("llama.feed_forward_length", 512);
  w.u32("llama.attention.head_count", 4);
  w.u32("llama.attention.head_count_kv", 2);
  w.u32("llama.context_length", 4096);
  w.token_array("tokenizer.ggml.tokens", 1000);
  w.tensor("token_embd.weight", {256, 1000}, gpuplan::testing::kQ4_K);
  for (int i = 0; i < 2; ++i) {
    const std::string b = blk(i);
    w.tensor(b + "attn_norm.weight", {256}, gpuplan::testing::kF32);
    w.tensor(b + "attn_q.weight", {256, 256}, gpuplan::testing::kQ4_K);
    w.tensor(b + "attn_k.weight", {256, 128}, gpuplan::testing::kQ4_K);
    w.tensor(b + "attn_v.weight", {256, 128}, gpuplan::testing::kQ6_K);
    w.tensor(b + "attn_output.weight", {256, 256}, gpuplan::testing::kQ4_K);
    w.tensor(b + "ffn_norm.weight", {256}, gpuplan::testing::kF32);
    w.tensor(b + "ffn_gate.weight", {256, 512}, gpuplan::testing::kQ4_K);
    w.tensor(b + "ffn_up.weight", {256, 512}, gpuplan::testing::kQ4_K);
    w.tensor(b + "ffn_down.weight", {512, 256}, gpuplan::testing::kQ6_K);
  }
  w.tensor("output_norm.weight", {256}, gpuplan::testing::kF32);
  if (!tied) w.tensor("output.weight", {256, 1000}, gpuplan::testing::kQ6_K);
  return w;
}

io::GgufFile parse_whole(const GgufWriter& w, std::uint64_t extra = 0) {
  const std::string h = w.header();
  auto r = io::parse_gguf(bytes(h), h.size() + w.data_end() + extra);
  if (!r) throw std::runtime_error(r.error().message);
  if (!r.value().file) throw std::runtime_error("header incomplete");
  return *r.value().file;
}

}  // namespace

TEST(Gguf, ReadsMetadataAndTensorTable) {
  const GgufWriter w = tiny_llama();
  const io::GgufFile f = parse_whole(w);
  EXPECT_EQ(f.version, 3u);
  EXPECT_EQ(f.alignment, 32u);
  EXPECT_EQ(f.tensors.size(), 21u);
  EXPECT_EQ(f.data_offset, w.header().size());
  EXPECT_EQ(f.data_bytes, w.data_end());
  ASSERT_NE(f.find("general.name"), nullptr);
  EXPECT_EQ(f.find("general.name")->text, "Tiny Llama");
  EXPECT_EQ(f.find("llama.block_count")->integer, 2);
  EXPECT_EQ(f.find("tokenizer.ggml.tokens")->array_length, 1000u);
  EXPECT_TRUE(f.warnings.empty());
  // Bytes per tensor from its type's block: 256x256 Q4_K = 256 blocks x 144 bytes.
  for (const auto& t : f.tensors) {
    if (t.name == "blk.0.attn_q.weight") {
      EXPECT_EQ(t.bytes, 256u * 144u);
    }
    if (t.name == "blk.0.attn_v.weight") {
      EXPECT_EQ(t.bytes, 128u * 210u);
    }
  }
}

TEST(Gguf, VersionTwoAndEveryValueType) {
  GgufWriter w = tiny_llama(false, 2);
  w.u32_array("llama.attention.head_count_kv_per_layer", {2, 2});
  w.f32("x.f32", 1.5f);
  w.f64("x.f64", -2.25);
  w.i32("x.i32", -7);
  w.u64("x.u64", 1ull << 40);
  w.boolean("x.bool", true);
  const io::GgufFile f = parse_whole(w);
  EXPECT_EQ(f.version, 2u);
  EXPECT_EQ(f.find("x.f32")->number, 1.5);
  EXPECT_EQ(f.find("x.f64")->number, -2.25);
  EXPECT_EQ(f.find("x.i32")->integer, -7);
  EXPECT_EQ(f.find("x.u64")->integer, 1ll << 40);
  EXPECT_EQ(f.find("x.bool")->integer, 1);
  EXPECT_EQ(f.find("llama.attention.head_count_kv_per_layer")->numbers.size(), 2u);
}

TEST(Gguf, AskForMoreBytesUntilTheHeaderIsComplete) {
  const GgufWriter w = tiny_llama();
  const std::string h = w.header();
  const std::uint64_t size = h.size() + w.data_end();
  std::uint64_t have = 64;
  int rounds = 0;
  std::optional<io::GgufFile> file;
  while (!file && rounds < 20) {
    auto r = io::parse_gguf(bytes(h.substr(0, have)), size);
    ASSERT_TRUE(r) << r.error().message;
    if (r.value().file) {
      file = r.value().file;
    } else {
      EXPECT_GT(r.value().need_bytes, have);
      have = std::min<std::uint64_t>(h.size(), std::max(r.value().need_bytes, have * 2));
    }
    ++rounds;
  }
  ASSERT_TRUE(file);
  EXPECT_EQ(file->tensors.size(), 21u);
  // The whole file given, cut short: an error that says truncated, not a request.
  auto cut = io::parse_gguf(bytes(h.substr(0, 100)), 100);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("cannot fit"), std::string::npos) << cut.error().message;
}

TEST(Gguf, FileSizeMustCoverTheTensorData) {
  const GgufWriter w = tiny_llama();
  const std::string h = w.header();
  auto short_file = io::parse_gguf(bytes(h), h.size() + w.data_end() - 1);
  ASSERT_FALSE(short_file);
  EXPECT_NE(short_file.error().message.find("truncated"), std::string::npos);
  const io::GgufFile extra = parse_whole(w, 4096);
  ASSERT_EQ(extra.warnings.size(), 1u);
  EXPECT_NE(extra.warnings[0].find("4096 bytes after the last tensor"), std::string::npos);
}

TEST(Gguf, ArchitectureFromMetadataAndTensorTable) {
  const io::GgufFile f = parse_whole(tiny_llama());
  auto g = io::gguf_model(f);
  ASSERT_TRUE(g) << g.error().message;
  const ModelArch& a = g.value().model.arch;
  EXPECT_EQ(g.value().architecture, "llama");
  EXPECT_EQ(g.value().file_type, "Q4_K_M");
  EXPECT_EQ(g.value().precision, "q4_k_m");
  EXPECT_EQ(a.num_layers, 2);
  EXPECT_EQ(a.hidden_size, 256);
  EXPECT_EQ(a.num_heads, 4);
  EXPECT_EQ(a.num_kv_heads, 2);
  EXPECT_EQ(a.head_dim, 64);
  EXPECT_EQ(a.intermediate_size, 512);
  EXPECT_EQ(a.vocab_size, 1000);
  EXPECT_FALSE(a.tie_word_embeddings);
  EXPECT_EQ(a.mlp, MlpKind::gated);
  EXPECT_EQ(a.norms_per_layer, 2);
  EXPECT_EQ(a.final_norm, 1);
  // The architecture's count equals the tensor table's, so no warning.
  EXPECT_EQ(count_params(a).total, g.value().tensors.params);
  EXPECT_TRUE(g.value().warnings.empty()) << g.value().warnings.front();
  auto tied = io::gguf_model(parse_whole(tiny_llama(true)));
  ASSERT_TRUE(tied);
  EXPECT_TRUE(tied.value().model.arch.tie_word_embeddings);
}

TEST(Gguf, MixtureOfExpertsFromExpertMetadata) {
  GgufWriter w;
  w.str("general.architecture", "qwen3moe");
  w.u32("qwen3moe.block_count", 2);
  w.u32("qwen3moe.embedding_length", 256);
  w.u32("qwen3moe.feed_forward_length", 768);
  w.u32("qwen3moe.attention.head_count", 4);
  w.u32("qwen3moe.attention.head_count_kv", 2);
  w.u32("qwen3moe.attention.key_length", 128);
  w.u32("qwen3moe.expert_count", 8);
  w.u32("qwen3moe.expert_used_count", 2);
  w.u32("qwen3moe.expert_feed_forward_length", 256);
  w.token_array("tokenizer.ggml.tokens", 64);
  w.tensor("token_embd.weight", {256, 64}, gpuplan::testing::kQ8_0);
  for (int i = 0; i < 2; ++i) {
    const std::string b = blk(i);
    w.tensor(b + "attn_norm.weight", {256}, gpuplan::testing::kF32);
    w.tensor(b + "attn_q.weight", {256, 512}, gpuplan::testing::kQ8_0);
    w.tensor(b + "attn_k.weight", {256, 256}, gpuplan::testing::kQ8_0);
    w.tensor(b + "attn_v.weight", {256, 256}, gpuplan::testing::kQ8_0);
    w.tensor(b + "attn_output.weight", {512, 256}, gpuplan::testing::kQ8_0);
    w.tensor(b + "attn_q_norm.weight", {128}, gpuplan::testing::kF32);
    w.tensor(b + "attn_k_norm.weight", {128}, gpuplan::testing::kF32);
    w.tensor(b + "ffn_norm.weight", {256}, gpuplan::testing::kF32);
    w.tensor(b + "ffn_gate_inp.weight", {256, 8}, gpuplan::testing::kF32);
    w.tensor(b + "ffn_gate_exps.weight", {256, 256, 8}, gpuplan::testing::kQ4_K);
    w.tensor(b + "ffn_up_exps.weight", {256, 256, 8}, gpuplan::testing::kQ4_K);
    w.tensor(b + "ffn_down_exps.weight", {256, 256, 8}, gpuplan::testing::kQ6_K);
  }
  w.tensor("output_norm.weight", {256}, gpuplan::testing::kF32);
  w.tensor("output.weight", {256, 64}, gpuplan::testing::kQ8_0);
  auto g = io::gguf_model(parse_whole(w));
  ASSERT_TRUE(g) << g.error().message;
  const ModelArch& a = g.value().model.arch;
  EXPECT_EQ(a.num_experts, 8);
  EXPECT_EQ(a.experts_per_token, 2);
  EXPECT_EQ(a.moe_intermediate_size, 256);
  EXPECT_EQ(a.qk_norm, QkNorm::per_head);
  EXPECT_EQ(count_params(a).total, g.value().tensors.params);
  EXPECT_EQ(g.value().tensors.routed_expert_params, 2.0 * 3 * 256 * 256 * 8);
  EXPECT_GT(g.value().tensors.weights.routed_experts, 0);
  EXPECT_LT(count_params(a).active, count_params(a).total);
  // No general.file_type: labelled with the nearest mix and told so.
  EXPECT_FALSE(g.value().precision.empty());
  EXPECT_FALSE(g.value().warnings.empty());
}

// Llama-3-70B as llama.cpp quantises it to Q4_K_M (src/llama-quant.cpp, llama_tensor_get_type):
// Q4_K by default; output Q6_K; attn_v and ffn_down Q6_K on the use_more_bits layers (the first
// and last eighth and every third in between), else attn_v Q5_K (the LLM_TYPE_70B bump: 8 query
// heads share each attn_v) and ffn_down Q4_K; 1-D norms F32.
TEST(Gguf, HeaderOnlyLlama3_70B_Q4_K_M_MatchesTheMixArithmetic) {
  const double h = 8192, kv = 1024, ff = 28672, vocab = 128256;
  auto more_bits = [&](int i) {
    const int nl = 80;
    return i < nl / 8 || i >= 7 * nl / 8 || (i - nl / 8) % 3 == 2;
  };
  GgufWriter w;
  w.str("general.architecture", "llama");
  w.str("general.name", "Meta Llama 3 70B");
  w.u32("general.file_type", 15);
  w.u32("llama.block_count", 80);
  w.u32("llama.context_length", 8192);
  w.u32("llama.embedding_length", 8192);
  w.u32("llama.feed_forward_length", 28672);
  w.u32("llama.attention.head_count", 64);
  w.u32("llama.attention.head_count_kv", 8);
  w.f32("llama.rope.freq_base", 500000.0f);
  w.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.u32("llama.rope.dimension_count", 128);
  w.str("tokenizer.ggml.model", "gpt2");
  w.token_array("tokenizer.ggml.tokens", 128256);
  using gpuplan::testing::kF32;
  using gpuplan::testing::kQ4_K;
  using gpuplan::testing::kQ5_K;
  using gpuplan::testing::kQ6_K;
  const auto H = static_cast<std::uint64_t>(h), KV = static_cast<std::uint64_t>(kv),
             FF = static_cast<std::uint64_t>(ff), V = static_cast<std::uint64_t>(vocab);
  w.tensor("token_embd.weight", {H, V}, kQ4_K);
  for (int i = 0; i < 80; ++i) {
    const std::string b = blk(i);
    w.tensor(b + "attn_norm.weight", {H}, kF32);
    w.tensor(b + "attn_q.weight", {H, H}, kQ4_K);
    w.tensor(b + "attn_k.weight", {H, KV}, kQ4_K);
    w.tensor(b + "attn_v.weight", {H, KV}, more_bits(i) ? kQ6_K : kQ5_K);
    w.tensor(b + "attn_output.weight", {H, H}, kQ4_K);
    w.tensor(b + "ffn_norm.weight", {H}, kF32);
    w.tensor(b + "ffn_gate.weight", {H, FF}, kQ4_K);
    w.tensor(b + "ffn_up.weight", {H, FF}, kQ4_K);
    w.tensor(b + "ffn_down.weight", {FF, H}, more_bits(i) ? kQ6_K : kQ4_K);
  }
  w.tensor("output_norm.weight", {H}, kF32);
  w.tensor("output.weight", {H, V}, kQ6_K);
  const fs::path dir = gpuplan::testing::fresh_dir("gguf70b");
  const fs::path path = dir / "Meta-Llama-3-70B-Q4_K_M.gguf";
  w.write(path);
  EXPECT_EQ(fs::file_size(path), w.file_size());

  // Through the source layer: bounded reads from the start until the header is complete.
  auto loaded = sources::load_model_source(path.string(), gpuplan::testing::catalog(), {});
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& m = loaded.value();
  EXPECT_EQ(m.kind, "gguf");
  EXPECT_EQ(m.precision, "q4_k_m");
  EXPECT_EQ(m.tensors.tensors, 2 + 80 * 9 + 1);
  EXPECT_EQ(m.tensors.bytes, static_cast<double>(w.tensor_bytes()));
  const Model& catalog = gpuplan::testing::model("llama-3-70b");
  EXPECT_EQ(m.tensors.params, count_params(catalog.arch).total);  // 70,553,706,496
  ModelArch got = m.model.arch;
  got.context_length = catalog.arch.context_length;
  EXPECT_EQ(count_params(got).total, count_params(catalog.arch).total);
  EXPECT_EQ(got.num_kv_heads, 8);
  EXPECT_EQ(got.vocab_size, vocab);
  const double mix = weights_bytes(catalog.arch, find_precision("q4_k_m").value());
  const double diff = m.tensors.bytes - mix;
  std::printf(
      "Llama-3-70B Q4_K_M header-only GGUF: tensor table %.0f bytes (%.3f GiB, %.2f bits/weight), "
      "mix arithmetic %.0f bytes, difference %+.0f bytes (%+.4f%%); file %.3f GB\n",
      m.tensors.bytes, m.tensors.bytes / kGiB, 8 * m.tensors.bytes / m.tensors.params, mix, diff, 100 * diff / mix,
      static_cast<double>(fs::file_size(path)) / 1e9);
  EXPECT_LE(std::fabs(diff) / mix, 1e-6);
  fs::remove_all(dir);
}

// One committed file per failure kind (fuzz/corpus/gguf), each refused with a message that names it.
TEST(Gguf, EveryBadFileKindGetsAClearError) {
  const fs::path corpus = fs::path(GPUPLAN_SOURCE_DIR) / "fuzz" / "corpus" / "gguf";
  struct Case {
    const char* file;
    const char* expect;
  };
  const Case cases[] = {
      {"bad-magic.gguf", "not a GGUF file"},
      {"version-1.gguf", "version 1"},
      {"version-99.gguf", "unsupported version 99"},
      {"truncated-mid-string.gguf", "truncated"},
      {"truncated-tensor-data.gguf", "truncated: tensor data ends"},
      {"tensor-data-past-eof.gguf", "truncated"},
      {"tensor-count-huge.gguf", "tensor count"},
      {"tensor-count-too-many-for-file.gguf", "cannot fit"},
      {"kv-count-huge.gguf", "metadata count"},
      {"key-length-huge.gguf", "metadata key of"},
      {"string-value-huge.gguf", "exceeds the limit"},
      {"string-past-eof.gguf", "runs past the end of the file"},
      {"array-count-huge.gguf", "elements (limit"},
      {"array-nested.gguf", "nested arrays"},
      {"array-bad-element-type.gguf", "unknown element type"},
      {"value-type-unknown.gguf", "unknown value type"},
      {"bool-not-0-or-1.gguf", "not 0 or 1"},
      {"duplicate-key.gguf", "duplicate metadata key"},
      {"empty-key.gguf", "empty key"},
      {"alignment-not-power-of-two.gguf", "power of two"},
      {"alignment-zero.gguf", "power of two"},
      {"alignment-string.gguf", "another type"},
      {"tensor-dims-zero.gguf", "0 dimensions"},
      {"tensor-dims-five.gguf", "5 dimensions"},
      {"tensor-type-unknown.gguf", "unknown ggml type 4"},
      {"tensor-elements-overflow.gguf", "overflows"},
      {"tensor-row-not-whole-blocks.gguf", "not a multiple of the block size"},
      {"tensor-offset-misaligned.gguf", "not a multiple of the alignment"},
      {"tensor-offset-overflow.gguf", "overflows"},
      {"tensors-overlap.gguf", "overlaps"},
      {"tensor-name-duplicate.gguf", "duplicate tensor"},
      {"tensor-name-empty.gguf", "empty name"},
      {"tensor-name-too-long.gguf", "tensor name of 300 bytes"},
      {"architecture-missing.gguf", "general.architecture is missing"},
      {"architecture-zero-layers.gguf", "must be positive"},
      {"kv-heads-exceed-heads.gguf", "cannot exceed"},
      {"empty", "is empty"},
  };
  for (const auto& c : cases) {
    const fs::path p = corpus / c.file;
    ASSERT_TRUE(fs::exists(p)) << p;
    auto loaded = sources::load_model_source(p.string(), gpuplan::testing::catalog(), {});
    ASSERT_FALSE(loaded) << c.file;
    EXPECT_NE(loaded.error().message.find(c.expect), std::string::npos) << c.file << ": " << loaded.error().message;
    EXPECT_EQ(loaded.error().message.find('\n'), std::string::npos) << c.file;
  }
  for (const char* ok : {"valid-tiny-llama-v3.gguf", "valid-tiny-llama-v2.gguf", "valid-tiny-moe-align64.gguf",
                         "valid-all-value-types.gguf", "valid-with-trailing-bytes.gguf"}) {
    auto loaded = sources::load_model_source((corpus / ok).string(), gpuplan::testing::catalog(), {});
    EXPECT_TRUE(loaded) << ok << ": " << (loaded ? "" : loaded.error().message);
  }
}
