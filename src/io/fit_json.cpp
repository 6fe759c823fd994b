#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "gpuplan/io/engine_report.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/json_vocabulary.hpp"

namespace gpuplan::io {
namespace {

std::int64_t as_int(double v) {
  return std::isfinite(v) ? static_cast<std::int64_t>(std::llround(v)) : 0;
}

}  // namespace

nlohmann::ordered_json fit_json(const FitReport& r) {
  using nlohmann::ordered_json;
  const Estimate& e = r.estimate;
  const Scenario& s = r.scenario;
  const ModelArch& a = s.arch;
  const MemoryBreakdown& m = e.memory;
  ordered_json j;
  j["schema"] = "gpuplan-fit/2";
  const bool training = is_training(s.workload.mode);
  j["model"] = model_json(r.model.id, r.model.name,
                          params_json(e.params, training ? std::optional<double>(e.trainable_params) : std::nullopt));
  j["model"]["architecture_assumed"] = r.architecture_assumed;
  j["model"].update(architecture_json(a, e.params, kv_cache_bytes(a, 1, 1, s.workload.kv_bytes)));
  j["precision"] = {{"name", s.precision.name},
                    {"bits_per_weight",
                     e.params.total > 0 ? ordered_json(scenario_weights_bytes(s) * 8.0 / e.params.total) : nullptr},
                    {"weights_source", s.measured_weights.total > 0 ? "file" : "architecture"},
                    {"kv_dtype", s.workload.kv_dtype},
                    {"quality", s.precision.quality}};
  ordered_json w = {{"mode", to_string(s.workload.mode)},
                    {"context", as_int(s.workload.context)},
                    {"batch", as_int(s.workload.batch)},
                    {"flash_attention", s.workload.flash_attention}};
  if (training) {
    w["optimizer"] = to_string(s.workload.optimizer);
    w["recompute"] = to_string(s.workload.recompute);
    w["master_weights"] = s.workload.master_weights;
    w["optimizer_offload"] = s.workload.optimizer_offload;
    if (s.workload.mode == Mode::lora || s.workload.mode == Mode::qlora) w["lora_rank"] = as_int(s.workload.lora_rank);
  }
  j["workload"] = w;
  j["gpu"] = gpu_json(r.gpu, s.gpus);
  j["gpu"]["usable_bytes"] = as_int(e.capacity_bytes);
  j["gpu"]["unified_memory"] = r.gpu.unified_memory;
  j["memory"] = {{"weights_bytes", as_int(m.weights_bytes)},         {"kv_cache_bytes", as_int(m.kv_cache_bytes)},
                 {"activations_bytes", as_int(m.activations_bytes)}, {"gradients_bytes", as_int(m.gradients_bytes)},
                 {"optimizer_bytes", as_int(m.optimizer_bytes)},     {"adapter_bytes", as_int(m.adapter_bytes)},
                 {"overhead_bytes", as_int(m.overhead_bytes)},       {"total_bytes", as_int(m.total_bytes)},
                 {"host_offload_bytes", as_int(m.host_bytes)},       {"headroom_bytes", as_int(e.headroom_bytes)}};
  j["fits"] = e.fits;
  j["max_context"] = as_int(e.max_context);
  j["max_context_is_model_limit"] = e.max_context_is_model_limit;
  j["max_batch"] = as_int(e.max_batch);
  j["binding"] = to_string(e.binding);
  j["min_gpus"] = as_int(e.min_gpus);
  j["verdict"] = verdict_line(r);
  ordered_json sugg = ordered_json::array();
  for (const auto& sg : r.suggestions) sugg.push_back({{"kind", sg.kind}, {"text", sg.text}, {"value", sg.value}});
  j["suggestions"] = sugg;
  if (e.has_engine) j["engine"] = engine_json(s.engine_spec, e.engine);
  return j;
}

}  // namespace gpuplan::io
