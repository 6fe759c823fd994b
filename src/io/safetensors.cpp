#include "gpuplan/io/safetensors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "json_guard.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxName = 4096;
constexpr std::size_t kMaxDims = 16;

struct DtypeSize {
  std::string_view name;
  double bytes;
};
// safetensors Dtype (safetensors/src/tensor.rs), with the sub-byte float types of recent versions.
constexpr DtypeSize kDtypes[] = {{"BOOL", 1},    {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1},    {"F8_E4M3", 1},
                                 {"F8_E8M0", 1}, {"I16", 2}, {"U16", 2},  {"F16", 2},        {"BF16", 2},
                                 {"I32", 4},     {"U32", 4}, {"F32", 4},  {"F64", 8},        {"I64", 8},
                                 {"U64", 8},     {"C64", 8}, {"F4", 0.5}, {"F6_E2M3", 0.75}, {"F6_E3M2", 0.75}};

Error bad(const std::string& what) {
  return make_error(ErrorCode::parse_error, "safetensors header: " + what);
}

std::string shown(std::string_view name) {
  std::string s(name.substr(0, 120));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return name.size() > 120 ? s + "..." : s;
}

bool as_u64(const json& v, std::uint64_t& out) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) return false;
  out = v.get<std::uint64_t>();
  return true;
}

struct Range {
  std::uint64_t begin;
  std::uint64_t end;
  std::size_t index;
};

}  // namespace

double safetensors_dtype_bytes(std::string_view dtype) {
  for (const auto& d : kDtypes) {
    if (d.name == dtype) return d.bytes;
  }
  return 0;
}

Result<std::uint64_t> safetensors_header_length(std::span<const std::uint8_t> first8, std::uint64_t file_size) {
  if (first8.size() < 8) {
    return bad("file is " + std::to_string(first8.size()) + " bytes; the 8-byte header length is missing");
  }
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | first8[static_cast<std::size_t>(i)];
  if (n == 0) return bad("header length is 0");
  if (n > kMaxSafetensorsHeaderBytes) {
    return bad("header length " + std::to_string(n) + " exceeds the 100 MB limit");
  }
  if (file_size > 0 && n > file_size - std::min<std::uint64_t>(file_size, 8)) {
    return bad("header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(file_size) +
               " bytes)");
  }
  return n;
}

namespace {

// One tensor's entry {dtype, shape, data_offsets}: known dtype, bounded shape, offsets that hold it.
Result<TensorEntry> read_tensor_entry(const std::string& name, const json& v, Range& range) {
  if (name.empty() || name.size() > kMaxName) return bad("tensor name is empty or longer than 4096 bytes");
  const std::string where = "tensor '" + shown(name) + "'";
  if (!v.is_object()) return bad(where + " must be an object {dtype, shape, data_offsets}");
  const auto dt = v.find("dtype");
  const auto sh = v.find("shape");
  const auto off = v.find("data_offsets");
  if (dt == v.end() || !dt->is_string()) return bad(where + ": 'dtype' is missing or not a string");
  if (sh == v.end() || !sh->is_array()) return bad(where + ": 'shape' is missing or not an array");
  if (off == v.end() || !off->is_array() || off->size() != 2) {
    return bad(where + ": 'data_offsets' must be [begin, end]");
  }
  TensorEntry t;
  t.name = name;
  t.dtype = dt->get<std::string>();
  const double size = safetensors_dtype_bytes(t.dtype);
  if (size <= 0) return bad(where + ": unknown dtype '" + shown(t.dtype) + "'");
  if (sh->size() > kMaxDims) return bad(where + ": more than 16 dimensions");
  // Element count with overflow checks: each dim < 2^53 and the product < 2^53 (exact in a double).
  std::uint64_t elements = 1;
  for (const auto& d : *sh) {
    std::uint64_t dim = 0;
    if (!as_u64(d, dim)) return bad(where + ": shape entries must be non-negative integers");
    if (dim > (1ull << 53)) return bad(where + ": dimension " + std::to_string(dim) + " is too large");
    if (dim != 0 && elements > (1ull << 53) / dim) return bad(where + ": shape product overflows");
    elements *= dim;
    t.shape.push_back(dim);
  }
  std::uint64_t begin = 0, end = 0;
  if (!as_u64((*off)[0], begin) || !as_u64((*off)[1], end)) {
    return bad(where + ": data_offsets must be non-negative integers");
  }
  if (end < begin)
    return bad(where + ": data_offsets end " + std::to_string(end) + " < begin " + std::to_string(begin));
  const double expected = static_cast<double>(elements) * size;
  if (expected != std::floor(expected) || static_cast<double>(end - begin) != expected) {
    return bad(where + ": " + std::to_string(end - begin) + " bytes in data_offsets but shape x " + t.dtype +
               " needs " + std::to_string(static_cast<std::uint64_t>(std::ceil(expected))));
  }
  t.elements = static_cast<double>(elements);
  t.bytes = expected;
  range.begin = begin;
  range.end = end;
  return t;
}

// Ranges sorted by offset must tile [0, data_bytes) exactly: no gap, no overlap; the file holds them.
Result<std::uint64_t> tiled_data_bytes(std::vector<Range>& ranges, const SafetensorsHeader& h,
                                       std::uint64_t file_size) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  std::uint64_t cursor = 0;
  for (const Range& r : ranges) {
    const std::string& name = h.tensors[r.index].name;
    if (r.begin < cursor) return bad("tensor '" + shown(name) + "' overlaps the tensor before it");
    if (r.begin > cursor) {
      return bad("gap of " + std::to_string(r.begin - cursor) + " bytes before tensor '" + shown(name) + "'");
    }
    cursor = r.end;
  }
  if (file_size > 0) {
    const std::uint64_t header_end = 8 + h.header_bytes;
    if (header_end > file_size || file_size - header_end != cursor) {
      const std::uint64_t have = file_size >= header_end ? file_size - header_end : 0;
      return bad("the tensors need " + std::to_string(cursor) + " bytes of data but the file holds " +
                 std::to_string(have) + (have < cursor ? " (truncated file)" : " (trailing bytes)"));
    }
  }
  return cursor;
}

}  // namespace

