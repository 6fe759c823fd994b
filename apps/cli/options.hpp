// What every command reads before it runs: the catalogs (built-in plus user files) and the context.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan::cli {

// The built-in catalog plus optional user files (sources::load_catalog).
Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file);

// What a command runs against: the catalog (on the heap, so the context's pointer stays valid
// when this is moved) and the source settings from the environment and --offline.
struct CliContext {
  std::shared_ptr<Catalog> catalog;
  api::Context context;
};
Result<CliContext> make_context(const GlobalOptions& global);
// --calibration FILE: its serving calibrations replace the built-in pairs in the context's catalog.
Result<bool> apply_calibration(const std::optional<std::string>& path, CliContext& context);

}  // namespace gpuplan::cli
