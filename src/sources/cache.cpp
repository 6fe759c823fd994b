// The on-disk cache of Hub responses: <cache_dir>/<org>/<name>/<revision>/<file>, and for byte
// ranges <file>@<begin>-<end>. Written through a temporary file and a rename, so a reader never
// sees half a file; failures to write are ignored (the cache is an optimisation and the offline
// fallback, never required).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <system_error>
#include <thread>

#include "byte_source.hpp"

namespace gpuplan::sources::detail {
namespace {

namespace fs = std::filesystem;

// One path component: the characters Hub names use; anything else is percent-encoded, so a
// revision like "refs/pr/1" or a file in a subfolder cannot climb out of the cache.
std::string component(const std::string& s) {
  std::string out = percent_encode(s, "-_.@");
  if (out.empty() || out == "." || out == "..") out = "%2E" + out;
  return out;
}

// A temporary name no other writer uses at the same time: pid, thread and a process-wide counter,
// so threads (a server) and processes writing the same key never share or truncate one file.
std::string temp_path(const std::string& path) {
  static std::atomic<unsigned long long> counter{0};
  const auto thread = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return path + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(thread) + "-" +
         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

std::string cache_path(const SourceOptions& o, const HubSpec& s, const std::string& file, const std::string& suffix) {
  if (o.cache_dir.empty()) return {};
  return (fs::path(o.cache_dir) / component(s.org) / component(s.name) / component(s.revision) /
          component(file + suffix))
      .string();
}

std::optional<std::string> cache_read(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void cache_write(const std::string& path, const std::string& bytes) {
  if (path.empty()) return;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return;
  const std::string tmp = temp_path(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace gpuplan::sources::detail
