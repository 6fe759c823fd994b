// Engine-faithful memory of the llama.cpp family (llama.cpp, Ollama): model buffers per device,
// KV for n_ctx, compute buffers. Each step follows llama.cpp's source (named at each function);
// the constants come from data/engines.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine_detail.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan {
namespace engine_detail {
namespace {

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

// Counts layer i by its KV kind on device share d.
void count_kind(const ModelArch& a, bool mixed_kinds, double il, LlamaShare& d) {
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

// Row split: each offloaded layer's matrices split by rows over all devices; KV stays with the
// main device.
template <typename DeviceOf>
void split_rows(const ModelArch& a, const LayerWeightBytes& lw, DeviceOf device_of, LlamaSplit& sp) {
  const bool mixed_kinds = is_recurrent(a) || a.sliding_window > 0;  // else every layer is full attention
  const auto n_dev = static_cast<double>(sp.gpus.size());
  for (std::size_t i = 0; i < lw.layers.size(); ++i) {
    const double il = static_cast<double>(i);
    const int dev = device_of(il);
    LlamaShare& d = dev < 0 ? sp.host : sp.gpus[static_cast<std::size_t>(dev)];
    if (dev >= 0) {
      for (auto& g : sp.gpus) g.weights += lw.layers[i] / n_dev;
    } else {
      d.weights += lw.layers[i];
    }
    d.layers += 1;
    count_kind(a, mixed_kinds, il, d);
  }
}

// Layer split: device_of never decreases with the layer, so each device holds one run of layers.
// Each run is summed in layer order into a local, the same additions as one layer at a time.
template <typename DeviceOf>
void split_runs(const ModelArch& a, const LayerWeightBytes& lw, DeviceOf device_of, LlamaSplit& sp) {
  const bool mixed_kinds = is_recurrent(a) || a.sliding_window > 0;  // else every layer is full attention
  const std::size_t n = lw.layers.size();
  std::size_t i = 0;
  while (i < n) {
    const int dev = device_of(static_cast<double>(i));
    LlamaShare& d = dev < 0 ? sp.host : sp.gpus[static_cast<std::size_t>(dev)];
    double weights = d.weights;
    std::size_t end = i;
    for (; end < n && device_of(static_cast<double>(end)) == dev; ++end) weights += lw.layers[end];
    d.weights = weights;
    d.layers += static_cast<double>(end - i);
    if (mixed_kinds) {
      for (std::size_t k = i; k < end; ++k) count_kind(a, true, static_cast<double>(k), d);
    } else {
      d.full += static_cast<double>(end - i);
    }
    i = end;
  }
}

LlamaSplit llama_split(const Scenario& s, const LayerWeightBytes& lw, double devices, double ngl) {
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
    if (row || n_dev == 1) return 0;
    const double frac = (il - i_gpu_start) / act_gpu_layers;
    return std::min(static_cast<int>(n_dev) - 1, static_cast<int>(std::floor(frac * static_cast<double>(n_dev))));
  };
  sp.host.weights = lw.token_embedding;
  if (row) {
    split_rows(s.arch, lw, device_of, sp);
  } else {
    split_runs(s.arch, lw, device_of, sp);
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

// What the fullest GPU holds: O(devices), for searches over n_ctx and n_seq (at most the capacity
// exactly when llama_split_fits holds).
double llama_split_need(const Scenario& s, const LlamaPlan& p, const LlamaSplit& sp) {
  const double context = sp.ngl > 0 ? s.engine_spec.context_bytes : 0.0;
  double fullest = 0;
  for (std::size_t i = 0; i < sp.gpus.size(); ++i) {
    const double total =
        sp.gpus[i].weights + share_kv_bytes(s.arch, p, sp.gpus[i]) + gpu_compute_bytes(s.arch, p, sp, i) + context;
    fullest = i == 0 ? total : std::max(fullest, total);
  }
  return fullest;
}

// Whether every GPU holds its buffers: O(devices), for the search over n_gpu_layers.
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

// The scenario's layer bytes: its priced table itself when no file total rescales it, else a
// scaled copy kept in `scaled`.
const LayerWeightBytes& scenario_layer_weights(const Scenario& s, LayerWeightBytes& scaled) {
  if (s.layer_weights && s.measured_weights.total - s.measured_weights.vision <= 0) return *s.layer_weights;
  scaled =
      file_scaled(s.layer_weights ? *s.layer_weights : layer_weight_bytes(s.arch, s.precision), s.measured_weights);
  return scaled;
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

}  // namespace

EngineMemory llamacpp_memory(const Scenario& s) {
  const EngineSpec& spec = s.engine_spec;
  const EngineSettings& set = s.engine;
  const ModelArch& a = s.arch;
  const double n_seq = std::max(1.0, set.n_seq > 0 ? set.n_seq : spec.n_parallel);
  double ctx = set.max_model_len > 0 ? set.max_model_len : spec.default_ctx;
  if (ctx <= 0) ctx = a.context_length > 0 ? a.context_length : 4096;
  if (spec.context_per_sequence && set.max_model_len > 0) ctx = set.max_model_len * n_seq;  // num_ctx per sequence
  const LlamaPlan p = make_llama_plan(s, ctx, n_seq);
  LayerWeightBytes scaled;
  const LayerWeightBytes& lw = scenario_layer_weights(s, scaled);
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

}  // namespace engine_detail

using namespace engine_detail;

LlamaLimits llama_limits(const Scenario& s, double n_gpu_layers, double ctx_upper, double n_seq, double ctx_per_seq,
                         double seq_upper) {
  LlamaLimits out;
  if (s.engine_spec.family != EngineFamily::llamacpp) return out;
  LayerWeightBytes scaled;
  const LayerWeightBytes& lw = scenario_layer_weights(s, scaled);
  const LlamaSplit sp = llama_split(s, lw, std::max(1.0, s.engine.tp), n_gpu_layers);
  // The card's capacity does not depend on the context or the sequences.
  const double capacity = make_llama_plan(s, 1, 1).capacity_bytes;
  out.max_ctx = largest_within(ctx_upper, capacity,
                               [&](double c) { return llama_split_need(s, make_llama_plan(s, c, n_seq), sp); });
  out.max_seqs = largest_within(
      seq_upper, capacity, [&](double b) { return llama_split_need(s, make_llama_plan(s, ctx_per_seq * b, b), sp); });
  return out;
}

}  // namespace gpuplan
