// Engine-faithful memory. Each engine's arithmetic follows its own source (file named at each
// function); its constants come from data/engines.json.
#include "gpuplan/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "gpuplan/estimate.hpp"
#include "gpuplan/memory.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/scenario.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kF32 = 4.0;  // llama.cpp compute buffers, logits and recurrent state are f32

double positive(double x) {
  return std::isfinite(x) && x > 0 ? x : 0.0;
}
double round_up(double x, double to) {
  return to > 0 ? std::ceil(x / to) * to : x;
}

// K and V elements per token of one attention layer, per rank. MLA's latent is one vector (vLLM
// and llama.cpp keep it whole on every rank); GQA heads split across ranks, replicated when
// there are fewer KV heads than ranks (vLLM: max(1, num_kv_heads // tp)).
struct KvWidth {
  double k = 0, v = 0;
};
KvWidth kv_width_per_rank(const ModelArch& a, double tp) {
  if (is_mla(a)) return {kv_elements_per_token_per_layer(a), 0.0};
  const double heads = std::max(1.0, std::floor(a.num_kv_heads / std::max(1.0, tp)));
  return {heads * attention_qk_head_dim(a), heads * attention_v_head_dim(a)};
}

double attention_layers(const ModelArch& a) {
  return std::max(0.0, a.num_layers - num_recurrent_layers(a));
}

// Per-token activation bytes of the profiling forward pass at its MLP peak: the hidden states
// (residual, normed input, output: 3h), gate_up (2 x width) and act(gate) (width) per rank; a fused
// MoE adds its top-k expert outputs (vLLM fused_moe intermediate_cache3).
double profile_bytes_per_token(const ModelArch& a, double act_bytes, double tp) {
  double elements = 3.0 * a.hidden_size + 3.0 * active_mlp_width(a) / std::max(1.0, tp);
  if (is_moe(a)) elements += a.experts_per_token * a.hidden_size;
  return act_bytes * elements;
}

// ---------------------------------------------------------------- paged engines (vLLM, SGLang, TRT-LLM)

