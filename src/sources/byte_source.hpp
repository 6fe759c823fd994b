// Internal to gpuplan_sources: bounded reads from a file or a Hub file, and a "repository" (a local
// folder or a Hub repo) that yields small text files and byte sources by name.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/io/gguf.hpp"
#include "gpuplan/io/safetensors.hpp"
#include "gpuplan/result.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "hub_spec.hpp"

namespace gpuplan::sources::detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `length` bytes from `offset` (fewer only at the end of the file).
  virtual Result<std::string> read(std::uint64_t offset, std::uint64_t length) = 0;
  // Size in bytes (known after the first read for Hub files).
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

class Repo {
 public:
  virtual ~Repo() = default;
  // A whole small file; nullopt when the repository has no such file.
  virtual Result<std::optional<std::string>> text(const std::string& file, std::uint64_t max_bytes) = 0;
  // A file to read headers from; nullopt when absent.
  virtual Result<std::unique_ptr<ByteSource>> open(const std::string& file) = 0;
  // *.safetensors files when the repository can list them (local folders), sorted.
  [[nodiscard]] virtual std::vector<std::string> list_safetensors() const = 0;
  [[nodiscard]] virtual std::string location() const = 0;
};

std::unique_ptr<ByteSource> open_local_file(const std::string& path, std::string* error);
std::unique_ptr<Repo> local_folder(const std::string& path);

std::unique_ptr<Repo> hub_repo(const HubSpec& spec, const SourceOptions& options);

// ---- cache: <cache_dir>/<org>/<name>/<revision>/<file>[@<begin>-<end>] ----
std::string cache_path(const SourceOptions& o, const HubSpec& s, const std::string& file, const std::string& suffix);
std::optional<std::string> cache_read(const std::string& path);
void cache_write(const std::string& path, const std::string& bytes);  // best effort, atomic rename

// ---- readers shared by local files and the Hub ----
Result<io::SafetensorsHeader> read_safetensors_header(ByteSource& source);
Result<io::GgufFile> read_gguf_header(ByteSource& source);

Result<LoadedModel> load_repo(Repo& repo);
Result<LoadedModel> load_gguf(ByteSource& source);

}  // namespace gpuplan::sources::detail
