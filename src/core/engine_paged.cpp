// Engine-faithful memory of the paged engines (vLLM, SGLang, TensorRT-LLM): a fraction of the
// card, the rest of it filled with KV blocks. Each step follows the engine's source (named at each
// function); the constants come from data/engines.json.
#include <algorithm>
#include <cmath>
#include <string>

#include "engine_detail.hpp"
#include "gpuplan/estimate.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::engine_detail {

namespace {

// The engine's settings for this card: its budget, block size, sequence and batch limits, and the
// fixed terms (weights per rank, non-torch memory, CUDA graphs, the profiling activation peak).
void paged_settings(const Scenario& s, EngineMemory& m) {
  const EngineSpec& spec = s.engine_spec;
  const EngineSettings& set = s.engine;
  const ModelArch& a = s.arch;
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
  m.weights_bytes = engine_weights_per_rank(s, m.tp);
  m.non_torch_bytes = spec.non_torch_bytes + (m.tp > 1 ? spec.nccl_bytes : 0.0);
  m.cuda_graph_bytes = set.enforce_eager ? 0.0 : spec.cuda_graph_bytes;
  const double act_bytes = std::max(1.0, s.precision.compute_bytes);
  m.activation_peak_bytes = m.max_num_batched_tokens * profile_bytes_per_token(a, act_bytes, m.tp) +
                            m.max_num_seqs * a.vocab_size * spec.sampler_bytes_per_logit;
}

// The bytes left for the KV cache under the engine's budget rule (may be negative).
double kv_available_bytes(BudgetRule rule, EngineMemory& m) {
  switch (rule) {
    case BudgetRule::total_fraction:
      return m.budget_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes;
    case BudgetRule::static_fraction:  // activations and graphs live in the 1 - fraction left over
      return m.budget_bytes - m.weights_bytes - m.non_torch_bytes;
    case BudgetRule::free_fraction: {
      const double kv =
          (m.visible_bytes - m.weights_bytes - m.activation_peak_bytes - m.non_torch_bytes) * m.memory_fraction;
      m.budget_bytes = m.weights_bytes + m.activation_peak_bytes + m.non_torch_bytes + positive(kv);
      return kv;
    }
  }
  return 0;
}

// Layer slots a token takes in the pool. vLLM V1 groups layers of each attention type into groups
// of equal size (the smallest type's layer count), padding the last group of a type, and every
// group holds the same number of blocks: a token costs a block slot in every group
// (vllm/v1/core/kv_cache_utils.py _get_kv_cache_config_uniform_page_size, "Add N padding layers").
// Other engines and full attention: every attention layer.
double kv_layer_slots(const Scenario& s, EngineMemory& m) {
  const ModelArch& a = s.arch;
  double slots = attention_layers(a);
  if (s.engine_spec.error_style != ErrorStyle::v1 || a.sliding_window <= 0) return slots;
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
  return slots;
}

// What the pool holds: blocks, tokens, concurrent sequences at max_model_len, the longest sequence.
struct PoolSize {
  double seq_bytes = 0;        // one sequence at max_model_len
  double max_len_fitting = 0;  // the longest sequence the pool holds
};
PoolSize size_pool(double slot_token_bytes, EngineMemory& m) {
  PoolSize p;
  m.block_bytes = m.block_size * slot_token_bytes;
  p.seq_bytes = m.max_model_len * slot_token_bytes + m.state_bytes_per_sequence;
  if (m.block_bytes > 0) {
    const double state_total = m.state_bytes_per_sequence * m.max_num_seqs;  // recurrent slots, one per sequence
    m.kv_cache_blocks = std::floor(positive(m.kv_cache_bytes - state_total) / m.block_bytes);
    m.kv_cache_tokens = m.kv_cache_blocks * m.block_size;
  }
  if (p.seq_bytes > 0) m.max_concurrency = m.kv_cache_bytes / p.seq_bytes;
  if (slot_token_bytes > 0 && m.state_bytes_per_sequence <= 0) m.max_concurrency = m.kv_cache_tokens / m.max_model_len;
  p.max_len_fitting =
      slot_token_bytes > 0 ? std::floor(positive(m.kv_cache_bytes - m.state_bytes_per_sequence) / slot_token_bytes) : 0;
  m.longest_sequence = p.max_len_fitting;
  return p;
}

// The engine's verdict in its own words ("" when it starts).
std::string paged_error(ErrorStyle style, const EngineMemory& m, const PoolSize& pool) {
  if (m.weights_bytes > m.visible_bytes) {
    return "torch.OutOfMemoryError: CUDA out of memory while loading the weights (" + format_gib(m.weights_bytes) +
           " per GPU on a " + format_gib(m.visible_bytes) + " card)";
  }
  if (m.kv_cache_bytes <= 0 || (m.block_bytes > 0 && m.kv_cache_blocks < 1)) {
    if (style == ErrorStyle::sglang)
      return "RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.";
    return "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` "
           "when initializing the engine.";
  }
  if (m.max_concurrency >= 1) return {};
  if (style == ErrorStyle::v0) {
    return "ValueError: The model's max seq len (" + format_whole(m.max_model_len) +
           ") is larger than the maximum number of tokens that can be stored in KV cache (" +
           format_whole(m.kv_cache_tokens) +
           "). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the "
           "engine.";
  }
  if (style == ErrorStyle::v1) {
    return "ValueError: To serve at least one request with the models's max seq len (" + format_whole(m.max_model_len) +
           "), (" + format_gib(pool.seq_bytes) +
           " KV cache is needed, which is larger than the available KV cache memory (" + format_gib(m.kv_cache_bytes) +
           "). Based on the available memory, the estimated maximum model length is " +
           format_whole(pool.max_len_fitting) +
           ". Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.";
  }
  return "max_model_len " + format_whole(m.max_model_len) + " exceeds the KV cache capacity of " +
         format_whole(pool.max_len_fitting) + " tokens";
}

// What the estimate leaves out or the engine may still trip on.
void paged_notes(const Scenario& s, EngineMemory& m) {
  const EngineSpec& spec = s.engine_spec;
  const ModelArch& a = s.arch;
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
}

// One device per tensor-parallel rank, each holding the same share.
void paged_devices(const ModelArch& a, EngineMemory& m) {
  const double vram = m.weights_bytes + m.non_torch_bytes + m.activation_peak_bytes;
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
}

}  // namespace

