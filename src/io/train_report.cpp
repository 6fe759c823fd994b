#include "gpuplan/io/train_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/io/json_vocabulary.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

// A wall time with its unit: days from a day up, else hours, else minutes ("0.0 days" says nothing).
std::string wall_time(double seconds) {
  if (seconds >= 86400) return fmt::format("{:.1f} days", seconds / 86400.0);
  if (seconds >= 3600) return fmt::format("{:.1f} hours", seconds / 3600.0);
  return fmt::format("{:.0f} minutes", std::max(1.0, std::ceil(seconds / 60.0)));
}

std::string rejected_text(const SearchResult& s, const char* sep) {
  std::string why;
  for (std::size_t i = 0; i < s.rejected.size() && i < 4; ++i) {
    why += fmt::format("{}{}{}{}", i ? "; " : "", describe(s.rejected[i].reason), sep, s.rejected[i].count);
  }
  return why;
}

ordered_json layout_json(const Layout& l) {
  return {{"text", to_string(l)},
          {"tp", l.tp},
          {"pp", l.pp},
          {"dp", l.dp},
          {"cp", l.cp},
          {"ep", l.ep},
          {"vpp", l.vpp},
          {"zero", l.zero},
          {"sequence_parallel", l.sequence_parallel},
          {"micro_batch", l.micro_batch},
          {"recompute", to_string(l.recompute)}};
}

ordered_json train_json_body(const TrainReport& r) {
  const TrainEstimate& est = r.estimate;
  const Cluster& c = r.cluster;
  ordered_json t = {{"method", to_string(r.method)},
                    {"framework", r.framework},
                    {"gemm_efficiency", c.compute_efficiency},
                    {"gemm_dtype", r.fp8 ? "fp8" : "bf16"},
                    {"peak_flops", c.peak_flops},
                    {"tokens", r.job.tokens},
                    {"seq", r.job.seq},
                    {"global_batch_seqs", r.job.global_batch_seqs},
                    {"global_batch_tokens", r.job.global_batch_seqs * r.job.seq},
                    {"overlap_grad_reduce", r.job.overlap_grad_reduce},
                    {"grad_reduce_bytes", r.job.grad_reduce_bytes},
                    {"step_s", est.step_s},
                    {"compute_s", est.compute_s},
                    {"bubble_s", est.bubble_s},
                    {"tp_comm_s", est.tp_s},
                    {"pp_comm_s", est.pp_s},
                    {"dp_comm_s", est.dp_s},
                    {"cp_comm_s", est.cp_s},
                    {"ep_comm_s", est.ep_s},
                    {"tokens_per_s", est.tokens_per_s},
                    {"mfu", est.mfu},
                    {"comm_fraction", est.comm_fraction},
                    {"steps", est.steps},
                    {"gpu_hours", est.gpu_hours},
                    {"days", est.wall_s / 86400.0},
                    {"energy_kwh", r.energy_kwh},
                    {"cost_usd", r.usd_per_gpu_hour > 0 ? ordered_json(r.cost_usd) : ordered_json(nullptr)},
                    {"usd_per_gpu_hour", r.usd_per_gpu_hour > 0 ? ordered_json(r.usd_per_gpu_hour) : nullptr},
                    {"tokens_per_param", r.tokens_per_param},
                    {"compute_efficiency", c.compute_efficiency}};
  if (r.moe_median > 0) {
    t["moe_measured_ratio"] = {{"low", r.moe_low}, {"median", r.moe_median}, {"high", r.moe_high}};
    t["days_at_moe_median"] = est.wall_s * r.moe_median / 86400.0;
    t["cost_usd_at_moe_median"] = r.cost_usd * r.moe_median;
  }
  return t;
}

}  // namespace

std::string train_infeasible_message(const TrainReport& r) {
  std::string out = fmt::format("no layout meets the limits among {} evaluated", r.search.evaluated);
  const std::string why = rejected_text(r.search, " ");
  if (!why.empty()) out += ": " + why;
  if (r.search.stopped == SearchStop::budget_spent) out += " (the search stopped at --max-evaluated: raise it)";
  if (r.search.stopped == SearchStop::cancelled) out += " (the search was cancelled)";
  return out;
}

