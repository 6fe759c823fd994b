// GGUF container: header, metadata, tensor table. Layout (ggml-org/ggml docs/gguf.md):
//   magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count | kv pairs | tensor infos | pad | data
//   kv: string key | u32 type | value;  string: u64 length | bytes;  array: u32 type | u64 n | values
//   tensor info: string name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset
#include "gpuplan/io/gguf.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

namespace gpuplan::io {
namespace {

// ggml.h enum ggml_type with block layouts from ggml-common.h. Ids 31-33 and 36-38 are the
// repacked Q4_0 / IQ4_NL variants llama.cpp wrote for a while (same block size and bytes).
constexpr GgmlTypeInfo kGgmlTypes[] = {
    {0, "F32", 1, 4},           {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},        {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},        {7, "Q5_1", 32, 24},      {8, "Q8_0", 32, 34},        {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},      {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},     {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},     {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66},   {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98},   {19, "IQ1_S", 256, 50},   {20, "IQ4_NL", 32, 18},     {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82},     {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},           {25, "I16", 1, 2},
    {26, "I32", 1, 4},          {27, "I64", 1, 8},        {28, "F64", 1, 8},          {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},         {31, "Q4_0_4_4", 32, 18}, {32, "Q4_0_4_8", 32, 18},   {33, "Q4_0_8_8", 32, 18},
    {34, "TQ1_0", 256, 54},     {35, "TQ2_0", 256, 66},   {36, "IQ4_NL_4_4", 32, 18}, {37, "IQ4_NL_4_8", 32, 18},
    {38, "IQ4_NL_8_8", 32, 18}, {39, "MXFP4", 32, 17}};

constexpr std::uint64_t kMaxKeyBytes = 65535;
constexpr std::uint64_t kMaxTensorName = 255;  // ggml allows 63 (GGML_MAX_NAME 64); some writers ran longer
constexpr std::size_t kKeptArrayNumbers = 4096;

Error bad(const std::string& what) {
  return make_error(ErrorCode::parse_error, "GGUF: " + what);
}

std::string shown(std::string_view s) {
  std::string out(s.substr(0, 100));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s.size() > 100 ? out + "..." : out;
}

std::uint64_t type_size(GgufType t) {
  switch (t) {
    case GgufType::u8:
    case GgufType::i8:
    case GgufType::boolean: return 1;
    case GgufType::u16:
    case GgufType::i16: return 2;
    case GgufType::u32:
    case GgufType::i32:
    case GgufType::f32: return 4;
    case GgufType::u64:
    case GgufType::i64:
    case GgufType::f64: return 8;
    case GgufType::string: return 8;  // at least the length prefix
    case GgufType::array: return 12;  // at least type + count
  }
  return 0;
}

bool valid_type(std::uint32_t t) {
  return t <= 12;
}

// Reads little-endian values from the bytes given. Running out is not an error by itself: it
// records how many bytes would have been needed (need), and the caller decides whether the file
// is truncated (the caller gave the whole file) or just not read far enough yet.
struct Cursor {
  std::span<const std::uint8_t> data;
  std::uint64_t file_size = 0;  // 0: unknown
  std::uint64_t pos = 0;
  std::uint64_t need = 0;

  // The bytes that can exist after pos: the rest of the file when its size is known.
  [[nodiscard]] std::uint64_t available_in_file() const {
    if (file_size > 0) return file_size > pos ? file_size - pos : 0;
    return std::numeric_limits<std::uint64_t>::max() - pos;
  }
  bool have(std::uint64_t n) {
    if (n <= data.size() - std::min<std::uint64_t>(pos, data.size())) return true;
    need = std::max(need, pos + n);
    return false;
  }
  template <typename T>
  bool read(T& out) {
    if (!have(sizeof(T))) return false;
    std::memcpy(&out, data.data() + pos, sizeof(T));  // GGUF is little-endian, as is every host we build on
    pos += sizeof(T);
    return true;
  }
  bool skip(std::uint64_t n) {
    if (!have(n)) return false;
    pos += n;
    return true;
  }
};

enum class Step { ok, more, fail };

struct Parser {
  Cursor c;
  std::string error;

