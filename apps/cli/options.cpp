#include "options.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::cli {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid_argument, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > io::kMaxCatalogBytes) return make_error(ErrorCode::invalid_argument, "'" + path + "' is too large");
  return text;
}

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

Result<Recompute> parse_recompute(const std::string& text) {
  const std::string k = canonical_name(text);
  if (k == "none" || k == "off" || k == "no") return Recompute::none;
  if (k == "selective") return Recompute::selective;
  if (k == "full" || k == "on" || k == "yes") return Recompute::full;
  return make_error(ErrorCode::unknown_name,
                    "unknown --recompute '" + text + "'" + suggestion_suffix(text, {"none", "selective", "full"}));
}

Result<double> parse_whole(const std::string& text, const char* what, double max) {
  auto v = parse_count(text, what);
  if (!v) return v;
  if (v.value() != std::floor(v.value()) || v.value() < 1) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": must be a whole number >= 1, got '" + text + "'");
  }
  if (v.value() > max) {
    return make_error(ErrorCode::out_of_range, std::string(what) + ": '" + text + "' is absurdly large");
  }
  return v;
}

}  // namespace

std::string fmt_count(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
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

Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file) {
  auto catalog = io::builtin_catalog();
  if (!catalog) return catalog;
  Catalog c = std::move(catalog).value();
  if (!models_file.empty()) {
    auto text = read_file(models_file);
    if (!text) return text.error();
    auto ok = io::merge_models_json(c, text.value());
    if (!ok) return make_error(ok.error().code, models_file + ": " + ok.error().message);
  }
  if (!gpus_file.empty()) {
    auto text = read_file(gpus_file);
    if (!text) return text.error();
    auto ok = io::merge_gpus_json(c, text.value());
    if (!ok) return make_error(ok.error().code, gpus_file + ": " + ok.error().message);
  }
  return c;
}

// The model options of the commands not yet on the request layer (cost, train).
void add_model_options(CLI::App* cmd, FitOptions& o) {
  cmd->add_option("model", o.model,
                  "Model: a catalog name or alias (gpuplan models, e.g. llama-3.1-8b), a folder with config.json "
                  "and *.safetensors, a config.json, .safetensors or .gguf file, or hf:org/name[@revision]");
  cmd->add_option("--params", o.params, "Only a size is known: e.g. 13B (a Llama-shaped architecture is assumed)");
  cmd->add_option("--gpu", o.gpu, "GPU name or alias (gpuplan gpus), e.g. rtx-4090, h100-sxm, m2-ultra");
  cmd->add_option("--gpus", o.gpus, "Number of GPUs sharing the model evenly (ideal split)")->capture_default_str();
  cmd->add_option("--gpu-memory", o.gpu_memory, "Override usable memory per GPU, e.g. 20GiB or 22GB");
  cmd->add_option("--quant,--precision,-q", o.quant,
                  "Weights precision: bf16, fp16, fp8, int8, gptq-int4, awq-int4, nf4, nf4-dq, mxfp4, "
                  "or a GGUF type (q8_0, q6_k, q5_k_m, q4_k_m, q3_k_m, q2_k, iq4_xs, ...). Default: bf16 "
                  "(nf4-dq for qlora)");
  cmd->add_option("--kv-dtype,--cache-type,--kv-cache-dtype", o.kv_dtype,
                  "KV-cache type: f16, bf16, fp8, q8_0, q4_0, f32")
      ->capture_default_str();
  cmd->add_flag("--no-flash-attention", o.no_flash_attention,
                "Attention scores are materialised (older runtimes, eager transformers)");
  cmd->add_option("--overhead", o.overhead, "Override the runtime overhead per GPU, e.g. 1GiB");
  cmd->add_flag("--json", o.json, "Print one JSON object (schema in README)");
}

