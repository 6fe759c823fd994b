// data/runtimes.json: speed efficiency per runtime and hardware family.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {

using namespace detail;

Result<bool> parse_runtimes_json(std::string_view text, Catalog& catalog) {
  return read_catalog<bool>(
      text, "gpuplan-runtimes/", "runtimes", "runtime catalog", [&](const json& doc) -> Result<bool> {
        const json& list = doc["runtimes"];
        for (std::size_t i = 0; i < list.size(); ++i) {
          const json& j = list[i];
          Reader r{"runtimes[" + std::to_string(i) + "]", {}};
          if (!j.is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
          RuntimeModel m;
          m.id = r.string(j, "id", true);
          m.runtime = r.string(j, "runtime", true);
          m.calibrated = r.boolean(j, "calibrated", false);
          m.calibration = r.string(j, "calibration", true);
          m.bandwidth_efficiency = r.number(j, "bandwidth_efficiency", 0, true, 1.5);
          m.layer_overhead_s = r.number(j, "layer_overhead_s", 0, true, 1.0);
          m.compute_efficiency_float = r.number(j, "compute_efficiency_float", 0, true, 1.5);
          m.compute_efficiency_quant = r.number(j, "compute_efficiency_quant", 0, true, 1.5);
          m.attention_efficiency = r.number(j, "attention_efficiency", 0, false, 1.0);
          m.moe_ratio_low = r.number(j, "moe_ratio_low", 0, false, 100);
          m.moe_ratio_median = r.number(j, "moe_ratio_median", 0, false, 100);
          m.moe_ratio_high = r.number(j, "moe_ratio_high", 0, false, 100);
          m.decode_ratio_low = r.number(j, "decode_ratio_low", 0, true, 10);
          m.decode_ratio_high = r.number(j, "decode_ratio_high", 0, true, 10);
          m.prefill_ratio_low = r.number(j, "prefill_ratio_low", 0, true, 10);
          m.prefill_ratio_high = r.number(j, "prefill_ratio_high", 0, true, 10);
          m.ubatch = r.number(j, "ubatch", 512, false, 1e6);
          const std::string split = r.string(j, "default_split");
          if (split == "tensor") {
            m.default_split = Split::tensor;
          } else if (!split.empty() && split != "layer" && r.error.empty()) {
            r.fail("default_split", "must be layer or tensor, not '" + split + "'");
          }
          m.fp16_accumulate = r.boolean(j, "fp16_accumulate", false);
          const std::string speed_model = r.string(j, "speed_model");
          if (auto parsed = parse_speed_model(speed_model)) {
            m.speed_model = *parsed;
          } else if (!speed_model.empty() && r.error.empty()) {
            r.fail("speed_model", "must be roofline or serving, not '" + speed_model + "'");
          }
          std::string vendors;
          for (const auto& v : r.strings(j, "vendors")) vendors += v + ",";
          if (r.error.empty() && (m.bandwidth_efficiency <= 0 || m.compute_efficiency_float <= 0 ||
                                  m.compute_efficiency_quant <= 0 || m.ubatch < 1)) {
            r.fail("efficiency", "factors must be positive");
          }
          if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
          catalog.runtimes.push_back(std::move(m));
          catalog.runtime_vendors.push_back(vendors);
        }
        return true;
      });
}

}  // namespace gpuplan::io
