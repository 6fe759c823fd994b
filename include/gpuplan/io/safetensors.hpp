// safetensors headers and sharded-checkpoint indexes -> tensor tables. Reads only the 8-byte
// header length and the JSON header, never tensor data. Untrusted input, checked as the
// reference implementation does (huggingface/safetensors `read_metadata`): header length capped,
// dtypes known, shapes overflow-checked, each tensor's byte range equal to its shape x dtype size,
// ranges sorted, contiguous and covering the data section, which must end where the file ends.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpuplan/io/tensor_summary.hpp"
#include "gpuplan/result.hpp"

namespace gpuplan::io {

inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;  // as huggingface/safetensors
inline constexpr std::size_t kMaxSafetensorsTensors = 2'000'000;
inline constexpr std::size_t kMaxSafetensorsIndexBytes = 256u << 20;
inline constexpr std::size_t kMaxShards = 100'000;

// Bytes per element of a safetensors dtype (F4 and F6 types count fractions); 0 when unknown.
double safetensors_dtype_bytes(std::string_view dtype);

// The header length stored in the first 8 bytes (little-endian), checked against the cap and,
// when `file_size` > 0, against the file.
Result<std::uint64_t> safetensors_header_length(std::span<const std::uint8_t> first8, std::uint64_t file_size);

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;                           // in header order
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__" (e.g. format: pt)
  std::uint64_t header_bytes = 0;  // JSON length (the file has 8 + header_bytes before the data)
  std::uint64_t data_bytes = 0;    // end of the last tensor
};

// `header` is the JSON text after the 8-byte length. `file_size` > 0 checks that the data section
// ends exactly at the end of the file.
Result<SafetensorsHeader> parse_safetensors_header(std::string_view header, std::uint64_t file_size = 0);

struct SafetensorsIndex {
  std::vector<std::string> shards;  // distinct shard file names, in order of first appearance
  std::size_t tensors = 0;          // entries of weight_map
  double total_size = 0;            // metadata.total_size (bytes of tensor data), 0 when absent
};

// model.safetensors.index.json. Shard names must be plain file names ending in .safetensors.
Result<SafetensorsIndex> parse_safetensors_index(std::string_view json);

}  // namespace gpuplan::io
