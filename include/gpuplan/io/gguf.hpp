// GGUF (llama.cpp model files, versions 2 and 3): the header -- metadata key/values and the tensor
// table -- from a byte span holding the start of the file. Never reads tensor data. Untrusted
// input: every count, length, dimension and offset is checked against caps and against the bytes
// remaining before it is used (ggml-org/ggml src/gguf.cpp does the same); products are
// overflow-checked; tensor data must lie inside the file, aligned, without overlaps.
//
// The caller supplies as many bytes as it has read. When they end inside the header the result
// says how many bytes are needed (`need_bytes`), so a source can read more and call again.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/io/tensor_summary.hpp"
#include "gpuplan/model.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io {

inline constexpr std::uint64_t kMaxGgufHeaderBytes = 1ull << 30;  // 1 GiB of metadata + tensor table
inline constexpr std::uint64_t kMaxGgufTensors = 1u << 20;
inline constexpr std::uint64_t kMaxGgufKeys = 1u << 16;
inline constexpr std::uint64_t kMaxGgufString = 64u << 20;  // one string value
inline constexpr std::uint64_t kMaxGgufArray = 1u << 28;    // elements of one array value

enum class GgufType : std::uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12
};

struct GgufValue {
  std::string key;
  GgufType type = GgufType::u8;
  GgufType array_type = GgufType::u8;  // arrays: element type
  std::uint64_t array_length = 0;      // arrays: element count
  double number = 0;                   // numeric and bool scalars
  bool is_integer = false;
  std::int64_t integer = 0;     // integer scalars (u64 above 2^63-1 are clamped; see number)
  std::string text;             // strings (and the first string of string arrays)
  std::vector<double> numbers;  // numeric arrays of up to 4096 elements (e.g. per-layer head counts)
};

// A ggml tensor type: id, name, block size, bytes per block.
struct GgmlTypeInfo {
  std::uint32_t id;
  std::string_view name;
  int block_size;
  int type_size;
};
// Known ggml types by id (ggml.h enum ggml_type, including ids of since-removed repacked types).
const GgmlTypeInfo* ggml_type_by_id(std::uint32_t id);

struct GgufTensor {
  std::string name;
  std::uint32_t n_dims = 0;
  std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
  std::uint32_t type = 0;
  std::string_view type_name;
  std::uint64_t offset = 0;  // from the start of the data section
  std::uint64_t elements = 0;
  std::uint64_t bytes = 0;
};

struct GgufFile {
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  std::vector<GgufValue> metadata;
  std::vector<GgufTensor> tensors;
  std::uint64_t data_offset = 0;  // start of the tensor data section in the file
  std::uint64_t data_bytes = 0;   // end of the last tensor, relative to data_offset
  std::uint64_t file_size = 0;    // as given by the caller
  std::vector<std::string> warnings;

  [[nodiscard]] const GgufValue* find(std::string_view key) const;
};

struct GgufRead {
  std::optional<GgufFile> file;  // set when the header was complete in the bytes given
  std::uint64_t need_bytes = 0;  // otherwise: read at least this many bytes from the start and call again
};

// `head`: the first bytes of the file; `file_size`: the whole file's size (0 when unknown: the
// checks that need it are skipped).
Result<GgufRead> parse_gguf(std::span<const std::uint8_t> head, std::uint64_t file_size);

// ---- what the header says about the model ----

// Tensor table in gpuplan's common form (dtype = ggml type name).
std::vector<TensorEntry> gguf_tensor_entries(const GgufFile& file);

struct GgufModel {
  Model model;               // id/name from general.*, arch from <arch>.* and the tensor table
  std::string architecture;  // general.architecture
  std::string file_type;     // "Q4_K_M" (general.file_type), empty when absent
  std::string precision;     // gpuplan --quant name for the file type ("q4_k_m"), empty when none
  TensorSummary tensors;
  std::vector<std::string> warnings;
};

Result<GgufModel> gguf_model(const GgufFile& file);

}  // namespace gpuplan::io
