#include "gpuplan/io/tensor_summary.hpp"

#include <algorithm>
#include <cmath>

namespace gpuplan::io {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}
bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Quantisation side tensors of AutoGPTQ/AutoAWQ, bitsandbytes, FP8 (DeepSeek, compressed-tensors,
// ModelOpt), MXFP4 (gpt-oss) and KV-cache scales.
constexpr std::string_view kAuxSuffixes[] = {".qzeros",
                                             ".scales",
                                             ".g_idx",
                                             ".absmax",
                                             ".quant_map",
                                             ".nested_absmax",
                                             ".nested_quant_map",
                                             ".SCB",
                                             ".weight_format",
                                             ".weight_scale",
                                             ".weight_scale_inv",
                                             ".input_scale",
                                             ".weight_zero_point",
                                             ".weight_shape",
                                             ".weight_global_scale",
                                             ".input_global_scale",
                                             "_scales",
                                             ".k_scale",
                                             ".v_scale",
                                             ".output_scale"};

}  // namespace

bool is_token_embedding_name(std::string_view n) {
  if (contains(n, "layernorm") || contains(n, "_norm") || contains(n, ".ln")) return false;
  return contains(n, "embed_tokens.") || contains(n, ".wte.") || starts_with(n, "wte.") || contains(n, ".wpe.") ||
         starts_with(n, "wpe.") || contains(n, "word_embeddings.") || contains(n, "embed_in.") ||
         contains(n, "embed_positions.") || starts_with(n, "token_embd.") || starts_with(n, "position_embd.") ||
         contains(n, "tok_embeddings.");
}

bool is_routed_expert_name(std::string_view n) {
  if (contains(n, "shared_expert") || contains(n, "_shexp")) return false;
  return contains(n, ".experts.") || contains(n, "_exps.");
}

bool is_vision_name(std::string_view n) {
  return contains(n, "vision_tower") || contains(n, "vision_model") || starts_with(n, "visual.") ||
         contains(n, ".visual.") || contains(n, "multi_modal_projector") || contains(n, "mm_projector") ||
         contains(n, "vision_encoder") || contains(n, "img_processor") || contains(n, "vision_embed");
}

TensorKind tensor_kind(std::string_view n, std::string_view dtype, bool bnb_4bit) {
  if (contains(n, ".quant_state.")) return TensorKind::quant_aux;
  for (std::string_view s : kAuxSuffixes) {
    if (ends_with(n, s)) return TensorKind::quant_aux;
  }
  if (ends_with(n, "rotary_emb.inv_freq") || ends_with(n, ".masked_bias")) return TensorKind::buffer;
  if (ends_with(n, ".qweight") || ends_with(n, ".weight_packed")) return TensorKind::packed;
  if (ends_with(n, "_blocks") && dtype == "U8") return TensorKind::packed;
  if (bnb_4bit && dtype == "U8" && ends_with(n, ".weight")) return TensorKind::packed;
  return TensorKind::weight;
}

TensorSummary summarize_tensors(const std::vector<TensorEntry>& tensors, double packed_bits) {
  TensorSummary s;
  bool bnb4 = false, bnb8 = false, qweight = false, g_idx = false, fp8 = false, mxfp4 = false, packed = false;
  for (const auto& t : tensors) {
    bnb4 = bnb4 || contains(t.name, ".quant_state.") || ends_with(t.name, ".absmax");
    bnb8 = bnb8 || ends_with(t.name, ".SCB");
    qweight = qweight || ends_with(t.name, ".qweight");
    g_idx = g_idx || ends_with(t.name, ".g_idx");
    fp8 = fp8 || t.dtype == "F8_E4M3" || t.dtype == "F8_E5M2";
    mxfp4 = mxfp4 || (ends_with(t.name, "_blocks") && t.dtype == "U8");
    packed = packed || ends_with(t.name, ".weight_packed");
  }
  if (!(packed_bits > 0 && packed_bits <= 32)) packed_bits = 4;
  for (const auto& t : tensors) {
    s.tensors += 1;
    s.stored_elements += t.elements;
    s.bytes += t.bytes;
    auto it =
        std::find_if(s.by_dtype.begin(), s.by_dtype.end(), [&](const DtypeStats& d) { return d.dtype == t.dtype; });
    if (it == s.by_dtype.end()) {
      s.by_dtype.push_back(DtypeStats{t.dtype, 0, 0, 0});
      it = s.by_dtype.end() - 1;
    }
    it->tensors += 1;
    it->elements += t.elements;
    it->bytes += t.bytes;

    double params = 0;
    switch (tensor_kind(t.name, t.dtype, bnb4)) {
      case TensorKind::weight: params = t.elements; break;
      case TensorKind::packed:
        if (t.dtype == "U8") {
          params = t.elements * 2;  // two 4-bit values per byte (MXFP4 blocks, bitsandbytes NF4/FP4)
        } else {
          const double element_bits = t.dtype == "I64" ? 64 : t.dtype == "I16" ? 16 : t.dtype == "I8" ? 8 : 32;
          params = t.elements * std::floor(element_bits / packed_bits);
        }
        break;
      case TensorKind::quant_aux:
      case TensorKind::buffer: s.aux_elements += t.elements; break;
    }
    s.params += params;
    const bool expert = is_routed_expert_name(t.name);
    if (expert) s.routed_expert_params += params;
    s.weights.total += t.bytes;
    if (expert) s.weights.routed_experts += t.bytes;
    if (is_token_embedding_name(t.name)) s.weights.token_embedding += t.bytes;
    if (is_vision_name(t.name)) s.weights.vision += t.bytes;
  }
  std::stable_sort(s.by_dtype.begin(), s.by_dtype.end(),
                   [](const DtypeStats& a, const DtypeStats& b) { return a.bytes > b.bytes; });
  if (bnb4)
    s.quantization = "bitsandbytes-4bit";
  else if (bnb8)
    s.quantization = "bitsandbytes-8bit";
  else if (qweight)
    s.quantization = g_idx ? "gptq" : "gptq/awq";
  else if (packed)
    s.quantization = "compressed-tensors";
  else if (mxfp4)
    s.quantization = "mxfp4";
  else if (fp8)
    s.quantization = "fp8";
  return s;
}

}  // namespace gpuplan::io