ordered_json train_json(const TrainReport& r) {
  const TrainEstimate& est = r.estimate;
  ordered_json sc = ordered_json::array();
  for (const auto& s : r.scale) sc.push_back({{"gpus", s.gpus}, {"fits", s.fits}, {"mfu", s.mfu}});
  ordered_json out = {{"schema", "gpuplan-train/3"},
                      {"found", r.found},
                      {"model", model_json(r.model_id, r.model_name,
                                           params_json(count_params(r.model.base.arch), r.model.trainable_params))},
                      {"gpu",
                       {{"id", r.gpu_id},
                        {"name", r.gpu_name},
                        {"memory_bytes", whole_or_null(r.capacity_bytes)},
                        {"count", whole_or_null(r.cluster.gpus)},
                        {"network", r.network},
                        {"intra_node", r.intra_node}}},
                      {"limits",
                       {{"deadline_s", r.deadline_s > 0 ? ordered_json(r.deadline_s) : nullptr},
                        {"deadline_is_default", r.deadline_is_default},
                        {"budget_usd", r.budget_usd > 0 ? ordered_json(r.budget_usd) : nullptr},
                        {"headroom", r.headroom},
                        {"bound_by", r.bound_by}}},
                      {"search",
                       {{"searched", r.searched},
                        {"evaluated", r.search.evaluated},
                        {"stopped", to_string(r.search.stopped)},
                        {"rejected", reject_counts_json(r.search.rejected)}}}};
  if (!r.found) {
    out["error"] = {{"code", "infeasible"}, {"message", train_infeasible_message(r)}};
    return out;
  }
  out["layout"] = layout_json(r.layout);
  out["train"] = train_json_body(r);
  out["memory"] = {{"total_bytes", est.memory_bytes},        {"capacity_bytes", r.capacity_bytes},
                   {"weights_bytes", est.weights_bytes},     {"gradients_bytes", est.gradients_bytes},
                   {"optimizer_bytes", est.optimizer_bytes}, {"activations_bytes", est.activations_bytes}};
  out["scale_out"] = sc;
  return out;
}

