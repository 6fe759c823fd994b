// quantization_config of config.json: GPTQ, AWQ, AutoRound, bitsandbytes, FP8, MXFP4, NVIDIA
// ModelOpt (NVFP4, FP8) and compressed-tensors, mapped to a gpuplan precision where there is one.
#include <cctype>
#include <string>

#include "hf_config_reader.hpp"

namespace gpuplan::io::detail {
namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// compressed-tensors quantising the routed experts only: the ignore list names the attention
// ("re:.*self_attn.*", Kimi K2 Thinking / K2.5), so attention and shared experts stay 16-bit.
bool ignores_attention(const json& q) {
  const auto ignore = q.find("ignore");
  if (ignore == q.end() || !ignore->is_array() || ignore->size() > 4096) return false;
  for (const auto& v : *ignore) {
    if (v.is_string() && v.get_ref<const std::string&>().find("self_attn") != std::string::npos) return true;
  }
  return false;
}

// compressed-tensors: the first config group's weights (num_bits, group_size, int or float).
void read_compressed_tensors(const json& config, QuantizationConfig& qc) {
  const auto groups = config.find("config_groups");
  if (groups == config.end() || !groups->is_object()) return;
  for (const auto& [name, g] : groups->items()) {
    const auto w = g.is_object() ? g.find("weights") : g.end();
    if (!g.is_object() || w == g.end() || !w->is_object()) continue;
    std::vector<std::string> sink;
    Cfg wc(*w, sink);
    qc.bits = wc.count_or({"num_bits"}, 0);
    qc.group_size = wc.count_or({"group_size"}, 0);
    const std::string type = wc.str("type");
    qc.detail = std::to_string(static_cast<int>(qc.bits)) + "-bit " + type;
    if (qc.bits == 4 && type == "int") qc.precision = ignores_attention(config) ? "int4-experts" : "gptq-int4";
    if (qc.bits == 4 && type == "float" && qc.group_size == 16) qc.precision = "nvfp4";  // nvfp4-pack-quantized
    if (qc.bits == 8) qc.precision = type == "float" ? "fp8" : "int8";
    return;
  }
}

// NVIDIA TensorRT Model Optimizer exports: quant_algo NVFP4 / FP8 (hf_quant_config.json's
// "quantization" object, copied into config.json's quantization_config).
void read_modelopt(const json& config, QuantizationConfig& qc) {
  const auto nested = config.find("quantization");
  std::vector<std::string> sink;
  Cfg algo_cfg(nested != config.end() && nested->is_object() ? *nested : config, sink);
  const std::string algo = lower(algo_cfg.str("quant_algo"));
  qc.detail = algo;
  if (algo == "nvfp4") {
    qc.bits = 4;
    qc.group_size = 16;
    qc.precision = "nvfp4";
  } else if (algo == "fp8") {
    qc.bits = 8;
    qc.precision = "fp8";
  }
}

}  // namespace

void read_quantization(const json& root, ParsedConfig& out) {
  const auto it = root.find("quantization_config");
  if (it == root.end() || !it->is_object()) return;
  std::vector<std::string> sink;
  Cfg q(*it, sink);
  QuantizationConfig& qc = out.quantization;
  qc.method = lower(q.str("quant_method"));
  auto num = [&](std::initializer_list<const char*> keys) { return q.count(keys).value_or(0); };
  if (qc.method == "gptq" || qc.method == "awq" || qc.method == "autoround" || qc.method == "auto-round") {
    qc.bits = num({"bits", "w_bit"});
    if (qc.bits <= 0) qc.bits = 4;
    qc.group_size = num({"group_size", "q_group_size"});
    qc.detail = std::to_string(static_cast<int>(qc.bits)) + "-bit" +
                (qc.group_size > 0 ? ", group " + std::to_string(static_cast<long long>(qc.group_size)) : "") +
                (q.flag({"desc_act"}, false) ? ", desc_act" : "");
    if (qc.bits == 4) qc.precision = qc.method == "awq" ? "awq-int4" : "gptq-int4";
    if (qc.bits == 8) qc.precision = "int8";
  } else if (qc.method == "bitsandbytes") {
    if (q.flag({"load_in_4bit"}, false)) {
      qc.bits = 4;
      const std::string type = lower(q.str("bnb_4bit_quant_type"));
      const bool dq = q.flag({"bnb_4bit_use_double_quant"}, false);
      qc.detail = (type.empty() ? "fp4" : type) + (dq ? ", double quant" : "");
      qc.precision = dq ? "nf4-dq" : "nf4";
    } else if (q.flag({"load_in_8bit"}, false)) {
      qc.bits = 8;
      qc.detail = "LLM.int8()";
      qc.precision = "int8";
    }
  } else if (qc.method == "fp8" || qc.method == "fbgemm_fp8") {
    qc.bits = 8;
    qc.detail = q.str("fmt").empty() ? "fp8" : q.str("fmt");
    if (const auto b = it->find("weight_block_size");
        b != it->end() && b->is_array() && b->size() == 2 && (*b)[0].is_number() && (*b)[1].is_number()) {
      qc.detail +=
          ", block " + std::to_string((*b)[0].get<long long>()) + "x" + std::to_string((*b)[1].get<long long>());
    }
    qc.precision = "fp8";
  } else if (qc.method == "mxfp4") {
    qc.bits = 4;
    qc.group_size = 32;
    qc.detail = "MXFP4 experts";
    qc.precision = "mxfp4";
  } else if (qc.method == "compressed-tensors") {
    read_compressed_tensors(*it, qc);
  } else if (qc.method == "modelopt") {
    read_modelopt(*it, qc);
  }
  if (!qc.method.empty() && qc.precision.empty()) {
    out.warnings.push_back("quantization '" + qc.method + "' has no gpuplan precision; weights bytes need the " +
                           "checkpoint's tensors (or --quant)");
  }
}

}  // namespace gpuplan::io::detail
