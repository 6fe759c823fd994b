#include "gpuplan/catalog.hpp"

#include <algorithm>

#include "gpuplan/names.hpp"

namespace gpuplan {
namespace {

// Compares with '.' kept (llama-3.1 vs llama-31 must differ) but case and separators folded.
template <typename T>
const T* find_by_name(const std::vector<T>& items, std::string_view name) {
  const std::string key = canonical_name(name);
  for (const auto& item : items) {
    if (canonical_equals(key, item.id)) return &item;
  }
  for (const auto& item : items) {
    for (const auto& alias : item.aliases) {
      if (canonical_equals(key, alias)) return &item;
    }
  }
  return nullptr;
}

template <typename T>
std::vector<std::string> all_names(const std::vector<T>& items) {
  std::vector<std::string> names;
  names.reserve(items.size());
  for (const auto& item : items) names.push_back(item.id);
  return names;
}

}  // namespace

Result<const Model*> find_model(const Catalog& catalog, std::string_view name) {
  if (const Model* m = find_by_name(catalog.models, name)) return m;
  return make_error(ErrorCode::unknown_name, "unknown model '" + std::string(name) + "'" +
                                                 suggestion_suffix(name, all_names(catalog.models)) +
                                                 "; 'gpuplan models' lists them, or give --params");
}

Result<const Gpu*> find_gpu(const Catalog& catalog, std::string_view name) {
  if (const Gpu* g = find_by_name(catalog.gpus, name)) return g;
  return make_error(ErrorCode::unknown_name, "unknown GPU '" + std::string(name) + "'" +
                                                 suggestion_suffix(name, all_names(catalog.gpus)) +
                                                 "; 'gpuplan gpus' lists them");
}

Result<RuntimeModel> find_runtime(const Catalog& catalog, std::string_view runtime, std::string_view vendor) {
  std::string key = canonical_name(runtime);
  if (key == "llamacpp" || key == "llama-cpp" || key == "ollama" || key == "lmstudio" || key == "llama.cpp") {
    key = key == "ollama" ? "ollama" : "llama.cpp";
  }
  const std::string vendor_key = canonical_name(vendor);
  const RuntimeModel* first = nullptr;
  for (std::size_t i = 0; i < catalog.runtimes.size(); ++i) {
    const RuntimeModel& r = catalog.runtimes[i];
    // The family ("llama.cpp") or an entry's own id as plan prints it ("llama.cpp-cuda").
    if (!canonical_equals(key, r.runtime) && !canonical_equals(key, r.id)) continue;
    if (first == nullptr) first = &r;
    const std::string& vendors = i < catalog.runtime_vendors.size() ? catalog.runtime_vendors[i] : std::string();
    if (vendors.empty() || vendors.find(vendor_key) != std::string::npos) return r;
  }
  if (first != nullptr) {
    RuntimeModel borrowed = *first;
    borrowed.id = borrowed.runtime;  // not "llama.cpp-cuda" on an AMD card: the family, accepted back by --runtime
    borrowed.calibrated = false;
    borrowed.calibration = "no calibration for " + std::string(runtime) + " on " + std::string(vendor) +
                           " hardware; borrowing the factors of " + first->id + " (" + first->calibration + ")";
    return borrowed;
  }
  std::vector<std::string> names;
  for (const RuntimeModel& r : catalog.runtimes) names.push_back(r.runtime);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return make_error(ErrorCode::unknown_name,
                    "unknown runtime '" + std::string(runtime) + "'" + suggestion_suffix(runtime, names));
}

Result<const EngineSpec*> find_engine(const Catalog& catalog, std::string_view name) {
  const std::string key = canonical_name(name);
  for (const auto& e : catalog.engines) {
    if (canonical_equals(key, e.id)) return &e;
    for (const auto& alias : e.aliases) {
      if (canonical_equals(key, alias)) return &e;
    }
  }
  std::vector<std::string> names;
  for (const auto& e : catalog.engines) names.push_back(e.id);
  return make_error(ErrorCode::unknown_name, "unknown runtime '" + std::string(name) + "'" +
                                                 suggestion_suffix(name, names) +
                                                 " (known: vllm, vllm-v0, sglang, "
                                                 "tensorrt-llm, llama.cpp, ollama, transformers)");
}

const ProvenanceTable::Map& ProvenanceTable::map() const {
  static const Map kEmpty;  // immutable, so shared by every thread
  return map_ ? *map_ : kEmpty;
}

void ProvenanceTable::set(const std::string& field, Provenance p) {
  auto copy = map_ ? std::make_shared<Map>(*map_) : std::make_shared<Map>();
  (*copy)[field] = std::move(p);
  map_ = std::move(copy);
}

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::consumer: return "consumer";
    case Tier::workstation: return "workstation";
    case Tier::datacenter: return "datacenter";
  }
  return "datacenter";
}

double usable_memory_bytes(const Gpu& gpu) {
  if (!gpu.unified_memory) return gpu.memory_bytes;
  const double gib = gpu.memory_bytes / (1024.0 * 1024.0 * 1024.0);
  return gpu.memory_bytes * (gib > 36 ? 0.75 : 2.0 / 3.0);
}

}  // namespace gpuplan
