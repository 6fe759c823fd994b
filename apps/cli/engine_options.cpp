// --runtime and the engine options of `fit` (and what builds on it): the engine's memory plan.
#include <cmath>
#include <string>

#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

Result<double> parse_count_option(const std::string& text, const char* what, double max) {
  auto v = parse_count(text, what);
  if (!v) return v.error();
  if (v.value() < 0 || v.value() > max || std::floor(v.value()) != v.value()) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": '" + text + "' must be a whole number up to " +
                                                   std::to_string(static_cast<long long>(max)));
  }
  return v.value();
}

Result<int> parse_on_off(const std::string& text, const char* what) {
  const std::string v = canonical_name(text);
  if (v == "on" || v == "1" || v == "true" || v == "yes" || v == "enabled") return 1;
  if (v == "off" || v == "0" || v == "false" || v == "no" || v == "disabled") return 0;
  if (v == "auto" || v.empty()) return -1;
  return make_error(ErrorCode::invalid_argument, std::string(what) + " must be on, off or auto (got '" + text + "')");
}

}  // namespace

Result<bool> apply_engine_options(const Catalog& catalog, const FitOptions& o, Resolved& r) {
  const bool any = !o.memory_fraction.empty() || !o.block_size.empty() || !o.max_num_seqs.empty() ||
                   !o.max_num_batched_tokens.empty() || !o.n_gpu_layers.empty() || !o.n_batch.empty() ||
                   !o.parallel.empty() || !o.split_mode.empty() || o.enforce_eager || !o.cache_type_k.empty() ||
                   !o.cache_type_v.empty() || !o.tensor_parallel_size.empty();
  if (o.runtime.empty()) {
    if (any) {
      return make_error(ErrorCode::conflict,
                        "engine options (--gpu-memory-utilization, --n-gpu-layers, ...) need --runtime "
                        "vllm|sglang|tensorrt-llm|llama.cpp|ollama|transformers");
    }
    return true;
  }
  auto spec = find_engine(catalog, o.runtime);
  if (!spec) return spec.error();
  Scenario& s = r.scenario;
  if (is_training(s.workload.mode)) {
    return make_error(ErrorCode::conflict, "--runtime models a serving engine; it applies to --mode inference");
  }
  s.engine_spec = *spec.value();
  s.unified_memory = r.gpu.unified_memory;
  EngineSettings& e = s.engine;
  if (!o.memory_fraction.empty()) {
    auto f = parse_positive(o.memory_fraction, "--gpu-memory-utilization");
    if (!f) return f.error();
    if (f.value() > 1) return make_error(ErrorCode::out_of_range, "--gpu-memory-utilization must be in (0, 1]");
    e.memory_fraction = f.value();
  }
  if (!o.tensor_parallel_size.empty()) {
    auto tp = parse_count_option(o.tensor_parallel_size, "--tensor-parallel-size", 1024);
    if (!tp) return tp.error();
    if (tp.value() < 1) return make_error(ErrorCode::out_of_range, "--tensor-parallel-size must be at least 1");
    s.gpus = tp.value();
  }
  e.tp = std::max(1.0, s.gpus);
  if (o.gpu_memory.empty()) {  // the total CUDA reports on this card, where an engine log gives it
    for (const auto& [gpu, bytes] : catalog.cuda_visible_bytes) {
      if (gpu == r.gpu.id) e.visible_bytes = bytes;
    }
  }
  struct Whole {
    const std::string& text;
    const char* what;
    double max;
    double* out;
  };
  const Whole wholes[] = {{o.block_size, "--block-size", 1e6, &e.block_size},
                          {o.max_num_seqs, "--max-num-seqs", 1e7, &e.max_num_seqs},
                          {o.max_num_batched_tokens, "--max-num-batched-tokens", 1e9, &e.max_num_batched_tokens},
                          {o.n_gpu_layers, "--n-gpu-layers", 1e5, &e.n_gpu_layers},
                          {o.n_batch, "--batch-size", 1e7, &e.n_batch},
                          {o.parallel, "--parallel", 1e5, &e.n_seq}};
  for (const auto& w : wholes) {
    if (w.text.empty() || (w.out == &e.n_gpu_layers && canonical_name(w.text) == "all")) continue;
    auto v = parse_count_option(w.text, w.what, w.max);
    if (!v) return v.error();
    *w.out = v.value();
  }
  if (!o.n_gpu_layers.empty() && canonical_name(o.n_gpu_layers) == "all") e.n_gpu_layers = 1e5;  // every layer
  if (e.block_size < 0 || (!o.block_size.empty() && e.block_size < 1)) {
    return make_error(ErrorCode::out_of_range, "--block-size must be at least 1");
  }
  e.n_ubatch = o.ubatch.empty() ? 0 : s.workload.ubatch;
  // --context: vLLM's max_model_len (default: the model's own length) or llama.cpp's n_ctx.
  e.max_model_len = o.context.empty() ? 0 : s.workload.context;
  if (s.engine_spec.family == EngineFamily::llamacpp && e.n_seq <= 0 && !o.batch.empty()) e.n_seq = s.workload.batch;
  e.enforce_eager = o.enforce_eager;
  if (!o.flash_attn.empty()) {
    auto fa = parse_on_off(o.flash_attn, "--flash-attn");
    if (!fa) return fa.error();
    e.flash_attention = fa.value();
  }
  if (o.no_flash_attention) e.flash_attention = 0;
  if (!o.split_mode.empty()) {
    const std::string m = canonical_name(o.split_mode);
    if (m == "layer") {
      e.split = SplitMode::layer;
    } else if (m == "row") {
      e.split = SplitMode::row;
    } else if (m == "none") {
      e.split = SplitMode::none;
      e.tp = 1;
    } else {
      return make_error(ErrorCode::invalid_argument, "--split-mode must be layer, row or none");
    }
  }
  // KV types: --cache-type-k/-v (llama.cpp) or --kv-cache-dtype / --kv-dtype for both.
  e.type_k = o.cache_type_k.empty() ? s.workload.kv_dtype : o.cache_type_k;
  e.type_v = o.cache_type_v.empty() ? s.workload.kv_dtype : o.cache_type_v;
  auto kb = kv_bytes_per_element(e.type_k);
  if (!kb) return kb.error();
  auto vb = kv_bytes_per_element(e.type_v);
  if (!vb) return vb.error();
  e.type_k_bytes = kb.value();
  e.type_v_bytes = vb.value();
  e.type_k = canonical_name(e.type_k);
  e.type_v = canonical_name(e.type_v);
  if (s.engine_spec.family == EngineFamily::paged && r.gpu.unified_memory) {
    r.warning += std::string(r.warning.empty() ? "" : "; ") + "warning: " + s.engine_spec.name +
                 " does not run on Apple GPUs; estimating as if it did";
  }
  return true;
}

}  // namespace gpuplan::cli