Result<CliContext> make_context(const GlobalOptions& global) {
  auto catalog = load_catalog(global.models_file, global.gpus_file);
  if (!catalog) return catalog.error();
  CliContext c;
  c.catalog = std::make_shared<Catalog>(std::move(catalog).value());
  c.context.catalog = c.catalog.get();
  c.context.sources = sources::SourceOptions::from_environment();
  if (global.offline) c.context.sources.offline = true;
  return c;
}

Result<Resolved> resolve_fit(const Catalog& catalog, const FitOptions& o) {
  Resolved r;
  sources::LoadedModel source;
  // Model: a catalog name, or an assumed Llama-shaped architecture from --params.
  if (!o.model.empty() && !o.params.empty()) {
    return make_error(ErrorCode::conflict, "give either a model name or --params, not both");
  }
  if (o.model.empty() && o.params.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "which model? give a name (e.g. llama-3.1-8b; 'gpuplan models' lists them) or --params 13B");
  }
  if (!o.params.empty()) {
    auto params = parse_count(o.params, "--params");
    if (!params) return params.error();
    if (params.value() < 1e6 || params.value() > 1e14) {
      return make_error(ErrorCode::out_of_range, "--params: '" + o.params + "' is outside 1M..100T parameters");
    }
    r.model.id = "custom-" + o.params;
    r.model.name = "Custom " + o.params + " (Llama-shaped)";
    r.model.arch = assumed_arch(params.value());
    r.architecture_assumed = true;
  } else {
    // A catalog name, a local file or folder, or hf:org/name (sources/model_source.hpp).
    auto loaded = sources::load_model_source(o.model, catalog, sources::SourceOptions::from_environment());
    if (!loaded) return loaded.error();
    if (!loaded.value().has_architecture) {
      return make_error(ErrorCode::invalid_argument, "'" + o.model +
                                                         "' has tensors but no architecture (no config.json next to "
                                                         "it); 'gpuplan inspect' shows what it holds");
    }
    source = std::move(loaded).value();
    r.model = source.model;
    r.model_kind = source.kind;
    for (const auto& w : source.warnings) r.warning += (r.warning.empty() ? "" : "; ") + w;
  }

  // GPU
  if (o.gpu.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "which GPU? give --gpu (e.g. --gpu rtx-4090; 'gpuplan gpus' lists them)");
  }
  auto g = find_gpu(catalog, o.gpu);
  if (!g) return g.error();
  r.gpu = *g.value();
  Scenario& s = r.scenario;
  s.arch = r.model.arch;
  s.gpu_memory_bytes = usable_memory_bytes(r.gpu);
  if (!o.gpu_memory.empty()) {
    auto mem = parse_bytes(o.gpu_memory, "--gpu-memory");
    if (!mem) return mem.error();
    if (mem.value() > 1e15) return make_error(ErrorCode::out_of_range, "--gpu-memory: absurdly large");
    s.gpu_memory_bytes = mem.value();
  }
  auto gpus = parse_whole(o.gpus, "--gpus", 100000);
  if (!gpus) return gpus.error();
  s.gpus = gpus.value();

  // Workload
  auto mode = parse_mode(o.mode);
  if (!mode) return mode.error();
  Workload& w = s.workload;
  w.mode = mode.value();
  const bool training = is_training(w.mode);
  if (!o.context.empty()) {
    auto ctx = parse_tokens(o.context, training ? "--seq" : "--context");
    if (!ctx) return ctx.error();
    if (ctx.value() > 1e9)
      return make_error(ErrorCode::out_of_range, "--context: '" + o.context + "' is absurdly large");
    w.context = ctx.value();
  } else {
    w.context = training ? 2048 : 4096;
    if (s.arch.context_length > 0) w.context = std::min(w.context, s.arch.context_length);
  }
  if (s.arch.context_length > 0 && w.context > s.arch.context_length) {
    r.warning += std::string(r.warning.empty() ? "" : "; ") + "warning: context " + format_tokens(w.context) +
                 " is longer than the model's " + format_tokens(s.arch.context_length) +
                 " (needs RoPE scaling); estimating anyway";
  }
  if (!o.batch.empty()) {
    auto b = parse_whole(o.batch, "--batch", 1e7);
    if (!b) return b.error();
    w.batch = b.value();
  }
  auto ub = parse_whole(o.ubatch.empty() ? std::string("512") : o.ubatch, "--ubatch", 1e7);
  if (!ub) return ub.error();
  w.ubatch = ub.value();
  auto kv = kv_bytes_per_element(o.kv_dtype);
  if (!kv) return kv.error();
  w.kv_bytes = kv.value();
  w.kv_dtype = o.kv_dtype;
  w.flash_attention = !o.no_flash_attention;

  // Precision: the checkpoint's own format unless told; QLoRA means a 4-bit NF4 base.
  // A model file's own format is the default (its weights bytes then come from its tensor table).
  std::string quant = o.quant;
  bool file_format = false;
  if (quant.empty()) {
    file_format = w.mode != Mode::qlora && r.model_kind != "catalog" && !source.precision.empty();
    quant = w.mode == Mode::qlora ? "nf4-dq" : file_format ? source.precision : "bf16";
  }
  auto p = find_precision(quant);
  if (!p) return p.error();
  s.precision = p.value();
  if (file_format && source.has_tensors && source.tensors_as_loaded && source.tensors.weights.total > 0) {
    s.measured_weights = source.tensors.weights;
    r.weights_measured = true;
  }
  if ((w.mode == Mode::full_finetune || w.mode == Mode::pretrain || w.mode == Mode::lora) &&
      s.precision.kind != QuantKind::floating) {
    return make_error(ErrorCode::conflict, "--mode " + o.mode + " trains in a float format; '" + s.precision.name +
                                               "' is quantised (use --mode qlora for a 4-bit base, or --quant bf16)");
  }
  if (w.mode == Mode::qlora && s.precision.linear_bits > 8.5) {
    return make_error(ErrorCode::conflict, "--mode qlora needs a quantised base (nf4, nf4-dq, int8, gptq-int4); got '" +
                                               s.precision.name + "' — use --mode lora for a 16-bit base");
  }
  if (!training && (!o.optimizer.empty() || !o.recompute.empty() || o.offload_optimizer)) {
    return make_error(ErrorCode::conflict,
                      "--optimizer, --recompute and --offload-optimizer apply to training modes, "
                      "not --mode inference");
  }
  if (!o.optimizer.empty()) {
    auto opt = parse_optimizer(o.optimizer);
    if (!opt) return opt.error();
    w.optimizer = opt.value();
  }
  if (!o.recompute.empty()) {
    auto rc = parse_recompute(o.recompute);
    if (!rc) return rc.error();
    w.recompute = rc.value();
  }
  w.optimizer_offload = o.offload_optimizer;
  w.optimizer_in_backward = o.optimizer_in_backward;
  w.master_weights = !o.no_master_weights;
  auto rank = parse_whole(o.lora_rank, "--lora-rank", 65536);
  if (!rank) return rank.error();
  w.lora_rank = rank.value();
  const std::string targets = canonical_name(o.lora_targets);
  if (targets != "all" && targets != "all-linear" && targets != "attn" && targets != "attention") {
    return make_error(ErrorCode::invalid_argument, "--lora-targets must be 'all' or 'attn'");
  }
  w.lora_all_linear = targets == "all" || targets == "all-linear";
  auto chunks = parse_whole(o.loss_chunks, "--loss-chunks", 4096);
  if (!chunks) return chunks.error();
  w.loss_chunks = chunks.value();
  if (!o.overhead.empty()) {
    auto ov = parse_bytes(o.overhead, "--overhead");
    if (!ov) return ov.error();
    s.runtime_overhead_bytes = ov.value();
  }
  return r;
}

}  // namespace gpuplan::cli
