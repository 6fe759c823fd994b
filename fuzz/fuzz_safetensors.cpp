// Fuzz target: the safetensors header reader. The input is a whole file: an 8-byte header
// length, the JSON header, the data. Invariants on every accepted header:
//  - the tensors tile the data section exactly and the data section ends at the end of the file;
//  - each tensor's bytes = elements x dtype size; the summary is finite, params <= 8 x elements.
// The input is also read as a model.safetensors.index.json: accepted shard names are plain file
// names ending in .safetensors (no path separators, no "..").
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "gpuplan/io/safetensors.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_safetensors: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto n = gpuplan::io::safetensors_header_length(bytes.first(std::min<std::size_t>(8, size)), size);
  if (n) {
    check(n.value() + 8 <= size, "header inside the file");
    const std::string_view header(reinterpret_cast<const char*>(data) + 8, static_cast<std::size_t>(n.value()));
    auto h = gpuplan::io::parse_safetensors_header(header, size);
    if (h) {
      const auto& hdr = h.value();
      check(8 + hdr.header_bytes + hdr.data_bytes == size, "data ends at the end of the file");
      double sum = 0;
      for (const auto& t : hdr.tensors) {
        check(t.bytes == t.elements * gpuplan::io::safetensors_dtype_bytes(t.dtype), "bytes = elements x size");
        sum += t.bytes;
      }
      check(sum == static_cast<double>(hdr.data_bytes), "tensors tile the data");
      const auto s = gpuplan::io::summarize_tensors(hdr.tensors);
      check(std::isfinite(s.params) && s.params >= 0 && s.params <= 8 * s.stored_elements + 1, "params bounded");
      check(s.bytes == sum, "summary bytes");
      check(s.weights.routed_experts <= s.bytes && s.weights.token_embedding <= s.bytes, "parts within the total");
    }
  }
  auto idx = gpuplan::io::parse_safetensors_index(std::string_view(reinterpret_cast<const char*>(data), size));
  if (idx) {
    for (const auto& shard : idx.value().shards) {
      check(shard.find('/') == std::string::npos && shard.find('\\') == std::string::npos, "no path separators");
      check(shard.size() > 12 && shard.substr(shard.size() - 12) == ".safetensors", ".safetensors names");
      check(shard.front() != '.', "no dot files or '..'");
    }
  }
  return 0;
}
