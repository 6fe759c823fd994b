// gpuplan train: layout, step time, MFU, GPU-hours, days, energy and cost of a training run;
// a search for the fastest and cheapest layout when no layout is given.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/names.hpp"
#include "gpuplan/plan.hpp"
#include "gpuplan/training.hpp"
#include "gpuplan/units.hpp"
#include "options.hpp"

namespace gpuplan::cli {
namespace {

using nlohmann::ordered_json;

struct TrainOptions {
  std::string tokens;
  std::string epochs = "1";
  std::string method = "pretrain";
  std::string layout;
  std::string zero;
  std::string recompute;
  std::string seq = "4096";
  std::string global_batch = "4M";
  std::string micro_batch;
  std::string optimizer;
  bool offload = false;
  bool no_overlap_grad_reduce = false;
  bool fp32_grad_reduce = false;
  std::string network;
  std::string gpus_per_node = "8";
  std::string budget;
  std::string deadline;
  std::string max_gpus;
  std::string price;
  std::string efficiency;
  std::string framework = "auto";
};

Result<Layout> parse_layout(const std::string& text) {
  Layout l;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) return make_error(ErrorCode::parse_error, "--layout: '" + part + "' is not key=value");
    const std::string key = canonical_name(part.substr(0, eq));
    auto v = parse_count(part.substr(eq + 1), "--layout");
    if (!v || v.value() < 1 || v.value() > 1e6 || std::floor(v.value()) != v.value()) {
      return make_error(ErrorCode::parse_error, "--layout: '" + part + "' needs a whole number >= 1");
    }
    double* slot = key == "tp"    ? &l.tp
                   : key == "pp"  ? &l.pp
                   : key == "dp"  ? &l.dp
                   : key == "cp"  ? &l.cp
                   : key == "ep"  ? &l.ep
                   : key == "vpp" ? &l.vpp
                   : key == "mb"  ? &l.micro_batch
                                  : nullptr;
    if (slot == nullptr) {
      return make_error(
          ErrorCode::unknown_name,
          "--layout: unknown '" + key + "'" + suggestion_suffix(key, {"tp", "pp", "dp", "cp", "ep", "vpp", "mb"}));
    }
    *slot = v.value();
  }
  return l;
}

std::string days(double seconds) {
  return fmt::format("{:.1f}", seconds / 86400.0);
}

}  // namespace