// vLLM vllm/v1/worker/gpu_worker.py determine_available_memory (V0: vllm/worker/worker.py
// determine_num_available_blocks); SGLang python/sglang/srt/model_executor/model_runner.py
// profile_max_num_token; TensorRT-LLM KvCacheConfig.free_gpu_memory_fraction.
EngineMemory paged_memory(const Scenario& s) {
  const EngineSpec& spec = s.engine_spec;
  const EngineSettings& set = s.engine;
  const ModelArch& a = s.arch;
  EngineMemory m;
  m.engine = spec.id;
  m.family = spec.family;
  m.tp = std::max(1.0, set.tp);
  m.gpu_layers = a.num_layers;
  m.total_layers = a.num_layers;
  m.output_on_gpu = true;
  m.visible_bytes = set.visible_bytes > 0 ? set.visible_bytes : cuda_visible_bytes(spec, s.gpu_memory_bytes);
  m.memory_fraction = set.memory_fraction > 0 ? set.memory_fraction : default_memory_fraction(spec, m.tp);
  m.budget_bytes = m.visible_bytes * m.memory_fraction;
  m.block_size = set.block_size > 0 ? set.block_size : spec.block_size;
  m.max_model_len = set.max_model_len > 0 ? set.max_model_len : (a.context_length > 0 ? a.context_length : 4096);
  const bool large_card = spec.large_card_bytes > 0 && s.gpu_memory_bytes >= spec.large_card_bytes;
  const double default_seqs = large_card && spec.max_num_seqs_large > 0 ? spec.max_num_seqs_large : spec.max_num_seqs;
  const double default_batched = large_card && spec.max_num_batched_tokens_large > 0 ? spec.max_num_batched_tokens_large
                                                                                     : spec.max_num_batched_tokens;
  m.max_num_seqs = set.max_num_seqs > 0 ? set.max_num_seqs : default_seqs;
  m.max_num_batched_tokens = set.max_num_batched_tokens > 0 ? set.max_num_batched_tokens
                             : default_batched > 0          ? default_batched
                                                            : std::max(m.max_model_len, 2048.0);
  m.weights_bytes = scenario_weights_bytes(s) / m.tp;
  m.non_torch_bytes = spec.non_torch_bytes + (m.tp > 1 ? spec.nccl_bytes : 0.0);
  m.cuda_graph_bytes = set.enforce_eager ? 0.0 : spec.cuda_graph_bytes;
  const double act_bytes = std::max(1.0, s.precision.compute_bytes);
  m.activation_peak_bytes = m.max_num_batched_tokens * profile_bytes_per_token(a, act_bytes, m.tp) +
                            m.max_num_seqs * a.vocab_size * spec.sampler_bytes_per_logit;

  // KV bytes per token over the attention layers of one rank, and the fixed state per sequence.
  const KvWidth w = kv_width_per_rank(a, m.tp);
  const double per_layer_token = w.k * set.type_k_bytes + w.v * set.type_v_bytes;
  m.kv_bytes_per_token = attention_layers(a) * per_layer_token;
  m.state_bytes_per_sequence =
      num_recurrent_layers(a) * recurrent_state_elements_per_layer(a) * act_bytes / m.tp;  // model dtype (vLLM "auto")

  double kv_available = 0;
  switch (spec.budget) {
    case BudgetRule::total_fraction:
      kv_available = m.budget_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes;
      break;
    case BudgetRule::static_fraction:  // activations and graphs live in the 1 - fraction left over
      kv_available = m.budget_bytes - m.weights_bytes - m.non_torch_bytes;
      break;
    case BudgetRule::free_fraction:
      kv_available =
          (m.visible_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes) * m.memory_fraction;
      m.budget_bytes = m.weights_bytes + m.activation_peak_bytes + m.non_torch_bytes + positive(kv_available);
      break;
  }
  m.kv_cache_bytes = positive(kv_available);

  // Tokens the pool holds. vLLM V1 groups layers of each attention type into groups of equal size
  // (the smallest type's layer count), padding the last group of a type, and every group holds the
  // same number of blocks: a token costs a block slot in every group (vllm/v1/core/kv_cache_utils.py
  // _get_kv_cache_config_uniform_page_size, "Add N padding layers"). Other engines and full
  // attention: every attention layer.
  double slots = attention_layers(a);
  if (spec.error_style == ErrorStyle::v1 && a.sliding_window > 0) {
    double sliding = 0;
    for (double il = 0; il < a.num_layers && il < 1e5; ++il) {
      if (!is_recurrent_layer(a, il) && is_sliding_layer(a, il)) sliding += 1;
    }
    const double full = attention_layers(a) - sliding;
    if (sliding > 0 && full > 0) {
      const double group = std::min(sliding, full);
      slots = group * (std::ceil(sliding / group) + std::ceil(full / group));
      if (slots > attention_layers(a)) {
        m.notes.push_back("vLLM pads " + format_whole(slots - attention_layers(a)) +
                          " layer slots to group sliding and full attention layers");
      }
    }
  }
  const double slot_token_bytes = slots * per_layer_token;
  m.block_bytes = m.block_size * slot_token_bytes;
  const double seq_bytes = m.max_model_len * slot_token_bytes + m.state_bytes_per_sequence;
  if (m.block_bytes > 0) {
    const double state_total = m.state_bytes_per_sequence * m.max_num_seqs;  // recurrent slots, one per sequence
    m.kv_cache_blocks = std::floor(positive(m.kv_cache_bytes - state_total) / m.block_bytes);
    m.kv_cache_tokens = m.kv_cache_blocks * m.block_size;
  }
  if (seq_bytes > 0) m.max_concurrency = m.kv_cache_bytes / seq_bytes;
  if (slot_token_bytes > 0 && m.state_bytes_per_sequence <= 0) m.max_concurrency = m.kv_cache_tokens / m.max_model_len;
  const double max_len_fitting =
      slot_token_bytes > 0 ? std::floor(positive(m.kv_cache_bytes - m.state_bytes_per_sequence) / slot_token_bytes) : 0;
  m.longest_sequence = max_len_fitting;

  // The engine's verdict and its own words.
  const double vram = m.weights_bytes + m.non_torch_bytes + m.activation_peak_bytes;
  if (m.weights_bytes > m.visible_bytes) {
    m.error = "torch.OutOfMemoryError: CUDA out of memory while loading the weights (" + format_gib(m.weights_bytes) +
              " per GPU on a " + format_gib(m.visible_bytes) + " card)";
  } else if (m.kv_cache_bytes <= 0 || (m.block_bytes > 0 && m.kv_cache_blocks < 1)) {
    if (spec.error_style == ErrorStyle::sglang) {
      m.error = "RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.";
    } else {
      m.error =
          "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` "
          "when initializing the engine.";
    }
  } else if (m.max_concurrency < 1) {
    if (spec.error_style == ErrorStyle::v0) {
      m.error = "ValueError: The model's max seq len (" + format_whole(m.max_model_len) +
                ") is larger than the maximum number of tokens that can be stored in KV cache (" +
                format_whole(m.kv_cache_tokens) +
                "). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the "
                "engine.";
    } else if (spec.error_style == ErrorStyle::v1) {
      m.error =
          "ValueError: To serve at least one request with the models's max seq len (" + format_whole(m.max_model_len) +
          "), (" + format_gib(seq_bytes) + " KV cache is needed, which is larger than the available KV cache memory (" +
          format_gib(m.kv_cache_bytes) + "). Based on the available memory, the estimated maximum model length is " +
          format_whole(max_len_fitting) +
          ". Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.";
    } else {
      m.error = "max_model_len " + format_whole(m.max_model_len) + " exceeds the KV cache capacity of " +
                format_whole(max_len_fitting) + " tokens";
    }
  }
  m.fits = m.error.empty();
  const double outside = m.visible_bytes - m.budget_bytes;
  if (m.fits && m.cuda_graph_bytes > outside && spec.budget != BudgetRule::free_fraction) {
    m.notes.push_back("CUDA graphs (~" + format_gib(m.cuda_graph_bytes) + ") may not fit in the " +
                      format_gib(outside) +
                      " left outside the memory fraction: lower the fraction or use --enforce-eager");
  }
  if (a.vision_params > 0) {
    m.notes.push_back(
        "the vision tower's weights are counted; its profile run with dummy images (a larger "
        "activation peak for multimodal models) is not modelled");
  }
  if (a.mtp_layers > 0) {
    m.notes.push_back("multi-token-prediction layers load only with speculative decoding; not counted");
  }
  if (spec.error_style != ErrorStyle::v1 && a.sliding_window > 0) {  // V0 / SGLang pools: every layer full length
    m.notes.push_back("sliding-window layers are given full-length KV here, as this engine version allocates them");
  }

  EngineDevice d;
  d.name = "CUDA0";
  d.layers = a.num_layers;
  d.weights_bytes = m.weights_bytes;
  d.kv_cache_bytes = m.kv_cache_bytes;
  d.compute_buffer_bytes = m.activation_peak_bytes;
  d.other_bytes = m.non_torch_bytes + m.cuda_graph_bytes;
  d.total_bytes = vram + m.kv_cache_bytes + m.cuda_graph_bytes;
  d.capacity_bytes = m.visible_bytes;
  for (double r = 0; r < m.tp && r < 1024; ++r) {
    d.name = "CUDA" + format_whole(r);
    m.devices.push_back(d);
    m.vram_bytes += d.total_bytes;
  }
  return m;
}

