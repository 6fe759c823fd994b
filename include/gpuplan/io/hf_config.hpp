// Hugging Face config.json -> ModelArch. Each architecture family maps its keys onto gpuplan's
// architecture fields the way data/models.json records them, with transformers' defaults for the
// keys a config leaves out (e.g. google/gemma-3-4b-it names only four text fields). Multimodal
// configs are read through their text_config; a SigLIP vision tower is counted exactly. An unknown
// model_type is read from the common keys as a Llama-style decoder, and the warnings say which
// fields were guessed. Untrusted input: size and nesting are bounded, every count is checked.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/model.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io {

inline constexpr std::size_t kMaxConfigBytes = 8u << 20;

struct QuantizationConfig {
  std::string method;     // quant_method: gptq, awq, bitsandbytes, fp8, mxfp4, compressed-tensors, ...
  double bits = 0;        // weight bits when stated
  double group_size = 0;  // elements per scale group when stated
  std::string detail;     // one line: "4-bit, group 128, desc_act", "nf4, double quant", "e4m3, block 128x128"
  std::string precision;  // the gpuplan --quant name it corresponds to, empty when none does
};

struct ParsedConfig {
  ModelArch arch;
  std::string model_type;    // of the text model (gemma3 -> gemma3_text)
  std::string architecture;  // architectures[0]
  std::string torch_dtype;   // torch_dtype or dtype ("bfloat16")
  std::string precision;     // gpuplan --quant name of the stored format: from quantization_config, else torch_dtype
  QuantizationConfig quantization;
  bool known_family = false;
  std::vector<std::string> warnings;
};

Result<ParsedConfig> parse_hf_config(std::string_view json);

// model_type values read exactly (each family's own keys and defaults).
const std::vector<std::string>& hf_model_types();

}  // namespace gpuplan::io
