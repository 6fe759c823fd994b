// The shared vocabulary of every gpuplan-*/2 document: the same quantity has the same key path in
// fit, speed, cost, plan, train, inspect and idle. Every writer builds its `model`, `gpu` and
// parameter objects here, so a client reads `model.params.total` or `gpu.memory_bytes` the same way
// from any document.
//   model        {"id", "name", "params": {...}}      ids as the catalog spells them
//   model.params {"total", "active", "embedding", "trainable"}   integer counts, null if not computed
//   gpu          {"id", "name", "memory_bytes", "count"}         integer bytes, GPUs in the answer
// Units ride in key names (`_bytes`, `_s`, `_usd`, `_per_s`); what was not computed is null, never 0.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "gpuplan/codes.hpp"
#include "gpuplan/gpu.hpp"
#include "gpuplan/model.hpp"

namespace gpuplan::io {

// A rounded integer, or null when `v` is not finite or is negative (a count or byte size that was
// not computed). Beyond int64's range (only a hostile file's products) it stays a double.
nlohmann::ordered_json whole_or_null(double v);

// A finite number, or null when `computed` is false or `v` is not finite.
nlohmann::ordered_json number_or_null(double v, bool computed = true);

// {"total", "active", "embedding", "trainable"}; `trainable` is null unless given.
nlohmann::ordered_json params_json(const ParamCounts& p, std::optional<double> trainable = std::nullopt);

// The architecture summary fit and inspect both put under "model": mtp_params, layers,
// hidden_size, attention_heads, kv_heads, head_dim, context_length, kv_cache_bytes_per_token.
nlohmann::ordered_json architecture_json(const ModelArch& a, const ParamCounts& p, double kv_cache_bytes_per_token);

// {"id", "name"} plus "params" when given.
nlohmann::ordered_json model_json(std::string_view id, std::string_view name,
                                  const std::optional<nlohmann::ordered_json>& params = std::nullopt);

// {"id", "name", "memory_bytes", "count"}; `count` a whole number of GPUs (null when not finite).
nlohmann::ordered_json gpu_json(const Gpu& gpu, double count);

// [{"code", "message", "count"}, ...] in the order given (commonest first): `code` the stable
// to_string(RejectReason), `message` the rule in words; plan.rejected and train's search.rejected.
nlohmann::ordered_json reject_counts_json(const std::vector<RejectCount>& counts);

}  // namespace gpuplan::io
