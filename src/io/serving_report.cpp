// The serving closed loop of a `speed` result (runtimes with SpeedModel::serving): JSON and text,
// with the layout it ran and the calibration its figures rest on.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuplan/estimate.hpp"
#include "gpuplan/io/speed_report.hpp"
#include "gpuplan/units.hpp"

namespace gpuplan::io {
namespace {

using nlohmann::ordered_json;

std::string ms(double s) {
  if (s < 1) return fmt::format("{:.1f} ms", s * 1e3);
  return fmt::format("{:.2f} s", s);
}

std::string pct(double share) {
  return fmt::format("{:.0f}%", 100 * share);
}

std::string measured_span(const ServingCalibration& c) {
  return c.measured.empty() ? "dates not recorded in the source" : "measured " + c.measured;
}

}  // namespace

ordered_json serving_calibration_json(const ServingCalibration& c) {
  auto or_null = [&](double v) { return c.calibrated ? ordered_json(v) : ordered_json(nullptr); };
  return {{"engine", c.engine},
          {"gpu_family", c.architecture},
          {"calibrated", c.calibrated},
          {"fallback", c.fallback.empty() ? ordered_json(nullptr) : ordered_json(c.fallback)},
          {"fitted_on", c.fitted_on},
          {"measured", c.measured.empty() ? ordered_json(nullptr) : ordered_json(c.measured)},
          {"fit_rows", c.fit_rows},
          {"fit_systems", c.fit_systems},
          {"held_out_rows", c.held_out_rows},
          {"held_out_by", c.held_out_by},
          {"held_out_tpot_median_error", or_null(c.median_error)},
          {"held_out_tpot_p90_error", c.p90_error},
          {"held_out_ttft_median_error", or_null(c.ttft_median_error)},
          {"held_out_ttft_p90_error", c.ttft_p90_error},
          {"source", "data/serving_calibration.json"}};
}

ordered_json serving_load_json(const Scenario& s, const Estimate& e) {
  const ServingLoad& l = e.load;
  const ServingInputs in = serving_inputs(s, serving_pool(s, e));
  const double pool = in.kv_pool_tokens;
  return {{"fits", l.fits},
          {"concurrency", l.concurrency},
          {"admitted", l.admitted},
          {"queue_wait_s", l.queue_wait_s},
          {"ttft_s", l.ttft_s},
          {"tpot_s", l.tpot_s},
          {"itl_s", l.itl_s},
          {"request_latency_s", l.request_latency_s},
          {"requests_per_s", l.requests_per_s},
          {"output_tokens_per_s", l.output_tokens_per_s},
          {"total_tokens_per_s", l.total_tokens_per_s},
          {"output_tokens_per_s_per_gpu", l.output_tokens_per_s_per_gpu},
          {"decode_sequences_per_step", l.decode_sequences},
          {"prefill_tokens_per_step", l.prefill_tokens_per_step},
          {"kv_pool_tokens", pool >= 0 ? ordered_json(std::floor(pool)) : ordered_json(nullptr)},
          {"max_num_batched_tokens", in.max_batched_tokens},
          {"layout",
           {{"tensor_parallel_size", in.layout.tensor_parallel},
            {"pipeline_parallel_size", in.layout.pipeline_parallel},
            {"data_parallel_size", in.layout.data_parallel},
            {"expert_parallel_size", in.layout.expert_parallel}}},
          {"gemm_path", to_string(in.gemm_path)},
          {"step_s",
           {{"dense_s", l.step.dense_s},
            {"experts_s", l.step.experts_s},
            {"attention_s", l.step.attention_s},
            {"communication_s", l.step.communication_s},
            {"overhead_s", l.step.overhead_s},
            {"total_s", l.step.total_s}}},
          {"ranges",
           {{"ttft_s", {{"low", l.ttft_range_s.low}, {"expected", l.ttft_s}, {"high", l.ttft_range_s.high}}},
            {"tpot_s", {{"low", l.tpot_range_s.low}, {"expected", l.tpot_s}, {"high", l.tpot_range_s.high}}}}},
          {"calibration", serving_calibration_json(s.serving_calibration)}};
}

std::string serving_load_table(const Scenario& s, const Estimate& e) {
  const ServingLoad& l = e.load;
  const ServingInputs in = serving_inputs(s, serving_pool(s, e));
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  const ServingLayout& y = in.layout;
  line(fmt::format(
      "Layout     tensor {} x pipeline {} x data {} parallel{}, GEMMs on the {} path, step budget {} tokens",
      y.tensor_parallel, y.pipeline_parallel, y.data_parallel,
      y.expert_parallel > 1 ? fmt::format(", experts over {} ranks", y.expert_parallel) : "", to_string(in.gemm_path),
      in.max_batched_tokens));
  std::string held = in.kv_pool_tokens < 0 ? "no KV limit"
                                           : fmt::format("the KV pool ({} tokens) holds {} at once",
                                                         format_count(std::floor(in.kv_pool_tokens)), l.admitted);
  if (l.admitted < l.concurrency) held += fmt::format(", the rest wait {} on average (in TTFT)", ms(l.queue_wait_s));
  line(fmt::format("Under load {} in flight (closed loop, as vllm bench serve --max-concurrency {}); {}",
                   count_of(l.concurrency, "request"), l.concurrency, held));
  line(
      fmt::format("           {:.0f} output tokens/s ({:.0f} per GPU), {:.0f} total tokens/s, {:.2f} requests/s, "
                  "request latency {}",
                  l.output_tokens_per_s, l.output_tokens_per_s_per_gpu, l.total_tokens_per_s, l.requests_per_s,
                  ms(l.request_latency_s)));
  const StepTime& t = l.step;
  line(
      fmt::format("Step       {} = dense {} + experts {} + attention {} + communication {} + host overhead {} "
                  "({} decoding, {:.0f} prompt tokens per step)",
                  ms(t.total_s), ms(t.dense_s), ms(t.experts_s), ms(t.attention_s), ms(t.communication_s),
                  ms(t.overhead_s), count_of(std::round(l.decode_sequences), "sequence"), l.prefill_tokens_per_step));
  const ServingCalibration& c = s.serving_calibration;
  if (c.calibrated) {
    line(
        fmt::format("Calibration {}{}: fitted on {:.0f} measured rows ({}, {}); held out by {}: "
                    "TPOT median error {} (p90 {}), TTFT {} (p90 {})",
                    c.fitted_on, c.fallback.empty() ? "" : " (fallback: " + c.fallback + ")", c.fit_rows,
                    count_of(c.fit_systems, "system"), measured_span(c), c.held_out_by, pct(c.median_error),
                    pct(c.p90_error), pct(c.ttft_median_error), pct(c.ttft_p90_error)));
    line("Range: the held-out 90th percentile of |predicted / measured - 1|.");
  } else {
    line(
        fmt::format("Calibration NOT CALIBRATED for {} on this GPU family ({}); the range is a factor of {:.0f} "
                    "either way",
                    s.runtime.runtime, c.fallback, 1 + c.p90_error));
  }
  return out;
}

}  // namespace gpuplan::io
