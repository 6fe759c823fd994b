// fit: a model, a card and a workload resolved into a scenario, its estimate and the advice.
#include <algorithm>
#include <cmath>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
Result<Optimizer> parse_optimizer(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "adamw" || k == "adam") return Optimizer::adamw;
  if (k == "adamw-8bit" || k == "adam-8bit" || k == "adamw8bit" || k == "paged-adamw-8bit")
    return Optimizer::adamw_8bit;
  if (k == "sgd") return Optimizer::sgd;
  if (k == "sgd-momentum" || k == "momentum") return Optimizer::sgd_momentum;
  if (k == "adafactor") return Optimizer::adafactor;
  if (k == "lion") return Optimizer::lion;
  return make_error(ErrorCode::unknown_name,
                    "unknown optimizer '" + text + "'" +
                        suggestion_suffix(text, {"adamw", "adamw-8bit", "sgd", "sgd-momentum", "adafactor", "lion"}));
}

namespace {

// Training knobs of fit: refused in inference, validated otherwise.
Result<bool> apply_training_knobs(const FitRequest& q, Workload& w) {
  const bool training = is_training(w.mode);
  if (!training && (q.optimizer || q.recompute || q.offload_optimizer || q.optimizer_in_backward ||
                    q.no_master_weights || q.loss_chunks)) {
    return make_error(ErrorCode::conflict,
                      "--optimizer, --recompute, --offload-optimizer, --optimizer-in-backward, --no-master-weights "
                      "and --loss-chunks apply to training modes, not --mode inference");
  }
  const bool adapters = w.mode == Mode::lora || w.mode == Mode::qlora;
  if (!adapters && (q.lora_rank || q.lora_targets)) {
    return make_error(ErrorCode::conflict, "--lora-rank and --lora-targets apply to --mode lora or qlora");
  }
  if (q.optimizer) {
    auto opt = parse_optimizer(*q.optimizer);
    if (!opt) return opt.error();
    w.optimizer = opt.value();
  }
  if (q.recompute) {
    auto rc = parse_recompute(*q.recompute);
    if (!rc) return rc.error();
    w.recompute = rc.value();
  }
  w.optimizer_offload = q.offload_optimizer;
  w.optimizer_in_backward = q.optimizer_in_backward;
  w.master_weights = !q.no_master_weights;
  w.lora_rank = q.lora_rank.value_or(defaults::kLoraRank);
  const std::string targets = canonical_name(q.lora_targets.value_or("all"));
  if (targets != "all" && targets != "all-linear" && targets != "attn" && targets != "attention") {
    return make_error(ErrorCode::invalid_argument, "--lora-targets must be 'all' or 'attn'");
  }
  w.lora_all_linear = targets == "all" || targets == "all-linear";
  w.loss_chunks = q.loss_chunks.value_or(defaults::kLossChunks);
  return true;
}

}  // namespace

Result<bool> check_mode_precision(const Resolved& r, const std::string& mode_text, std::string_view flag) {
  const std::string f(flag);
  const Workload& w = r.scenario.workload;
  const Precision& p = r.scenario.precision;
  if ((w.mode == Mode::full_finetune || w.mode == Mode::pretrain || w.mode == Mode::lora) &&
      p.kind != QuantKind::floating) {
    return make_error(ErrorCode::conflict, f + " " + mode_text + " trains in a float format; '" + p.name +
                                               "' is quantised (use " + f +
                                               " qlora for a 4-bit base, or --quant bf16)");
  }
  // QLoRA's base is an integer-quantised (bitsandbytes / GPTQ) model; FP8 is a float format
  // (bitsandbytes and PEFT have no FP8 base for QLoRA).
  const bool float8 = p.name == "fp8";
  if (w.mode == Mode::qlora && (p.linear_bits > 8.5 || float8)) {
    return make_error(ErrorCode::conflict, f + " qlora needs a quantised base (nf4, nf4-dq, int8, gptq-int4); got '" +
                                               p.name + "' — use " + f + " lora for a 16-bit base");
  }
  return true;
}

Result<Recompute> parse_recompute(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "none" || k == "off" || k == "no") return Recompute::none;
  if (k == "selective") return Recompute::selective;
  if (k == "full" || k == "on" || k == "yes") return Recompute::full;
  return make_error(ErrorCode::unknown_name,
                    "unknown --recompute '" + text + "'" + suggestion_suffix(text, {"none", "selective", "full"}));
}

Result<Mode> parse_mode(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "inference" || k == "serve" || k == "infer") return Mode::inference;
  if (k == "full-finetune" || k == "full" || k == "finetune" || k == "full-fine-tune" || k == "sft") {
    return Mode::full_finetune;
  }
  if (k == "lora") return Mode::lora;
  if (k == "qlora") return Mode::qlora;
  if (k == "pretrain" || k == "train" || k == "pre-train") return Mode::pretrain;
  return make_error(ErrorCode::unknown_name, "unknown --mode '" + text + "'" +
                                                 suggestion_suffix(text, {"inference", "full-finetune", "lora", "qlora",
                                                                          "pretrain", "train", "finetune"}));
}

Result<bool> resolve_fit_into(const Context& ctx, const FitRequest& q, Resolved& r) {
  ModelInputs in;
  in.mode = q.mode.value_or("inference");
  in.context_tokens = q.context_tokens;
  in.ubatch_tokens = q.ubatch_tokens;
  auto resolved = resolve_model(ctx, q, in, r);
  if (!resolved) return resolved;
  Workload& w = r.scenario.workload;
  w.batch = q.batch.value_or(defaults::kBatch);
  auto knobs = apply_training_knobs(q, w);
  if (!knobs) return knobs.error();
  auto ok = check_mode_precision(r, in.mode, "--mode");
  if (!ok) return ok.error();
  auto engine = apply_engine(ctx, q, q, q.context_tokens.has_value(), q.batch.has_value(), r);
  if (!engine) return engine.error();
  return true;
}

Result<Resolved> resolve_fit(const Context& ctx, const FitRequest& q) {
  Resolved r;
  auto ok = resolve_fit_into(ctx, q, r);
  if (!ok) return ok.error();
  return r;
}

Result<FitResponse> run_fit(const Context& ctx, const FitRequest& q) {
  FitResponse out;
  auto r = resolve_fit_into(ctx, q, out.resolved);
  if (!r) return r.error();
  out.estimate = estimate(out.resolved.scenario);
  // The generic advice speaks of the generic model: with an engine, only when it does not fit.
  if (!(out.estimate.has_engine && out.estimate.fits)) {
    out.suggestions = fit_suggestions(out.resolved.scenario, out.estimate, ctx.catalog->gpus, &out.resolved.gpu);
  }
  return out;
}

}  // namespace gpuplan::api
