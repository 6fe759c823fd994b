#include <fmt/format.h>

#include <algorithm>

#include "gpuplan/io/engine_report.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

std::string gib(double bytes) {
  return fmt::format("{:9.2f} GiB", bytes / kGiB);
}

double binding_bytes(const MemoryBreakdown& m, MemoryTerm binding) {
  switch (binding) {
    case MemoryTerm::weights: return m.weights_bytes;
    case MemoryTerm::kv_cache: return m.kv_cache_bytes;
    case MemoryTerm::activations: return m.activations_bytes;
    case MemoryTerm::gradients: return m.gradients_bytes;
    case MemoryTerm::optimizer: return m.optimizer_bytes;
    case MemoryTerm::adapters: return m.adapter_bytes;
    case MemoryTerm::overhead: return m.overhead_bytes;
  }
  return m.overhead_bytes;
}

}  // namespace

std::string verdict_line(const FitReport& r) {
  const Estimate& e = r.estimate;
  const std::string card = r.scenario.gpus > 1 ? fmt::format("{} x {}", r.scenario.gpus, r.gpu.id) : r.gpu.id;
  if (e.fits) {
    return fmt::format("FITS on {}: {} of {} used, {} free", card, format_gib(e.memory.total_bytes),
                       format_gib(e.capacity_bytes), format_gib(e.headroom_bytes));
  }
  if (e.batch_exceeds_concurrency) {
    return fmt::format(
        "DOES NOT FIT on {}: the KV cache holds {} sequences of {} tokens at once, {} asked (--batch); "
        "the rest wait in the queue",
        card, e.max_batch, format_tokens(r.scenario.workload.context), r.scenario.workload.batch);
  }
  if (e.has_engine && !e.engine.error.empty() && e.headroom_bytes >= 0) {
    return fmt::format("DOES NOT FIT on {}: {}", card, e.engine.error);
  }
  return fmt::format("DOES NOT FIT on {}: needs {} per card, {} available ({} short); largest term: {}", card,
                     format_gib(e.memory.total_bytes), format_gib(e.capacity_bytes),
                     format_gib(std::max(0.0, -e.headroom_bytes)), describe(e.binding));
}

std::string fit_table(const FitReport& r) {
  const Estimate& e = r.estimate;
  const Scenario& s = r.scenario;
  const MemoryBreakdown& m = e.memory;
  const bool training = is_training(s.workload.mode);
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };

  std::string params = fmt::format("{} params", format_count(e.params.total));
  if (e.params.active < e.params.total) params += fmt::format(", {} active per token", format_count(e.params.active));
  if (e.params.mtp > 0) params += fmt::format(" (+{} MTP)", format_count(e.params.mtp));
  line(fmt::format("Model      {} ({}){}", r.model.name, params,
                   r.architecture_assumed ? " — architecture assumed" : ""));
  line(fmt::format("Precision  {} ({:.2f} bits/weight on average){}", s.precision.name,
                   e.params.total > 0 ? scenario_weights_bytes(s) * 8.0 / e.params.total : 0.0,
                   training ? "" : "; KV cache " + s.workload.kv_dtype));
  if (training) {
    line(fmt::format("Workload   {}: sequence {} x micro-batch {}, optimizer {}, recompute {}{}",
                     to_string(s.workload.mode), format_tokens(s.workload.context), s.workload.batch,
                     to_string(s.workload.optimizer), to_string(s.workload.recompute),
                     e.trainable_params > 0 ? fmt::format(", {} trainable", format_count(e.trainable_params)) : ""));
  } else {
    line(fmt::format("Workload   inference: context {} tokens x batch {}", format_tokens(s.workload.context),
                     s.workload.batch));
  }
  line(fmt::format("GPU        {}{} — {} {}", s.gpus > 1 ? fmt::format("{} x ", s.gpus) : "", r.gpu.name,
                   format_gib(r.gpu.memory_bytes),
                   r.gpu.unified_memory ? fmt::format("unified ({} usable by the GPU)", format_gib(e.capacity_bytes))
                   : std::fabs(e.capacity_bytes - r.gpu.memory_bytes) >= 0.005 * kGiB
                       ? fmt::format("({} usable)", format_gib(e.capacity_bytes))
                       : std::string()));
  line("");
  line("Memory per GPU");
  line(fmt::format("  weights            {}{}", gib(m.weights_bytes),
                   s.measured_weights.total > 0 ? "  (from the file's tensor table)" : ""));
  if (!training) line(fmt::format("  KV cache           {}", gib(m.kv_cache_bytes)));
  line(fmt::format("  activations        {}{}", gib(m.activations_bytes), training ? "" : "  (prefill workspace)"));
  if (training) {
    line(fmt::format("  gradients          {}", gib(m.gradients_bytes)));
    line(fmt::format("  optimizer states   {}", gib(m.optimizer_bytes)));
    if (m.adapter_bytes > 0) line(fmt::format("  adapters           {}", gib(m.adapter_bytes)));
  }
  line(fmt::format("  runtime overhead   {}", gib(m.overhead_bytes)));
  line("  ------------------------------");
  line(fmt::format("  total              {}   of {} ({:.0f}%)", gib(m.total_bytes), format_gib(e.capacity_bytes),
                   e.capacity_bytes > 0 ? 100.0 * m.total_bytes / e.capacity_bytes : 0.0));
  if (m.host_bytes > 0) line(fmt::format("  in host RAM        {}   (offloaded optimizer states)", gib(m.host_bytes)));
  line("");
  if (e.has_engine) {
    out += engine_table(s.engine_spec, e.engine);
    line("");
  }
  line(verdict_line(r));
  if (e.fits) {
    line(fmt::format("Largest memory term: {} ({:.0f}% of the total)", describe(e.binding),
                     100.0 * binding_bytes(m, e.binding) / std::max(1.0, m.total_bytes)));
  }
  const char* ctx_name = training ? "sequence length" : "context";
  if (e.max_context > 0) {
    line(fmt::format("Largest {} at batch {}: {}{}", ctx_name, s.workload.batch, format_tokens(e.max_context),
                     e.max_context_is_model_limit ? " (the model's own limit)" : ""));
  } else {
    line(fmt::format("Largest {} at batch {}: none fits", ctx_name, s.workload.batch));
  }
  line(fmt::format("Largest batch at {} {}: {}", ctx_name, format_tokens(s.workload.context),
                   e.max_batch > 0 ? fmt::format("{}", e.max_batch) : std::string("none fits")));
  if (!r.suggestions.empty()) {
    line("");
    line("What would make it fit:");
    for (const auto& sg : r.suggestions) line("  - " + sg.text);
  }
  return out;
}

}  // namespace gpuplan::io
