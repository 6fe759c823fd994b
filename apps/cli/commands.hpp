// The `gpuplan` subcommands: each adds itself to the CLI11 app and runs when chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace gpuplan::cli {

struct GlobalOptions {
  std::string models_file;
  std::string gpus_file;
  bool offline = false;
};

// Each returns the action to run if its subcommand was chosen; the action returns the exit code.
std::function<int()> add_fit_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_models_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_gpus_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_quants_command(CLI::App& app);
std::function<int()> add_speed_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_cost_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_idle_command(CLI::App& app);
std::function<int()> add_train_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_plan_command(CLI::App& app, const GlobalOptions& global);
std::function<int()> add_inspect_command(CLI::App& app, const GlobalOptions& global);

}  // namespace gpuplan::cli
