#include "gpuplan/advice.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "gpuplan/precision.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan {
namespace {

// The verdict `fit` prints for the scenario: the whole estimate, engine and all.
bool fits(const Scenario& s) {
  return estimate(s).fits;
}

// A card runs a format: FP8 needs FP8 tensor cores, BF16 needs BF16 units (T4, V100 have neither).
bool card_runs(const Gpu& g, const Precision& p) {
  if (p.name == "fp8") return g.dense_flops.fp8 > 0;
  if (p.name == "bf16") return g.dense_flops.bf16 > 0;
  return true;
}

// The cards the scenario may be on: the one given, else every catalog card of its usable memory
// (a format is suggested only when all of them run it).
std::vector<const Gpu*> cards_of(const Scenario& s, const std::vector<Gpu>& gpus, const Gpu* current) {
  if (current != nullptr) return {current};
  std::vector<const Gpu*> out;
  for (const auto& g : gpus) {
    if (usable_memory_bytes(g) == s.gpu_memory_bytes) out.push_back(&g);
  }
  return out;
}
bool cards_run(const std::vector<const Gpu*>& cards, const Precision& p) {
  return std::all_of(cards.begin(), cards.end(), [&p](const Gpu* g) { return card_runs(*g, p); });
}

// The scenario moved onto card `g`, as `fit --gpu <g>` resolves it.
Scenario on_card(const Scenario& s, const Gpu& g) {
  Scenario t = s;
  t.gpu_memory_bytes = usable_memory_bytes(g);
  t.unified_memory = s.engine_spec.family != EngineFamily::none && g.unified_memory;
  t.engine.visible_bytes = 0;
  return t;
}

// The scenario at precision `p` with its weights priced once, as a plan search prices them: the
// advice estimates it on many cards and counts, each reusing these bytes instead of pricing every
// tensor again. A checkpoint's measured bytes stay when they are of this precision.
Scenario priced_at(const Scenario& s, const Precision& p, const WeightBytes* totals = nullptr) {
  Scenario t = s;
  t.precision = p;
  if (!(s.measured_weights.total > 0 && s.precision.name == p.name)) {
    t.measured_weights = totals != nullptr ? *totals : weight_bytes_breakdown(s.arch, p);
  }
  t.layer_weights = nullptr;
  if (t.engine_spec.family == EngineFamily::llamacpp) {
    t.layer_weights = std::make_shared<const LayerWeightBytes>(layer_weight_bytes(s.arch, p));
  }
  return t;
}

void suggest_precision(const Scenario& s, const std::vector<const Gpu*>& cards, std::vector<FitSuggestion>& out) {
  if (s.workload.mode == Mode::inference) {
    // From most to least faithful: the first one that fits loses the least quality. Ordered by the
    // weights they give this model, since e.g. fp8 (16-bit embeddings) and q8_0 trade places by model.
    // An engine named gets the formats it serves: GGUF types on llama.cpp, FP8 and AWQ on the paged
    // engines (vLLM, SGLang, TensorRT-LLM); without one, all of them.
    static const std::vector<const char*> any = {"bf16",   "fp8",    "q8_0", "q6_k",   "q5_k_m",
                                                 "q4_k_m", "q3_k_m", "q2_k", "iq2_xxs"};
    static const std::vector<const char*> paged = {"bf16", "fp8", "awq-int4"};
    static const std::vector<const char*> gguf = {"f16",    "q8_0",   "q6_k", "q5_k_m",
                                                  "q4_k_m", "q3_k_m", "q2_k", "iq2_xxs"};
    const EngineFamily family = s.engine_spec.family;
    const std::vector<const char*>& ladder =
        family == EngineFamily::paged ? paged : (family == EngineFamily::llamacpp ? gguf : any);
    const double current = scenario_weights_bytes(s);
    struct Option {
      WeightBytes weights;
      Precision precision;
    };
    std::vector<Option> options;
    for (const char* name : ladder) {
      auto p = find_precision(name);
      if (p && !cards_run(cards, p.value())) p = find_precision(p.value().name == "bf16" ? "fp16" : "");
      if (!p) continue;
      WeightBytes w = weight_bytes_breakdown(s.arch, p.value());
      if (w.total < current) options.push_back({w, p.value()});
    }
    std::stable_sort(options.begin(), options.end(),
                     [](const Option& a, const Option& b) { return a.weights.total > b.weights.total; });
    for (const auto& [w, p] : options) {
      // The file's measured bytes belong to its own precision: another one is priced from the arch.
      const Scenario t = priced_at(s, p, &w);
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
    t = priced_at(t, find_precision("nf4-dq").value());
    if (fits(t)) {
      out.push_back({"method", "fine-tune with QLoRA (--mode qlora): 4-bit NF4 base, bf16 compute", "qlora"});
    }
  }
}

// The scenario with training memory savers on and the flags that turn them on.
struct Savers {
  Scenario scenario;
  std::string flags;  // "--recompute full --optimizer adamw-8bit ..."; empty when none applies
};

// Training memory savers, applied cumulatively from the cheapest in speed to the dearest; the
// first combination that fits is the suggestion. Returns the scenario with all of them applied.
Savers suggest_training_knobs(const Scenario& s, std::vector<FitSuggestion>& out) {
  Savers r{s, {}};
  Scenario& t = r.scenario;
  if (!is_training(s.workload.mode)) return r;
  std::string steps;
  std::string value;
  auto step = [&](const char* text, const char* key, const char* flag) {
    if (!steps.empty()) steps += " + ";
    steps += text;
    if (!value.empty()) value += ",";
    value += key;
    if (!r.flags.empty()) r.flags += ' ';
    r.flags += flag;
    if (fits(t)) {
      out.push_back({"training", "turn on " + steps, value});
      return true;
    }
    return false;
  };
  if (t.workload.recompute != Recompute::full) {
    t.workload.recompute = Recompute::full;
    if (step("full activation checkpointing (--recompute full)", "recompute=full", "--recompute full")) return r;
  }
  const bool full = s.workload.mode == Mode::full_finetune || s.workload.mode == Mode::pretrain;
  if (full && t.workload.optimizer == Optimizer::adamw) {
    t.workload.optimizer = Optimizer::adamw_8bit;
    if (step("8-bit AdamW (--optimizer adamw-8bit)", "optimizer=adamw-8bit", "--optimizer adamw-8bit")) return r;
  }
  if (full && !t.workload.optimizer_offload) {
    t.workload.optimizer_offload = true;
    if (step("optimizer states in CPU RAM (--offload-optimizer)", "offload-optimizer", "--offload-optimizer")) return r;
  }
  return r;
}

void suggest_sequence(const Scenario& s, const Estimate& e, std::vector<FitSuggestion>& out) {
  const char* what = is_training(s.workload.mode) ? "sequence length" : "context";
  if (e.max_context >= 1 && e.max_context < s.workload.context) {
    out.push_back({"context", "shorten the " + std::string(what) + " to " + format_whole(e.max_context) + " tokens",
                   format_whole(e.max_context)});
  }
  if (e.max_batch >= 1 && e.max_batch < s.workload.batch) {
    out.push_back({"batch", "lower the batch to " + format_whole(e.max_batch), format_whole(e.max_batch)});
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

// The smallest card with more memory that runs the precision and on which the scenario fits.
const Gpu* bigger_card(const Scenario& s, const std::vector<Gpu>& gpus) {
  const Gpu* best = nullptr;
  for (const auto& g : gpus) {
    if (!card_runs(g, s.precision) || (s.gpus > 1 && g.unified_memory)) continue;
    const Scenario t = on_card(s, g);
    if (t.gpu_memory_bytes <= s.gpu_memory_bytes || !fits(t)) continue;
    const bool smaller = best == nullptr || g.memory_bytes < best->memory_bytes ||
                         (g.memory_bytes == best->memory_bytes && g.launch_price_usd > 0 &&
                          (best->launch_price_usd == 0 || g.launch_price_usd < best->launch_price_usd));
    if (smaller) best = &g;
  }
  return best;
}

// The fewest cards of this kind, from the ideal even split up, on which the scenario fits; 0 if none.
double cards_needed(const Scenario& s, const Estimate& e) {
  if (e.min_gpus <= 0 || s.unified_memory) return 0;
  const double first = std::max(e.min_gpus, s.gpus + 1);
  for (double n = first; n <= first + 64; ++n) {
    Scenario t = s;
    t.gpus = n;
    if (t.engine_spec.family != EngineFamily::none) t.engine.tp = n;
    if (fits(t)) return n;
  }
  return 0;
}

void suggest_hardware(const Scenario& s, const Savers& savers, const std::vector<Gpu>& gpus,
                      std::vector<FitSuggestion>& out) {
  // The smallest card that fits: as asked, or with the memory savers on (naming their flags) when
  // that needs a smaller card (QLoRA of a 70B: 48 GB with --recompute full, not 94 GB without).
  std::string with;
  const Gpu* best = bigger_card(s, gpus);
  if (!savers.flags.empty()) {
    const Gpu* saved = bigger_card(savers.scenario, gpus);
    if (saved != nullptr && (best == nullptr || saved->memory_bytes < best->memory_bytes)) {
      best = saved;
      with = " with " + savers.flags;
    }
  }
  if (best) {
    out.push_back({"bigger_gpu",
                   "a card with more memory: " + best->id + " (" + format_gib(best->memory_bytes) +
                       ") is the smallest that fits" + with,
                   best->id});
  }
  with.clear();
  double n = cards_needed(s, estimate(s));
  if (n <= 0 && !savers.flags.empty()) {
    n = cards_needed(savers.scenario, estimate(savers.scenario));
    with = " with " + savers.flags;
  }
  if (n > s.gpus) {
    out.push_back({"more_gpus",
                   "split across " + format_whole(n) + " of these cards (--gpus " + format_whole(n) + with +
                       "; weights and KV sharded evenly; "
                       "layouts and interconnect cost are estimated separately)",
                   format_whole(n)});
  }
}

}  // namespace

std::vector<FitSuggestion> fit_suggestions(const Scenario& s, const Estimate& e, const std::vector<Gpu>& gpus,
                                           const Gpu* current) {
  std::vector<FitSuggestion> out;
  if (e.fits) return out;
  const Scenario priced = priced_at(s, s.precision);
  suggest_precision(priced, cards_of(s, gpus, current), out);
  const Savers savers = suggest_training_knobs(priced, out);
  suggest_sequence(priced, e, out);
  suggest_hardware(priced, savers, gpus, out);
  return out;
}

std::vector<FitSuggestion> fit_suggestions(const Scenario& s, const Estimate& e, const std::vector<Gpu>& gpus) {
  return fit_suggestions(s, e, gpus, nullptr);
}

}  // namespace gpuplan
