// What the tensor table of a checkpoint says, whatever the container (safetensors or GGUF):
// tensors by dtype, exact stored bytes, logical parameters (packed 4-bit weights unpacked,
// quantisation scales / zeros / indices and buffers left out), and the bytes that matter to the
// speed model (token embedding, routed experts, vision tower), told apart by tensor name.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/precision.hpp"

namespace gpuplan::io {

struct TensorEntry {
  std::string name;
  std::string dtype;                 // safetensors dtype ("BF16", "I32", "F8_E4M3") or ggml type ("Q4_K")
  std::vector<std::uint64_t> shape;  // as stored: safetensors row-major, GGUF ne[0] first
  double elements = 0;               // stored elements
  double bytes = 0;                  // stored bytes
};

struct DtypeStats {
  std::string dtype;
  double tensors = 0;
  double elements = 0;
  double bytes = 0;
};

// What a tensor is for, from its name (HF transformers names and llama.cpp GGUF names).
enum class TensorKind {
  weight,     // a parameter stored as is
  packed,     // a parameter packed several to an element (GPTQ/AWQ qweight, MXFP4 blocks, bnb 4-bit)
  quant_aux,  // scales, zero points, group indices, absmax, quant maps: storage, not parameters
  buffer      // rotary inv_freq, causal masks: neither
};

struct TensorSummary {
  std::vector<DtypeStats> by_dtype;  // largest bytes first
  double tensors = 0;
  double stored_elements = 0;
  double bytes = 0;   // every tensor, scales included: what loading the file costs
  double params = 0;  // logical parameters
  double routed_expert_params = 0;
  double aux_elements = 0;   // quantisation metadata and buffers
  WeightBytes weights;       // `bytes` split for the speed model
  std::string quantization;  // detected from the tensors: gptq/awq, bitsandbytes-4bit, fp8, mxfp4, ...
};

TensorKind tensor_kind(std::string_view name, std::string_view dtype, bool bnb_4bit);
bool is_token_embedding_name(std::string_view name);
bool is_routed_expert_name(std::string_view name);
bool is_vision_name(std::string_view name);

// `packed_bits`: bits per packed weight for I32 qweight / weight_packed tensors (GPTQ/AWQ: from
// quantization_config, 4 when unknown).
TensorSummary summarize_tensors(const std::vector<TensorEntry>& tensors, double packed_bits = 4);

}  // namespace gpuplan::io