// ---------------------------------------------------------------- llama.cpp family

// llama.cpp src/llama-context.cpp (n_ctx padding, output buffer), src/llama-kv-cache*.cpp (KV per
// layer on the layer's device, SWA cache size), src/llama-model.cpp load_tensors (i_gpu_start,
// act_gpu_layers, dev_output = layer n_layer, default split by device memory).
struct LlamaPlan {
  double n_ctx = 0, n_seq = 1, n_ubatch = 512;
  bool flash = true;
  double k_bytes = 2, v_bytes = 2;
  double devices = 1;
  double capacity_bytes = 0;  // per GPU, what the engine may fill
};

// The compute buffer one backend reserves for a ubatch: the f32 MLP intermediates and, without
// flash attention, the f32 KQ matrix over the whole context (the worst-case graph llama.cpp
// reserves). Checked against llama.cpp logs in tests/test_engine_validation.cpp.
double llama_compute_buffer_bytes(const ModelArch& a, const LlamaPlan& p, bool holds_output) {
  const double chunk = p.n_ubatch;
  double layer_peak = chunk * 2.0 * active_mlp_width(a) * kF32;
  if (!p.flash) layer_peak += chunk * p.n_ctx * a.num_heads * kF32;
  // The device computing the output head also holds a ubatch of f32 logits (+ the final hidden
  // states); ggml's allocator reuses memory, so the buffer is the larger of the two peaks.
  const double output_peak = holds_output ? chunk * (a.vocab_size + 2.0 * a.hidden_size) * kF32 : 0.0;
  return std::max(layer_peak, output_peak);
}

