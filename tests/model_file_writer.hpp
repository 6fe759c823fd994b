// Writers for test fixtures: GGUF and safetensors files with correct headers and zero-filled
// (sparse) tensor data, so the readers can be tested on real-shaped files -- up to the tensor
// table of a 70B model -- without gigabytes on disk: the header is written, then the file is
// extended with std::filesystem::resize_file, which leaves a hole.
#pragma once
#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gpuplan::testing {

// ggml type ids and block layouts used by the tests (ggml.h / ggml-common.h).
struct GgmlBlock {
  std::uint32_t id;
  std::uint64_t block;
  std::uint64_t bytes;
};
inline constexpr GgmlBlock kF32{0, 1, 4}, kF16{1, 1, 2}, kQ4_0{2, 32, 18}, kQ8_0{8, 32, 34}, kQ4_K{12, 256, 144},
    kQ5_K{13, 256, 176}, kQ6_K{14, 256, 210}, kBF16{30, 1, 2}, kMXFP4{39, 32, 17};

class GgufWriter {
 public:
  explicit GgufWriter(std::uint32_t version = 3) : version_(version) {}

  void u32(const std::string& key, std::uint32_t v) { kv(key, 4, pod(v)); }
  void i32(const std::string& key, std::int32_t v) { kv(key, 5, pod(v)); }
  void u64(const std::string& key, std::uint64_t v) { kv(key, 10, pod(v)); }
  void f32(const std::string& key, float v) { kv(key, 6, pod(v)); }
  void f64(const std::string& key, double v) { kv(key, 12, pod(v)); }
  void boolean(const std::string& key, bool v) { kv(key, 7, std::string(1, v ? '\1' : '\0')); }
  void str(const std::string& key, const std::string& v) { kv(key, 8, string(v)); }
  void u32_array(const std::string& key, const std::vector<std::uint32_t>& v) {
    std::string b = pod(std::uint32_t{4}) + pod(static_cast<std::uint64_t>(v.size()));
    for (auto x : v) b += pod(x);
    kv(key, 9, b);
  }
  // A string array of n entries "t0", "t1", ... (a tokenizer vocabulary).
  void token_array(const std::string& key, std::size_t n) {
    std::string b = pod(std::uint32_t{8}) + pod(static_cast<std::uint64_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      std::string token(1, 't');  // appended: GCC 12 -Wrestrict misfires on "t" + std::string
      token += std::to_string(i);
      b += string(token);
    }
    kv(key, 9, b);
  }
  void alignment(std::uint32_t a) {
    alignment_ = a;
    u32("general.alignment", a);
  }
  // Tensor with dims ne[0] (row length) first, as ggml stores them.
  void tensor(const std::string& name, std::vector<std::uint64_t> ne, GgmlBlock type) {
    std::uint64_t elements = 1;
    for (auto d : ne) elements *= d;
    const std::uint64_t bytes = elements / type.block * type.bytes;
    tensors_.push_back({name, std::move(ne), type.id, offset_});
    offset_ = (offset_ + bytes + alignment_ - 1) / alignment_ * alignment_;
    data_end_ = tensors_.back().offset + bytes;
    data_bytes_ += bytes;
  }

  // The header up to the start of the data section (padding included).
  [[nodiscard]] std::string header() const {
    std::string h = "GGUF" + pod(version_) + pod(static_cast<std::uint64_t>(tensors_.size())) +
                    pod(static_cast<std::uint64_t>(kvs_.size()));
    for (const auto& k : kvs_) h += k;
    for (const auto& t : tensors_) {
      h += string(t.name) + pod(static_cast<std::uint32_t>(t.ne.size()));
      for (auto d : t.ne) h += pod(d);
      h += pod(t.type) + pod(t.offset);
    }
    h.append((alignment_ - h.size() % alignment_) % alignment_, '\0');
    return h;
  }
  [[nodiscard]] std::uint64_t data_end() const { return data_end_; }        // end of the last tensor
  [[nodiscard]] std::uint64_t tensor_bytes() const { return data_bytes_; }  // sum of tensor sizes
  [[nodiscard]] std::uint64_t file_size() const { return header().size() + data_end_; }

  // Header, then a hole up to the end of the tensor data.
  void write(const std::filesystem::path& path, std::uint64_t extra_bytes = 0) const {
    const std::string h = header();
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(h.data(), static_cast<std::streamsize>(h.size()));
    }
    std::filesystem::resize_file(path, h.size() + data_end_ + extra_bytes);
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::uint64_t offset;
  };
  template <typename T>
  static std::string pod(T v) {
    std::string s(sizeof(T), '\0');
    std::memcpy(s.data(), &v, sizeof(T));
    return s;
  }
  static std::string string(const std::string& s) { return pod(static_cast<std::uint64_t>(s.size())) + s; }
  void kv(const std::string& key, std::uint32_t type, const std::string& value) {
    kvs_.push_back(string(key) + pod(type) + value);
  }

  std::uint32_t version_;
  std::uint64_t alignment_ = 32;
  std::vector<std::string> kvs_;
  std::vector<Tensor> tensors_;
  std::uint64_t offset_ = 0;
  std::uint64_t data_end_ = 0;
  std::uint64_t data_bytes_ = 0;
};

class SafetensorsWriter {
 public:
  static std::uint64_t dtype_bytes(const std::string& dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
    return 1;
  }
  void tensor(const std::string& name, const std::string& dtype, const std::vector<std::uint64_t>& shape) {
    std::uint64_t n = 1;
    for (auto d : shape) n *= d;
    const std::uint64_t bytes = n * dtype_bytes(dtype);
    header_[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {offset_, offset_ + bytes}}};
    offset_ += bytes;
  }
  void metadata(const std::string& key, const std::string& value) { header_["__metadata__"][key] = value; }
  [[nodiscard]] std::string header_json() const {
    std::string h = header_.dump();
    h.append((8 - h.size() % 8) % 8, ' ');
    return h;
  }
  [[nodiscard]] std::uint64_t data_bytes() const { return offset_; }
  void write(const std::filesystem::path& path) const {
    const std::string h = header_json();
    std::string prefix(8, '\0');
    const std::uint64_t n = h.size();
    std::memcpy(prefix.data(), &n, 8);
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(prefix.data(), 8);
      out.write(h.data(), static_cast<std::streamsize>(h.size()));
    }
    std::filesystem::resize_file(path, 8 + h.size() + offset_);
  }

 private:
  nlohmann::ordered_json header_ = nlohmann::ordered_json::object();
  std::uint64_t offset_ = 0;
};

// A fresh directory under the test temp dir.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("gpuplan_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace gpuplan::testing
