// data/prices.json or a user's --prices-file: the price book.
#include "gpuplan/io/catalog_json.hpp"

#include "catalog_reader.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::io {

using namespace detail;

Result<bool> parse_prices_json(std::string_view text, Catalog& catalog) {
  return read_catalog<bool>(text, "gpuplan-prices/", "api", "price catalog", [&](const json& d) -> Result<bool> {
    PriceBook book;
    Reader r{"prices", {}};
    book.as_of = r.string(d, "as_of");
    auto sourced = [&r](const json& parent, const char* group, const char* key, double max) {
      SourcedValue v;
      const auto g = parent.find(group);
      if (g == parent.end() || !g->is_object()) {
        r.fail(group, "must be an object");
        return v;
      }
      const auto it = g->find(key);
      if (it == g->end() || !it->is_object()) {
        r.fail(std::string(group) + "." + key, "must be {value, source, as_of}");
        return v;
      }
      v.value = r.number(*it, "value", 0, true, max);
      v.source = r.string(*it, "source", true);
      v.as_of = r.string(*it, "as_of", true);
      return v;
    };
    book.power_usd_per_kwh = sourced(d, "electricity", "usd_per_kwh", 100);
    book.pue = sourced(d, "electricity", "pue", 10);
    book.hosting_usd_per_kw_month = sourced(d, "hosting", "usd_per_kw_month", 1e5);
    book.server_power_factor = sourced(d, "hosting", "server_power_factor", 10);
    book.committed_discount = sourced(d, "rent", "committed_discount", 0.99);
    const json& api = d["api"];
    for (std::size_t i = 0; i < api.size() && r.error.empty(); ++i) {
      Reader e{"prices.api[" + std::to_string(i) + "]", {}};
      if (!api[i].is_object()) return make_error(ErrorCode::parse_error, e.where + ": must be an object");
      ApiOffer o;
      o.model = e.string(api[i], "model", true);
      o.provider = e.string(api[i], "provider");
      o.usd_per_million_input = e.number(api[i], "usd_per_1m_input", 0, true, 1e4);
      o.usd_per_million_output = e.number(api[i], "usd_per_1m_output", 0, true, 1e4);
      o.source = e.string(api[i], "source", true);
      o.as_of = e.string(api[i], "as_of", true);
      if (!e.error.empty()) return make_error(ErrorCode::parse_error, e.error);
      book.api.push_back(std::move(o));
    }
    if (book.pue.value < 1 && r.error.empty()) r.fail("electricity.pue", "must be at least 1");
    if (!r.error.empty()) return make_error(ErrorCode::parse_error, r.error);
    catalog.prices = std::move(book);
    return true;
  });
}

}  // namespace gpuplan::io
