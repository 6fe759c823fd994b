#include "options.hpp"

#include "gpuplan/sources/local_files.hpp"

namespace gpuplan::cli {

Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file) {
  return sources::load_catalog(models_file, gpus_file);
}

Result<CliContext> make_context(const GlobalOptions& global) {
  auto catalog = load_catalog(global.models_file, global.gpus_file);
  if (!catalog) return catalog.error();
  CliContext c;
  c.catalog = std::make_shared<Catalog>(std::move(catalog).value());
  c.context.catalog = c.catalog.get();
  c.context.sources = sources::source_options_from_environment();
  if (global.offline) c.context.sources.offline = true;
  return c;
}

Result<bool> apply_calibration(const std::optional<std::string>& path, CliContext& context) {
  if (!path || path->empty()) return true;
  return sources::load_serving_calibration(*path, *context.catalog);
}

}  // namespace gpuplan::cli
