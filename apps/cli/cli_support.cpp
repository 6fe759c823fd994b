#include <cstdio>

#include "bind.hpp"
#include "gpuplan/io/json_dump.hpp"

namespace gpuplan::cli {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::unknown_name: return "unknown_name";
    case ErrorCode::parse_error: return "parse_error";
    case ErrorCode::out_of_range: return "out_of_range";
    case ErrorCode::conflict: return "conflict";
  }
  return "invalid_argument";
}

int fail(const char* command, const Error& error, bool json) {
  if (json) {
    const nlohmann::ordered_json doc = {
        {"schema", "gpuplan-error/2"},
        {"error", {{"code", error_code_name(error.code)}, {"message", error.message}, {"command", command}}}};
    write_json(doc);
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