// vLLM vllm/v1/worker/gpu_worker.py determine_available_memory (V0: vllm/worker/worker.py
// determine_num_available_blocks); SGLang python/sglang/srt/model_executor/model_runner.py
// profile_max_num_token; TensorRT-LLM KvCacheConfig.free_gpu_memory_fraction.
EngineMemory paged_memory(const Scenario& s) {
  const ModelArch& a = s.arch;
  EngineMemory m;
  paged_settings(s, m);
  // KV bytes per token over the attention layers of one rank, and the fixed state per sequence.
  const KvWidth w = kv_width_per_rank(a, m.tp);
  const double per_layer_token = w.k * s.engine.type_k_bytes + w.v * s.engine.type_v_bytes;
  const double act_bytes = std::max(1.0, s.precision.compute_bytes);
  m.kv_bytes_per_token = attention_layers(a) * per_layer_token;
  m.state_bytes_per_sequence =
      num_recurrent_layers(a) * recurrent_state_elements_per_layer(a) * act_bytes / m.tp;  // model dtype (vLLM "auto")
  m.kv_cache_bytes = positive(kv_available_bytes(s.engine_spec.budget, m));
  const PoolSize pool = size_pool(kv_layer_slots(s, m) * per_layer_token, m);
  m.error = paged_error(s.engine_spec.error_style, m, pool);
  m.fits = m.error.empty();
  paged_notes(s, m);
  paged_devices(a, m);
  return m;
}

}  // namespace gpuplan::engine_detail
