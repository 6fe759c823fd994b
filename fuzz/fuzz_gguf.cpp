// Fuzz target: the GGUF header reader (io::parse_gguf) and what it says about the model
// (io::gguf_model). The input is a whole file. Invariants on every accepted header:
//  - every tensor's data lies inside the data section, which lies inside the file;
//  - tensors do not overlap; bytes = elements / block size x block bytes;
//  - the tensor summary is finite and non-negative, params <= stored elements x 8;
//  - an accepted model has a valid architecture whose parameter count and a bf16 estimate with
//    the file's measured weights are finite.
// The same bytes are also read with the file size unknown, as a source reading a header in
// pieces does: the result must be a header, an error, or a request for more bytes than given.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "gpuplan/estimate.hpp"
#include "gpuplan/io/gguf.hpp"

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_gguf: invariant violated: %s\n", what);
  std::abort();
}

bool finite_non_negative(double v) {
  return std::isfinite(v) && v >= 0;
}

void check_file(const gpuplan::io::GgufFile& f, std::uint64_t size) {
  check(f.data_offset <= size && f.data_bytes <= size - f.data_offset, "data section inside the file");
  for (const auto& t : f.tensors) {
    check(t.offset + t.bytes <= f.data_bytes, "tensor inside the data section");
    const gpuplan::io::GgmlTypeInfo* type = gpuplan::io::ggml_type_by_id(t.type);
    check(type != nullptr, "tensor type known");
    check(t.elements % static_cast<std::uint64_t>(type->block_size) == 0, "whole blocks");
    check(t.bytes ==
              t.elements / static_cast<std::uint64_t>(type->block_size) * static_cast<std::uint64_t>(type->type_size),
          "bytes from blocks");
    check(t.n_dims >= 1 && t.n_dims <= 4, "1-4 dims");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto read = gpuplan::io::parse_gguf(bytes, size);
  if (read) {
    check(read.value().file.has_value() || read.value().need_bytes > size, "complete file or more bytes needed");
    check(!read.value().file.has_value() || read.value().need_bytes == 0, "no request when complete");
  }
  if (read && read.value().file) {
    const auto& f = *read.value().file;
    check_file(f, size);
    auto model = gpuplan::io::gguf_model(f);
    if (model) {
      const auto& m = model.value();
      const auto& s = m.tensors;
      check(finite_non_negative(s.bytes) && finite_non_negative(s.params) && finite_non_negative(s.stored_elements),
            "summary finite");
      check(s.params <= 8 * s.stored_elements + 1, "params bounded by stored elements");
      check(gpuplan::validate_arch(m.model.arch).empty(), "valid architecture");
      const auto c = gpuplan::count_params(m.model.arch);
      check(finite_non_negative(c.total) && finite_non_negative(c.active), "params finite");
      if (m.model.arch.num_layers <= 4096) {
        gpuplan::Scenario sc;
        sc.arch = m.model.arch;
        sc.precision = gpuplan::find_precision("bf16").value();
        sc.measured_weights = s.weights;
        sc.gpu_memory_bytes = 24.0 * (1ull << 30);
        const gpuplan::Estimate e = gpuplan::estimate(sc);
        check(finite_non_negative(e.memory.total_bytes), "estimate finite");
        // Measured bytes are used whenever there are any (a table of empty tensors measures nothing).
        check(s.weights.total <= 0 || e.memory.weights_bytes == s.weights.total, "measured weights used");
      }
    }
  }
  // Unknown size: a header fully inside the bytes, an error, or a request for more.
  auto partial = gpuplan::io::parse_gguf(bytes, 0);
  if (partial) {
    check(partial.value().file.has_value() || partial.value().need_bytes > size, "request beyond the bytes given");
  }
  return 0;
}
