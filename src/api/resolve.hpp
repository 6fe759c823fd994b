// Internal to the request layer: the resolution steps every command shares.
#pragma once
#include <string>
#include <string_view>

#include "gpuplan/api/api.hpp"

namespace gpuplan::api {

// What a command says about the workload before the model is known.
struct ModelInputs {
  std::string mode = "inference";
  Number context_tokens;  // per sequence; empty = the mode's default capped at the model's limit
  Number ubatch_tokens;
};

// Model (catalog, file or --params), card, precision (the checkpoint's own unless asked), context,
// KV type and the generic memory knobs of ModelArgs.
// A catalog card by name, or a memory variant of one ("m3-max-64gb": the m3-max with 64 GB, one
// of its memory_options_gib), with Metal's working-set share following the memory.
Result<Gpu> find_card(const Catalog& catalog, const std::string& name);
// Fills `out` in place (a Resolved holds a model, a card and a scenario: moving it is not free).
Result<bool> resolve_model(const Context& ctx, const ModelArgs& args, const ModelInputs& in, Resolved& out);
// fit's resolution into `out` (resolve_fit() returns it by value).
Result<bool> resolve_fit_into(const Context& ctx, const FitRequest& request, Resolved& out);
// The engine of --runtime and its options onto the scenario (no-op without --runtime).
// `context_given` / `batch_given`: the request named them (vLLM's max_model_len, llama.cpp's n_seq).
Result<bool> apply_engine(const Context& ctx, const ModelArgs& model, const EngineArgs& args, bool context_given,
                          bool batch_given, Resolved& r);
// True when any engine option besides --runtime is set.
bool has_engine_options(const EngineArgs& args);
// The parallel layout flags into the scenario: gpus = tensor x pipeline x data parallel (from
// --tensor-parallel-size or --gpus), expert parallel checked against the model's experts.
Result<bool> apply_serving_layout(const ModelArgs& model, const EngineArgs& args, Scenario& s);

// Tensor parallelism over `tp` ranks divides the attention and KV heads; else a conflict naming `fix`.
Result<bool> check_tensor_parallel(const ModelArch& arch, double tp, std::string_view fix);

Result<Mode> parse_mode(const std::string& text);
// The mode and the precision agree: float formats for full/LoRA training, an integer base for QLoRA.
// `flag` names the option as the command spells it (fit --mode, train --method).
Result<bool> check_mode_precision(const Resolved& r, const std::string& mode_text, std::string_view flag);
Result<Recompute> parse_recompute(const std::string& text);
Result<Optimizer> parse_optimizer(const std::string& text);

void add_warning(Resolved& r, std::string text);
// A whole number as plain digits ("32768"), for ids and messages.
std::string whole_text(double value);

}  // namespace gpuplan::api
