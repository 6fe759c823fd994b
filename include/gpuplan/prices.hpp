// Price data (data/prices.json): managed-API offers per model, electricity, PUE, hosting.
#pragma once
#include <string>
#include <vector>

#include "gpuplan/model.hpp"

namespace gpuplan {

struct ApiOffer {
  std::string model;  // catalog id
  std::string provider;
  double usd_per_million_input = 0;
  double usd_per_million_output = 0;
  std::string source;
  std::string as_of;
};

struct SourcedValue {
  double value = 0;
  std::string source;
  std::string as_of;
};

struct PriceBook {
  std::string as_of;
  SourcedValue power_usd_per_kwh;
  SourcedValue pue;
  SourcedValue hosting_usd_per_kw_month;
  SourcedValue server_power_factor;
  SourcedValue committed_discount;
  std::vector<ApiOffer> api;
};

struct ApiPrice {
  double usd_per_million_input = 0;
  double usd_per_million_output = 0;
  std::string basis;  // "median of 6 offers for llama-3.1-8b" or "priced like llama-3.1-70b (...)"
  std::string as_of;  // newest as_of among the offers used
  int offers = 0;
};

// Median of the offers for `model`; a model without offers is priced like the offered model
// whose active parameter count is nearest (log scale). offers = 0 when there are none at all.
ApiPrice api_price(const PriceBook& book, const Model& model, const std::vector<Model>& models);

}  // namespace gpuplan
