// What the faces (CLI, Python) read from local files before a request runs: bounded file reads,
// the catalogs with the user's extra files merged, and the source settings from the environment.
// The request layer below takes the results, never a path (a server builds its own settings).
#pragma once
#include <cstddef>
#include <string>

#include "gpuplan/catalog.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/sources/model_source.hpp"

namespace gpuplan::sources {

// A file read whole, refused when it is not a regular file or larger than max_bytes.
Result<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes);

// The built-in catalog plus optional user files (paths; "" = none); errors name the file.
Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file);

// Merges a prices file (data/prices.json's schema) into the catalog; errors name the file.
Result<bool> load_prices(const std::string& path, Catalog& catalog);
// Merges a serving calibration file (data/serving_calibration.json's schema): its pairs replace
// the built-in ones, and the figures resting on them name the file. Errors name the file.
Result<bool> load_serving_calibration(const std::string& path, Catalog& catalog);

// HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), HF_HUB_OFFLINE, XDG_CACHE_HOME / HOME,
// REQUESTS_CA_BUNDLE / SSL_CERT_FILE: the one reader of the environment, called by the CLI and
// the Python module when they start a request.
SourceOptions source_options_from_environment();

}  // namespace gpuplan::sources
