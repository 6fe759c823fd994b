#include "gpuplan/io/hf_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>

#include "hf_config_reader.hpp"
#include "json_guard.hpp"

namespace gpuplan::io {
namespace {

using namespace detail;

// Every family gpuplan reads, transformers first.
const std::vector<Family>& families() {
  static const std::vector<Family> all = [] {
    std::vector<Family> v = transformer_families();
    const auto& r = recurrent_families();
    v.insert(v.end(), r.begin(), r.end());
    const auto& m = moe_families();
    v.insert(v.end(), m.begin(), m.end());
    return v;
  }();
  return all;
}

// Multimodal wrappers whose language model sits in text_config, and the family to read it as when
// the text_config names none.
std::string text_family_of(const std::string& outer) {
  if (outer == "gemma3") return "gemma3_text";
  if (outer == "mistral3") return "mistral";
  if (outer == "paligemma") return "gemma";
  if (outer == "llava" || outer == "llava_next" || outer == "mllama") return "llama";
  if (outer == "qwen2_vl" || outer == "qwen2_5_vl") return "qwen2";
  if (outer == "kimi_k25") return "deepseek_v3";  // moonshotai/Kimi-K2.5: text_config is DeepseekV3
  if (outer == "qwen3_5_moe") return "qwen3_5_moe_text";
  if (outer == "llama4") return "llama4_text";
  return {};
}

// Unknown model_type: a Llama-style decoder from whatever common keys the config has.
void unknown(Cfg& c, ModelArch& a, const std::string& model_type) {
  a.hidden_size = c.required({"hidden_size", "n_embd", "d_model", "n_embed", "dim"});
  a.num_layers = c.required({"num_hidden_layers", "n_layer", "n_layers", "num_layers"});
  a.num_heads = c.required({"num_attention_heads", "n_head", "n_heads", "num_heads"});
  a.vocab_size = c.required({"vocab_size", "padded_vocab_size"});
  a.num_kv_heads = c.guess({"num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num"}, a.num_heads,
                           "num_key_value_heads (= num_attention_heads)");
  a.head_dim = c.guess({"head_dim", "kv_channels"}, std::floor(a.hidden_size / std::max(1.0, a.num_heads)),
                       "head_dim (= hidden_size / num_attention_heads)");
  a.intermediate_size = c.guess({"intermediate_size", "ffn_dim", "ffn_hidden_size", "n_inner"}, 4 * a.hidden_size,
                                "intermediate_size (= 4 x hidden_size)");
  a.context_length =
      c.guess({"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length"}, 0,
              "max_position_embeddings (unknown)");
  if (!c.has("tie_word_embeddings")) c.guessed.push_back("tie_word_embeddings (= false)");
  a.tie_word_embeddings = c.flag({"tie_word_embeddings"}, false);
  a.qkv_bias = a.o_bias = c.flag({"attention_bias", "bias", "use_bias"}, false);
  a.mlp_bias = c.flag({"mlp_bias"}, false);
  const double experts = c.count_or({"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"}, 0);
  if (experts > 0) {
    a.num_experts = experts;
    a.experts_per_token =
        c.guess({"num_experts_per_tok", "moe_top_k", "top_k"}, std::min(2.0, experts), "num_experts_per_tok (= 2)");
    a.moe_intermediate_size =
        c.guess({"moe_intermediate_size"}, a.intermediate_size, "moe_intermediate_size (= intermediate_size)");
  }
  for (const char* hybrid : {"falcon_h1", "nemotron_h", "zamba", "zamba2", "bamba", "granitemoehybrid", "plamo2",
                             "lfm2", "minimax", "rwkv", "rwkv7", "recurrent_gemma", "kimi_linear"}) {
    if (model_type == hybrid) {
      c.warn("model_type '" + model_type + "' has recurrent / state-space layers that gpuplan does not model: " +
             "they are counted as attention layers, so parameters and the KV cache are rough");
    }
  }
  std::string list;
  for (const auto& g : c.guessed) list += (list.empty() ? "" : "; ") + g;
  c.warn("model_type '" + model_type.substr(0, 64) +
         "' is not one gpuplan knows: read as a Llama-style decoder (RMSNorm x2 per layer, gated MLP" +
         std::string(a.qkv_bias ? ", attention biases" : ", no biases") + ")" +
         (list.empty() ? "" : "; guessed: " + list));
}
// SigLIP vision tower (SiglipVisionTransformer) + Gemma 3's projector, exactly.
double siglip_params(Cfg& v, double text_hidden, bool gemma3_projector) {
  const double h = v.count_or({"hidden_size"}, 768);
  const double inter = v.count_or({"intermediate_size"}, 3072);
  const double layers = v.count_or({"num_hidden_layers"}, 12);
  const double channels = v.count_or({"num_channels"}, 3);
  const double image = v.count_or({"image_size"}, 224);
  const double patch = std::max(1.0, v.count_or({"patch_size"}, 16));
  const double patches = std::pow(std::floor(image / patch), 2);
  double p = channels * patch * patch * h + h + patches * h;  // patch conv + bias, position table
  p += layers * (4 * (h * h + h) + 4 * h + (h * inter + inter) + (inter * h + h));
  p += 2 * h;                               // post_layernorm
  if (v.flag({"vision_use_head"}, true)) {  // attention-pooling head
    p += h + (3 * h * h + 3 * h) + (h * h + h) + 2 * h + (h * inter + inter) + (inter * h + h);
  }
  if (gemma3_projector) p += h * text_hidden + h;  // mm_input_projection + mm_soft_emb_norm
  return p;
}
// MoonViT-3D (Kimi K2.5's vision_config) + its patchmerger projector, tensor by tensor as the
// checkpoint stores them: per block wqkv, wo, fc0, fc1 with biases and two LayerNorms; a patch
// conv, a learned (height x width) position table and a final LayerNorm; the projector LayerNorm
// over mm_hidden_size and two linears on the merged patches (mm_hidden_size x the merge kernel).
double moonvit_params(Cfg& v, double text_hidden) {
  const double h = v.count_or({"vt_hidden_size"}, 1152);
  const double inter = v.count_or({"vt_intermediate_size"}, 4304);
  const double layers = v.count_or({"vt_num_hidden_layers"}, 27);
  const double patch = v.count_or({"patch_size"}, 14);
  const double pos = v.count_or({"init_pos_emb_height"}, 64) * v.count_or({"init_pos_emb_width"}, 64);
  const double mm = v.count_or({"mm_hidden_size"}, h);
  double merge = 4;  // merge_kernel_size [2, 2]
  if (const auto k = v.raw().find("merge_kernel_size"); k != v.raw().end() && k->is_array() && k->size() == 2 &&
                                                        (*k)[0].is_number_unsigned() && (*k)[1].is_number_unsigned()) {
    merge = std::min((*k)[0].get<double>() * (*k)[1].get<double>(), 1024.0);
  }
  const double block = (3 * h * h + 3 * h) + (h * h + h) + (inter * h + inter) + (h * inter + h) + 4 * h;
  const double tower = layers * block + (3 * patch * patch * h + h) + pos * h + 2 * h;
  const double in = mm * merge;
  const double projector = 2 * mm + (in * in + in) + (text_hidden * in + text_hidden);
  return tower + projector;
}
std::string precision_of_dtype(const std::string& dtype) {
  if (dtype == "float32") return "fp32";
  if (dtype == "float16") return "fp16";
  if (dtype == "bfloat16") return "bf16";
  return {};
}

}  // namespace

const std::vector<std::string>& hf_model_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : families()) v.emplace_back(f.model_type);
    for (const char* outer : {"gemma3", "mistral3", "paligemma", "llava", "llava_next", "mllama", "qwen2_vl",
                              "qwen2_5_vl", "kimi_k25", "qwen3_5_moe", "llama4"}) {
      v.emplace_back(outer);
    }
    return v;
  }();
  return names;
}

