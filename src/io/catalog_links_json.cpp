// data/links.json: interconnects with bandwidth, latency and bus efficiency.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {

using namespace detail;

Result<bool> parse_links_json(std::string_view text, Catalog& catalog) {
  return read_catalog<bool>(text, "gpuplan-links/", "links", "link catalog", [&](const json& doc) -> Result<bool> {
    const json& list = doc["links"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      Reader r{"links[" + std::to_string(i) + "]", {}};
      if (!list[i].is_object()) return make_error(ErrorCode::parse_error, r.where + ": must be an object");
      Catalog::NamedLink l;
      l.id = r.string(list[i], "id", true);
      l.kind = r.string(list[i], "kind", true);
      l.bytes_per_s = r.number(list[i], "gbps", 0, true, 1e5) * 1e9;
      l.latency_s = r.number(list[i], "latency_us", 0, true, 1e6) * 1e-6;
      l.bus_efficiency = r.number(list[i], "bus_efficiency", 1, false, 1.2);
      l.source = r.string(list[i], "source", true);
      l.as_of = r.string(list[i], "as_of", true);
      if (r.error.empty() && l.bytes_per_s <= 0) r.fail("gbps", "must be positive");
      if (r.error.empty() && l.bus_efficiency <= 0) r.fail("bus_efficiency", "must be positive");
      if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
      catalog.links.push_back(std::move(l));
    }
    return true;
  });
}

}  // namespace gpuplan::io
