// Requests in flight on a roofline runtime (llama-server's parallel slots, Ollama, MLX, the generic
// engine): the closed loop a benchmark runs (C requests, each I prompt + O output tokens, a new one
// as soon as one finishes), on top of the single-stream roofline times. See speed.hpp.
#include <algorithm>
#include <cmath>

#include "gpuplan/speed.hpp"

namespace gpuplan {
namespace {

constexpr double kMaxPrefillShare = 0.98;  // the closed loop never lets prefill take the whole card
constexpr int kIterations = 60;
constexpr double kTolerance = 1e-6;

// One decode step with `sequences` sequences decoding: linear between the step of one sequence and
// that of all C (exact while memory binds: weights once plus KV per sequence); below one sequence
// the share of the time one is decoding.
double decode_step(const LoadInputs& in, double sequences) {
  const double c = std::max(1.0, in.concurrency);
  if (sequences <= 1 || c <= 1) return std::max(0.0, sequences) * in.tpot_one_s;
  const double x = std::clamp((sequences - 1) / (c - 1), 0.0, 1.0);
  return in.tpot_one_s + x * (in.tpot_all_s - in.tpot_one_s);
}

}  // namespace

RooflineLoad roofline_closed_loop(const LoadInputs& in) {
  RooflineLoad r;
  const double c = std::max(1.0, in.concurrency);
  const double output = std::max(1.0, in.output_tokens);
  const double others = (c - 1) / c;  // of the requests in flight, the ones that are not this one
  const double chunks = std::ceil(std::max(1.0, in.prompt_tokens) / std::max(1.0, in.step_tokens));
  double ttft = in.prefill_one_s;
  double tpot = in.tpot_all_s;
  for (int i = 0; i < kIterations; ++i) {
    const double lifetime = std::max(1e-12, ttft + (output - 1) * tpot);
    const double lambda = c / lifetime;
    // The others' prompts take this share of the card; decode advances in the rest.
    const double rho = std::min(kMaxPrefillShare, lambda * in.prefill_one_s * others);
    const double decoding = c * (output - 1) * tpot / lifetime;
    const double next_tpot = decode_step(in, std::max(1.0, decoding)) / (1 - rho);
    // A new prompt waits for the prompts ahead of it (M/D/1) and shares its steps (chunks of the
    // step's token budget) with the others' decodes.
    const double wait = rho * in.prefill_one_s / (2 * (1 - rho));
    const double next_ttft = in.prefill_one_s + chunks * decode_step(in, decoding * others) + wait;
    const bool settled =
        std::abs(next_tpot - tpot) <= kTolerance * tpot && std::abs(next_ttft - ttft) <= kTolerance * ttft;
    tpot = 0.5 * (tpot + next_tpot);
    ttft = 0.5 * (ttft + next_ttft);
    r.prefill_share = rho;
    r.queue_wait_s = wait;
    if (settled) break;
  }
  r.ttft_s = ttft;
  r.tpot_s = tpot;
  r.request_latency_s = ttft + (output - 1) * tpot;
  r.requests_per_s = c / std::max(1e-12, r.request_latency_s);
  r.output_tokens_per_s = r.requests_per_s * output;
  return r;
}

}  // namespace gpuplan
