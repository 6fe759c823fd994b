// Bounded reads of the user's local files and the catalogs they extend (local_files.hpp).
#include "gpuplan/sources/local_files.hpp"

#include <sys/stat.h>

#include <fstream>

#include "gpuplan/io/catalog_json.hpp"

namespace gpuplan::sources {

Result<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::invalid_argument, "cannot open '" + path + "'");
  if (!S_ISREG(st.st_mode)) return make_error(ErrorCode::invalid_argument, "'" + path + "' is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return make_error(ErrorCode::invalid_argument, "'" + path + "' is too large");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid_argument, "cannot open '" + path + "'");
  std::string text(max_bytes + 1, '\0');  // bounded even if the file grows after stat
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) return make_error(ErrorCode::invalid_argument, "'" + path + "' is too large");
  return text;
}

Result<Catalog> load_catalog(const std::string& models_file, const std::string& gpus_file) {
  auto catalog = io::builtin_catalog();
  if (!catalog) return catalog;
  Catalog c = std::move(catalog).value();
  if (!models_file.empty()) {
    auto text = read_bounded_file(models_file, io::kMaxCatalogBytes);
    if (!text) return text.error();
    auto ok = io::merge_models_json(c, text.value());
    if (!ok) return make_error(ok.error().code, models_file + ": " + ok.error().message);
  }
  if (!gpus_file.empty()) {
    auto text = read_bounded_file(gpus_file, io::kMaxCatalogBytes);
    if (!text) return text.error();
    auto ok = io::merge_gpus_json(c, text.value());
    if (!ok) return make_error(ok.error().code, gpus_file + ": " + ok.error().message);
  }
  return c;
}

Result<bool> load_prices(const std::string& path, Catalog& catalog) {
  auto text = read_bounded_file(path, io::kMaxCatalogBytes);
  if (!text) return text.error();
  auto ok = io::parse_prices_json(text.value(), catalog);
  if (!ok) return make_error(ok.error().code, path + ": " + ok.error().message);
  return true;
}

Result<bool> load_serving_calibration(const std::string& path, Catalog& catalog) {
  auto text = read_bounded_file(path, io::kMaxCatalogBytes);
  if (!text) return text.error();
  auto ok = io::merge_serving_calibration_json(catalog, text.value(), path);
  if (!ok) return make_error(ok.error().code, path + ": " + ok.error().message);
  return true;
}

}  // namespace gpuplan::sources
