// Turns the strings a person typed into a validated Scenario, or a one-line error.
#pragma once
#include <optional>
#include <string>

#include <memory>

#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan::cli {

struct FitOptions {
  std::string model;
  std::string params;
  std::string gpu;
  std::string gpus = "1";
  std::string gpu_memory;
  std::string quant;
  std::string context;
  std::string batch;
  std::string mode = "inference";
  std::string kv_dtype = "f16";
  bool no_flash_attention = false;
  std::string optimizer;
  std::string recompute;
  bool offload_optimizer = false;
  bool optimizer_in_backward = false;
  bool no_master_weights = false;
  std::string lora_rank = "16";
  std::string lora_targets = "all";
  std::string overhead;
  std::string ubatch;  // empty: 512 (llama.cpp n_ubatch default)
  std::string loss_chunks = "1";
  bool json = false;
  // Engine-faithful memory (--runtime), in the engines' own option names; empty = engine default.
  std::string runtime;
  std::string memory_fraction;  // --gpu-memory-utilization / --mem-fraction-static / --kv-cache-free-gpu-mem-fraction
  std::string block_size;
  std::string max_num_seqs;
  std::string max_num_batched_tokens;
  std::string tensor_parallel_size;
  bool enforce_eager = false;
  std::string n_gpu_layers;
  std::string n_batch;           // --batch-size (llama.cpp n_batch)
  std::string parallel;          // --parallel (llama.cpp n_seq_max)
  std::string flash_attn;        // on | off | auto
  std::string split_mode;        // layer | row | none
  std::string cache_type_k, cache_type_v;
};

struct Resolved {
  Model model;
  bool architecture_assumed = false;
  std::string model_kind = "catalog";  // catalog | config | safetensors | gguf (sources::LoadedModel::kind)
  bool weights_measured = false;       // weights bytes read off the file's tensor table
  Gpu gpu;
  Scenario scenario;
  std::string warning;  // printed to stderr, e.g. a context longer than the model's
};

Result<Resolved> resolve_fit(const Catalog& catalog, const FitOptions& options);
Result<Mode> parse_mode(const std::string& text);
// A whole number as plain digits ("32768"), for passing computed values through FitOptions.
std::string fmt_count(double value);

// Reads the built-in catalog plus optional user files (paths); errors name the file.
Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file);

// What a command runs against: the catalog (on the heap, so the context's pointer stays valid
// when this is moved) and the source settings from the environment and --offline.
struct CliContext {
  std::shared_ptr<Catalog> catalog;
  api::Context context;
};
Result<CliContext> make_context(const GlobalOptions& global);

}  // namespace gpuplan::cli