// Host compute buffer when layers are offloaded: the input embeddings of a ubatch (f32) and the
// KQ mask (f32, f16 with flash attention) over the context.
double llama_host_compute_bytes(const ModelArch& a, const LlamaPlan& p) {
  return p.n_ubatch * a.hidden_size * kF32 + p.n_ctx * p.n_ubatch * (p.flash ? 2.0 : 4.0);
}

// Where the layers land for one n_gpu_layers: per device, the weights and the layers by KV kind.
// This does not depend on n_ctx or n_seq, so a search over those reuses it.
struct LlamaShare {
  double weights = 0, layers = 0;
  double full = 0, swa = 0, rec = 0;  // attention layers with full / sliding KV, recurrent layers
};
struct LlamaSplit {
  std::vector<LlamaShare> gpus;
  LlamaShare host;
  int out_dev = -1;  // -1: the output head on the CPU
  double ngl = 0;
  double n_layer = 0;
};

LlamaSplit llama_split(const Scenario& s, const LayerWeightBytes& lw, double devices, double ngl) {
  const ModelArch& a = s.arch;
  LlamaSplit sp;
  sp.n_layer = static_cast<double>(lw.layers.size());
  sp.ngl = std::clamp(ngl, 0.0, sp.n_layer + 1);
  const double i_gpu_start = std::max(sp.n_layer - sp.ngl, 0.0);
  const double act_gpu_layers = std::min(sp.ngl, sp.n_layer + 1);
  const auto n_dev = static_cast<std::size_t>(std::clamp(devices, 1.0, 64.0));
  const bool row = s.engine.split == SplitMode::row && n_dev > 1;
  sp.gpus.assign(n_dev, LlamaShare{});
  // Device of "layer" il (il == n_layer: the output): even split (equal cards), as llama.cpp's
  // default split by free memory gives for identical devices.
  auto device_of = [&](double il) -> int {
    if (il < i_gpu_start || (il - i_gpu_start) >= act_gpu_layers) return -1;
    if (row) return 0;
    const double frac = (il - i_gpu_start) / act_gpu_layers;
    return std::min(static_cast<int>(n_dev) - 1, static_cast<int>(std::floor(frac * static_cast<double>(n_dev))));
  };
  sp.host.weights = lw.token_embedding;
  const bool mixed_kinds = is_recurrent(a) || a.sliding_window > 0;  // else every layer is full attention
  for (std::size_t i = 0; i < lw.layers.size(); ++i) {
    const double il = static_cast<double>(i);
    const int dev = device_of(il);
    LlamaShare& d = dev < 0 ? sp.host : sp.gpus[static_cast<std::size_t>(dev)];
    if (dev >= 0 && row) {  // matrices split by rows over all devices; KV stays with the main device
      for (auto& g : sp.gpus) g.weights += lw.layers[i] / static_cast<double>(n_dev);
    } else {
      d.weights += lw.layers[i];
    }
    d.layers += 1;
    if (!mixed_kinds) {
      d.full += 1;
    } else if (is_recurrent_layer(a, il)) {
      d.rec += 1;
    } else if (is_sliding_layer(a, il)) {
      d.swa += 1;
    } else {
      d.full += 1;
    }
  }
  sp.out_dev = device_of(sp.n_layer);
  (sp.out_dev < 0 ? sp.host : sp.gpus[static_cast<std::size_t>(sp.out_dev)]).weights += lw.output;
  return sp;
}

