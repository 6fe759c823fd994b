// --runtime and the engines' own options: the scenario's engine memory plan.
#include <algorithm>
#include <cmath>

#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

Result<int> parse_on_off(const std::string& text, const char* what) {
  const std::string v = canonical_name(text);
  if (v == "on" || v == "1" || v == "true" || v == "yes" || v == "enabled") return 1;
  if (v == "off" || v == "0" || v == "false" || v == "no" || v == "disabled") return 0;
  if (v == "auto" || v.empty()) return -1;
  return make_error(ErrorCode::invalid_argument, std::string(what) + " must be on, off or auto (got '" + text + "')");
}

Result<bool> apply_layers(const EngineArgs& a, EngineSettings& e) {
  if (!a.n_gpu_layers) return true;
  const std::string text = canonical_name(*a.n_gpu_layers);
  if (text == "all") {
    e.n_gpu_layers = 1e5;  // every layer
    return true;
  }
  auto v = parse_count(*a.n_gpu_layers, "--n-gpu-layers");
  if (!v) return v.error();
  if (v.value() < 0 || v.value() > 1e5 || std::floor(v.value()) != v.value()) {
    return make_error(ErrorCode::out_of_range, "--n-gpu-layers: a whole number up to 100000, or all");
  }
  e.n_gpu_layers = v.value();
  return true;
}

Result<bool> apply_split_mode(const EngineArgs& a, EngineSettings& e) {
  if (!a.split_mode) return true;
  const std::string m = canonical_name(*a.split_mode);
  if (m == "layer") {
    e.split = SplitMode::layer;
  } else if (m == "row") {
    e.split = SplitMode::row;
  } else if (m == "none") {
    e.split = SplitMode::none;
    e.tp = 1;
  } else {
    return make_error(ErrorCode::invalid_argument, "--split-mode must be layer, row or none" +
                                                       suggestion_suffix(*a.split_mode, {"layer", "row", "none"}));
  }
  return true;
}

// KV types: --cache-type-k/-v (llama.cpp) or --kv-dtype for both.
Result<bool> apply_kv_types(const EngineArgs& a, const Workload& w, EngineSettings& e) {
  e.type_k = a.cache_type_k.value_or(w.kv_dtype);
  e.type_v = a.cache_type_v.value_or(w.kv_dtype);
  auto kb = kv_bytes_per_element(e.type_k);
  if (!kb) return kb.error();
  auto vb = kv_bytes_per_element(e.type_v);
  if (!vb) return vb.error();
  e.type_k_bytes = kb.value();
  e.type_v_bytes = vb.value();
  e.type_k = canonical_name(e.type_k);
  e.type_v = canonical_name(e.type_v);
  return true;
}

}  // namespace

bool has_engine_options(const EngineArgs& a) {
  return a.memory_fraction || a.block_size || a.max_num_seqs || a.max_num_batched_tokens || a.n_gpu_layers ||
         a.n_batch || a.parallel || a.split_mode || a.enforce_eager || a.cache_type_k || a.cache_type_v ||
         a.tensor_parallel_size || a.flash_attn || a.pipeline_parallel_size || a.data_parallel_size ||
         a.expert_parallel_size || a.enable_expert_parallel;
}

Result<bool> apply_serving_layout(const ModelArgs& m, const EngineArgs& a, Scenario& s) {
  const double pp = a.pipeline_parallel_size.value_or(1);
  const double dp = a.data_parallel_size.value_or(1);
  double tp = a.tensor_parallel_size.value_or(0);
  if (tp <= 0) {
    tp = std::floor(std::max(1.0, s.gpus) / (pp * dp));
    if (tp < 1 || tp * pp * dp != std::max(1.0, s.gpus)) {
      return make_error(ErrorCode::conflict, "--gpus " + format_count(s.gpus) + " is not a multiple of " +
                                                 "--pipeline-parallel-size x --data-parallel-size (" +
                                                 format_count(pp * dp) + ")");
    }
  } else if (m.gpus && *m.gpus != tp * pp * dp) {
    return make_error(ErrorCode::conflict, "--gpus " + format_count(*m.gpus) + " but tensor x pipeline x data " +
                                               "parallel = " + format_count(tp * pp * dp) + "; give one or the other");
  }
  s.gpus = tp * pp * dp;
  s.pipeline_parallel = pp;
  s.data_parallel = dp;
  s.expert_parallel = a.expert_parallel_size.value_or(a.enable_expert_parallel ? tp * dp : 1);
  if (a.expert_parallel_size && a.enable_expert_parallel && *a.expert_parallel_size != tp * dp) {
    return make_error(ErrorCode::conflict, "--enable-expert-parallel spreads the experts over tensor x data " +
                                               std::string("parallel ranks (") + format_count(tp * dp) +
                                               "), not --expert-parallel-size " +
                                               format_count(*a.expert_parallel_size));
  }
  const bool experts_asked = a.enable_expert_parallel || a.expert_parallel_size.value_or(1) > 1;
  if (experts_asked && s.arch.num_experts <= 1) {
    return make_error(ErrorCode::conflict, std::string("expert parallelism needs routed experts; this model") +
                                               " is a dense model (drop --expert-parallel-size / "
                                               "--enable-expert-parallel)");
  }
  if (s.expert_parallel > s.gpus || std::fmod(s.gpus, s.expert_parallel) != 0) {
    return make_error(ErrorCode::conflict, "--expert-parallel-size " + format_count(s.expert_parallel) +
                                               " must divide the replica's " + format_count(s.gpus) + " GPUs");
  }
  // vLLM, SGLang, TensorRT-LLM shard the heads over the tensor-parallel ranks.
  return check_tensor_parallel(s.arch, tp, "use a --gpus (--tensor-parallel-size) that divides the heads");
}

