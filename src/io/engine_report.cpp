#include "gpuplan/io/engine_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::int64_t as_int(double v) {
  return std::isfinite(v) ? static_cast<std::int64_t>(std::llround(v)) : 0;
}
double round2(double v) {
  return std::isfinite(v) ? std::round(v * 100.0) / 100.0 : 0.0;
}

}  // namespace

nlohmann::ordered_json engine_json(const EngineSpec& spec, const EngineMemory& m) {
  nlohmann::ordered_json j;
  j["id"] = spec.id;
  j["name"] = spec.name;
  j["family"] = to_string(m.family);
  j["versions"] = spec.versions;
  j["source"] = spec.source;
  j["fits"] = m.fits;
  j["error"] = m.error;
  j["weights_bytes"] = as_int(m.weights_bytes);
  j["kv_cache_bytes"] = as_int(m.kv_cache_bytes);
  j["kv_cache_tokens"] = as_int(m.kv_cache_tokens);
  j["kv_cache_blocks"] = as_int(m.kv_cache_blocks);
  j["max_concurrency"] = round2(m.max_concurrency);
  j["max_model_len"] = as_int(m.max_model_len);
  j["kv_bytes_per_token"] = as_int(m.kv_bytes_per_token);
  j["state_bytes_per_sequence"] = as_int(m.state_bytes_per_sequence);
  j["gpu_layers"] = as_int(m.gpu_layers);
  j["total_layers"] = as_int(m.total_layers);
  j["compute_buffer_bytes"] =
      as_int(m.family == EngineFamily::paged ? m.activation_peak_bytes : m.compute_buffer_bytes);
  if (m.family == EngineFamily::paged) {
    j["visible_bytes"] = as_int(m.visible_bytes);
    j["memory_fraction"] = m.memory_fraction;
    j["budget_bytes"] = as_int(m.budget_bytes);
    j["non_torch_bytes"] = as_int(m.non_torch_bytes);
    j["activation_peak_bytes"] = as_int(m.activation_peak_bytes);
    j["cuda_graph_bytes"] = as_int(m.cuda_graph_bytes);
    j["block_size"] = as_int(m.block_size);
    j["block_bytes"] = as_int(m.block_bytes);
    j["max_num_seqs"] = as_int(m.max_num_seqs);
    j["max_num_batched_tokens"] = as_int(m.max_num_batched_tokens);
    j["longest_sequence"] = as_int(m.longest_sequence);
    j["tensor_parallel_size"] = as_int(m.tp);
  }
  if (m.family == EngineFamily::llamacpp) {
    j["n_ctx"] = as_int(m.n_ctx);
    j["n_seq"] = as_int(m.n_seq);
    j["n_ubatch"] = as_int(m.n_ubatch);
    j["flash_attention"] = m.flash_attention;
    j["output_on_gpu"] = m.output_on_gpu;
    j["max_gpu_layers_that_fit"] = as_int(m.max_gpu_layers_that_fit);
    j["host_compute_buffer_bytes"] = as_int(m.host_compute_buffer_bytes);
    j["output_buffer_bytes"] = as_int(m.output_buffer_bytes);
  }
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const auto& d : m.devices) {
    devices.push_back({{"name", d.name},
                       {"host", d.host},
                       {"layers", as_int(d.layers)},
                       {"weights_bytes", as_int(d.weights_bytes)},
                       {"kv_cache_bytes", as_int(d.kv_cache_bytes)},
                       {"compute_buffer_bytes", as_int(d.compute_buffer_bytes)},
                       {"other_bytes", as_int(d.other_bytes)},
                       {"total_bytes", as_int(d.total_bytes)},
                       {"capacity_bytes", as_int(d.capacity_bytes)}});
  }
  j["devices"] = devices;
  j["vram_bytes"] = as_int(m.vram_bytes);
  j["ram_bytes"] = as_int(m.ram_bytes);
  j["notes"] = m.notes;
  return j;
}

std::string engine_table(const EngineSpec& spec, const EngineMemory& m) {
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  line(fmt::format("Engine     {} — versions {}", spec.name, spec.versions));
  if (m.family == EngineFamily::paged) {
    line(fmt::format("  memory the engine sees   {} per GPU; x {:.2f} = {} budget{}", format_gib(m.visible_bytes),
                     m.memory_fraction, format_gib(m.budget_bytes),
                     m.tp > 1 ? fmt::format(" (tensor parallel {} ranks)", m.tp) : ""));
    line(fmt::format("  weights                  {}", format_gib(m.weights_bytes)));
    line(fmt::format("  non-torch memory         {}", format_gib(m.non_torch_bytes)));
    line(fmt::format("  activation peak          {}  (profile run: {} tokens, {} sequences)",
                     format_gib(m.activation_peak_bytes), m.max_num_batched_tokens, m.max_num_seqs));
    line(fmt::format("  KV cache                 {} = {} blocks of {} tokens = {} tokens", format_gib(m.kv_cache_bytes),
                     m.kv_cache_blocks, m.block_size, m.kv_cache_tokens));
    line(fmt::format("  CUDA graphs (outside)    {}", format_gib(m.cuda_graph_bytes)));
    line(fmt::format("  max concurrency          {:.2f}x at max_model_len {}", m.max_concurrency, m.max_model_len));
    if (m.state_bytes_per_sequence > 0) {
      line(fmt::format("  recurrent state          {} per sequence", format_mib(m.state_bytes_per_sequence)));
    }
  } else if (m.family == EngineFamily::llamacpp) {
    line(fmt::format("  n_ctx {} ({} sequence{}), n_ubatch {}, flash attention {}", m.n_ctx, m.n_seq,
                     m.n_seq > 1 ? "s" : "", m.n_ubatch, m.flash_attention ? "on" : "off"));
    line(fmt::format("  n_gpu_layers {} of {} repeating layers on the GPU{}; the largest that fits: {}", m.gpu_layers,
                     m.total_layers, m.output_on_gpu ? " (+ output)" : "", m.max_gpu_layers_that_fit));
    line("  device     layers   model buffer      KV self   compute buf        other        total     capacity");
    for (const auto& d : m.devices) {
      line(fmt::format("  {:<8} {:>8} {:>14} {:>12} {:>13} {:>12} {:>12} {:>12}", d.name, d.layers,
                       format_mib(d.weights_bytes), format_mib(d.kv_cache_bytes), format_mib(d.compute_buffer_bytes),
                       format_mib(d.other_bytes), format_mib(d.total_bytes),
                       d.host ? std::string("RAM") : format_mib(d.capacity_bytes)));
    }
    line(fmt::format("  VRAM total {}, RAM {}", format_gib(m.vram_bytes), format_gib(m.ram_bytes)));
  } else {
    line(fmt::format("  weights {}, KV cache {}, forward pass {}, context {}", format_gib(m.weights_bytes),
                     format_gib(m.kv_cache_bytes), format_gib(m.activation_peak_bytes), format_gib(m.non_torch_bytes)));
  }
  if (!m.error.empty()) line("  engine error: " + m.error);
  for (const auto& n : m.notes) line("  note: " + n);
  return out;
}

}  // namespace gpuplan::io
