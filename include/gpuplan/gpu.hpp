// Gpu: one accelerator from the catalog. Figures are in base units; provenance per figure.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gpuplan/codes.hpp"

namespace gpuplan {

// A catalog figure's provenance: which source said it, and as of when.
struct Provenance {
  std::string source;
  std::string as_of;
};

// Field name -> provenance, shared between copies of a Gpu (a search copies cards often; the
// table is written only while a catalog is read). Reads as a const std::map.
class ProvenanceTable {
 public:
  using Map = std::map<std::string, Provenance, std::less<>>;
  Map::const_iterator find(std::string_view field) const { return map().find(field); }
  Map::const_iterator begin() const { return map().begin(); }
  Map::const_iterator end() const { return map().end(); }
  std::size_t count(std::string_view field) const { return map().count(field); }
  bool empty() const { return map().empty(); }
  void set(const std::string& field, Provenance p);  // copies the table first when it is shared

 private:
  const Map& map() const;
  std::shared_ptr<const Map> map_;
};

enum class Tier { consumer, workstation, datacenter };
const char* to_string(Tier tier);

// Peak tensor (matrix) throughput per dtype, FLOP/s (or OP/s for integers), dense, no sparsity;
// 0 = not supported. fp16, bf16, fp8 and fp4 are with FP32 accumulate (the rate cuBLAS/cuBLASLt
// GEMMs with an FP32 compute type, PyTorch's default, run at). fp16_acc16 is FP16 inputs with FP16
// accumulate (CUBLAS_COMPUTE_16F): twice fp16 on GeForce RTX 20/30/40/50 cards, equal to fp16 on
// datacenter and workstation cards. int8 accumulates in INT32 (llama.cpp's mmq kernels). fp4 on
// Blackwell is NVFP4/MXFP4.
struct DenseFlops {
  double fp32 = 0, tf32 = 0, fp16 = 0, fp16_acc16 = 0, bf16 = 0, fp8 = 0, int8 = 0, int4 = 0, fp4 = 0;
};

struct Gpu {
  std::string id;
  std::string name;
  std::string vendor;                  // as the catalog spells it (runtime entries match it)
  Vendor vendor_kind = Vendor::other;  // the same, for decisions; set with `vendor`
  Tier tier = Tier::datacenter;
  std::string architecture;
  std::vector<std::string> aliases;
  bool unified_memory = false;
  double memory_bytes = 0;
  std::vector<double> memory_options_gib;
  double memory_bandwidth_bytes_per_s = 0;
  DenseFlops dense_flops;
  double tdp_w = 0;
  std::string host_link;  // pcie4-x16, soc, ...
  double host_link_bytes_per_s = 0;
  std::string peer_link;  // none, nvlink4, infinity-fabric, ...
  double peer_link_bytes_per_s = 0;
  double launch_year = 0;
  double launch_price_usd = 0;   // 0 = not sold / unknown
  double rent_usd_per_hour = 0;  // 0 = no source
  double rent_low_usd_per_hour = 0;
  double rent_high_usd_per_hour = 0;
  std::string notes;
  ProvenanceTable provenance;  // field name -> source, as_of
};

// Memory a model may use on this device. Discrete cards: all of it (the runtime overhead is
// itemised separately). Apple unified memory: macOS lets the GPU wire about 75% of RAM on
// machines above 36 GiB and about 2/3 below (Metal recommendedMaxWorkingSetSize, as printed by
// llama.cpp's Metal backend).
double usable_memory_bytes(const Gpu& gpu);

}  // namespace gpuplan
