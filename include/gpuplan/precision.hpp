// Precision: number formats and their true storage cost.
//  - plain floats and integers (FP32, BF16/FP16, FP8, INT8)
//  - group-quantised formats whose scales cost extra bits (GPTQ/AWQ INT4, NF4 with and
//    without double quantisation, MXFP4)
//  - llama.cpp GGUF block types (Q2_K ... Q8_0, IQ types) and file-type mixes such as
//    Q4_K_M, where llama.cpp gives some tensors more bits than others.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/model.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan {

// A ggml block type: `block_size` weights stored in `type_size` bytes (ggml-common.h).
struct GgmlType {
  std::string_view name;
  int block_size;
  int type_size;
  [[nodiscard]] double bits_per_weight() const { return 8.0 * type_size / block_size; }
};

// Every ggml type gpuplan knows, with llama.cpp's block definitions.
const std::vector<GgmlType>& ggml_types();
const GgmlType* find_ggml_type(std::string_view name);

enum class QuantKind {
  floating,  // every tensor in one float format
  grouped,   // linear weights at `linear_bits` (incl. group scales); embeddings, LM head and 1-D at 16 bit
  experts,   // routed experts at `linear_bits`, everything else at 16 bit (MXFP4 MoE checkpoints)
  gguf_mix   // llama.cpp file type: per-tensor types from llama.cpp's quantisation rules
};

struct Precision {
  std::string name;  // canonical lowercase name, e.g. "bf16", "q4_k_m", "gptq-int4"
  std::string description;
  QuantKind kind = QuantKind::floating;
  double linear_bits = 16;     // storage bits per weight of 2-D linear weights, scales included
  double embed_bits = 16;      // token embeddings
  double vector_bits = 32;     // norms and biases
  std::string_view base_type;  // gguf_mix: the default ggml type
  std::string quality;         // a one-line note on the quality cost
  double compute_bytes = 2;    // bytes per activation element at compute time (fp16/bf16 = 2, fp32 = 4)
};

// All precision names accepted by --quant, in a stable order (high to low bits).
const std::vector<Precision>& precisions();
// Finds a precision by name or alias (case-insensitive; "fp16"="f16", "q4km"="q4_k_m", "int4"="gptq-int4").
Result<Precision> find_precision(std::string_view name);

// Bytes of every weight of `arch` stored in `p`, tensor by tensor (MTP modules excluded).
double weights_bytes(const ModelArch& arch, const Precision& p);

struct WeightBytes {
  double total = 0;
  double token_embedding = 0;  // input embedding (+ position) table: gathered, not read whole, per token
  double routed_experts = 0;   // MoE routed experts: only the chosen ones are read per token
  double vision = 0;           // vision tower: not used by text decoding
};
WeightBytes weight_bytes_breakdown(const ModelArch& arch, const Precision& p);

// Weights grouped the way llama.cpp places them on devices: the token (+ position) embedding
// (kept in host memory), each repeating layer, and the output head with the final norm (a tied
// head is the embedding; llama.cpp then still loads it as the output tensor). Vision towers
// (separate mmproj files for llama.cpp) are left out.
struct LayerWeightBytes {
  double token_embedding = 0;
  double output = 0;
  double tied_copy = 0;  // part of `output`: the copy of a tied embedding (not a tensor of the file)
  std::vector<double> layers;
};
LayerWeightBytes layer_weight_bytes(const ModelArch& arch, const Precision& p);

// KV-cache element formats (--kv-dtype): f32, f16/bf16, fp8, q8_0, q4_0 ...; bytes per element.
Result<double> kv_bytes_per_element(std::string_view name);

}  // namespace gpuplan