  Step fail(const std::string& why) {
    if (error.empty()) error = why;
    return Step::fail;
  }
  // A length-prefixed string; `cap` bounds it before anything is read or allocated.
  Step string(std::string* out, std::uint64_t cap, const char* what) {
    std::uint64_t n = 0;
    if (!c.read(n)) return Step::more;
    if (n > cap)
      return fail(std::string(what) + " of " + std::to_string(n) + " bytes exceeds the limit of " +
                  std::to_string(cap));
    if (n > c.available_in_file()) {
      return fail(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end of the file");
    }
    if (!c.have(n)) return Step::more;
    if (out) out->assign(reinterpret_cast<const char*>(c.data.data() + c.pos), n);
    c.pos += n;
    return Step::ok;
  }
  template <typename T>
  Step number(GgufValue& v) {
    T x{};
    if (!c.read(x)) return Step::more;
    v.number = static_cast<double>(x);
    if constexpr (std::is_integral_v<T>) {
      v.is_integer = true;
      if constexpr (std::is_unsigned_v<T>) {
        v.integer = x > static_cast<T>(std::numeric_limits<std::int64_t>::max())
                        ? std::numeric_limits<std::int64_t>::max()
                        : static_cast<std::int64_t>(x);
      } else {
        v.integer = static_cast<std::int64_t>(x);
      }
    }
    return Step::ok;
  }
  Step scalar(GgufType t, GgufValue& v) {
    switch (t) {
      case GgufType::u8: return number<std::uint8_t>(v);
      case GgufType::i8: return number<std::int8_t>(v);
      case GgufType::u16: return number<std::uint16_t>(v);
      case GgufType::i16: return number<std::int16_t>(v);
      case GgufType::u32: return number<std::uint32_t>(v);
      case GgufType::i32: return number<std::int32_t>(v);
      case GgufType::u64: return number<std::uint64_t>(v);
      case GgufType::i64: return number<std::int64_t>(v);
      case GgufType::f32: {
        float f = 0;
        if (!c.read(f)) return Step::more;
        v.number = static_cast<double>(f);
        return Step::ok;
      }
      case GgufType::f64: return number<double>(v);
      case GgufType::boolean: {
        std::uint8_t b = 0;
        if (!c.read(b)) return Step::more;
        if (b > 1) return fail("bool value " + std::to_string(b) + " for key '" + shown(v.key) + "' is not 0 or 1");
        v.number = b;
        v.is_integer = true;
        v.integer = b;
        return Step::ok;
      }
      case GgufType::string: return string(&v.text, kMaxGgufString, "string value");
      case GgufType::array: break;
    }
    return fail("internal: scalar of array type");
  }
  Step array(GgufValue& v) {
    std::uint32_t et = 0;
    std::uint64_t n = 0;
    if (!c.read(et) || !c.read(n)) return Step::more;
    if (!valid_type(et)) return fail("array '" + shown(v.key) + "' has unknown element type " + std::to_string(et));
    if (et == static_cast<std::uint32_t>(GgufType::array)) {
      return fail("array '" + shown(v.key) + "' holds arrays; nested arrays are not supported");
    }
    v.array_type = static_cast<GgufType>(et);
    if (n > kMaxGgufArray) {
      return fail("array '" + shown(v.key) + "' has " + std::to_string(n) + " elements (limit " +
                  std::to_string(kMaxGgufArray) + ")");
    }
    const std::uint64_t min_bytes = n * type_size(v.array_type);  // n <= 2^28, size <= 8: no overflow
    if (min_bytes > c.available_in_file()) {
      return fail("array '" + shown(v.key) + "' of " + std::to_string(n) + " elements cannot fit in the file");
    }
    v.array_length = n;
    if (v.array_type == GgufType::string) {
      for (std::uint64_t i = 0; i < n; ++i) {
        const Step s = string(i == 0 ? &v.text : nullptr, kMaxGgufString, "string array element");
        if (s != Step::ok) return s;
      }
      return Step::ok;
    }
    const std::uint64_t bytes = n * type_size(v.array_type);
    if (!c.have(bytes)) return Step::more;
    if (n <= kKeptArrayNumbers) {
      v.numbers.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        GgufValue e;
        e.key = v.key;
        const Step s = scalar(v.array_type, e);
        if (s != Step::ok) return s;
        v.numbers.push_back(e.number);
      }
      return Step::ok;
    }
    c.pos += bytes;
    return Step::ok;
  }
};

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) {
  return (x + a - 1) / a * a;
}

}  // namespace

const GgmlTypeInfo* ggml_type_by_id(std::uint32_t id) {
  for (const auto& t : kGgmlTypes) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& v : metadata) {
    if (v.key == key) return &v;
  }
  return nullptr;
}