// KV self (and recurrent state) of a device's layers for the plan's n_ctx and n_seq.
double share_kv_bytes(const ModelArch& a, const LlamaPlan& p, const LlamaShare& d) {
  const KvWidth w = kv_width_per_rank(a, 1);
  const double cell = w.k * p.k_bytes + w.v * p.v_bytes;
  const double swa_cells = std::min(p.n_ctx, round_up(a.sliding_window * p.n_seq + p.n_ubatch, 256));
  return d.full * p.n_ctx * cell + d.swa * swa_cells * cell +
         d.rec * p.n_seq * recurrent_state_elements_per_layer(a) * kF32;
}

double gpu_compute_bytes(const ModelArch& a, const LlamaPlan& p, const LlamaSplit& sp, std::size_t i) {
  return sp.ngl > 0 ? llama_compute_buffer_bytes(a, p, static_cast<int>(i) == sp.out_dev) : 0.0;
}

// Whether every GPU holds its buffers: O(devices), for searches over n_ctx and n_seq.
bool llama_split_fits(const Scenario& s, const LlamaPlan& p, const LlamaSplit& sp) {
  const double context = sp.ngl > 0 ? s.engine_spec.context_bytes : 0.0;
  for (std::size_t i = 0; i < sp.gpus.size(); ++i) {
    const double total =
        sp.gpus[i].weights + share_kv_bytes(s.arch, p, sp.gpus[i]) + gpu_compute_bytes(s.arch, p, sp, i) + context;
    if (total > p.capacity_bytes) return false;
  }
  return true;
}

EngineMemory llama_layout(const Scenario& s, const LlamaPlan& p, const LayerWeightBytes& lw, double ngl) {
  const EngineSpec& spec = s.engine_spec;
  const ModelArch& a = s.arch;
  const LlamaSplit sp = llama_split(s, lw, p.devices, ngl);
  EngineMemory m;
  m.engine = spec.id;
  m.family = spec.family;
  m.n_ctx = p.n_ctx;
  m.n_seq = p.n_seq;
  m.n_ubatch = p.n_ubatch;
  m.flash_attention = p.flash;
  m.max_model_len = p.n_ctx / p.n_seq;
  m.total_layers = a.num_layers;
  m.tp = p.devices;
  m.visible_bytes = s.gpu_memory_bytes;
  m.gpu_layers = std::min(sp.ngl, sp.n_layer);
  m.output_on_gpu = sp.out_dev >= 0;
  const bool any_gpu = sp.ngl > 0;
  const std::size_t n_dev = sp.gpus.size();

  m.output_buffer_bytes = p.n_seq * a.vocab_size * kF32;
  m.fits = true;
  for (std::size_t i = 0; i < n_dev; ++i) {
    EngineDevice g;
    g.name = (s.unified_memory ? "Metal" : "CUDA") +
             (s.unified_memory && n_dev == 1 ? "" : format_whole(static_cast<double>(i)));
    g.capacity_bytes = p.capacity_bytes;
    g.layers = sp.gpus[i].layers;
    g.weights_bytes = sp.gpus[i].weights;
    g.kv_cache_bytes = share_kv_bytes(a, p, sp.gpus[i]);
    g.compute_buffer_bytes = gpu_compute_bytes(a, p, sp, i);
    g.other_bytes = any_gpu ? spec.context_bytes : 0.0;
    g.total_bytes = g.weights_bytes + g.kv_cache_bytes + g.compute_buffer_bytes + g.other_bytes;
    m.compute_buffer_bytes = std::max(m.compute_buffer_bytes, g.compute_buffer_bytes);
    m.vram_bytes += g.total_bytes;
    m.weights_bytes += g.weights_bytes;
    m.kv_cache_bytes += g.kv_cache_bytes;
    if (g.total_bytes > g.capacity_bytes) m.fits = false;
    m.devices.push_back(g);
  }
  EngineDevice host;
  host.name = "CPU";
  host.host = true;
  host.layers = sp.host.layers;
  host.weights_bytes = sp.host.weights;
  host.kv_cache_bytes = share_kv_bytes(a, p, sp.host);
  host.other_bytes = m.output_buffer_bytes;
  if (!any_gpu) {
    host.compute_buffer_bytes = llama_compute_buffer_bytes(a, p, true);
  } else if (!s.unified_memory) {
    host.compute_buffer_bytes = llama_host_compute_bytes(a, p);
    if (sp.out_dev < 0)
      host.compute_buffer_bytes = std::max(host.compute_buffer_bytes, llama_compute_buffer_bytes(a, p, true));
  }
  m.host_compute_buffer_bytes = host.compute_buffer_bytes;
  host.total_bytes = host.weights_bytes + host.kv_cache_bytes + host.compute_buffer_bytes + host.other_bytes;
  m.kv_cache_bytes += host.kv_cache_bytes;  // KV self over all devices, as llama.cpp logs it
  m.weights_bytes += host.weights_bytes;
  m.ram_bytes = host.total_bytes;
  m.devices.push_back(host);
  LlamaShare all;
  all.full = sp.host.full;
  all.swa = sp.host.swa;
  for (const auto& g : sp.gpus) {
    all.full += g.full;
    all.swa += g.swa;
  }
  m.kv_bytes_per_token = p.n_ctx > 0 ? share_kv_bytes(a, p, all) / p.n_ctx : 0;
  m.state_bytes_per_sequence = num_recurrent_layers(a) * recurrent_state_elements_per_layer(a) * kF32;
  m.kv_cache_tokens = p.n_ctx;
  m.max_concurrency = p.n_seq;
  m.max_num_seqs = p.n_seq;
  return m;
}