Result<bool> apply_engine(const Context& ctx, const ModelArgs& m, const EngineArgs& a, bool context_given,
                          bool batch_given, Resolved& r) {
  if (!a.runtime) {
    if (has_engine_options(a)) {
      return make_error(ErrorCode::conflict,
                        "engine options (--gpu-memory-utilization, --n-gpu-layers, ...) need --runtime "
                        "vllm|sglang|tensorrt-llm|llama.cpp|ollama|transformers");
    }
    return true;
  }
  auto spec = find_engine(*ctx.catalog, *a.runtime);
  if (!spec) return spec.error();
  Scenario& s = r.scenario;
  if (is_training(s.workload.mode)) {
    return make_error(ErrorCode::conflict, "--runtime models a serving engine; it applies to --mode inference");
  }
  s.engine_spec = *spec.value();
  s.unified_memory = r.gpu.unified_memory;
  EngineSettings& e = s.engine;
  if (a.memory_fraction) e.memory_fraction = *a.memory_fraction;
  // Engine memory: the weights over tensor x pipeline ranks; with expert parallelism over every
  // rank of the replica (the experts are; attention weights, replicated per data-parallel rank,
  // are a few percent of an MoE's weights and are not added).
  const bool layout_flags =
      a.pipeline_parallel_size || a.data_parallel_size || a.expert_parallel_size || a.enable_expert_parallel;
  if (s.engine_spec.family == EngineFamily::paged) {
    auto layout = apply_serving_layout(m, a, s);
    if (!layout) return layout.error();
  } else if (layout_flags) {
    return make_error(ErrorCode::conflict,
                      "--pipeline/data/expert-parallel-size are vLLM, SGLang and TensorRT-LLM "
                      "layouts; " +
                          s.engine_spec.name + " splits by --split-mode");
  } else if (a.tensor_parallel_size) {
    s.gpus = *a.tensor_parallel_size;
  }
  e.tp = engine_weight_ranks(s);
  if (s.gpu_memory_bytes == usable_memory_bytes(r.gpu)) {  // the total CUDA reports, where an engine log gives it
    for (const auto& [gpu, bytes] : ctx.catalog->cuda_visible_bytes) {
      if (gpu == r.gpu.id) e.visible_bytes = bytes;
    }
  }
  if (a.block_size) e.block_size = *a.block_size;
  if (a.max_num_seqs) e.max_num_seqs = *a.max_num_seqs;
  if (a.max_num_batched_tokens) e.max_num_batched_tokens = *a.max_num_batched_tokens;
  if (a.n_batch) e.n_batch = *a.n_batch;
  if (a.parallel) e.n_seq = *a.parallel;
  auto layers = apply_layers(a, e);
  if (!layers) return layers.error();
  e.n_ubatch = s.workload.ubatch;
  const bool llama = s.engine_spec.family == EngineFamily::llamacpp;
  if (llama && e.n_seq <= 0 && batch_given) e.n_seq = s.workload.batch;
  // --context is per sequence in every mode: vLLM's max_model_len; llama.cpp's n_ctx is shared by
  // its n_seq sequences, so n_ctx = context x sequences.
  e.max_model_len = !context_given ? 0 : llama ? s.workload.context * std::max(1.0, e.n_seq) : s.workload.context;
  e.enforce_eager = a.enforce_eager;
  if (a.flash_attn) {
    auto fa = parse_on_off(*a.flash_attn, "--flash-attn");
    if (!fa) return fa.error();
    e.flash_attention = fa.value();
  }
  if (!s.workload.flash_attention) e.flash_attention = 0;
  auto split = apply_split_mode(a, e);
  if (!split) return split.error();
  auto kv = apply_kv_types(a, s.workload, e);
  if (!kv) return kv.error();
  if (s.engine_spec.family == EngineFamily::paged && r.gpu.unified_memory) {
    add_warning(r, "warning: " + s.engine_spec.name + " does not run on Apple GPUs; estimating as if it did");
  }
  return true;
}

Result<bool> check_tensor_parallel(const ModelArch& arch, double tp, std::string_view fix) {
  if (tensor_parallel_divides(arch, tp)) return true;
  return make_error(ErrorCode::conflict, format_count(tp) + " GPUs cannot split " + format_count(arch.num_heads) +
                                             " attention heads and " + format_count(arch.num_kv_heads) +
                                             " KV heads evenly for tensor parallelism; " + std::string(fix));
}

}  // namespace gpuplan::api
