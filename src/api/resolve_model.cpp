// The model, the card, the precision and the context of a request: the steps every command shares.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "gpuplan/api/defaults.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"
#include "resolve.hpp"

namespace gpuplan::api {
namespace {

Result<bool> load_model(const Context& ctx, const ModelArgs& a, Resolved& r, sources::LoadedModel& source) {
  if (a.model && a.params) return make_error(ErrorCode::conflict, "give either a model name or --params, not both");
  if (!a.model && !a.params) {
    return make_error(ErrorCode::invalid_argument,
                      "which model? give a name (e.g. llama-3.1-8b; 'gpuplan models' lists them) or --params 13B");
  }
  if (a.params) {
    const std::string size = format_count(*a.params);
    r.model.id = "custom-" + whole_text(*a.params);
    r.model.name = "Custom " + size + " (Llama-shaped)";
    r.model.arch = assumed_arch(*a.params);
    r.architecture_assumed = true;
    return true;
  }
  const std::string& spec = *a.model;
  if (const Model* entry = sources::catalog_entry(spec, *ctx.catalog)) {  // no LoadedModel to build
    r.model = *entry;
    r.model_kind = "catalog";
    return true;
  }
  // Catalog names resolve before the file system; ctx.sources.allow_local_paths forbids paths.
  auto loaded = sources::load_model_source(spec, *ctx.catalog, ctx.sources);
  if (!loaded) return loaded.error();
  if (!loaded.value().has_architecture) {
    return make_error(ErrorCode::invalid_argument, "'" + spec +
                                                       "' has tensors but no architecture (no config.json next to "
                                                       "it); 'gpuplan inspect' shows what it holds");
  }
  source = std::move(loaded).value();
  r.model = std::move(source.model);
  r.model_kind = source.kind;
  for (const auto& w : source.warnings) add_warning(r, w);
  return true;
}

// "m3-max-64gb": a catalog card with one of its listed memory options (Apple sells the same chip
// with several sizes; memory_options_gib in data/gpus.json). Returns the card at that size.

Result<bool> resolve_card(const Context& ctx, const ModelArgs& a, Resolved& r) {
  if (!a.gpu) {
    return make_error(ErrorCode::invalid_argument,
                      "which GPU? give --gpu (e.g. --gpu rtx-4090; 'gpuplan gpus' lists them)");
  }
  auto g = find_card(*ctx.catalog, *a.gpu);
  if (!g) return g.error();
  r.gpu = std::move(g).value();
  Scenario& s = r.scenario;
  s.arch = r.model.arch;
  s.gpu_memory_bytes = usable_memory_bytes(r.gpu);
  if (a.gpu_memory_bytes) {
    // An Apple card keeps Metal's working-set share of the memory given (m3-max --gpu-memory 64GB).
    // The share follows the memory given (2/3 at 36 GiB, 75 % above), not the catalog's size.
    Gpu sized = r.gpu;
    sized.memory_bytes = *a.gpu_memory_bytes;
    s.gpu_memory_bytes = usable_memory_bytes(sized);
  }
  s.gpus = a.gpus.value_or(1);
  if (a.overhead_bytes) s.runtime_overhead_bytes = *a.overhead_bytes;
  return true;
}

// The precision: as asked; else the checkpoint's own format (a file's, or the catalog's
// weights_dtype), run as the card can (FP32 checkpoints and cards without BF16 serve in FP16/BF16).
Result<bool> resolve_precision(const ModelArgs& a, const sources::LoadedModel& source, Resolved& r) {
  Scenario& s = r.scenario;
  const Mode mode = s.workload.mode;
  std::string quant;
  bool file_format = false;
  if (a.quant) {
    quant = *a.quant;
  } else if (mode == Mode::qlora) {
    quant = defaults::kQloraQuant;
  } else if (is_training(mode)) {
    quant = defaults::kFloatQuant;
  } else {
    file_format = r.model_kind != "catalog" && !source.precision.empty();
    quant = file_format                     ? source.precision
            : r.model.weights_dtype.empty() ? defaults::kFloatQuant
                                            : r.model.weights_dtype;
    if (quant == "fp32" || quant == "f32") quant = defaults::kFloatQuant;
    const bool no_bf16 = r.gpu.dense_flops.bf16 <= 0 && r.gpu.vendor_kind == Vendor::nvidia;
    if (no_bf16 && (quant == "bf16" || quant == "fp32")) quant = "fp16";
    r.precision_is_native = !r.architecture_assumed;
  }
  auto p = find_precision(quant);
  if (!p) return p.error();
  s.precision = p.value();
  if (file_format && source.has_tensors && source.tensors_as_loaded && source.tensors.weights.total > 0) {
    s.measured_weights = source.tensors.weights;
    r.weights_measured = true;
  }
  return true;
}

}  // namespace

std::string whole_text(double value) {
  return std::to_string(static_cast<long long>(std::llround(value)));
}

void add_warning(Resolved& r, std::string text) {
  r.warnings.push_back(std::move(text));
}

Result<Gpu> find_card(const Catalog& catalog, const std::string& name) {
  auto direct = find_gpu(catalog, name);
  if (direct) return *direct.value();
  const std::size_t dash = name.rfind('-');
  if (dash == std::string::npos || name.size() < dash + 4) return direct.error();
  std::string suffix = name.substr(dash + 1);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::tolower(c); });
  if (suffix.size() < 3 || suffix.substr(suffix.size() - 2) != "gb") return direct.error();
  auto base = find_gpu(catalog, name.substr(0, dash));
  if (!base) return direct.error();
  const std::string digits = suffix.substr(0, suffix.size() - 2);
  const bool whole = !digits.empty() &&
                     std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  const std::vector<double>& options = base.value()->memory_options_gib;
  if (!whole || digits.size() > 5 || std::find(options.begin(), options.end(), std::stod(digits)) == options.end()) {
    std::string listed;
    for (const double o : options) listed += (listed.empty() ? "" : ", ") + whole_text(o) + "gb";
    return make_error(ErrorCode::unknown_name,
                      "unknown GPU '" + name + "'" +
                          (listed.empty() ? std::string() : "; " + base.value()->id + " comes with " + listed));
  }
  Gpu g = *base.value();
  g.memory_bytes = std::stod(digits) * kGiB;
  g.id += "-" + digits + "gb";
  g.name += " " + digits + " GB";
  return g;
}

