// load_model_source: a spec -> a Model with what its files say. Dispatches to the catalog, a local
// file or folder, or the Hub; reads config.json, safetensors headers (sharded via the index) and
// GGUF headers through the same readers whatever the bytes' origin.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <span>

#include "byte_source.hpp"
#include "gpuplan/io/gguf.hpp"
#include "gpuplan/io/safetensors.hpp"

namespace gpuplan::sources {
namespace detail {
namespace {

namespace fs = std::filesystem;

// A whole number as text; safe for any double (hostile configs give products beyond 2^63).
std::string count_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error prefixed(const std::string& where, const Error& e) {
  return make_error(e.code, where + ": " + e.message);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A display id from a path or repo name: the last component without extension.
std::string id_from(const std::string& location) {
  std::string s = location;
  while (!s.empty() && (s.back() == '/' || s.back() == '\\')) s.pop_back();
  std::string base = fs::path(s).filename().string();
  if (base.empty() || base == ".") base = fs::absolute(fs::path(s)).filename().string();
  for (const char* ext : {".gguf", ".safetensors", ".json"}) {
    if (ends_with(lower(base), ext)) base = base.substr(0, base.size() - std::string(ext).size());
  }
  return base.empty() ? std::string("model") : base;
}

void from_config(const io::ParsedConfig& c, LoadedModel& lm) {
  lm.model.arch = c.arch;
  lm.model.family = c.model_type;
  lm.model_type = c.model_type;
  lm.architecture = c.architecture;
  lm.torch_dtype = c.torch_dtype;
  lm.quantization = c.quantization;
  lm.precision = c.precision;
  lm.model.weights_dtype = c.precision;
  lm.warnings.insert(lm.warnings.end(), c.warnings.begin(), c.warnings.end());
}

// Tensor table vs architecture: say when they disagree (GPTQ packing makes small differences normal).
// Runtimes load float checkpoints in config.json's torch_dtype: F32 files of a bfloat16 model take
// half their size in memory, so their stored bytes are not the loaded bytes.
void compare_counts(LoadedModel& lm) {
  if (!lm.has_tensors || !lm.has_architecture || lm.tensors.params <= 0) return;
  if ((lm.precision == "bf16" || lm.precision == "fp16") && lm.tensors.bytes > 3.0 * lm.tensors.params) {
    lm.tensors_as_loaded = false;
    lm.warnings.push_back("the tensors are stored in 32-bit floats but torch_dtype is " + lm.torch_dtype +
                          ": runtimes load them as " + lm.precision + ", so weights bytes come from the architecture");
  }
  const ParamCounts c = count_params(lm.model.arch);
  const double formula = c.total + c.mtp;
  const double diff = std::fabs(formula - lm.tensors.params);
  if (diff > 1e-4 * lm.tensors.params) {
    lm.warnings.push_back("config.json gives " + count_text(formula) + " parameters, the tensors hold " +
                          count_text(lm.tensors.params) + "; weights bytes come from the tensors");
  }
}

}  // namespace

Result<io::SafetensorsHeader> read_safetensors_header(ByteSource& source) {
  auto first = source.read(0, 8);
  if (!first) return first.error();
  auto n = io::safetensors_header_length(as_bytes(first.value()), source.size());
  if (!n) return prefixed(source.name(), n.error());
  auto header = source.read(8, n.value());
  if (!header) return header.error();
  if (header.value().size() != n.value()) {
    return make_error(ErrorCode::parse_error,
                      source.name() + ": truncated: the header needs " + std::to_string(n.value()) + " bytes");
  }
  auto h = io::parse_safetensors_header(header.value(), source.size());
  if (!h) return prefixed(source.name(), h.error());
  return h;
}

Result<io::GgufFile> read_gguf_header(ByteSource& source) {
  std::uint64_t want = 1u << 20;  // most GGUF headers fit in a few MiB (tokenizer arrays dominate)
  for (int round = 0; round < 16; ++round) {
    if (source.size() > 0) want = std::min(want, source.size());
    auto bytes = source.read(0, want);
    if (!bytes) return bytes.error();
    auto r = io::parse_gguf(as_bytes(bytes.value()), source.size());
    if (!r) return prefixed(source.name(), r.error());
    if (r.value().file) return std::move(*r.value().file);
    if (bytes.value().size() < want) {
      return make_error(ErrorCode::parse_error,
                        source.name() + ": truncated: the header runs past the end of the file");
    }
    want = std::max(r.value().need_bytes, want * 4);
  }
  return make_error(ErrorCode::parse_error, source.name() + ": GGUF header did not end within 16 reads");
}

Result<LoadedModel> load_gguf(ByteSource& source) {
  auto file = read_gguf_header(source);
  if (!file) return file.error();
  auto g = io::gguf_model(file.value());
  if (!g) return prefixed(source.name(), g.error());
  LoadedModel lm;
  lm.kind = "gguf";
  lm.location = source.name();
  lm.model = std::move(g.value().model);
  if (lm.model.id.empty()) lm.model.id = id_from(source.name());
  if (lm.model.name.empty()) lm.model.name = lm.model.id;
  lm.model_type = g.value().architecture;
  lm.precision = g.value().precision;
  lm.quantization.method = g.value().file_type.empty() ? std::string() : "gguf";
  lm.quantization.detail = g.value().file_type;
  lm.quantization.precision = g.value().precision;
  lm.has_tensors = true;
  lm.tensors = std::move(g.value().tensors);
  lm.files = 1;
  lm.warnings = std::move(g.value().warnings);
  return lm;
}

Result<LoadedModel> load_repo(Repo& repo) {
  const std::string where = repo.location();
  auto cfg_text = repo.text("config.json", io::kMaxConfigBytes);
  if (!cfg_text) return cfg_text.error();
  if (!cfg_text.value()) {
    return make_error(ErrorCode::invalid_argument,
                      where +
                          ": no config.json (a model folder needs config.json next to its *.safetensors; "
                          "for GGUF give the .gguf file)");
  }
  auto cfg = io::parse_hf_config(*cfg_text.value());
  if (!cfg) return prefixed(where + "/config.json", cfg.error());
  LoadedModel lm;
  lm.kind = "config";
  lm.location = where;
  from_config(cfg.value(), lm);
  lm.model.id = lm.model.name = id_from(where);

  // Weights: the shards named by the index, else model.safetensors, else every *.safetensors.
  std::vector<std::string> shards;
  double index_total = 0;
  auto index = repo.text("model.safetensors.index.json", io::kMaxSafetensorsIndexBytes);
  if (!index) return index.error();
  if (index.value()) {
    auto idx = io::parse_safetensors_index(*index.value());
    if (!idx) return prefixed(where + "/model.safetensors.index.json", idx.error());
    shards = idx.value().shards;
    index_total = idx.value().total_size;
  } else {
    shards = repo.list_safetensors();
    if (shards.empty()) shards.push_back("model.safetensors");  // the Hub cannot list: try the usual name
  }
  std::vector<io::TensorEntry> tensors;
  std::set<std::string> names;
  double data_bytes = 0;
  for (const auto& shard : shards) {
    auto src = repo.open(shard);
    if (!src) return src.error();
    if (!src.value()) {
      if (!index.value() && shards.size() == 1) break;  // no weights: the architecture alone
      return make_error(ErrorCode::invalid_argument, where + ": the index names " + shard + " but it is missing");
    }
    auto h = read_safetensors_header(*src.value());
    if (!h) return h.error();
    for (auto& t : h.value().tensors) {
      if (!names.insert(t.name).second) {
        return make_error(ErrorCode::parse_error,
                          where + ": tensor '" + t.name.substr(0, 120) + "' appears in two shards");
      }
      tensors.push_back(std::move(t));
    }
    data_bytes += static_cast<double>(h.value().data_bytes);
    ++lm.files;
  }
  if (lm.files > 0) {
    lm.kind = "safetensors";
    lm.has_tensors = true;
    const double bits = lm.quantization.bits > 0 && lm.quantization.bits < 16 ? lm.quantization.bits : 4;
    lm.tensors = io::summarize_tensors(tensors, bits);
    if (index_total > 0 && std::fabs(index_total - data_bytes) > 0.5) {
      lm.warnings.push_back("the index says " + count_text(index_total) + " bytes of tensors, the shard headers " +
                            count_text(data_bytes));
    }
    compare_counts(lm);
  } else {
    lm.warnings.push_back("no safetensors weights found: weights bytes are computed from the architecture");
  }
  return lm;
}

}  // namespace detail

namespace {

namespace fs = std::filesystem;
using detail::ends_with;

Result<LoadedModel> load_local_file(const std::string& path) {
  std::string error;
  auto src = detail::open_local_file(path, &error);
  if (!src) return make_error(ErrorCode::invalid_argument, error);
  if (src->size() == 0) return make_error(ErrorCode::invalid_argument, "'" + path + "' is empty (0 bytes)");
  auto head = src->read(0, 8);
  if (!head) return head.error();
  const std::string& h = head.value();
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (h.rfind("GGUF", 0) == 0 || ends_with(detail::lower(path), ".gguf")) return detail::load_gguf(*src);
  if (ends_with(path, ".safetensors.index.json")) {
    auto repo = detail::local_folder(parent.string());
    return detail::load_repo(*repo);
  }
  const bool json_text = !h.empty() && (h[0] == '{' || h[0] == ' ' || h[0] == '\n' || h[0] == '\r' || h[0] == '\t' ||
                                        static_cast<unsigned char>(h[0]) == 0xEF);
  if (!ends_with(detail::lower(path), ".safetensors") && json_text) {
    auto text = src->read(0, io::kMaxConfigBytes + 1);
    if (!text) return text.error();
    auto cfg = io::parse_hf_config(text.value());
    if (!cfg) return detail::prefixed(path, cfg.error());
    LoadedModel lm;
    lm.kind = "config";
    lm.location = path;
    detail::from_config(cfg.value(), lm);
    lm.model.id = lm.model.name =
        detail::id_from(fs::path(path).filename().string() == "config.json" ? parent.string() : path);
    return lm;
  }
  // One safetensors file: its header, and the architecture from config.json beside it if any.
  auto header = detail::read_safetensors_header(*src);
  if (!header) return header.error();
  LoadedModel lm;
  lm.kind = "safetensors";
  lm.location = path;
  lm.model.id = lm.model.name = detail::id_from(path);
  lm.has_tensors = true;
  lm.files = 1;
  auto repo = detail::local_folder(parent.string());
  auto cfg_text = repo->text("config.json", io::kMaxConfigBytes);
  if (cfg_text && cfg_text.value()) {
    auto cfg = io::parse_hf_config(*cfg_text.value());
    if (!cfg) return detail::prefixed((parent / "config.json").string(), cfg.error());
    detail::from_config(cfg.value(), lm);
    lm.model.id = lm.model.name = detail::id_from(parent.string());
    if (fs::exists(parent / "model.safetensors.index.json")) {
      lm.warnings.push_back("this is one shard of a sharded checkpoint: give the folder to read all of them");
    }
  } else {
    lm.has_architecture = false;
    lm.warnings.push_back(
        "no config.json next to the file: tensors only (the architecture is needed for the KV "
        "cache and for fit/speed)");
  }
  const double bits = lm.quantization.bits > 0 && lm.quantization.bits < 16 ? lm.quantization.bits : 4;
  lm.tensors = io::summarize_tensors(header.value().tensors, bits);
  detail::compare_counts(lm);
  return lm;
}

Result<LoadedModel> load_local(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return load_local_file(path);
  if (fs::exists(fs::path(path) / "config.json", ec)) {
    auto repo = detail::local_folder(path);
    return detail::load_repo(*repo);
  }
  std::vector<fs::path> ggufs;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (ends_with(detail::lower(it->path().filename().string()), ".gguf")) ggufs.push_back(it->path());
  }
  if (ggufs.size() == 1) return load_local_file(ggufs[0].string());
  return make_error(ErrorCode::invalid_argument,
                    "'" + path + "' has no config.json" +
                        (ggufs.empty() ? std::string(" and no .gguf file") : " and several .gguf files: name one"));
}

Result<LoadedModel> load_hub(const std::string& spec, const SourceOptions& options) {
  auto s = detail::parse_hub_spec(spec);
  if (!s) return s.error();
  if (!s.value().file.empty()) {
    if (!ends_with(detail::lower(s.value().file), ".gguf")) {
      return make_error(ErrorCode::invalid_argument,
                        "hf: a file in the spec must be a .gguf; for safetensors give the repository (hf:org/name)");
    }
    auto repo = detail::hub_repo(s.value(), options);
    auto src = repo->open(s.value().file);
    if (!src) return src.error();
    if (!src.value())
      return make_error(ErrorCode::unknown_name, s.value().display() + " " + s.value().file + ": not found");
    auto lm = detail::load_gguf(*src.value());
    if (lm) lm.value().model.hf_repo = s.value().repo_id();
    return lm;
  }
  auto repo = detail::hub_repo(s.value(), options);
  auto lm = detail::load_repo(*repo);
  if (!lm) return lm;
  lm.value().model.id = lm.value().model.name = s.value().repo_id();
  lm.value().model.hf_repo = s.value().repo_id();
  return lm;
}

}  // namespace

namespace {

// A spec that can only mean a path: ./x, ../x, /x, ~/x or file:x (the prefix dropped).
std::optional<std::string> explicit_path(const std::string& spec) {
  if (spec.rfind("file:", 0) == 0) return spec.substr(5);
  if (spec.rfind("./", 0) == 0 || spec.rfind("../", 0) == 0 || spec.rfind("/", 0) == 0 || spec.rfind("~", 0) == 0) {
    return spec;
  }
  return std::nullopt;
}

bool has_model_file_extension(const std::string& spec) {
  const std::string l = detail::lower(spec);
  return ends_with(l, ".gguf") || ends_with(l, ".json") || ends_with(l, ".safetensors");
}

Error local_paths_forbidden(const std::string& spec) {
  return make_error(ErrorCode::invalid_argument, "'" + spec +
                                                     "': local paths are not allowed here (policy "
                                                     "allow_local_paths=false); name a catalog model or hf:org/name");
}

LoadedModel from_catalog(const Model& m) {
  LoadedModel lm;
  lm.model = m;
  lm.kind = "catalog";
  lm.location = m.id;
  lm.model_type = lm.model.family;
  lm.precision = lm.model.weights_dtype;
  return lm;
}

}  // namespace

const Model* catalog_entry(const std::string& spec, const Catalog& catalog) {
  if (spec.rfind("hf:", 0) == 0 || explicit_path(spec)) return nullptr;
  auto m = find_model(catalog, spec);
  return m ? m.value() : nullptr;
}

bool is_model_file_spec(const std::string& spec) {
  if (spec.rfind("hf:", 0) == 0 || explicit_path(spec) || has_model_file_extension(spec)) return true;
  std::error_code ec;
  return fs::exists(spec, ec);
}

// Order: hf: → the Hub; an explicit path (./, /, ~, file:) → the file system; a catalog name →
// the catalog (before the file system is probed, so a file named like a model cannot shadow it);
// else an existing file or folder; else the catalog's error (with its nearest-name suggestion).
Result<LoadedModel> load_model_source(const std::string& spec, const Catalog& catalog, const SourceOptions& options) {
  if (spec.rfind("hf:", 0) == 0) return load_hub(spec, options);
  if (auto path = explicit_path(spec)) {
    if (!options.allow_local_paths) return local_paths_forbidden(spec);
    std::error_code ec;
    if (path->empty() || !fs::exists(*path, ec)) {
      return make_error(ErrorCode::invalid_argument, "no such file or folder: '" + *path + "'");
    }
    return load_local(*path);
  }
  if (const Model* m = catalog_entry(spec, catalog)) return from_catalog(*m);
  auto m = find_model(catalog, spec);
  std::error_code ec;
  const bool exists = !spec.empty() && fs::exists(spec, ec);
  if ((exists || has_model_file_extension(spec)) && !options.allow_local_paths) return local_paths_forbidden(spec);
  if (exists) return load_local(spec);
  if (has_model_file_extension(spec)) {
    return make_error(ErrorCode::invalid_argument, "no such file or folder: '" + spec + "'");
  }
  return m.error();
}

}  // namespace gpuplan::sources