Result<SafetensorsHeader> parse_safetensors_header(std::string_view header, std::uint64_t file_size) {
  if (header.size() > kMaxSafetensorsHeaderBytes) return bad("header exceeds the 100 MB limit");
  if (header.empty() || header.front() != '{') return bad("header must be a JSON object starting with '{'");
  auto doc = detail::parse_json_bounded(header, {kMaxSafetensorsHeaderBytes, 8, 0, "safetensors header"});
  if (!doc) return doc.error();
  const json& j = doc.value();
  if (!j.is_object()) return bad("header must be a JSON object");
  if (j.size() > kMaxSafetensorsTensors + 1) return bad("more than 2,000,000 tensors");
  SafetensorsHeader h;
  h.header_bytes = header.size();
  // The JSON text may be padded with trailing spaces up to 8-byte alignment; that is fine.
  std::vector<Range> ranges;
  ranges.reserve(j.size());
  h.tensors.reserve(j.size());
  for (const auto& [name, v] : j.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return bad("__metadata__ must be an object of strings");
      for (const auto& [k, m] : v.items()) {
        if (!m.is_string()) return bad("__metadata__['" + shown(k) + "'] must be a string");
        if (h.metadata.size() < 1024) h.metadata.emplace_back(k.substr(0, 256), m.get<std::string>().substr(0, 4096));
      }
      continue;
    }
    Range range{0, 0, h.tensors.size()};
    auto t = read_tensor_entry(name, v, range);
    if (!t) return t.error();
    ranges.push_back(range);
    h.tensors.push_back(std::move(t).value());
  }
  auto data_bytes = tiled_data_bytes(ranges, h, file_size);
  if (!data_bytes) return data_bytes.error();
  h.data_bytes = data_bytes.value();
  return h;
}

Result<SafetensorsIndex> parse_safetensors_index(std::string_view text) {
  auto doc = detail::parse_json_bounded(text, {kMaxSafetensorsIndexBytes, 8, 1, "safetensors index"});
  if (!doc) return doc.error();
  const json& j = doc.value();
  auto fail = [](const std::string& why) { return make_error(ErrorCode::parse_error, "safetensors index: " + why); };
  if (!j.is_object()) return fail("must be a JSON object");
  const auto map = j.find("weight_map");
  if (map == j.end() || !map->is_object()) return fail("needs an object 'weight_map' {tensor: shard file}");
  if (map->size() > kMaxSafetensorsTensors) return fail("weight_map has more than 2,000,000 entries");
  SafetensorsIndex idx;
  idx.tensors = map->size();
  std::set<std::string> seen;
  for (const auto& [tensor, file] : map->items()) {
    if (!file.is_string()) return fail("weight_map['" + shown(tensor) + "'] must be a file name");
    const std::string& f = file.get_ref<const std::string&>();
    const bool plain = !f.empty() && f.size() <= 255 && f.find('/') == std::string::npos &&
                       f.find('\\') == std::string::npos && f.find('\0') == std::string::npos && f != "." &&
                       f != ".." && f.front() != '.';
    if (!plain || f.size() < 12 || f.substr(f.size() - 12) != ".safetensors") {
      return fail("shard name '" + shown(f) + "' must be a plain file name ending in .safetensors");
    }
    if (seen.insert(f).second) {
      if (idx.shards.size() >= kMaxShards) return fail("more than 100,000 shards");
      idx.shards.push_back(f);
    }
  }
  if (idx.shards.empty()) return fail("weight_map is empty");
  if (const auto meta = j.find("metadata"); meta != j.end() && meta->is_object()) {
    if (const auto total = meta->find("total_size"); total != meta->end() && total->is_number()) {
      const double v = total->get<double>();
      if (std::isfinite(v) && v >= 0 && v < 1e18) idx.total_size = v;
    }
  }
  return idx;
}

}  // namespace gpuplan::io
