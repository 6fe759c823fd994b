#include "gpuplan/io/json_vocabulary.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace gpuplan::io {

using nlohmann::ordered_json;

ordered_json whole_or_null(double v) {
  if (!std::isfinite(v) || v < 0) return nullptr;
  if (v >= 9.0e18) return v;  // beyond int64 (a hostile header's product): the double, not an overflow
  return static_cast<std::int64_t>(std::llround(v));
}

ordered_json number_or_null(double v, bool computed) {
  if (!computed || !std::isfinite(v)) return nullptr;
  return v;
}

ordered_json architecture_json(const ModelArch& a, const ParamCounts& p, double kv_cache_bytes_per_token) {
  return {{"mtp_params", whole_or_null(p.mtp)},
          {"layers", whole_or_null(a.num_layers)},
          {"hidden_size", whole_or_null(a.hidden_size)},
          {"attention_heads", whole_or_null(a.num_heads)},
          {"kv_heads", whole_or_null(a.num_kv_heads)},
          {"head_dim", whole_or_null(a.head_dim)},
          {"context_length", whole_or_null(a.context_length)},
          {"kv_cache_bytes_per_token", whole_or_null(kv_cache_bytes_per_token)}};
}

ordered_json params_json(const ParamCounts& p, std::optional<double> trainable) {
  return {{"total", whole_or_null(p.total)},
          {"active", whole_or_null(p.active)},
          {"embedding", whole_or_null(p.embedding)},
          {"trainable", trainable ? whole_or_null(*trainable) : ordered_json(nullptr)}};
}

ordered_json model_json(std::string_view id, std::string_view name, const std::optional<ordered_json>& params) {
  ordered_json j = {{"id", std::string(id)}, {"name", std::string(name)}};
  if (params) j["params"] = *params;
  return j;
}

ordered_json gpu_json(const Gpu& gpu, double count) {
  return {{"id", gpu.id},
          {"name", gpu.name},
          {"memory_bytes", whole_or_null(gpu.memory_bytes)},
          {"count", whole_or_null(count)}};
}

ordered_json reject_counts_json(const std::vector<RejectCount>& counts) {
  ordered_json out = ordered_json::array();
  for (const RejectCount& n : counts) {
    out.push_back({{"code", to_string(n.reason)}, {"message", describe(n.reason)}, {"count", whole_or_null(n.count)}});
  }
  return out;
}

}  // namespace gpuplan::io
