#include "gpuplan/advice.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gpuplan/units.hpp"

namespace gpuplan {
namespace {

std::string fmt_int(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

bool fits(const Scenario& s) {
  return estimate_memory(s).total_bytes <= s.gpu_memory_bytes;
}

void suggest_precision(const Scenario& s, std::vector<FitSuggestion>& out) {
  if (s.workload.mode == Mode::inference) {
    // From most to least faithful: the first one that fits loses the least quality. Ordered by the
    // weights they give this model, since e.g. fp8 (16-bit embeddings) and q8_0 trade places by model.
    const char* ladder[] = {"bf16", "fp8", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q3_k_m", "q2_k", "iq2_xxs"};
    const double current = scenario_weights_bytes(s);
    std::vector<std::pair<double, Precision>> options;
    for (const char* name : ladder) {
      auto p = find_precision(name);
      const double w = p ? weights_bytes(s.arch, p.value()) : current;
      if (w < current) options.emplace_back(w, p.value());
    }
    std::stable_sort(options.begin(), options.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [w, p] : options) {
      Scenario t = s;
      t.precision = p;
      t.measured_weights = {};  // the file's measured bytes belong to its own precision
      if (fits(t)) {
        out.push_back({"precision", "use --quant " + p.name + " (" + p.quality + ")", p.name});
        return;
      }
    }
    return;
  }
  if (s.workload.mode == Mode::full_finetune || s.workload.mode == Mode::pretrain) {
    Scenario t = s;
    t.workload.mode = Mode::lora;
    t.workload.recompute = Recompute::full;
    if (fits(t)) {
      out.push_back({"method", "fine-tune with LoRA (--mode lora): frozen base, small adapters", "lora"});
      return;
    }
  }
  if (s.workload.mode != Mode::qlora) {
    Scenario t = s;
    t.workload.mode = Mode::qlora;
    t.workload.recompute = Recompute::full;
    t.precision = find_precision("nf4-dq").value();
    t.measured_weights = {};
    if (fits(t)) {
      out.push_back({"method", "fine-tune with QLoRA (--mode qlora): 4-bit NF4 base, bf16 compute", "qlora"});
    }
  }
}

// Training memory savers, applied cumulatively from the cheapest in speed to the dearest; the
// first combination that fits is the suggestion. Returns the scenario with all of them applied.
Scenario suggest_training_knobs(const Scenario& s, std::vector<FitSuggestion>& out) {
  Scenario t = s;
  if (!is_training(s.workload.mode)) return t;
  std::string steps;
  std::string value;
  auto step = [&](const char* text, const char* key) {
    if (!steps.empty()) steps += " + ";
    steps += text;
    if (!value.empty()) value += ",";
    value += key;
    if (fits(t)) {
      out.push_back({"training", "turn on " + steps, value});
      return true;
    }
    return false;
  };
  if (t.workload.recompute != Recompute::full) {
    t.workload.recompute = Recompute::full;
    if (step("full activation checkpointing (--recompute full)", "recompute=full")) return t;
  }
  const bool full = s.workload.mode == Mode::full_finetune || s.workload.mode == Mode::pretrain;
  if (full && t.workload.optimizer == Optimizer::adamw) {
    t.workload.optimizer = Optimizer::adamw_8bit;
    if (step("8-bit AdamW (--optimizer adamw-8bit)", "optimizer=adamw-8bit")) return t;
  }
  if (full && !t.workload.optimizer_offload) {
    t.workload.optimizer_offload = true;
    if (step("optimizer states in CPU RAM (--offload-optimizer)", "offload-optimizer")) return t;
  }
  return t;
}

void suggest_sequence(const Scenario& s, const Estimate& e, std::vector<FitSuggestion>& out) {
  const char* what = is_training(s.workload.mode) ? "sequence length" : "context";
  if (e.max_context >= 1 && e.max_context < s.workload.context) {
    out.push_back({"context", "shorten the " + std::string(what) + " to " + fmt_int(e.max_context) + " tokens",
                   fmt_int(e.max_context)});
  }
  if (e.max_batch >= 1 && e.max_batch < s.workload.batch) {
    out.push_back({"batch", "lower the batch to " + fmt_int(e.max_batch), fmt_int(e.max_batch)});
  }
  if (!is_training(s.workload.mode) && s.workload.kv_bytes >= 2 && e.memory.kv_cache_bytes > 0) {
    Scenario t = s;
    t.workload.kv_bytes = 34.0 / 32.0;
    t.workload.kv_dtype = "q8_0";
    if (fits(t)) {
      out.push_back({"kv_cache", "store the KV cache in 8 bits (--kv-dtype q8_0 or fp8): half the KV memory", "q8_0"});
    }
  }
}

void suggest_hardware(const Scenario& s, const Estimate& e, const std::vector<Gpu>& gpus,
                      std::vector<FitSuggestion>& out) {
  const Gpu* best = nullptr;
  for (const auto& g : gpus) {
    Scenario t = s;
    t.gpu_memory_bytes = usable_memory_bytes(g);
    if (t.gpu_memory_bytes <= s.gpu_memory_bytes || !fits(t)) continue;
    const bool smaller = best == nullptr || g.memory_bytes < best->memory_bytes ||
                         (g.memory_bytes == best->memory_bytes && g.launch_price_usd > 0 &&
                          (best->launch_price_usd == 0 || g.launch_price_usd < best->launch_price_usd));
    if (smaller) best = &g;
  }
  if (best) {
    out.push_back(
        {"bigger_gpu",
         "a card with more memory: " + best->id + " (" + format_gib(best->memory_bytes) + ") is the smallest that fits",
         best->id});
  }
  if (e.min_gpus > s.gpus && e.min_gpus > 0) {
    out.push_back({"more_gpus",
                   "split across " + fmt_int(e.min_gpus) +
                       " of these cards (weights and KV sharded evenly; "
                       "layouts and interconnect cost are estimated separately)",
                   fmt_int(e.min_gpus)});
  }
}

}  // namespace

std::vector<FitSuggestion> fit_suggestions(const Scenario& s, const Estimate& e, const std::vector<Gpu>& gpus) {
  std::vector<FitSuggestion> out;
  if (e.fits) return out;
  suggest_precision(s, out);
  const Scenario saver = suggest_training_knobs(s, out);
  suggest_sequence(s, e, out);
  // Hardware: for training, with the memory savers on (activations per card do not shrink with more cards).
  suggest_hardware(saver, is_training(s.workload.mode) ? estimate(saver) : e, gpus, out);
  return out;
}

}  // namespace gpuplan
