// Views of one `inspect` result: what a model spec says (architecture, parameters, tensors by
// dtype, KV-cache bytes per token, the stored format, what was guessed) as a text report and a
// JSON document (gpuplan-inspect/2, schemas/inspect.schema.json).
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/io/hf_config.hpp"
#include "gpuplan/io/tensor_summary.hpp"
#include "gpuplan/model.hpp"

namespace gpuplan::io {

// What was read: the built-in catalog, a config.json alone, a config.json with safetensors
// headers (or safetensors headers alone), a GGUF header.
enum class ModelSourceKind { catalog, config, safetensors, gguf };
const char* to_string(ModelSourceKind kind);  // "catalog", "config", "safetensors", "gguf"
std::optional<ModelSourceKind> parse_model_source_kind(std::string_view text);

// Everything `inspect` reports, with the figures derived from the architecture already computed.
struct InspectReport {
  Model model;  // model.arch is meaningful only with `params`
  ModelSourceKind kind = ModelSourceKind::catalog;
  std::string location;                               // the path or hf:org/name@revision that was read
  std::size_t files = 0;                              // weight files whose headers were read
  std::string model_type, architecture, torch_dtype;  // as the config (or GGUF metadata) says
  std::string precision;                              // the stored format as a --quant name; empty: unknown
  QuantizationConfig quantization;
  std::optional<ParamCounts> params;     // from the architecture; empty: no architecture (tensors only)
  std::optional<TensorSummary> tensors;  // empty: no tensor table was read
  std::string kv_dtype;                  // the KV-cache type the bytes per token are priced in
  double kv_cache_bytes_per_token = 0;   // one token, every attention layer
  std::vector<std::string> warnings;
};

std::string inspect_table(const InspectReport& r);
nlohmann::ordered_json inspect_json(const InspectReport& r);  // gpuplan-inspect/2, counts and bytes as integers

}  // namespace gpuplan::io
