// Local files and folders: seek and bounded reads of headers only.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "byte_source.hpp"

namespace gpuplan::sources::detail {
namespace {

namespace fs = std::filesystem;

class LocalFile final : public ByteSource {
 public:
  LocalFile(std::string path, std::uint64_t size) : path_(std::move(path)), size_(size), in_(path_, std::ios::binary) {}
  [[nodiscard]] bool ok() const { return static_cast<bool>(in_); }

  Result<std::string> read(std::uint64_t offset, std::uint64_t length) override {
    if (offset >= size_) return std::string();
    length = std::min(length, size_ - offset);
    std::string buf(static_cast<std::size_t>(length), '\0');
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(buf.data(), static_cast<std::streamsize>(length));
    if (static_cast<std::uint64_t>(in_.gcount()) != length) {
      return make_error(ErrorCode::invalid_argument, "'" + path_ + "': read failed at byte " + std::to_string(offset));
    }
    return buf;
  }
  [[nodiscard]] std::uint64_t size() const override { return size_; }
  [[nodiscard]] std::string name() const override { return path_; }

 private:
  std::string path_;
  std::uint64_t size_;
  std::ifstream in_;
};

class LocalFolder final : public Repo {
 public:
  explicit LocalFolder(fs::path dir) : dir_(std::move(dir)) {}

  Result<std::optional<std::string>> text(const std::string& file, std::uint64_t max_bytes) override {
    const fs::path p = dir_ / file;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return std::optional<std::string>();
    const auto size = fs::file_size(p, ec);
    if (ec) return make_error(ErrorCode::invalid_argument, "cannot read '" + p.string() + "': " + ec.message());
    if (size > max_bytes) {
      std::string msg = p.string();  // built by appending: GCC 12 -Wrestrict misfires on "'" + string
      msg += " is ";
      msg += std::to_string(size);
      msg += " bytes; the limit is ";
      msg += std::to_string(max_bytes);
      return make_error(ErrorCode::invalid_argument, msg);
    }
    std::string error;
    auto src = open_local_file(p.string(), &error);
    if (!src) return make_error(ErrorCode::invalid_argument, error);
    auto bytes = src->read(0, size);
    if (!bytes) return bytes.error();
    return std::optional<std::string>(std::move(bytes).value());
  }
  Result<std::unique_ptr<ByteSource>> open(const std::string& file) override {
    std::error_code ec;
    if (!fs::is_regular_file(dir_ / file, ec)) return std::unique_ptr<ByteSource>();
    std::string error;
    auto src = open_local_file((dir_ / file).string(), &error);
    if (!src) return make_error(ErrorCode::invalid_argument, error);
    return src;
  }
  [[nodiscard]] std::vector<std::string> list_safetensors() const override {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string n = it->path().filename().string();
      if (n.size() > 12 && n.substr(n.size() - 12) == ".safetensors" && it->is_regular_file(ec)) out.push_back(n);
      if (out.size() > 100000) break;
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  [[nodiscard]] std::string location() const override { return dir_.string(); }

 private:
  fs::path dir_;
};

}  // namespace

std::unique_ptr<ByteSource> open_local_file(const std::string& path, std::string* error) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    if (error) *error = "cannot open '" + path + "': " + ec.message();
    return nullptr;
  }
  auto f = std::make_unique<LocalFile>(path, size);
  if (!f->ok()) {
    if (error) *error = "cannot open '" + path + "'";
    return nullptr;
  }
  return f;
}

std::unique_ptr<Repo> local_folder(const std::string& path) {
  return std::make_unique<LocalFolder>(fs::path(path));
}

}  // namespace gpuplan::sources::detail
