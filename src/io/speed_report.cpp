#include "gpuplan/io/speed_report.hpp"
#include "gpuplan/io/engine_report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

ordered_json ranged(const Ranged& r) {
  return {{"low", r.low}, {"expected", r.expected}, {"high", r.high}};
}

std::string seconds(double s) {
  if (s <= 0) return "-";
  if (s < 1e-3) return fmt::format("{:.0f} us", s * 1e6);
  if (s < 1) return fmt::format("{:.1f} ms", s * 1e3);
  return fmt::format("{:.2f} s", s);
}

std::string rate(double tokens_per_s) {
  if (tokens_per_s >= 100) return fmt::format("{:.0f}", tokens_per_s);
  return fmt::format("{:.1f}", tokens_per_s);
}

}  // namespace

ordered_json speed_json(const SpeedReport& r) {
  ordered_json j = fit_json(r.fit);
  j["schema"] = "gpuplan-speed/2";
  const Estimate& e = r.fit.estimate;
  const Scenario& s = r.fit.scenario;
  if (e.has_engine) j["engine"] = engine_json(r.fit.scenario.engine_spec, e.engine);
  if (!e.has_speed) return j;
  const Speed& sp = e.speed;
  ordered_json speed = {{"prefill_tokens_per_s", sp.prefill_tokens_per_s.expected},
                        {"decode_tokens_per_s", sp.decode_tokens_per_s.expected},
                        {"aggregate_tokens_per_s", sp.aggregate_tokens_per_s.expected},
                        {"ttft_s", sp.ttft_s.expected},
                        {"tpot_s", sp.tpot_s.expected},
                        {"bound", to_string(sp.bound)},
                        {"prefill_bound", to_string(sp.prefill_bound)},
                        {"arithmetic_intensity_flop_per_byte", sp.arithmetic_intensity},
                        {"machine_balance_flop_per_byte", sp.machine_balance},
                        {"compute_bound_from_concurrency", r.compute_bound_concurrency},
                        {"prompt_tokens", s.speed.prompt_tokens},
                        {"output_tokens", s.speed.output_tokens},
                        {"concurrency", s.speed.concurrency},
                        {"gpus", s.gpus},
                        {"split", s.speed.split == Split::tensor ? "tensor" : "layer"},
                        {"communication_s_per_step", sp.communication_s_per_token},
                        {"dense_flops_per_s", sp.compute_flops_per_s},
                        {"memory_bandwidth_bytes_per_s", s.hardware.memory_bandwidth_bytes_per_s},
                        {"decode_bytes_per_step", sp.decode_bytes_per_step},
                        {"decode_flops_per_step", sp.decode_flops_per_step},
                        {"prefill_flops", sp.prefill_flops}};
  speed["ranges"] = {{"prefill_tokens_per_s", ranged(sp.prefill_tokens_per_s)},
                     {"decode_tokens_per_s", ranged(sp.decode_tokens_per_s)},
                     {"aggregate_tokens_per_s", ranged(sp.aggregate_tokens_per_s)},
                     {"ttft_s", ranged(sp.ttft_s)},
                     {"tpot_s", ranged(sp.tpot_s)}};
  const bool serving = e.has_load;
  speed["calibration"] = {{"runtime", s.runtime.runtime},
                          {"model", s.runtime.id},
                          {"speed_model", to_string(s.runtime.speed_model)},
                          {"calibrated", serving ? s.serving_calibration.calibrated : s.runtime.calibrated},
                          {"source", s.runtime.calibration}};
  if (serving) speed["serving"] = serving_load_json(s, e);
  if (sp.under_load && !serving) {
    speed["under_load"] = {
        {"concurrency", s.speed.concurrency},        {"prefill_share", sp.prefill_share},
        {"queue_wait_s", sp.queue_wait_s},           {"requests_per_s", sp.requests_per_s},
        {"request_latency_s", sp.request_latency_s}, {"output_tokens_per_s", sp.aggregate_tokens_per_s.expected}};
  }
  ordered_json curve = ordered_json::array();
  for (const auto& p : r.curve) {
    curve.push_back({{"context", p.context},
                     {"tpot_s", p.tpot_s},
                     {"decode_tokens_per_s", p.decode_tokens_per_s},
                     {"prefill_tokens_per_s", p.prefill_tokens_per_s}});
  }
  speed["curve"] = curve;
  j["speed"] = speed;
  return j;
}

