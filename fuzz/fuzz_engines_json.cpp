// Fuzz target: io::parse_engines_json (data/engines.json: each serving engine's memory constants
// and the memory CUDA reports per card). On success: every engine has an id, a name, a known
// family; every numeric constant is finite and >= 0, memory_fraction and each fraction_by_tp in
// [0, 1] (the latter > 0), cuda_reserved_fraction <= 0.5; paged engines have a positive fraction and
// block size, llama.cpp engines n_batch and n_ubatch >= 1; find_engine finds each id;
// default_memory_fraction and cuda_visible_bytes of a 24 GiB card are finite and >= 0; every
// cuda_visible card has finite, non-negative bytes. On failure the error has a message.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gpuplan/catalog.hpp"
#include "gpuplan/engine.hpp"
#include "gpuplan/io/catalog_json.hpp"

namespace {

void check(bool ok, const char* id, const char* what, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_engines_json: invariant violated: engine '%s' %s = %g\n", id, what, value);
  std::abort();
}

void check_non_negative(const gpuplan::EngineSpec& e, const char* what, double value) {
  check(std::isfinite(value) && value >= 0, e.id.c_str(), what, value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  const auto parsed = gpuplan::io::parse_engines_json(text, catalog);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  constexpr double kCard = 24.0 * 1024 * 1024 * 1024;
  for (const gpuplan::EngineSpec& e : catalog.engines) {
    check(!e.id.empty() && !e.name.empty(), e.id.c_str(), "id/name (empty)", 0);
    check(e.family != gpuplan::EngineFamily::none, e.id.c_str(), "family (none)", 0);
    const struct {
      const char* name;
      double value;
    } fields[] = {{"memory_fraction", e.memory_fraction},
                  {"block_size", e.block_size},
                  {"non_torch_bytes", e.non_torch_bytes},
                  {"nccl_bytes", e.nccl_bytes},
                  {"max_num_seqs", e.max_num_seqs},
                  {"max_num_batched_tokens", e.max_num_batched_tokens},
                  {"large_card_bytes", e.large_card_bytes},
                  {"max_num_seqs_large", e.max_num_seqs_large},
                  {"max_num_batched_tokens_large", e.max_num_batched_tokens_large},
                  {"sampler_bytes_per_logit", e.sampler_bytes_per_logit},
                  {"cuda_graph_bytes", e.cuda_graph_bytes},
                  {"cuda_reserved_fraction", e.cuda_reserved_fraction},
                  {"default_ctx", e.default_ctx},
                  {"n_batch", e.n_batch},
                  {"n_ubatch", e.n_ubatch},
                  {"n_parallel", e.n_parallel},
                  {"ctx_pad_flash", e.ctx_pad_flash},
                  {"ctx_pad", e.ctx_pad},
                  {"gpu_minimum_bytes", e.gpu_minimum_bytes},
                  {"context_bytes", e.context_bytes},
                  {"overhead_bytes", e.overhead_bytes}};
    for (const auto& f : fields) check_non_negative(e, f.name, f.value);
    check(e.memory_fraction <= 1, e.id.c_str(), "memory_fraction (above 1)", e.memory_fraction);
    check(e.cuda_reserved_fraction <= 0.5, e.id.c_str(), "cuda_reserved_fraction", e.cuda_reserved_fraction);
    for (const double f : e.fraction_by_tp) {
      check(std::isfinite(f) && f > 0 && f <= 1, e.id.c_str(), "fraction_by_tp[]", f);
    }
    if (e.family == gpuplan::EngineFamily::paged) {
      check(e.memory_fraction > 0 && e.block_size >= 1, e.id.c_str(), "paged fraction/block_size", e.block_size);
    }
    if (e.family == gpuplan::EngineFamily::llamacpp) {
      check(e.n_batch >= 1 && e.n_ubatch >= 1, e.id.c_str(), "n_batch/n_ubatch", e.n_ubatch);
    }
    for (const double tp : {1.0, 2.0, 8.0, 64.0}) {
      check_non_negative(e, "default_memory_fraction()", gpuplan::default_memory_fraction(e, tp));
    }
    check_non_negative(e, "cuda_visible_bytes()", gpuplan::cuda_visible_bytes(e, kCard));
  }
  for (std::size_t i = 0; i < catalog.engines.size() && i < 64; ++i) {
    const auto found = gpuplan::find_engine(catalog, catalog.engines[i].id);
    check(static_cast<bool>(found), catalog.engines[i].id.c_str(), "find_engine (not found)", 0);
  }
  for (const auto& [gpu, bytes] : catalog.cuda_visible_bytes) {
    check(std::isfinite(bytes) && bytes >= 0, gpu.c_str(), "cuda_visible.cards[].gib", bytes);
  }
  return 0;
}
