// gpuplan: plan AI compute before spending money on it.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "bind.hpp"
#include "commands.hpp"
#include "gpuplan/api/documents.hpp"

namespace {

std::string engine_flag_alias(const std::string& arg) {
  static const std::pair<const char*, const char*> kAliases[] = {
      {"-ngl", "--n-gpu-layers"}, {"-tp", "--tensor-parallel-size"}, {"-np", "--parallel"},     {"-fa", "--flash-attn"},
      {"-sm", "--split-mode"},    {"-ctk", "--cache-type-k"},        {"-ctv", "--cache-type-v"}};
  for (const auto& [from, to] : kAliases) {
    if (arg == from) return to;
  }
  return arg;
}

// A parse error (unknown option, bad value) with --json among the arguments: the gpuplan-error/2
// object on stdout, exit 2, like every other bad input. Help and --version are not errors.
int parse_failure(CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  bool json = false;
  for (std::size_t i = 1; i < args.size(); ++i) json = json || args[i] == "--json";
  const auto named = app.get_subcommands([](const CLI::App* sub) { return sub->parsed(); });
  const std::string command = named.empty() ? "gpuplan" : named.front()->get_name();
  if (!json || e.get_exit_code() == 0) return app.exit(e) == 0 ? 0 : 2;
  return gpuplan::cli::fail(command.c_str(), gpuplan::make_error(gpuplan::ErrorCode::invalid_argument, e.what()), true);
}

int run(int argc, char** argv) {
  using namespace gpuplan::cli;
  CLI::App app{
      "gpuplan — will it fit, how fast, on which hardware, at what cost.\n"
      "Memory estimates for LLM inference and training from the model's exact architecture."};
  app.require_subcommand(1);
#ifndef GPUPLAN_VERSION
#define GPUPLAN_VERSION "unknown"
#endif
  app.set_version_flag("--version", std::string("gpuplan ") + GPUPLAN_VERSION, "Print the version and exit");
  app.footer(
      "Examples:\n"
      "  gpuplan plan llama-3.1-70b --context 32k --users 20 --tpot 50ms   # what to run it on\n"
      "  gpuplan fit llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4\n"
      "  gpuplan fit mistral-7b --gpu a100-80gb --mode full-finetune --seq 4096 --micro-batch 4\n"
      "  gpuplan fit qwen2.5-7b --gpu l4 --mode qlora\n"
      "  gpuplan fit --params 13B --gpu rtx-a6000 --quant fp16\n"
      "  gpuplan speed llama-3.1-8b --gpu rtx-4090 --quant q4_k_m --prompt 2000 --output 500\n"
      "  gpuplan speed llama-3.1-70b --gpu h100-sxm --gpus 4 --concurrency 32 --runtime vllm\n"
      "  gpuplan models --json          gpuplan gpus --tier consumer          gpuplan quants\n"
      "Run 'gpuplan <command> --help' for a command's options.");
  GlobalOptions global;
  const auto& face = gpuplan::api::face_options();  // models_file, gpus_file, offline
  app.add_option("--models-file", global.models_file, face[0].help);
  app.add_option("--gpus-file", global.gpus_file, face[1].help);
  const auto fit = add_fit_command(app, global);
  const auto models = add_models_command(app, global);
  const auto gpus = add_gpus_command(app, global);
  const auto quants = add_quants_command(app);
  const auto speed = add_speed_command(app, global);
  const auto cost = add_cost_command(app, global);
  const auto idle = add_idle_command(app);
  const auto train = add_train_command(app, global);
  const auto plan = add_plan_command(app, global);
  const auto inspect = add_inspect_command(app, global);
  app.add_flag("--offline", global.offline, face[2].help);
  // llama.cpp's and vLLM's short multi-letter flags (-ngl 99, -tp 2, -fa on) as people type them.
  std::vector<std::string> args(argv, argv + argc);
  for (auto& a : args) a = engine_flag_alias(a);
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  try {
    app.parse(static_cast<int>(argp.size()), argp.data());
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e, args);
  }
  try {
    if (app.got_subcommand("fit")) return fit();
    if (app.got_subcommand("models")) return models();
    if (app.got_subcommand("gpus")) return gpus();
    if (app.got_subcommand("quants")) return quants();
    if (app.got_subcommand("speed")) return speed();
    if (app.got_subcommand("cost")) return cost();
    if (app.got_subcommand("idle")) return idle();
    if (app.got_subcommand("train")) return train();
    if (app.got_subcommand("plan")) return plan();
    if (app.got_subcommand("inspect")) return inspect();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpuplan: internal error: %s\n", e.what());
    return 70;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpuplan: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "gpuplan: internal error\n");
  }
  return 70;
}