namespace {

// The lines after the speed table: the load it ran under, the calibration it rests on, the curve.
std::string load_and_calibration(const SpeedReport& r) {
  const Estimate& e = r.fit.estimate;
  const Scenario& s = r.fit.scenario;
  const Speed& sp = e.speed;
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  if (sp.under_load && !e.has_load) {
    line(
        fmt::format("Under load {} in flight (closed loop: a new request as one finishes); the others' prompts take "
                    "{:.0f}% of the card, so decode runs at {:.0f}% of its pace alone and a new prompt waits {} "
                    "for those ahead of it",
                    count_of(s.speed.concurrency, "request"), 100 * sp.prefill_share, 100 * (1 - sp.prefill_share),
                    seconds(sp.queue_wait_s)));
    line(fmt::format("           {:.0f} output tokens/s, {:.2f} requests/s, request latency {}",
                     sp.aggregate_tokens_per_s.expected, sp.requests_per_s, seconds(sp.request_latency_s)));
  }
  if (e.has_load) {
    out += serving_load_table(s, e);
  } else {
    line(fmt::format("Calibration: {}{}", s.runtime.calibrated ? "" : "NOT CALIBRATED — ", s.runtime.calibration));
    line(s.runtime.calibrated ? "Range: 10th-90th percentile of measured/predicted over the calibration rows."
                              : "Range: a wide default (0.5x-1.5x) because this runtime has no calibration data here.");
  }
  if (!r.curve.empty()) {
    line("");
    line(fmt::format("{:>10} {:>12} {:>16} {:>16}", "context", "per token", "decode tok/s", "prefill tok/s"));
    for (const auto& p : r.curve) {
      line(fmt::format("{:>10} {:>12} {:>16} {:>16}", format_tokens(p.context), seconds(p.tpot_s),
                       rate(p.decode_tokens_per_s), rate(p.prefill_tokens_per_s)));
    }
  }
  return out;
}

}  // namespace

std::string speed_table(const SpeedReport& r) {
  const Estimate& e = r.fit.estimate;
  const Scenario& s = r.fit.scenario;
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  // A scenario that does not fit does not run: the verdict leads and no speed is printed as if it ran.
  // Under the serving model more requests than the KV pool holds queue in the engine: that runs.
  const bool queued = !e.fits && e.batch_exceeds_concurrency && e.has_load && e.load.fits;
  if (!e.fits && !queued) {
    line(verdict_line(r.fit));
    line("");
  }
  const std::string card = s.gpus > 1 ? fmt::format("{} x {}", s.gpus, r.fit.gpu.name) : r.fit.gpu.name;
  std::string params = format_count(e.params.total) + " params";
  if (e.params.active < e.params.total) params += ", " + format_count(e.params.active) + " active";
  line(fmt::format("Model      {} ({}), {}", r.fit.model.name, params, s.precision.name));
  line(fmt::format(
      "Hardware   {}{}", card,
      s.gpus > 1 ? fmt::format(" ({} split)", s.speed.split == Split::tensor ? "tensor-parallel" : "layer") : ""));
  line(fmt::format("Runtime    {} ({})", s.runtime.runtime, s.runtime.id));
  line(fmt::format("Workload   prompt {} tokens, output {} tokens, {} concurrent sequence{}", s.speed.prompt_tokens,
                   s.speed.output_tokens, s.speed.concurrency, s.speed.concurrency == 1 ? "" : "s"));
  if (queued) {
    line(
        fmt::format("Memory     the KV pool holds {} of the {} requests at once; the others wait in the engine's "
                    "queue (their wait is part of TTFT)",
                    e.load.admitted, s.speed.concurrency));
  } else {
    line(fmt::format("Memory     {}", verdict_line(r.fit)));
  }
  if (e.has_engine) out += engine_table(r.fit.scenario.engine_spec, e.engine);
  if (!e.has_speed) return out;
  if (!e.fits && !queued) {
    line("");
    line(
        "Speed      not meaningful: it does not fit, so it would not run; 'gpuplan fit' with the same options "
        "lists what would make it fit (--json keeps the arithmetic under \"speed\", with \"fits\": false)");
    return out;
  }
  const Speed& sp = e.speed;
  line("");
  line(fmt::format("{:<30} {:>10} {:>10} {:>10}", "", "low", "expected", "high"));
  auto row3 = [&](const char* name, const Ranged& v, bool time) {
    auto f = [&](double x) { return time ? seconds(x) : rate(x); };
    line(fmt::format("{:<30} {:>10} {:>10} {:>10}", name, f(v.low), f(v.expected), f(v.high)));
  };
  if (s.speed.prompt_tokens > 0) {
    const bool loaded = e.has_load || sp.under_load;
    row3(loaded ? "time to first token, under load" : "time to first token", sp.ttft_s, true);
    row3(loaded ? "prefill, tokens/s, one prompt" : "prefill, tokens/s", sp.prefill_tokens_per_s, false);
  }
  row3("time per output token", sp.tpot_s, true);
  row3("decode, tokens/s per sequence", sp.decode_tokens_per_s, false);
  if (s.speed.concurrency > 1) row3("decode, tokens/s all sequences", sp.aggregate_tokens_per_s, false);
  line("");
  line(fmt::format("Decode is {}-bound: {:.1f} FLOP per byte read vs the card's balance of {:.0f} FLOP/byte{}.",
                   to_string(sp.bound), sp.arithmetic_intensity, sp.machine_balance,
                   r.compute_bound_concurrency > 0
                       ? "; compute binds from about " + count_of(r.compute_bound_concurrency, "concurrent sequence")
                       : ""));
  if (s.speed.prompt_tokens > 0) line(fmt::format("Prefill is {}-bound.", to_string(sp.prefill_bound)));
  if (sp.communication_s_per_token > 0 && !e.has_load) {  // under load: in the step's parts
    line(fmt::format("Interconnect: {} per decode step ({}).", seconds(sp.communication_s_per_token),
                     s.speed.split == Split::tensor ? "two all-reduces per layer" : "activation hops between cards"));
  }
  out += load_and_calibration(r);
  return out;
}

}  // namespace gpuplan::io
