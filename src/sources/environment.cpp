// The one place gpuplan reads the environment: the CLI and the Python module turn HF_* and cache
// variables into the SourceOptions they pass down the request path (a server builds its own instead).
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gpuplan/sources/local_files.hpp"

namespace gpuplan::sources {
namespace {

namespace fs = std::filesystem;

bool truthy(const char* v) {
  if (!v) return false;
  std::string s(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "1" || s == "true" || s == "yes" || s == "on";
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

}  // namespace

SourceOptions source_options_from_environment() {
  SourceOptions o;
  if (const char* e = env("HF_ENDPOINT")) o.endpoint = e;
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  if (const char* t = env("HF_TOKEN")) {
    o.token = t;
  } else if (const char* t2 = env("HUGGING_FACE_HUB_TOKEN")) {
    o.token = t2;
  }
  o.offline = truthy(std::getenv("HF_HUB_OFFLINE"));
  if (const char* x = env("XDG_CACHE_HOME"); x && *x == '/') {
    o.cache_dir = (fs::path(x) / "gpuplan" / "hub").string();
  } else if (const char* home = env("HOME")) {
    o.cache_dir = (fs::path(home) / ".cache" / "gpuplan" / "hub").string();
  }
  for (const char* var : {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* v = env(var);
    std::error_code ec;
    if (v && fs::is_regular_file(v, ec)) {
      o.ca_file = v;
      break;
    }
  }
  return o;
}

}  // namespace gpuplan::sources
