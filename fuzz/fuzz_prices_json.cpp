// Fuzz target: io::parse_prices_json, the price book of data/prices.json and of a user's
// --prices-file. On success: every sourced value (electricity, PUE, hosting, server power factor,
// committed discount) and every API offer is finite and >= 0, PUE >= 1, the discount < 1, and the
// API price of a catalog model (api_price: median of its offers, or priced like the nearest offered
// model) is finite and >= 0 with offers <= the number of offers in the book. On failure the catalog's
// price book is untouched and the error has a message.
// A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_builtin_catalog.hpp"
#include "gpuplan/catalog.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/prices.hpp"

namespace {

void check(bool ok, const char* what, double value) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_prices_json: invariant violated: %s = %g\n", what, value);
  std::abort();
}

void check_non_negative(const char* what, double value) {
  check(std::isfinite(value) && value >= 0, what, value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gpuplan::Catalog catalog;
  catalog.prices.as_of = "untouched";
  const auto parsed = gpuplan::io::parse_prices_json(text, catalog);
  if (!parsed) {
    check(!parsed.error().message.empty(), "error message length", 0);
    check(catalog.prices.as_of == "untouched", "price book replaced on error", 0);
    return 0;
  }
  const gpuplan::PriceBook& b = catalog.prices;
  check_non_negative("electricity.usd_per_kwh", b.power_usd_per_kwh.value);
  check_non_negative("electricity.pue", b.pue.value);
  check(b.pue.value >= 1, "electricity.pue (below 1)", b.pue.value);
  check_non_negative("hosting.usd_per_kw_month", b.hosting_usd_per_kw_month.value);
  check_non_negative("hosting.server_power_factor", b.server_power_factor.value);
  check_non_negative("rent.committed_discount", b.committed_discount.value);
  check(b.committed_discount.value < 1, "rent.committed_discount (not below 1)", b.committed_discount.value);
  for (const gpuplan::ApiOffer& o : b.api) {
    check_non_negative("api[].usd_per_1m_input", o.usd_per_million_input);
    check_non_negative("api[].usd_per_1m_output", o.usd_per_million_output);
    check(!o.model.empty(), "api[].model (empty)", 0);
  }
  // What --prices-file feeds: the API price of catalog models, from this book.
  const auto& models = gpuplan::fuzz::builtin().models;
  for (std::size_t i = 0; i < models.size(); i += 16) {
    const gpuplan::ApiPrice p = gpuplan::api_price(b, models[i], models);
    check_non_negative("api_price.usd_per_million_input", p.usd_per_million_input);
    check_non_negative("api_price.usd_per_million_output", p.usd_per_million_output);
    check(p.offers >= 0 && static_cast<std::size_t>(p.offers) <= b.api.size(), "api_price.offers", p.offers);
  }
  return 0;
}
