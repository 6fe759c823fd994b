#include <cstdio>

#include "bind.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_dump.hpp"

namespace gpuplan::cli {

int fail(const char* command, const Error& error, bool json) {
  if (json) {
    write_json(api::error_document(command, error));
  } else {
    std::fprintf(stderr, "gpuplan %s: %s\n", command, error.message.c_str());
  }
  return 2;
}

void write_out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void write_json(const nlohmann::ordered_json& doc) {
  write_out(io::dump_json(doc) + "\n");
}

}  // namespace gpuplan::cli