Result<ParsedConfig> parse_hf_config(std::string_view text) {
  auto doc = detail::parse_json_bounded(text, {kMaxConfigBytes, 32, 0, "config.json"});
  if (!doc) return doc.error();
  const json& root = doc.value();
  if (!root.is_object()) return make_error(ErrorCode::parse_error, "config.json must be a JSON object");
  ParsedConfig out;
  auto str = [](const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, 128) : std::string();
  };
  const std::string outer_type = str(root, "model_type");
  if (const auto arch = root.find("architectures");
      arch != root.end() && arch->is_array() && !arch->empty() && (*arch)[0].is_string()) {
    out.architecture = (*arch)[0].get<std::string>().substr(0, 128);
  }
  // The language model: the document itself, or its text_config for multimodal wrappers.
  const json* text_json = &root;
  std::string model_type = outer_type;
  const auto tc = root.find("text_config");
  const bool nested = tc != root.end() && tc->is_object() &&
                      (!text_family_of(outer_type).empty() || root.find("hidden_size") == root.end());
  if (nested) {
    text_json = &*tc;
    model_type = str(*tc, "model_type");
    if (model_type.empty() || model_type == outer_type) model_type = text_family_of(outer_type);
  }
  out.model_type = model_type;
  out.torch_dtype = str(root, "torch_dtype");
  if (out.torch_dtype.empty()) out.torch_dtype = str(root, "dtype");
  if (out.torch_dtype.empty()) out.torch_dtype = str(*text_json, "torch_dtype");

  Cfg c(*text_json, out.warnings);
  ModelArch& a = out.arch;
  const auto fam =
      std::find_if(families().begin(), families().end(), [&](const Family& f) { return model_type == f.model_type; });
  if (fam != families().end()) {
    out.known_family = true;
    fam->read(c, a);
  } else {
    unknown(c, a, model_type.empty() ? std::string("(none)") : model_type);
  }
  if (!c.error().empty()) {
    return make_error(ErrorCode::parse_error, "config.json" + std::string(nested ? " text_config" : "") +
                                                  (model_type.empty() ? std::string() : " (" + model_type + ")") +
                                                  ": " + c.error());
  }
  // Vision tower of multimodal checkpoints.
  if (nested) {
    const auto vc = root.find("vision_config");
    if (vc != root.end() && vc->is_object()) {
      Cfg v(*vc, out.warnings);
      const std::string vtype = str(*vc, "model_type");
      if (vtype == "siglip_vision_model" && outer_type == "gemma3") {
        a.vision_params = siglip_params(v, a.hidden_size, true);
      } else if (outer_type == "kimi_k25") {
        a.vision_params = moonvit_params(v, a.hidden_size);
      } else {
        out.warnings.push_back("vision tower" + (vtype.empty() ? std::string() : " (" + vtype + ")") +
                               " is not counted: only the language model is");
      }
      if (!v.error().empty()) return make_error(ErrorCode::parse_error, "config.json vision_config: " + v.error());
    }
  }
  read_quantization(root, out);
  out.precision = out.quantization.precision;
  if (out.precision.empty() && out.quantization.method.empty()) out.precision = precision_of_dtype(out.torch_dtype);
  const std::string why = validate_arch(a);
  if (!why.empty()) return make_error(ErrorCode::parse_error, "config.json (" + model_type + "): " + why);
  return out;
}

}  // namespace gpuplan::io