Result<bool> resolve_model(const Context& ctx, const ModelArgs& a, const ModelInputs& in, Resolved& r) {
  sources::LoadedModel source;
  auto loaded = load_model(ctx, a, r, source);
  if (!loaded) return loaded.error();
  auto card = resolve_card(ctx, a, r);
  if (!card) return card.error();
  Scenario& s = r.scenario;
  auto mode = parse_mode(in.mode);
  if (!mode) return mode.error();
  Workload& w = s.workload;
  w.mode = mode.value();
  const bool training = is_training(w.mode);
  if (in.context_tokens) {
    w.context = *in.context_tokens;
  } else {
    w.context = training ? defaults::kTrainingSeqTokens : defaults::kInferenceContextTokens;
    if (s.arch.context_length > 0) w.context = std::min(w.context, s.arch.context_length);
  }
  if (s.arch.context_length > 0 && w.context > s.arch.context_length) {
    add_warning(r, "warning: context " + format_tokens(w.context) + " is longer than the model's " +
                       format_tokens(s.arch.context_length) + " (needs RoPE scaling); estimating anyway");
  }
  w.ubatch = in.ubatch_tokens.value_or(defaults::kUbatchTokens);
  const std::string kv = a.kv_dtype.value_or(defaults::kKvDtype);
  auto kv_bytes = kv_bytes_per_element(kv);
  if (!kv_bytes) return kv_bytes.error();
  w.kv_bytes = kv_bytes.value();
  w.kv_dtype = kv;
  w.flash_attention = !a.no_flash_attention;
  auto precision = resolve_precision(a, source, r);
  if (!precision) return precision.error();
  return true;
}

}  // namespace gpuplan::api