std::string train_table(const TrainReport& r) {
  if (!r.found) {
    return fmt::format("No layout meets the limits ({}) among {} evaluated: {}\n", r.bound_by, r.search.evaluated,
                       rejected_text(r.search, " "));
  }
  const TrainEstimate& est = r.estimate;
  const Cluster& c = r.cluster;
  std::string t;
  auto line = [&t](const std::string& s) { t += s + "\n"; };
  line(fmt::format("Model      {} ({} params, {} trainable), {}", r.model_name, format_count(r.model.params),
                   format_count(r.model.trainable_params), to_string(r.method)));
  line(fmt::format("Hardware   {} x {} ({} per node over {}, nodes over {})", c.gpus, r.gpu_name, c.gpus_per_node,
                   r.intra_node, r.network));
  line(fmt::format("Stack      {}: {}GEMMs at {:.0f}% of dense peak{}{}", r.framework, r.fp8 ? "FP8 " : "",
                   100 * c.compute_efficiency,
                   c.attention_efficiency > 0 ? fmt::format(", {}attention at {:.0f}%", r.fp8 ? "BF16 " : "fused ",
                                                            100 * c.attention_efficiency)
                                              : std::string(),
                   r.framework == "megatron" ? " (--framework fsdp for a PyTorch FSDP stack)"
                                             : " (--framework megatron for Megatron-LM)"));
  line(fmt::format(
      "Layout     {}{}", to_string(r.layout),
      r.searched ? fmt::format("  ({}; searched {} configurations{})", r.bound_by, r.search.evaluated,
                               r.search.stopped == SearchStop::complete ? "" : ", stopped early: the best found so far")
                 : std::string()));
  line(fmt::format("Job        {} tokens, sequence {}, {} sequences ({} tokens) per step", format_count(r.job.tokens),
                   format_tokens(r.job.seq), r.job.global_batch_seqs,
                   format_count(r.job.global_batch_seqs * r.job.seq)));
  line(fmt::format(
      "Memory     {} per GPU of {} with {:.0f}% kept free (weights {}, gradients {}, optimizer {}, "
      "activations {})",
      format_gib(est.memory_bytes), format_gib(r.capacity_bytes), 100 * r.headroom, format_gib(est.weights_bytes),
      format_gib(est.gradients_bytes), format_gib(est.optimizer_bytes), format_gib(est.activations_bytes)));
  line("");
  line(fmt::format(
      "Step       {:.3f} s = compute {:.3f} + pipeline bubble {:.3f} + optimizer {:.3f} + TP {:.3f}"
      " + PP {:.3f} + DP {:.3f} + CP {:.3f} + EP {:.3f}",
      est.step_s, est.compute_s, est.bubble_s, est.optimizer_s, est.tp_s, est.pp_s, est.dp_s, est.cp_s, est.ep_s));
  line(fmt::format("Throughput {} tokens/s, MFU {:.1f}%, communication {:.1f}% of the step",
                   format_count(est.tokens_per_s), 100 * est.mfu, 100 * est.comm_fraction));
  line(fmt::format("Run        {} steps, {}, {} GPU-hours, {:.0f} kWh (TDP x {:.2f} node factor x PUE {:.2f})",
                   est.steps, wall_time(est.wall_s), format_count(est.gpu_hours), r.energy_kwh, r.server_power_factor,
                   r.pue));
  line(r.usd_per_gpu_hour > 0
           ? fmt::format("Cost       ${:.0f} at ${:.2f} per GPU-hour", r.cost_usd, r.usd_per_gpu_hour)
           : "Cost       no rental price for this card: give --price-per-gpu-hour");
  if (r.moe_median > 0) {
    line(fmt::format(
        "MoE        measured token-dropless MoE runs were {:.2f}-{:.2f}x slower than this model predicts "
        "(median {:.2f}x; routing, permutation and grouped GEMMs are not modelled): at the median, "
        "{}, ${:.0f}",
        r.moe_low, r.moe_high, r.moe_median, wall_time(est.wall_s * r.moe_median), r.cost_usd * r.moe_median));
  }
  if (r.searched) {
    const double price = r.usd_per_gpu_hour;
    line(fmt::format("Fastest    {} on {} GPUs: {}, ${:.0f}", to_string(r.search.fastest), r.search.gpus_fastest,
                     wall_time(r.search.fastest_estimate.wall_s), r.search.fastest_estimate.gpu_hours * price));
    line(fmt::format("Cheapest   {} on {} GPUs: {}, ${:.0f}", to_string(r.search.cheapest), r.search.gpus_cheapest,
                     wall_time(r.search.cheapest_estimate.wall_s), r.search.cheapest_estimate.gpu_hours * price));
  }
  if (!r.search.rejected.empty()) line("Rejected   " + rejected_text(r.search, " "));
  line("");
  line("Scale-out  (best layout at each size)");
  for (const auto& s : r.scale) {
    line(fmt::format("  {:>6} GPU{:<2} {}", s.gpus, s.gpus > 1 ? "s" : "",
                     s.fits ? fmt::format("MFU {:.1f}%", 100 * s.mfu) : std::string("does not fit")));
  }
  if (r.method == Mode::pretrain) {
    line(fmt::format("Chinchilla {:.1f} tokens per parameter (compute-optimal is ~20, Hoffmann et al. 2022){}",
                     r.tokens_per_param, r.tokens_per_param < 20 ? "" : "; beyond it, gains per token shrink"));
    line(
        "           Fine-tuning an existing open model of this size on the same data costs a fraction of this: try "
        "--method full/lora with the tokens you actually need.");
  }
  return t;
}

}  // namespace gpuplan::io