// A GGUF file's own tensor table wins: the per-layer arithmetic is scaled to the file's measured
// total (without a vision tower, which llama.cpp keeps in a separate mmproj file).
LayerWeightBytes file_scaled(LayerWeightBytes lw, const WeightBytes& measured) {
  const double file_bytes = measured.total - measured.vision;
  double computed = lw.token_embedding + lw.output - lw.tied_copy;
  for (double b : lw.layers) computed += b;
  if (file_bytes <= 0 || computed <= 0) return lw;
  const double k = file_bytes / computed;  // a tied embedding's copy scales with it
  lw.token_embedding *= k;
  lw.output *= k;
  for (double& b : lw.layers) b *= k;
  return lw;
}

LayerWeightBytes scenario_layer_weights(const Scenario& s) {
  if (s.layer_weights) return file_scaled(*s.layer_weights, s.measured_weights);
  return file_scaled(layer_weight_bytes(s.arch, s.precision), s.measured_weights);
}

// The plan's numbers for n_ctx tokens (in total, before padding) over n_seq sequences.
LlamaPlan make_llama_plan(const Scenario& s, double ctx, double n_seq) {
  const EngineSpec& spec = s.engine_spec;
  const EngineSettings& set = s.engine;
  LlamaPlan p;
  p.flash = set.flash_attention < 0 ? spec.flash_attention : set.flash_attention > 0;
  p.n_seq = std::max(1.0, n_seq);
  p.n_ctx = round_up(std::max(1.0, ctx), p.flash ? spec.ctx_pad_flash : spec.ctx_pad);
  const double n_batch = std::min(set.n_batch > 0 ? set.n_batch : spec.n_batch, p.n_ctx);
  p.n_ubatch = std::min(set.n_ubatch > 0 ? set.n_ubatch : spec.n_ubatch, n_batch);
  p.k_bytes = set.type_k_bytes;
  p.v_bytes = set.type_v_bytes;
  p.devices = std::max(1.0, set.tp);
  p.capacity_bytes = std::max(0.0, s.gpu_memory_bytes - spec.gpu_minimum_bytes);
  return p;
}

