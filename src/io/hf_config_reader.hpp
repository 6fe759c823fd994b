// Internal to gpuplan_io: what the config.json readers share (hf_config.cpp, hf_config_families.cpp,
// hf_config_recurrent.cpp, hf_config_quantization.cpp): the bounded key reader Cfg, transformers'
// per-class defaults, and the table entry that maps a model_type onto the architecture fields.
#pragma once
#include <cmath>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpuplan/io/hf_config.hpp"

namespace gpuplan::io::detail {

using nlohmann::json;

inline constexpr double kMaxCount = 1e9;

// Reads counts and flags from one JSON object (the text config). Keys are tried in order; null
// counts as absent. `guessed` collects the fields an unknown family filled from assumptions.
class Cfg {
 public:
  Cfg(const json& j, std::vector<std::string>& warnings) : j_(j), warnings_(warnings) {}

  [[nodiscard]] const json& raw() const { return j_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  std::vector<std::string> guessed;

  std::optional<double> count(std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      const auto it = j_.find(k);
      if (it == j_.end() || it->is_null()) continue;
      if (it->is_boolean() || !it->is_number()) {
        fail(std::string("'") + k + "' must be a number");
        return std::nullopt;
      }
      const double v = it->get<double>();
      if (!std::isfinite(v) || v < 0 || v > kMaxCount || std::floor(v) != v) {
        fail(std::string("'") + k + "' must be a whole number between 0 and 1e9");
        return std::nullopt;
      }
      return v;
    }
    return std::nullopt;
  }
  // A field with a known default (transformers' config class).
  double count_or(std::initializer_list<const char*> keys, double fallback) { return count(keys).value_or(fallback); }
  // A field every config of the family carries.
  double required(std::initializer_list<const char*> keys) {
    if (auto v = count(keys)) return *v;
    std::string names;
    for (const char* k : keys) names += std::string(names.empty() ? "" : ", ") + k;
    fail("missing '" + std::string(*keys.begin()) + "'" +
         (keys.size() > 1 ? " (also looked for " + names.substr(names.find(',') + 2) + ")" : std::string()));
    return 0;
  }
  // A field an unknown family may lack: the fallback is recorded as a guess when it is used.
  double guess(std::initializer_list<const char*> keys, double fallback, const std::string& what) {
    if (auto v = count(keys)) return *v;
    guessed.push_back(what);
    return fallback;
  }
  bool flag(std::initializer_list<const char*> keys, bool fallback) {
    for (const char* k : keys) {
      const auto it = j_.find(k);
      if (it == j_.end() || it->is_null()) continue;
      if (!it->is_boolean()) {
        fail(std::string("'") + k + "' must be true or false");
        return fallback;
      }
      return it->get<bool>();
    }
    return fallback;
  }
  [[nodiscard]] bool has(const char* key) const {
    const auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  [[nodiscard]] std::string str(const char* key) const {
    const auto it = j_.find(key);
    return it != j_.end() && it->is_string() ? it->get<std::string>().substr(0, 256) : std::string();
  }
  void fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }
  void warn(const std::string& w) { warnings_.push_back(w); }

 private:
  const json& j_;
  std::vector<std::string>& warnings_;
  std::string error_;
};

// transformers' defaults for the fields below, per config class (0: the config must say).
struct Defaults {
  double hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, intermediate = 0, vocab = 0, context = 0;
  bool tie = false;
};

// The fields every decoder config has, with the config class's defaults.
void common(Cfg& c, ModelArch& a, const Defaults& d);

struct Family {
  const char* model_type;
  std::function<void(Cfg&, ModelArch&)> read;
};

// Qwen2/Qwen3-MoE layer pattern (decoder_sparse_step, mlp_only_layers), shared with Qwen3-Next.
void qwen_moe_layers(Cfg& c, ModelArch& a);

// Transformer families (dense and MoE, hf_config_families.cpp), then recurrent and hybrid ones
// (hf_config_recurrent.cpp), then MiniMax-M2 and Llama 4 (hf_config_moe.cpp), in the order
// hf_model_types() lists them.
const std::vector<Family>& transformer_families();
const std::vector<Family>& recurrent_families();
const std::vector<Family>& moe_families();

// quantization_config -> ParsedConfig::quantization (and a warning when gpuplan has no precision for it).
void read_quantization(const json& root, ParsedConfig& out);

}  // namespace gpuplan::io::detail
