// What every command reads before it runs: the catalogs (built-in plus user files) and the context.
#pragma once
#include <memory>
#include <string>

#include "commands.hpp"
#include "gpuplan/api/api.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/scenario.hpp"

namespace gpuplan::cli {

// A file read whole, refused when it is not a regular file or larger than max_bytes.
Result<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes);
// Reads the built-in catalog plus optional user files (paths); errors name the file.
Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file);

// HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), HF_HUB_OFFLINE, XDG_CACHE_HOME / HOME,
// REQUESTS_CA_BUNDLE / SSL_CERT_FILE: the only reader of the environment (apps/cli/source_env.cpp).
sources::SourceOptions source_options_from_environment();

// What a command runs against: the catalog (on the heap, so the context's pointer stays valid
// when this is moved) and the source settings from the environment and --offline.
struct CliContext {
  std::shared_ptr<Catalog> catalog;
  api::Context context;
};
Result<CliContext> make_context(const GlobalOptions& global);

}  // namespace gpuplan::cli