std::function<int()> add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("train", "Training at scale: layout, step time, MFU, GPU-hours, days, energy, cost");
  auto fit = std::make_shared<FitOptions>();
  auto o = std::make_shared<TrainOptions>();
  add_model_options(cmd, *fit);
  cmd->add_option("--tokens", o->tokens, "Training tokens (dataset size), e.g. 2T, 200M");
  cmd->add_option("--epochs", o->epochs, "Passes over the tokens (fine-tuning)")->capture_default_str();
  cmd->add_option("--method,--mode", o->method, "pretrain | full | lora | qlora")->capture_default_str();
  cmd->add_option("--layout", o->layout, "e.g. tp=8,pp=2,dp=4[,cp=2,ep=8,vpp=2,mb=1]; omit to search");
  cmd->add_option("--zero", o->zero, "ZeRO stage 0-3 (3 = FSDP)");
  cmd->add_option("--recompute", o->recompute, "none | selective | full (default: searched, or full with --layout)");
  cmd->add_option("--seq", o->seq, "Sequence length")->capture_default_str();
  cmd->add_option("--global-batch", o->global_batch,
                  "Tokens per optimizer step (e.g. 4M, 16M); a value below --seq means sequences")
      ->capture_default_str();
  cmd->add_option("--micro-batch", o->micro_batch, "Sequences per micro-batch (default: searched, or 1)");
  cmd->add_option("--optimizer", o->optimizer, "adamw (default), adamw-8bit, sgd, sgd-momentum, adafactor, lion");
  cmd->add_flag("--offload-optimizer", o->offload, "Optimizer states in CPU RAM");
  cmd->add_flag(
      "--no-overlap-grad-reduce", o->no_overlap_grad_reduce,
      "Gradients all-reduced after the last micro-batch, not behind the backward pass (Megatron-LM local DDP)");
  cmd->add_flag("--fp32-grad-reduce", o->fp32_grad_reduce,
                "Gradients reduced in fp32 (Megatron-LM --accumulate-allreduce-grads-in-fp32, its bf16 default)");
  cmd->add_option("--network", o->network,
                  "Between nodes: ib-ndr-400 (default), ib-hdr-200, roce-400, ib-xdr-800, eth-100, ...");
  cmd->add_option("--gpus-per-node", o->gpus_per_node, "GPUs per node")->capture_default_str();
  cmd->add_option("--budget", o->budget, "Search: at most this many USD");
  cmd->add_option("--deadline", o->deadline, "Search: at most this long, e.g. 30d, 12h");
  cmd->add_option("--max-gpus", o->max_gpus,
                  "Search: largest GPU count (default 4096 for datacenter cards, one node otherwise)");
  cmd->add_option("--price-per-gpu-hour", o->price, "USD per GPU-hour (default: the catalog's rental price)");
  cmd->add_option("--framework", o->framework,
                  "Training stack whose measured efficiency to use: megatron (Megatron-LM/-core), fsdp (PyTorch FSDP) "
                  "or auto (megatron to pre-train, fsdp to fine-tune)")
      ->capture_default_str();
  cmd->add_option("--efficiency", o->efficiency, "Override the GEMM efficiency (fraction of dense peak)");
  cmd->footer(
      "Examples:\n"
      "  gpuplan train llama-3.1-70b --tokens 2T --gpu h100-sxm --gpus 1024\n"
      "  gpuplan train mistral-7b --method lora --tokens 200M --gpu rtx-4090\n"
      "  gpuplan train --params 13B --tokens 260B --gpu a100-80gb --gpus 64 --layout tp=8,pp=2,dp=4 --zero 1\n"
      "  gpuplan train llama-3.1-8b --tokens 1T --gpu h100-sxm --budget 500000 --deadline 30d\n"
      "  gpuplan train llama-3.1-70b --tokens 2T --gpu h100-sxm --gpus 1024 --precision fp8   # FP8 GEMMs\n"
      "  gpuplan train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus 64 --framework fsdp     # PyTorch FSDP\n"
      "Without --layout the layouts of every GPU count (or of --gpus) are searched: fastest and cheapest are shown.");
  return [cmd, fit, o, &global]() -> int {
    if (!cmd->parsed()) return 2;
    auto fail = [](const std::string& m) {
      std::fprintf(stderr, "gpuplan train: %s\n", m.c_str());
      return 2;
    };
    auto loaded = load_catalog(global.models_file, global.gpus_file);
    if (!loaded) return fail(loaded.error().message);
    const Catalog& catalog = loaded.value();
    if (o->tokens.empty()) return fail("give --tokens (e.g. 2T for pre-training, 200M for fine-tuning)");
    auto tokens = parse_count(o->tokens, "--tokens");
    if (!tokens) return fail(tokens.error().message);
    auto epochs = parse_positive(o->epochs, "--epochs");
    if (!epochs || epochs.value() > 1e4) return fail("--epochs: a positive number");
    auto seq = parse_tokens(o->seq, "--seq");
    if (!seq || seq.value() > 1e7) return fail(seq ? "--seq: absurdly large" : seq.error().message);
    auto gb = parse_tokens(o->global_batch, "--global-batch");  // "4M" = 4 x 2^20 tokens, as papers mean it
    if (!gb) return fail(gb.error().message);

    std::string method = canonical_name(o->method);
    if (method == "full" || method == "sft") method = "full-finetune";
    FitOptions f = *fit;
    f.mode = method;
    f.context = fmt_count(seq.value());
    if (!o->optimizer.empty()) f.optimizer = o->optimizer;
    f.offload_optimizer = o->offload;
    if (f.gpu.empty()) f.gpu = "h100-sxm";
    // FP8 training (Transformer Engine): GEMMs in FP8, weights, gradients and optimizer states kept
    // as in BF16 training, so memory is planned as BF16.
    bool fp8 = false;
    if (!f.quant.empty() && method != "qlora") {
      auto p = find_precision(f.quant);
      if (p && p.value().name == "fp8") {
        fp8 = true;
        f.quant = "bf16";
      }
    }
    const bool fixed_gpus = f.gpus != "1" || !o->layout.empty();
    const std::string gpus_text = f.gpus;
    f.gpus = "1";
    auto resolved = resolve_fit(catalog, f);
    if (!resolved) return fail(resolved.error().message);
    const Resolved& r = resolved.value();
    if (!is_training(r.scenario.workload.mode)) return fail("--method must be pretrain, full, lora or qlora");

    TrainJob job;
    job.seq = seq.value();
    job.tokens = tokens.value() * epochs.value();
    job.overlap_grad_reduce = !o->no_overlap_grad_reduce;
    job.grad_reduce_bytes = o->fp32_grad_reduce ? 4 : 2;
    job.global_batch_seqs = gb.value() >= job.seq ? std::max(1.0, std::round(gb.value() / job.seq)) : gb.value();
    const double gpus_per_node = std::atof(o->gpus_per_node.c_str());
    if (gpus_per_node < 1 || gpus_per_node > 1024) return fail("--gpus-per-node: 1 to 1024");
    const Gpu& g = r.gpu;
    const std::string net = o->network.empty() ? "ib-ndr-400" : canonical_name(o->network);
    const Catalog::NamedLink* inter = find_link(catalog, net);
    if (inter == nullptr) {
      std::vector<std::string> ids;
      for (const auto& l : catalog.links) ids.push_back(l.id);
      return fail("unknown --network '" + o->network + "'" + suggestion_suffix(o->network, ids));
    }
    const Catalog::NamedLink* intra = intra_node_link(g, catalog);
    const std::string framework_name = canonical_name(o->framework);
    const auto& names = training_frameworks();
    if (std::find(names.begin(), names.end(), framework_name) == names.end()) {
      return fail("unknown --framework '" + o->framework + "'" + suggestion_suffix(o->framework, names));
    }
    const std::string framework = training_framework(framework_name, r.scenario.workload.mode);
    if (fp8 && g.dense_flops.fp8 <= 0) return fail(g.name + " has no FP8 tensor cores: train in bf16");
    Cluster c = training_cluster(g, catalog, net, gpus_per_node, framework, fp8);
    // The plan's cluster, with the scenario's memory (--gpu-memory included).
    c.memory_bytes = r.scenario.gpu_memory_bytes;
    if (!o->efficiency.empty()) {
      auto e = parse_positive(o->efficiency, "--efficiency");
      if (!e || e.value() > 1) return fail("--efficiency: a fraction in (0, 1]");
      c.compute_efficiency = e.value();
    }
    double price = g.rent_usd_per_hour;
    if (!o->price.empty()) {
      auto p = parse_positive(o->price, "--price-per-gpu-hour");
      if (!p) return fail(p.error().message);
      price = p.value();
    }
    const TrainModel model = prepare_train_model(r.scenario, job);

    Layout chosen;
    TrainEstimate est;
    SearchResult found;
    if (!o->layout.empty()) {
      auto l = parse_layout(o->layout);
      if (!l) return fail(l.error().message);
      chosen = l.value();
      const double product = chosen.tp * chosen.pp * chosen.dp * chosen.cp;
      if (gpus_text != "1" && std::atof(gpus_text.c_str()) != product) {
        return fail("--layout uses " + fmt_count(product) + " GPUs but --gpus says " + gpus_text);
      }
      c.gpus = product;
      if (!o->zero.empty()) chosen.zero = std::atoi(o->zero.c_str());
      if (chosen.zero < 0 || chosen.zero > 3) return fail("--zero: 0, 1, 2 or 3");
      chosen.recompute = Recompute::full;
      if (!o->recompute.empty()) {
        const std::string rc = canonical_name(o->recompute);
        chosen.recompute = rc == "none" ? Recompute::none : rc == "selective" ? Recompute::selective : Recompute::full;
      }
      if (!o->micro_batch.empty()) chosen.micro_batch = std::max(1.0, std::atof(o->micro_batch.c_str()));
      job.allow_uneven_pipeline = true;
      est = evaluate_layout(model, chosen, job, c);
      if (!est.valid) return fail("layout " + to_string(chosen) + " is not usable: " + est.rejected);
    } else {
      SearchLimits limits;
      // Default search range: one machine for consumer and workstation cards, 4096 GPUs otherwise.
      const double default_max = g.tier == Tier::datacenter ? 4096 : c.gpus_per_node;
      limits.max_gpus = fixed_gpus ? std::atof(gpus_text.c_str())
                                   : (o->max_gpus.empty() ? default_max : std::atof(o->max_gpus.c_str()));
      limits.fixed_gpus = fixed_gpus;
      limits.usd_per_gpu_hour = price;
      if (limits.max_gpus < 1 || limits.max_gpus > 1e6) return fail("--gpus / --max-gpus: 1 to 1000000");
      if (!o->budget.empty()) {
        auto b = parse_count(o->budget, "--budget");
        if (!b) return fail(b.error().message);
        limits.budget_usd = b.value();
        if (price <= 0)
          return fail("--budget needs a price: the catalog has none for " + g.id + "; give --price-per-gpu-hour");
      }
      if (!o->deadline.empty()) {
        auto d = parse_duration(o->deadline, "--deadline");
        if (!d) return fail(d.error().message);
        limits.deadline_s = d.value();
      }
      found = search_layouts(model, job, c, limits);
      if (!found.found) {
        std::string why;
        for (std::size_t i = 0; i < found.rejected.size() && i < 4; ++i) {
          why += (i ? "; " : "") + found.rejected[i].first + " (" + fmt_count(found.rejected[i].second) + ")";
        }
        return fail("no layout meets the limits among " + fmt_count(found.evaluated) + " evaluated: " + why);
      }
      // Cheapest by default (and under a deadline); fastest when only a budget is given.
      const bool prefer_cheap = !(limits.budget_usd > 0 && limits.deadline_s <= 0);
      chosen = prefer_cheap ? found.cheapest : found.fastest;
      est = prefer_cheap ? found.cheapest_estimate : found.fastest_estimate;
      c.gpus = prefer_cheap ? found.gpus_cheapest : found.gpus_fastest;
    }
    const double energy_kwh = est.wall_s / 3600.0 * c.gpus * g.tdp_w / 1000.0 *
                              catalog.prices.server_power_factor.value * catalog.prices.pue.value;
    const double cost = est.gpu_hours * price;
    const double params = model.params;
    const double tokens_per_param = job.tokens / std::max(1.0, params);

    // Scale-out: MFU of the best layout on one GPU, one node and the chosen count.
    struct Scale {
      double gpus;
      double mfu;
      bool fits;
    };
    std::vector<Scale> scale;
    for (double n : {1.0, c.gpus_per_node, c.gpus}) {
      if (n > c.gpus) continue;
      SearchLimits l;
      l.max_gpus = n;
      l.fixed_gpus = true;
      const SearchResult s = search_layouts(model, job, c, l);
      scale.push_back({n, s.found ? s.fastest_estimate.mfu : 0, s.found});
      if (n == c.gpus) break;
    }

    // MoE: how far measured MoE runs fall below this model (data/runtimes.json, not fitted in).
    double moe_low = 0, moe_median = 0, moe_high = 0;
    if (const RuntimeModel* rt = training_runtime(catalog, framework); model.experts > 0 && rt != nullptr) {
      moe_low = rt->moe_ratio_low;
      moe_median = rt->moe_ratio_median;
      moe_high = rt->moe_ratio_high;
    }

    if (fit->json) {
      ordered_json sc = ordered_json::array();
      for (const auto& s : scale) sc.push_back({{"gpus", s.gpus}, {"fits", s.fits}, {"mfu", s.mfu}});
      ordered_json rej = ordered_json::object();
      for (const auto& [why, n] : found.rejected) rej[why] = n;
      ordered_json out = {
          {"schema", "gpuplan-train/1"},
          {"model", {{"id", r.model.id}, {"params", params}, {"trainable_params", model.trainable_params}}},
          {"gpu", {{"id", g.id}, {"count", c.gpus}, {"network", inter->id}, {"intra_node", intra->id}}},
          {"layout",
           {{"text", to_string(chosen)},
            {"tp", chosen.tp},
            {"pp", chosen.pp},
            {"dp", chosen.dp},
            {"cp", chosen.cp},
            {"ep", chosen.ep},
            {"vpp", chosen.vpp},
            {"zero", chosen.zero},
            {"micro_batch", chosen.micro_batch},
            {"recompute", to_string(chosen.recompute)}}},
          {"train",
           {{"method", to_string(r.scenario.workload.mode)},
            {"framework", framework},
            {"gemm_efficiency", c.compute_efficiency},
            {"gemm_dtype", fp8 ? "fp8" : "bf16"},
            {"peak_flops", c.peak_flops},
            {"tokens", job.tokens},
            {"seq", job.seq},
            {"global_batch_seqs", job.global_batch_seqs},
            {"overlap_grad_reduce", job.overlap_grad_reduce},
            {"grad_reduce_bytes", job.grad_reduce_bytes},
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
            {"energy_kwh", energy_kwh},
            {"cost_usd", cost},
            {"usd_per_gpu_hour", price},
            {"tokens_per_param", tokens_per_param},
            {"compute_efficiency", c.compute_efficiency}}},
          {"memory",
           {{"total_bytes", est.memory_bytes},
            {"weights_bytes", est.weights_bytes},
            {"gradients_bytes", est.gradients_bytes},
            {"optimizer_bytes", est.optimizer_bytes},
            {"activations_bytes", est.activations_bytes}}},
          {"scale_out", sc},
          {"search", {{"evaluated", found.evaluated}, {"rejected", rej}}}};
      if (moe_median > 0) {
        out["train"]["moe_measured_ratio"] = {{"low", moe_low}, {"median", moe_median}, {"high", moe_high}};
        out["train"]["days_at_moe_median"] = est.wall_s * moe_median / 86400.0;
        out["train"]["cost_usd_at_moe_median"] = cost * moe_median;
      }
      std::printf("%s\n", io::dump_json(out).c_str());
      return 0;
    }
    std::string t;
    auto line = [&t](const std::string& s) { t += s + "\n"; };
    line(fmt::format("Model      {} ({} params, {} trainable), {}", r.model.name, format_count(params),
                     format_count(model.trainable_params), to_string(r.scenario.workload.mode)));
    line(fmt::format("Hardware   {} x {} ({} per node over {}, nodes over {})", c.gpus, g.name, c.gpus_per_node,
                     intra->id, inter->id));
    line(fmt::format(
        "Stack      {}: {}GEMMs at {:.0f}% of dense peak{}{}", framework, fp8 ? "FP8 " : "", 100 * c.compute_efficiency,
        c.attention_efficiency > 0
            ? fmt::format(", {}attention at {:.0f}%", fp8 ? "BF16 " : "fused ", 100 * c.attention_efficiency)
            : std::string(),
        framework == "megatron" ? " (--framework fsdp for a PyTorch FSDP stack)"
                                : " (--framework megatron for Megatron-LM)"));
    line(fmt::format("Layout     {}{}", to_string(chosen),
                     o->layout.empty() ? fmt::format("  (searched {} configurations)", found.evaluated) : ""));
    line(fmt::format("Job        {} tokens, sequence {}, {} sequences per step", format_count(job.tokens),
                     format_tokens(job.seq), job.global_batch_seqs));
    line(fmt::format("Memory     {} per GPU of {} (weights {}, gradients {}, optimizer {}, activations {})",
                     format_gib(est.memory_bytes), format_gib(c.memory_bytes), format_gib(est.weights_bytes),
                     format_gib(est.gradients_bytes), format_gib(est.optimizer_bytes),
                     format_gib(est.activations_bytes)));
    line("");
    line(
        fmt::format("Step       {:.3f} s = compute {:.3f} + pipeline bubble {:.3f} + TP {:.3f} + PP {:.3f} + DP {:.3f}"
                    " + CP {:.3f} + EP {:.3f}",
                    est.step_s, est.compute_s, est.bubble_s, est.tp_s, est.pp_s, est.dp_s, est.cp_s, est.ep_s));
    line(fmt::format("Throughput {} tokens/s, MFU {:.1f}%, communication {:.1f}% of the step",
                     format_count(est.tokens_per_s), 100 * est.mfu, 100 * est.comm_fraction));
    line(fmt::format("Run        {} steps, {} days, {} GPU-hours, {:.0f} kWh (TDP x {:.2f} node factor x PUE {:.2f})",
                     est.steps, days(est.wall_s), format_count(est.gpu_hours), energy_kwh,
                     catalog.prices.server_power_factor.value, catalog.prices.pue.value));
    line(price > 0 ? fmt::format("Cost       ${:.0f} at ${:.2f} per GPU-hour", cost, price)
                   : "Cost       no rental price for this card: give --price-per-gpu-hour");
    if (moe_median > 0) {
      line(
          fmt::format("MoE        measured token-dropless MoE runs were {:.2f}-{:.2f}x slower than this model predicts "
                      "(median {:.2f}x; routing, permutation and grouped GEMMs are not modelled): at the median, "
                      "{} days, ${:.0f}",
                      moe_low, moe_high, moe_median, days(est.wall_s * moe_median), cost * moe_median));
    }
    if (o->layout.empty()) {
      line(fmt::format("Fastest    {} on {} GPUs: {} days, ${:.0f}", to_string(found.fastest), found.gpus_fastest,
                       days(found.fastest_estimate.wall_s), found.fastest_estimate.gpu_hours * price));
      line(fmt::format("Cheapest   {} on {} GPUs: {} days, ${:.0f}", to_string(found.cheapest), found.gpus_cheapest,
                       days(found.cheapest_estimate.wall_s), found.cheapest_estimate.gpu_hours * price));
    }
    if (!found.rejected.empty()) {
      std::string why;
      for (std::size_t i = 0; i < found.rejected.size() && i < 4; ++i) {
        why += (i ? "; " : "") + found.rejected[i].first + " " + fmt_count(found.rejected[i].second);
      }
      line("Rejected   " + why);
    }
    line("");
    line("Scale-out  (best layout at each size)");
    for (const auto& s : scale) {
      line(fmt::format("  {:>6} GPU{:<2} {}", s.gpus, s.gpus > 1 ? "s" : "",
                       s.fits ? fmt::format("MFU {:.1f}%", 100 * s.mfu) : std::string("does not fit")));
    }
    if (r.scenario.workload.mode == Mode::pretrain) {
      line(fmt::format("Chinchilla {:.1f} tokens per parameter (compute-optimal is ~20, Hoffmann et al. 2022){}",
                       tokens_per_param, tokens_per_param < 20 ? "" : "; beyond it, gains per token shrink"));
      line(
          "           Fine-tuning an existing open model of this size on the same data costs a fraction of "
          "this: try --method full/lora with the tokens you actually need.");
    }
    std::fwrite(t.data(), 1, t.size(), stdout);
    return 0;
  };
}

}  // namespace gpuplan::cli