EngineMemory llamacpp_memory(const Scenario& s) {
  const EngineSpec& spec = s.engine_spec;
  const EngineSettings& set = s.engine;
  const ModelArch& a = s.arch;
  const double n_seq = std::max(1.0, set.n_seq > 0 ? set.n_seq : spec.n_parallel);
  double ctx = set.max_model_len > 0 ? set.max_model_len : spec.default_ctx;
  if (ctx <= 0) ctx = a.context_length > 0 ? a.context_length : 4096;
  if (spec.context_per_sequence && set.max_model_len > 0) ctx = set.max_model_len * n_seq;  // num_ctx per sequence
  const LlamaPlan p = make_llama_plan(s, ctx, n_seq);
  const LayerWeightBytes lw = scenario_layer_weights(s);
  const double n_layer = static_cast<double>(lw.layers.size());

  // The largest n_gpu_layers whose buffers fit on every GPU (monotone: fewer layers, less VRAM).
  std::string m_notes_auto;
  double fit_ngl = -1;  // bisection: fewer layers on the GPUs never need more VRAM
  const bool search = set.search_layers || (set.n_gpu_layers < 0 && spec.auto_layers);
  auto fits_with = [&](double ngl) { return llama_split_fits(s, p, llama_split(s, lw, p.devices, ngl)); };
  if (search && fits_with(0)) fit_ngl = largest_fitting(n_layer + 1, fits_with);  // 0 when even one layer fails
  double ngl = set.n_gpu_layers >= 0 ? set.n_gpu_layers : n_layer + 1;            // llama.cpp: -ngl 999 / auto = all
  if (set.n_gpu_layers < 0 && spec.auto_layers) {
    ngl = std::max(0.0, fit_ngl);
    if (fit_ngl >= 0 && fit_ngl <= n_layer) {
      m_notes_auto = spec.picks_layers
                         ? spec.name + " offloads the " + format_whole(std::min(fit_ngl, n_layer)) + " layers that fit"
                         : "n_gpu_layers " + format_whole(fit_ngl) +
                               " is what fits (llama.cpp's --fit picks it; builds without --fit "
                               "offload every layer and fail: pass -ngl " +
                               format_whole(fit_ngl) + ")";
    }
  }
  EngineMemory m = llama_layout(s, p, lw, ngl);
  m.max_gpu_layers_that_fit = std::max(0.0, fit_ngl);
  if (!m_notes_auto.empty()) m.notes.push_back(m_notes_auto);
  if (set.type_v != "f16" && set.type_v != "bf16" && set.type_v != "f32" && !p.flash) {
    m.fits = false;
    m.error = "llama_init_from_model: V cache quantization requires flash_attn";
    return m;
  }
  if (!m.fits) {
    for (const auto& d : m.devices) {
      if (d.host || d.total_bytes <= d.capacity_bytes) continue;
      m.error =
          "ggml_backend_cuda_buffer_type_alloc_buffer: allocating " + format_mib(d.total_bytes) + " on " + d.name +
          ": out of memory (" + format_mib(d.capacity_bytes) + " available); " +
          (fit_ngl >= 0 ? "--n-gpu-layers " + format_whole(fit_ngl) + " fits" : "no layer count fits: shorten --ctx");
      break;
    }
  }
  if (m.fits && m.gpu_layers < n_layer) {
    m.notes.push_back(format_whole(n_layer - m.gpu_layers) + " of " + format_whole(n_layer) +
                      " layers run on the CPU from system RAM: decode slows to the RAM bandwidth for those layers");
  }
  if (p.n_ctx != ctx) m.notes.push_back("n_ctx padded from " + format_whole(ctx) + " to " + format_whole(p.n_ctx));
  if (a.vision_params > 0) m.notes.push_back("the vision tower is a separate mmproj file for llama.cpp; not counted");
  return m;
}

// ---------------------------------------------------------------- transformers (eager)

