// Engine-faithful memory: what vLLM, SGLang, TensorRT-LLM, llama.cpp, Ollama and transformers
// actually allocate, in each engine's own terms (KV blocks and concurrency for the paged
// engines; n_gpu_layers, model/KV/compute buffers per device for llama.cpp). The constants are
// data (data/engines.json), each with the engine file and versions it follows.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/codes.hpp"

namespace gpuplan {

struct Scenario;

enum class EngineFamily {
  none,      // the generic model of memory.hpp
  paged,     // vLLM, SGLang, TensorRT-LLM: a fraction of the card, the rest of it filled with KV blocks
  llamacpp,  // llama.cpp, Ollama: model buffers per device, KV for n_ctx, compute buffers
  eager      // transformers: weights + a KV cache that grows + the forward pass workspace
};
const char* to_string(EngineFamily family);

// How the memory budget of a paged engine is taken.
enum class BudgetRule {
  total_fraction,   // vLLM: total x gpu_memory_utilization holds weights, activations, non-torch and KV
  static_fraction,  // SGLang: total x mem_fraction_static holds weights and KV; activations live outside
  free_fraction     // TensorRT-LLM: KV = fraction x (memory free after weights and activations)
};

// One engine's constants (data/engines.json).
struct EngineSpec {
  std::string id;    // vllm, vllm-v0, sglang, tensorrt-llm, llama.cpp, ollama, transformers
  std::string name;  // display name
  EngineFamily family = EngineFamily::none;
  std::string versions;  // engine versions these constants follow
  std::string source;    // engine source files the arithmetic follows
  std::string as_of;
  std::vector<std::string> aliases;
  // Paged engines
  BudgetRule budget = BudgetRule::total_fraction;
  double memory_fraction = 0.9;          // gpu_memory_utilization / mem_fraction_static / free_gpu_memory_fraction
  std::vector<double> fraction_by_tp;    // SGLang: default fraction for tp = 1, 2, 4, 8, 16 (empty: memory_fraction)
  double block_size = 16;                // tokens per KV block (page)
  double non_torch_bytes = 0;            // CUDA context, cuBLAS/NCCL workspaces outside the torch allocator, per GPU
  double nccl_bytes = 0;                 // extra per GPU when tp > 1
  double max_num_seqs = 256;             // sequences in the profiling (dummy) batch
  double max_num_batched_tokens = 8192;  // tokens in the profiling batch; 0 = max(max_model_len, 2048) (V0)
  double large_card_bytes = 0;           // vLLM V1: cards at least this large get the _large defaults (0: none)
  double max_num_seqs_large = 0;
  double max_num_batched_tokens_large = 0;
  double sampler_bytes_per_logit = 0;       // sampler workspace per max_num_seqs x vocab logit (fitted, see data)
  double cuda_graph_bytes = 0;              // captured CUDA graphs, taken after the KV pool (outside the budget)
  double cuda_reserved_fraction = 0;        // memory the driver keeps: CUDA total = nominal x (1 - this)
  ErrorStyle error_style = ErrorStyle::v1;  // the wording of the "does not fit" error
  // llama.cpp family
  double default_ctx = 4096;          // n_ctx when none is given (0: the model's own length)
  bool context_per_sequence = false;  // the context asked is per parallel sequence (Ollama num_ctx), not shared
  bool picks_layers = false;          // the engine offloads the layers that fit itself (Ollama), no flag needed
  double n_batch = 2048;
  double n_ubatch = 512;
  double n_parallel = 1;
  bool flash_attention = true;   // default flash-attention setting
  double ctx_pad_flash = 256;    // n_ctx padding with flash attention
  double ctx_pad = 32;           // without
  double gpu_minimum_bytes = 0;  // Ollama: memory kept free per GPU when it picks layers
  double context_bytes = 0;      // CUDA/Metal context per device outside the engine's buffers
  bool auto_layers = false;      // Ollama: offloads as many layers as fit
  // Eager (transformers)
  double overhead_bytes = 0;
};

enum class SplitMode { layer, row, none };

// What a person asked for, in the engine's own option names (0 / -1: the engine default).
struct EngineSettings {
  double visible_bytes = 0;            // memory CUDA reports on this card (engine logs); 0: nominal x (1 - reserved)
  double memory_fraction = -1;         // --gpu-memory-utilization / --mem-fraction-static
  double block_size = 0;               // --block-size
  double max_model_len = 0;            // --max-model-len (paged) / --ctx (llama.cpp: n_ctx over all sequences)
  double max_num_seqs = 0;             // --max-num-seqs
  double max_num_batched_tokens = 0;   // --max-num-batched-tokens
  double tp = 1;                       // --tensor-parallel-size / --gpus (llama.cpp: devices)
  bool enforce_eager = false;          // no CUDA graphs
  double n_seq = 0;                    // --parallel (llama.cpp n_seq_max)
  double n_gpu_layers = -1;            // --n-gpu-layers; <0: all (llama.cpp) or as many as fit (Ollama)
  bool search_layers = true;           // also find the largest n_gpu_layers that fits (false: the verdict only)
  double n_batch = 0, n_ubatch = 0;    // --batch-size, --ubatch-size
  int flash_attention = -1;            // --flash-attn on/off; -1: the engine default
  SplitMode split = SplitMode::layer;  // --split-mode
  std::string type_k = "f16", type_v = "f16";  // --cache-type-k / --cache-type-v (paged: --kv-cache-dtype)
  double type_k_bytes = 2, type_v_bytes = 2;
};

struct EngineDevice {
  std::string name;  // CUDA0, Metal, CPU
  bool host = false;
  double layers = 0;          // repeating layers whose weights live here
  double weights_bytes = 0;   // model buffer
  double kv_cache_bytes = 0;  // KV self (+ recurrent state) of the layers here
  double compute_buffer_bytes = 0;
  double other_bytes = 0;  // context, output buffer
  double total_bytes = 0;
  double capacity_bytes = 0;  // 0 for host RAM
};

struct EngineMemory {
  std::string engine;  // spec id
  EngineFamily family = EngineFamily::none;
  bool fits = false;
  std::string error;  // what the engine would say when it does not fit
  std::vector<std::string> notes;
  // Per GPU (rank 0)
  double visible_bytes = 0;  // memory the engine sees (after the driver's reservation)
  double memory_fraction = 0;
  double budget_bytes = 0;  // visible x fraction
  double weights_bytes = 0;
  double non_torch_bytes = 0;
  double activation_peak_bytes = 0;
  double cuda_graph_bytes = 0;
  double kv_cache_bytes = 0;
  double kv_cache_tokens = 0;
  double kv_cache_blocks = 0;
  double block_size = 0;
  double block_bytes = 0;               // one block (page) over all layers, per GPU
  double kv_bytes_per_token = 0;        // per GPU, all layers
  double state_bytes_per_sequence = 0;  // recurrent state (SSM / linear attention), per GPU
  double max_model_len = 0;
  double max_num_seqs = 0;
  double max_num_batched_tokens = 0;
  double max_concurrency = 0;   // sequences of max_model_len tokens the KV pool holds at once
  double longest_sequence = 0;  // the longest single sequence the KV pool holds (paged engines)
  double tp = 1;
  // llama.cpp family
  double n_ctx = 0;
  double n_seq = 1;
  double n_ubatch = 0;
  bool flash_attention = false;
  double gpu_layers = 0;  // repeating layers on GPUs
  double total_layers = 0;
  bool output_on_gpu = false;
  double compute_buffer_bytes = 0;  // largest GPU compute buffer
  double host_compute_buffer_bytes = 0;
  double output_buffer_bytes = 0;
  double max_gpu_layers_that_fit = 0;  // llama.cpp: the largest n_gpu_layers that fits
  std::vector<EngineDevice> devices;
  double vram_bytes = 0;  // sum over GPUs
  double ram_bytes = 0;   // host
};

// Memory the driver leaves to CUDA on a card of `nominal_bytes` (what torch.cuda.mem_get_info reports).
double cuda_visible_bytes(const EngineSpec& spec, double nominal_bytes);

// The engine's memory plan for a scenario (its arch, precision, measured weights, GPU memory,
// gpus and engine settings). Never NaN or negative; `fits` false with `error` when it would fail.
EngineMemory engine_memory(const Scenario& s);

// llama.cpp family with `n_gpu_layers` fixed: the largest n_ctx (in total, over n_seq sequences,
// up to ctx_upper) and the most sequences of ctx_per_seq tokens (up to seq_upper) that fit. The
// layer placement is priced once, so the searches cost O(devices) per step.
struct LlamaLimits {
  double max_ctx = 0;
  double max_seqs = 0;
};
LlamaLimits llama_limits(const Scenario& s, double n_gpu_layers, double ctx_upper, double n_seq, double ctx_per_seq,
                         double seq_upper);

// transformers (eager family) as the generic model: the whole prompt in one pass, the engine's overhead.
Scenario eager_as_generic(const Scenario& s);

// Default fraction of the card for a paged engine at `tp` ranks.
double default_memory_fraction(const EngineSpec& spec, double tp);

}  // namespace gpuplan
