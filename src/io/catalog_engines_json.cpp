// data/engines.json: each serving engine's memory constants and CUDA-visible memory.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {

using namespace detail;

namespace {

// The fields are read in the catalog's order, so the first error named is the first bad field.

EngineFamily read_family(const json& j, Reader& r) {
  const std::string family = r.string(j, "family", true);
  if (family == "paged") return EngineFamily::paged;
  if (family == "llamacpp") return EngineFamily::llamacpp;
  if (family == "eager") return EngineFamily::eager;
  if (r.error.empty()) r.fail("family", "must be paged, llamacpp or eager");
  return EngineFamily::none;
}

BudgetRule read_budget(const json& j, Reader& r) {
  const std::string budget = r.string(j, "budget");
  if (budget.empty() || budget == "total_fraction") return BudgetRule::total_fraction;
  if (budget == "static_fraction") return BudgetRule::static_fraction;
  if (budget == "free_fraction") return BudgetRule::free_fraction;
  if (r.error.empty()) r.fail("budget", "must be total_fraction, static_fraction or free_fraction");
  return BudgetRule::total_fraction;
}

std::vector<double> read_fraction_by_tp(const json& j, Reader& r) {
  std::vector<double> out;
  if (!j.contains("fraction_by_tp")) return out;
  const json& f = j["fraction_by_tp"];
  if (!f.is_array() || f.size() > 16) {
    r.fail("fraction_by_tp", "must be a list of at most 16 fractions");
    return out;
  }
  for (const auto& v : f) {
    if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1) {
      r.fail("fraction_by_tp", "fractions must be in (0, 1]");
      break;
    }
    out.push_back(v.get<double>());
  }
  return out;
}

// The paged engines' pool: memory fraction, blocks, scheduler limits, fixed terms.
void read_paged_fields(const json& j, Reader& r, EngineSpec& e) {
  e.memory_fraction = r.number(j, "memory_fraction", 0.9, false, 1.0);
  e.fraction_by_tp = read_fraction_by_tp(j, r);
  e.block_size = r.number(j, "block_size", 16, false, 1e6);
  e.max_num_seqs = r.number(j, "max_num_seqs", 256, false, 1e7);
  e.max_num_batched_tokens = r.number(j, "max_num_batched_tokens", 8192, false, 1e9);
  e.large_card_bytes = r.number(j, "large_card_gib", 0, false, 1e6) * kGiB;
  e.max_num_seqs_large = r.number(j, "max_num_seqs_large", 0, false, 1e7);
  e.max_num_batched_tokens_large = r.number(j, "max_num_batched_tokens_large", 0, false, 1e9);
  e.non_torch_bytes = r.number(j, "non_torch_gib", 0, false, 1e4) * kGiB;
  e.nccl_bytes = r.number(j, "nccl_gib", 0, false, 1e4) * kGiB;
  e.sampler_bytes_per_logit = r.number(j, "sampler_bytes_per_logit", 0, false, 1e4);
  e.cuda_graph_bytes = r.number(j, "cuda_graph_gib", 0, false, 1e4) * kGiB;
  e.cuda_reserved_fraction = r.number(j, "cuda_reserved_fraction", 0, false, 0.5);
  const std::string style = r.string(j, "error_style");
  if (const auto parsed = parse_error_style(style.empty() ? "v1" : style)) {
    e.error_style = *parsed;
  } else {
    r.fail("error_style", "must be v0, v1, sglang or trtllm, not '" + style + "'");
  }
}

// The llama.cpp family's context, batches and buffers.
void read_llamacpp_fields(const json& j, Reader& r, EngineSpec& e) {
  e.default_ctx = r.number(j, "default_ctx", 4096, false, 1e9);
  e.n_batch = r.number(j, "n_batch", 2048, false, 1e7);
  e.n_ubatch = r.number(j, "n_ubatch", 512, false, 1e7);
  e.n_parallel = r.number(j, "n_parallel", 1, false, 1e5);
  e.flash_attention = r.boolean(j, "flash_attention", true);
  e.ctx_pad_flash = r.number(j, "ctx_pad_flash", 256, false, 1e6);
  e.ctx_pad = r.number(j, "ctx_pad", 32, false, 1e6);
  e.context_bytes = r.number(j, "context_gib", 0, false, 1e4) * kGiB;
  e.gpu_minimum_bytes = r.number(j, "gpu_minimum_gib", 0, false, 1e4) * kGiB;
  e.auto_layers = r.boolean(j, "auto_layers", false);
  e.context_per_sequence = r.boolean(j, "context_per_sequence", false);
  e.picks_layers = r.boolean(j, "picks_layers", false);
}

// One entry of "engines", or the first bad field.
Result<EngineSpec> read_engine(const json& j, std::size_t i) {
  Reader r{"engines[" + std::to_string(i) + "]", {}};
  if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
  EngineSpec e;
  e.id = r.string(j, "id", true);
  r.where += " (" + e.id + ")";
  e.name = r.string(j, "name", true);
  e.versions = r.string(j, "versions", true);
  e.source = r.string(j, "source", true);
  e.as_of = r.string(j, "as_of", true);
  e.aliases = r.strings(j, "aliases");
  e.family = read_family(j, r);
  e.budget = read_budget(j, r);
  read_paged_fields(j, r, e);
  read_llamacpp_fields(j, r, e);
  e.overhead_bytes = r.number(j, "overhead_gib", 0, false, 1e4) * kGiB;
  if (r.error.empty() && e.family == EngineFamily::paged && (e.memory_fraction <= 0 || e.block_size < 1)) {
    r.fail("memory_fraction", "paged engines need a positive memory_fraction and block_size");
  }
  if (r.error.empty() && e.family == EngineFamily::llamacpp && (e.n_batch < 1 || e.n_ubatch < 1)) {
    r.fail("n_batch", "n_batch and n_ubatch must be at least 1");
  }
  if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
  return e;
}

// "cuda_visible": the memory CUDA reports per card (engine logs), by GPU id.
Result<bool> read_cuda_visible(const json& root, Catalog& catalog) {
  if (!root.contains("cuda_visible")) return true;
  const json& cv = root["cuda_visible"];
  if (!cv.is_object() || !cv.contains("cards") || !cv["cards"].is_array() || cv["cards"].size() > 1000) {
    return make_error(ErrorCode::parse_error, "engines: cuda_visible.cards must be a list of at most 1000 cards");
  }
  for (std::size_t i = 0; i < cv["cards"].size(); ++i) {
    const json& c = cv["cards"][i];
    Reader r{"cuda_visible.cards[" + std::to_string(i) + "]", {}};
    if (!c.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
    const std::string gpu = r.string(c, "gpu", true);
    const double bytes = r.number(c, "gib", 0, true, 1e6) * kGiB;
    r.string(c, "source", true);
    if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
    catalog.cuda_visible_bytes.emplace_back(gpu, bytes);
  }
  return true;
}

}  // namespace

Result<bool> parse_engines_json(std::string_view text, Catalog& catalog) {
  return read_catalog<bool>(text, "gpuplan-engines/", "engines", "engine catalog",
                            [&](const json& doc) -> Result<bool> {
                              const json& list = doc["engines"];
                              for (std::size_t i = 0; i < list.size(); ++i) {
                                auto e = read_engine(list[i], i);
                                if (!e) return e.error();
                                catalog.engines.push_back(std::move(e.value()));
                              }
                              return read_cuda_visible(doc, catalog);
                            });
}

}  // namespace gpuplan::io