// transformers generate(): weights, a DynamicCache that grows with the tokens, the prompt's
// forward pass at once (no chunking), plus the CUDA context; the generic model's terms.
EngineMemory eager_memory(const Scenario& s) {
  const MemoryBreakdown mem = estimate_memory(eager_as_generic(s));
  EngineMemory m;
  m.engine = s.engine_spec.id;
  m.family = s.engine_spec.family;
  m.tp = std::max(1.0, s.gpus);
  m.visible_bytes = s.gpu_memory_bytes;
  m.weights_bytes = mem.weights_bytes;
  m.kv_cache_bytes = mem.kv_cache_bytes;
  m.activation_peak_bytes = mem.activations_bytes;
  m.non_torch_bytes = mem.overhead_bytes;
  m.max_model_len = s.workload.context;
  m.max_concurrency = s.workload.batch;
  m.kv_cache_tokens = s.workload.context * s.workload.batch;
  m.fits = mem.total_bytes <= s.gpu_memory_bytes;
  if (!m.fits) {
    m.error = "torch.OutOfMemoryError: CUDA out of memory (" + format_gib(mem.total_bytes) + " needed per GPU, " +
              format_gib(s.gpu_memory_bytes) + " on the card)";
  }
  EngineDevice d;
  d.name = "CUDA0";
  d.weights_bytes = mem.weights_bytes;
  d.kv_cache_bytes = mem.kv_cache_bytes;
  d.compute_buffer_bytes = mem.activations_bytes;
  d.other_bytes = mem.overhead_bytes;
  d.total_bytes = mem.total_bytes;
  d.capacity_bytes = s.gpu_memory_bytes;
  d.layers = s.arch.num_layers;
  m.devices.push_back(d);
  m.vram_bytes = mem.total_bytes * m.tp;
  return m;
}

}  // namespace

const char* to_string(EngineFamily family) {
  switch (family) {
    case EngineFamily::none: return "generic";
    case EngineFamily::paged: return "paged";
    case EngineFamily::llamacpp: return "llama.cpp";
    case EngineFamily::eager: return "eager";
  }
  return "generic";
}

Scenario eager_as_generic(const Scenario& s) {
  Scenario t = s;
  t.workload.ubatch = std::max(1.0, s.workload.context * s.workload.batch);
  t.runtime_overhead_bytes = s.engine_spec.overhead_bytes;
  t.engine_spec.family = EngineFamily::none;
  return t;
}

double cuda_visible_bytes(const EngineSpec& spec, double nominal_bytes) {
  return positive(nominal_bytes) * (1.0 - std::clamp(spec.cuda_reserved_fraction, 0.0, 0.5));
}

double default_memory_fraction(const EngineSpec& spec, double tp) {
  if (spec.fraction_by_tp.empty()) return spec.memory_fraction;
  std::size_t i = 0;
  for (double t = 1; t * 2 <= tp && i + 1 < spec.fraction_by_tp.size(); t *= 2) ++i;
  return spec.fraction_by_tp[i];
}

LlamaLimits llama_limits(const Scenario& s, double n_gpu_layers, double ctx_upper, double n_seq, double ctx_per_seq,
                         double seq_upper) {
  LlamaLimits out;
  if (s.engine_spec.family != EngineFamily::llamacpp) return out;
  const LayerWeightBytes lw = scenario_layer_weights(s);
  const LlamaSplit sp = llama_split(s, lw, std::max(1.0, s.engine.tp), n_gpu_layers);
  out.max_ctx =
      largest_fitting(ctx_upper, [&](double c) { return llama_split_fits(s, make_llama_plan(s, c, n_seq), sp); });
  out.max_seqs = largest_fitting(
      seq_upper, [&](double b) { return llama_split_fits(s, make_llama_plan(s, ctx_per_seq * b, b), sp); });
  return out;
}

EngineMemory engine_memory(const Scenario& s) {
  switch (s.engine_spec.family) {
    case EngineFamily::paged: return paged_memory(s);
    case EngineFamily::llamacpp: return llamacpp_memory(s);
    case EngineFamily::eager: return eager_memory(s);
    case EngineFamily::none: break;
  }
  return EngineMemory{};
}

}  // namespace gpuplan