namespace {

// Magic, version and the two counts, bounded before anything is allocated.
Step read_preamble(Parser& p, GgufFile& f, std::uint64_t& n_tensors, std::uint64_t& n_kv) {
  Cursor& c = p.c;
  std::uint32_t magic = 0, version = 0;
  if (!c.read(magic)) return Step::more;
  if (std::memcmp(&magic, "GGUF", 4) != 0) return p.fail("not a GGUF file (the first 4 bytes are not 'GGUF')");
  if (!c.read(version)) return Step::more;
  if (version == 1) return p.fail("version 1 files are not supported (re-convert with a current llama.cpp)");
  if (version != 2 && version != 3)
    return p.fail("unsupported version " + std::to_string(version) + " (2 and 3 are read)");
  if (!c.read(n_tensors) || !c.read(n_kv)) return Step::more;
  if (n_tensors > kMaxGgufTensors) {
    return p.fail("tensor count " + std::to_string(n_tensors) + " exceeds the limit of " +
                  std::to_string(kMaxGgufTensors));
  }
  if (n_kv > kMaxGgufKeys) {
    return p.fail("metadata count " + std::to_string(n_kv) + " exceeds the limit of " + std::to_string(kMaxGgufKeys));
  }
  // Smallest encodings: a kv is 8 + 1 + 4 + 1 bytes, a tensor info 8 + 1 + 4 + 8 + 4 + 8.
  if (n_kv * 14 + n_tensors * 33 > c.available_in_file()) {
    return p.fail(std::to_string(n_kv) + " metadata entries and " + std::to_string(n_tensors) +
                  " tensors cannot fit in a file of " + std::to_string(f.file_size) + " bytes");
  }
  f.version = version;
  return Step::ok;
}

// The key/value section, then general.alignment checked.
Step read_metadata(Parser& p, GgufFile& f, std::uint64_t n_kv) {
  f.metadata.reserve(n_kv);
  std::set<std::string> keys;
  for (std::uint64_t i = 0; i < n_kv; ++i) {
    GgufValue v;
    Step s = p.string(&v.key, kMaxKeyBytes, "metadata key");
    if (s != Step::ok) return s;
    if (v.key.empty()) return p.fail("metadata entry " + std::to_string(i) + " has an empty key");
    if (!keys.insert(v.key).second) return p.fail("duplicate metadata key '" + shown(v.key) + "'");
    std::uint32_t t = 0;
    if (!p.c.read(t)) return Step::more;
    if (!valid_type(t))
      return p.fail("metadata key '" + shown(v.key) + "' has unknown value type " + std::to_string(t));
    v.type = static_cast<GgufType>(t);
    s = v.type == GgufType::array ? p.array(v) : p.scalar(v.type, v);
    if (s != Step::ok) return s;
    f.metadata.push_back(std::move(v));
  }
  if (const GgufValue* a = f.find("general.alignment")) {
    if (!a->is_integer || a->type == GgufType::array || a->integer <= 0 || a->integer > (1 << 30) ||
        (a->integer & (a->integer - 1)) != 0) {
      return p.fail("general.alignment must be an integer power of two between 1 and 2^30, got " +
                    (a->is_integer ? std::to_string(a->integer) : std::string("a value of another type")));
    }
    f.alignment = static_cast<std::uint64_t>(a->integer);
  }
  return Step::ok;
}

// Elements and bytes of a tensor's shape and type, with ggml's overflow limits.
Step size_tensor(Parser& p, const std::string& where, const GgmlTypeInfo& type, GgufTensor& t) {
  constexpr auto kMaxInt64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t elements = 1;
  for (std::uint32_t d = 0; d < t.n_dims; ++d) {
    const std::uint64_t ne = t.ne[d];
    if (ne > kMaxInt64) return p.fail(where + " dimension " + std::to_string(d) + " is too large");
    if (ne != 0 && elements > kMaxInt64 / ne) return p.fail(where + " element count overflows");
    elements *= ne;
  }
  if (t.ne[0] % static_cast<std::uint64_t>(type.block_size) != 0) {
    return p.fail(where + " of type " + std::string(type.name) + " has a row of " + std::to_string(t.ne[0]) +
                  " elements, not a multiple of the block size " + std::to_string(type.block_size));
  }
  const std::uint64_t blocks = elements / static_cast<std::uint64_t>(type.block_size);
  if (blocks > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(type.type_size)) {
    return p.fail(where + " byte size overflows");
  }
  t.elements = elements;
  t.bytes = blocks * static_cast<std::uint64_t>(type.type_size);
  return Step::ok;
}

// The tensor infos: names unique, shapes and types valid, offsets aligned.
Step read_tensors(Parser& p, GgufFile& f, std::uint64_t n_tensors) {
  Cursor& c = p.c;
  f.tensors.reserve(n_tensors);
  std::set<std::string> names;
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    const Step s = p.string(&t.name, kMaxTensorName, "tensor name");
    if (s != Step::ok) return s;
    const std::string where = "tensor '" + shown(t.name) + "'";
    if (t.name.empty()) return p.fail("tensor " + std::to_string(i) + " has an empty name");
    if (!names.insert(t.name).second) return p.fail("duplicate " + where);
    if (!c.read(t.n_dims)) return Step::more;
    if (t.n_dims == 0 || t.n_dims > 4)
      return p.fail(where + " has " + std::to_string(t.n_dims) + " dimensions (1 to 4)");
    for (std::uint32_t d = 0; d < t.n_dims; ++d) {
      if (!c.read(t.ne[d])) return Step::more;
    }
    if (!c.read(t.type) || !c.read(t.offset)) return Step::more;
    const GgmlTypeInfo* type = ggml_type_by_id(t.type);
    if (!type) return p.fail(where + " has unknown ggml type " + std::to_string(t.type));
    t.type_name = type->name;
    if (size_tensor(p, where, *type, t) != Step::ok) return Step::fail;
    if (t.offset % f.alignment != 0) {
      return p.fail(where + " data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                    std::to_string(f.alignment));
    }
    if (t.offset > std::numeric_limits<std::uint64_t>::max() - t.bytes) return p.fail(where + " data range overflows");
    f.tensors.push_back(std::move(t));
  }
  return Step::ok;
}

// Tensor data: non-overlapping and, when the file's size is known, inside the file.
Step check_data_ranges(Parser& p, GgufFile& f) {
  std::vector<const GgufTensor*> order;
  order.reserve(f.tensors.size());
  for (const auto& t : f.tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  std::uint64_t end = 0;
  const GgufTensor* previous = nullptr;
  for (const GgufTensor* t : order) {
    if (previous && t->offset < end) {
      return p.fail("tensor '" + shown(t->name) + "' overlaps tensor '" + shown(previous->name) + "'");
    }
    end = t->offset + t->bytes;
    previous = t;
  }
  f.data_bytes = end;
  const std::uint64_t file_size = f.file_size;
  if (file_size > 0) {
    if (f.data_offset > file_size || end > file_size - f.data_offset) {
      return p.fail("truncated: tensor data ends at byte " + std::to_string(f.data_offset + end) +
                    " but the file has " + std::to_string(file_size) + " bytes");
    }
    const std::uint64_t trailing = file_size - f.data_offset - end;
    if (trailing >= f.alignment && !f.tensors.empty()) {
      f.warnings.push_back(std::to_string(trailing) + " bytes after the last tensor's data");
    }
  }
  return Step::ok;
}

}  // namespace

Result<GgufRead> parse_gguf(std::span<const std::uint8_t> head, std::uint64_t file_size) {
  Parser p{Cursor{head, file_size, 0, 0}, {}};
  const Cursor& c = p.c;
  GgufRead out;
  // The caller gave the whole file when it gave file_size bytes: running out then means truncation.
  auto more = [&]() -> Result<GgufRead> {
    if (file_size > 0 && c.need > file_size) {
      return bad("truncated: the header needs at least " + std::to_string(c.need) + " bytes, the file has " +
                 std::to_string(file_size));
    }
    if (file_size == 0 && head.size() >= kMaxGgufHeaderBytes) return bad("header is larger than 1 GiB");
    if (c.need > kMaxGgufHeaderBytes) return bad("header would be larger than 1 GiB");
    if (file_size > 0 && head.size() >= file_size)
      return bad("truncated: the header does not end before the file does");
    out.need_bytes = std::max<std::uint64_t>(c.need, head.size() + 1);
    return out;
  };
  GgufFile f;
  f.file_size = file_size;
  std::uint64_t n_tensors = 0, n_kv = 0;
  Step s = read_preamble(p, f, n_tensors, n_kv);
  if (s == Step::ok) s = read_metadata(p, f, n_kv);
  if (s == Step::ok) s = read_tensors(p, f, n_tensors);
  if (s == Step::ok) {
    f.data_offset = align_up(c.pos, f.alignment);
    s = check_data_ranges(p, f);
  }
  if (s == Step::more) return more();
  if (s == Step::fail) return bad(p.error);
  out.file = std::move(f);
  return out;
}

}  // namespace gpuplan::io
