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
    if (canonical_name(item.id) == key) return &item;
  }
  for (const auto& item : items) {
    for (const auto& alias : item.aliases) {
      if (canonical_name(alias) == key) return &item;
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
