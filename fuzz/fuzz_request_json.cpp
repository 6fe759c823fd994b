// Fuzz target: request_from_json_text, the one parser of the HTTP API and Python, for every
// request's field table (fit, speed, cost, plan, train, inspect, idle). Invariants: it returns a
// request or an error, never throws or crashes; every number it accepted is finite and not
// negative (but the "max" keyword of the fields that take it); every text it accepted is within the field's bound
// (kMaxFieldTextBytes). A violation calls abort(), which libFuzzer (and fuzz/replay_main.cpp) report as a crash.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "gpuplan/api/json_request.hpp"
#include "gpuplan/api/requests.hpp"

namespace {

[[noreturn]] void fail(const char* what, const char* key) {
  std::fprintf(stderr, "fuzz_request_json: invariant violated: %s (field %s)\n", what, key);
  std::abort();
}

template <class R>
void check(std::string_view text, const std::vector<gpuplan::api::Field<R>>& fields) {
  auto r = gpuplan::api::request_from_json_text<R>(text, fields);
  if (!r) {
    if (r.error().message.empty()) fail("an error without a message", "");
    return;
  }
  const R& request = r.value();
  for (const auto& f : fields) {
    if (const auto* num = std::get_if<std::optional<double> R::*>(&f.member)) {
      const auto& v = request.**num;
      const bool max_keyword = v && f.info.takes_max && *v == gpuplan::api::kFieldMax;  // "max"
      if (v && !max_keyword && (!std::isfinite(*v) || *v < 0)) {
        fail("a number that is not finite or is negative", f.info.key);
      }
    } else if (const auto* txt = std::get_if<std::optional<std::string> R::*>(&f.member)) {
      const auto& v = request.**txt;
      if (v && v->size() > gpuplan::api::kMaxFieldTextBytes) fail("a text longer than its bound", f.info.key);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace api = gpuplan::api;
  check(text, api::fit_fields());
  check(text, api::speed_fields());
  check(text, api::cost_fields());
  check(text, api::plan_fields());
  check(text, api::train_fields());
  check(text, api::inspect_fields());
  check(text, api::idle_fields());
  return 0;
}
