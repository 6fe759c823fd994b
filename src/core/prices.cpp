#include "gpuplan/prices.hpp"

#include <algorithm>
#include <cmath>

#include "gpuplan/calibration.hpp"

namespace gpuplan {
namespace {

ApiPrice median_for(const PriceBook& book, const std::string& id) {
  ApiPrice p;
  std::vector<double> in, out;
  for (const auto& o : book.api) {
    if (o.model != id) continue;
    in.push_back(o.usd_per_million_input);
    out.push_back(o.usd_per_million_output);
    p.as_of = std::max(p.as_of, o.as_of);
  }
  p.offers = static_cast<int>(in.size());
  if (p.offers == 0) return p;
  p.usd_per_million_input = quantile(in, 0.5);
  p.usd_per_million_output = quantile(out, 0.5);
  p.basis = "median of " + std::to_string(p.offers) + " API offers for " + id;
  return p;
}

}  // namespace

ApiPrice api_price(const PriceBook& book, const Model& model, const std::vector<Model>& models) {
  ApiPrice own = median_for(book, model.id);
  if (own.offers > 0) return own;
  const double active = count_params(model.arch).active;
  const Model* nearest = nullptr;
  double best = INFINITY;
  for (const auto& m : models) {
    if (median_for(book, m.id).offers == 0) continue;
    const double d = std::fabs(std::log(count_params(m.arch).active / std::max(1.0, active)));
    if (d < best) {
      best = d;
      nearest = &m;
    }
  }
  if (nearest == nullptr) return own;
  ApiPrice p = median_for(book, nearest->id);
  p.basis = "no API offers for " + model.id + " in data/prices.json; priced like " + nearest->id +
            " (nearest active parameter count): " + p.basis;
  return p;
}

}  // namespace gpuplan
