#include <cstdio>

#include "bind.hpp"
#include "gpuplan/api/documents.hpp"
#include "gpuplan/io/json_dump.hpp"

namespace gpuplan::cli {

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9f;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c1) {
      const unsigned value = c1 ? static_cast<unsigned char>(text[++i]) : c;
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", value);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void warn(const char* command, const std::string& message) {
  std::fprintf(stderr, "gpuplan %s: %s\n", command, terminal_safe(message).c_str());
}

int fail(const char* command, const Error& error, bool json) {
  if (json) {
    write_json(api::error_document(command, error));
  } else {
    warn(command, error.message);
  }
  return 2;
}

void write_out(const std::string& text) {
  const std::string safe = terminal_safe(text);  // JSON escapes control characters itself: unchanged
  std::fwrite(safe.data(), 1, safe.size(), stdout);
}

void write_json(const nlohmann::ordered_json& doc) {
  write_out(io::dump_json(doc) + "\n");
}

}  // namespace gpuplan::cli
