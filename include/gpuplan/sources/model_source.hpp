// Where a model comes from. Every command that takes a model takes one spec:
//   llama-3.1-8b                      a catalog name or alias (data/models.json)
//   ./Meta-Llama-3.1-8B/              a folder: config.json + *.safetensors (or an index)
//   ./config.json   ./model.safetensors   ./Qwen3-30B-A3B-Q4_K_M.gguf
//   hf:org/name[@revision]            the Hugging Face Hub over HTTPS (config.json, index, headers)
//   hf:org/name[@revision]/file.gguf  one GGUF file on the Hub
//   file:name                         a local path that is never read as a catalog name
// A bare name is looked up in the catalog before the file system, so a file in the working folder
// named like a catalog model does not shadow it (write ./name for the file).
// Only headers are read (seek + bounded reads locally, HTTP Range requests on the Hub); tensor data
// never is. Hub responses are cached on disk; offline mode reads only the cache.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "gpuplan/catalog.hpp"
#include "gpuplan/io/hf_config.hpp"
#include "gpuplan/io/tensor_summary.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::sources {

struct SourceOptions {
  bool offline = false;                             // HF_HUB_OFFLINE=1 or --offline: the cache only
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT
  std::string token;                                // HF_TOKEN (sent as a Bearer token to the endpoint only)
  std::string cache_dir;                            // $XDG_CACHE_HOME/gpuplan/hub or ~/.cache/gpuplan/hub; empty: none
  std::string ca_file;                              // extra trusted CA bundle (REQUESTS_CA_BUNDLE / SSL_CERT_FILE)
  bool verify_tls = true;
  int connect_timeout_s = 10;
  int read_timeout_s = 30;
  // false (a server): specs may name the catalog or the Hub only; a local path is an error.
  bool allow_local_paths = true;
  // Filled by the face (the CLI reads the environment once: apps/cli source_options_from_environment);
  // nothing below the faces reads the environment.
};

struct LoadedModel {
  Model model;
  std::string kind;          // catalog | config | safetensors | gguf
  std::string location;      // the path or hf:org/name@revision that was read
  std::string model_type;    // config.json model_type or general.architecture
  std::string architecture;  // architectures[0] of config.json
  std::string torch_dtype;
  std::string precision;  // the stored format as a --quant name ("bf16", "q4_k_m", "gptq-int4"); empty: unknown
  io::QuantizationConfig quantization;
  bool has_architecture = true;   // false: tensors only (a .safetensors file without config.json)
  bool has_tensors = false;       // tensor table read: `tensors` is exact
  bool tensors_as_loaded = true;  // false: runtimes convert the stored tensors (e.g. F32 files of a bfloat16 model)
  io::TensorSummary tensors;
  std::size_t files = 0;  // weight files whose headers were read
  std::vector<std::string> warnings;
};

// True when the spec names a file, a folder or the Hub rather than a catalog entry.
bool is_model_file_spec(const std::string& spec);

// The catalog model a spec names, in load_model_source's order (hf: and explicit paths first);
// nullptr when the spec is not a catalog name. Lets a caller skip building a LoadedModel.
const Model* catalog_entry(const std::string& spec, const Catalog& catalog);

Result<LoadedModel> load_model_source(const std::string& spec, const Catalog& catalog, const SourceOptions& options);

}  // namespace gpuplan::sources
