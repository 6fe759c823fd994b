// Engine-faithful memory against what the engines logged: shared/reference/vllm_kvcache.csv and
// llamacpp_memory.csv, plus tests/fixtures/engine_logs/*.csv (more models, cards and versions,
// each row verbatim from its public source). Prints predicted vs logged with the error; rows a
// constant was fitted on are marked "fit" and kept out of the error summary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "catalog_fixture.hpp"
#include "csv.hpp"
#include "gpuplan/engine.hpp"
#include "gpuplan/estimate.hpp"

using namespace gpuplan;
using gpuplan::testing::CsvRow;
using gpuplan::testing::leading_number;
using gpuplan::testing::read_csv;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

std::string ref(const char* file) {
  return std::string(GPUPLAN_REFERENCE_DIR) + "/" + file;
}
std::string fixture(const char* file) {
  return std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/engine_logs/" + file;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The one row of `rows` for which `match` holds (fails the test when there is not exactly one).
const CsvRow& row(const std::vector<CsvRow>& rows, const std::function<bool(const CsvRow&)>& match, const char* what) {
  const CsvRow* found = nullptr;
  int n = 0;
  for (const auto& r : rows) {
    if (match(r)) {
      found = &r;
      ++n;
    }
  }
  if (n != 1) throw std::runtime_error(std::string("expected one row for ") + what + ", found " + std::to_string(n));
  return *found;
}

struct Check {
  std::string what;
  std::string quantity;
  double predicted;
  double logged;
  bool fitted = false;  // a constant was fitted on this row
  [[nodiscard]] double error() const { return (predicted - logged) / logged; }
};

struct Summary {
  std::vector<Check> checks;
  void add(const std::string& what, const std::string& quantity, double predicted, double logged, bool fitted = false) {
    checks.push_back({what, quantity, predicted, logged, fitted});
  }
  [[nodiscard]] std::vector<double> errors(const std::string& quantity) const {
    std::vector<double> e;
    for (const auto& c : checks) {
      if (c.quantity == quantity && !c.fitted) e.push_back(std::fabs(c.error()));
    }
    std::sort(e.begin(), e.end());
    return e;
  }
  [[nodiscard]] double median(const std::string& quantity) const {
    const auto e = errors(quantity);
    if (e.empty()) return 0;
    return e.size() % 2 ? e[e.size() / 2] : (e[e.size() / 2 - 1] + e[e.size() / 2]) / 2;
  }
  void print(const char* title) const {
    std::printf("\n%s\n| row | quantity | predicted | logged | error |\n|---|---|---:|---:|---:|\n", title);
    for (const auto& c : checks) {
      std::printf("| %s | %s | %.2f | %.2f | %+.1f%%%s |\n", c.what.c_str(), c.quantity.c_str(), c.predicted, c.logged,
                  100 * c.error(), c.fitted ? " (fit)" : "");
    }
    for (const char* q : {"weights GiB", "KV GiB", "KV tokens", "concurrency", "activation GiB", "model buffer MiB",
                          "KV self MiB", "compute buffer MiB", "host compute MiB"}) {
      const auto e = errors(q);
      if (e.empty()) continue;
      std::printf("| **%s** | %zu rows out of sample | | median |error| | **%.1f%%** (worst %.1f%%) |\n", q, e.size(),
                  100 * median(q), 100 * e.back());
    }
  }
};

const EngineSpec& engine(const char* id) {
  return *find_engine(gpuplan::testing::catalog(), id).value();
}

Scenario paged(const char* model, const char* precision, const char* engine_id, double visible_gib, double fraction,
               double max_model_len, double tp = 1) {
  Scenario s;
  s.arch = gpuplan::testing::model(model).arch;
  s.precision = find_precision(precision).value();
  s.gpus = tp;
  s.gpu_memory_bytes = visible_gib * kGiB;
  s.engine_spec = engine(engine_id);
  s.engine.visible_bytes = visible_gib * kGiB;
  s.engine.memory_fraction = fraction;
  s.engine.max_model_len = max_model_len;
  s.engine.tp = tp;
  return s;
}

Scenario llama(const char* model, const char* precision, double n_ctx, bool flash, double ngl,
               const char* engine_id = "llama.cpp") {
  Scenario s;
  s.arch = gpuplan::testing::model(model).arch;
  s.precision = find_precision(precision).value();
  s.gpu_memory_bytes = 1e13;  // the buffers, not the verdict, are compared
  s.engine_spec = engine(engine_id);
  s.engine.max_model_len = n_ctx;
  s.engine.flash_attention = flash ? 1 : 0;
  s.engine.n_gpu_layers = ngl;
  return s;
}

const EngineDevice& device(const EngineMemory& m, bool host) {
  for (const auto& d : m.devices) {
    if (d.host == host) return d;
  }
  throw std::runtime_error("no such device");
}

}  // namespace

TEST(EngineValidation, VllmAgainstLoggedKvCache) {
  Summary sum;
  const auto refrows = read_csv(ref("vllm_kvcache.csv"));
  ASSERT_FALSE(refrows.empty());
  // RTX 3090, Llama-3.1-8B, vLLM ~0.6.4 (issue #10517): KV, blocks, concurrency; the second run's error.
  for (const char* len : {"20000", "29000"}) {
    const auto& r = row(
        refrows, [&](const CsvRow& x) { return has(x.at("gpu"), "3090") && x.at("max_model_len") == len; }, len);
    Scenario s = paged("llama-3.1-8b", "bf16", "vllm-0.6.4", leading_number(r.at("total_gpu_mem_reported")),
                       leading_number(r.at("gpu_memory_utilization")), std::stod(len));
    const EngineMemory m = engine_memory(s);
    const std::string what = std::string("3090 Llama-3.1-8B max_model_len ") + len + " (vllm-0.6.4)";
    sum.add(what, "weights GiB", m.weights_bytes / kGiB, leading_number(r.at("weights_loaded")));
    sum.add(what, "activation GiB", m.activation_peak_bytes / kGiB,
            leading_number(r.at("activation_peak").substr(r.at("activation_peak").find("torch") + 6)) -
                leading_number(r.at("weights_loaded")));
    sum.add(what, "KV GiB", m.kv_cache_bytes / kGiB, leading_number(r.at("kv_cache_mem")));
    sum.add(what, "KV tokens", m.kv_cache_blocks * 16, leading_number(r.at("num_gpu_blocks")) * 16);
    sum.add(what, "concurrency", m.max_concurrency, leading_number(r.at("max_concurrency")));
    if (std::string(len) == "29000") {
      EXPECT_FALSE(m.fits) << "vLLM refused this run: the longest sequence does not fit";
      EXPECT_NE(m.error.find("max seq len (29000)"), std::string::npos) << m.error;
      sum.add(what, "KV tokens", m.kv_cache_tokens, leading_number(r.at("kv_tokens")));
    } else {
      EXPECT_TRUE(m.fits) << m.error;
    }
  }
  // Same unnamed card, one model in bf16 / GPTQ / AWQ (vLLM 0.5.4, max_model_len 512): what the bf16
  // run leaves for weights + KV must give each quantised run its logged block count.
  const auto& bf16 = row(
      refrows, [](const CsvRow& x) { return x.at("dtype") == "bf16" && x.at("max_model_len") == "512"; }, "bf16 512");
  const double weights_plus_kv =
      leading_number(bf16.at("weights_loaded")) * kGiB + leading_number(bf16.at("num_gpu_blocks")) * 2.0 * kMiB;
  for (const char* quant : {"autoround-gptq", "gptq-4bit (gptq_marlin)", "awq-4bit"}) {
    const auto& r = row(
        refrows, [&](const CsvRow& x) { return has(x.at("model"), quant); }, quant);
    const char* precision = has(quant, "awq") ? "awq-int4" : "gptq-int4";
    Scenario s = paged("llama-3.1-8b", precision, "vllm-v0", 40, 0.9, 512);
    const EngineMemory m = engine_memory(s);
    const std::string what = std::string("same card as bf16, ") + quant;
    sum.add(what, "weights GiB", m.weights_bytes / kGiB, leading_number(r.at("weights_loaded")));
    sum.add(what, "KV tokens", std::floor((weights_plus_kv - m.weights_bytes) / m.block_bytes) * 16,
            leading_number(r.at("num_gpu_blocks")) * 16);
  }

  const auto logs = read_csv(fixture("vllm_sglang_trtllm.csv"));
  ASSERT_FALSE(logs.empty());
  // vLLM 0.19.0 on H100 (llm-d-planner sweep): Llama fitted the sampler constant; the gemmas check it.
  for (const char* model : {"llama-3.1-8b", "gemma-2-9b", "gemma-3-27b"}) {
    const std::string key = std::string(model).substr(0, 7) == "llama-3" ? "Llama-3.1-8B-Instruct" : model;
    const auto& r = row(
        logs, [&](const CsvRow& x) { return has(x.at("version"), "0.19.0") && has(x.at("model"), key); }, model);
    Scenario s =
        paged(model, "bf16", "vllm", 79.19, std::stod(r.at("memory_fraction")), std::stod(r.at("max_model_len")));
    const EngineMemory m = engine_memory(s);
    const bool fitted = std::string(model) == "llama-3.1-8b";
    const std::string what = std::string(model) + " H100 vLLM 0.19.0";
    sum.add(what, "weights GiB", m.weights_bytes / kGiB, std::stod(r.at("weights_gib")));
    sum.add(what, "activation GiB", m.activation_peak_bytes / kGiB, std::stod(r.at("activation_peak_gib")), fitted);
    sum.add(what, "KV GiB", m.kv_cache_bytes / kGiB, std::stod(r.at("kv_cache_gib")), fitted);
    sum.add(what, "KV tokens", m.kv_cache_tokens, std::stod(r.at("kv_tokens")), fitted);
    sum.add(what, "concurrency", m.max_concurrency, std::stod(r.at("max_concurrency")), fitted);
    EXPECT_TRUE(m.fits) << m.error;
  }
  // V1 on an L40S with defaults (PR #17122): KV tokens and concurrency at 32768.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("gpu"), "L40S"); }, "L40S");
    Scenario s = paged("llama-3.1-8b", "bf16", "vllm", 0, -1, std::stod(r.at("max_model_len")));
    s.gpu_memory_bytes = gpuplan::testing::gpu("l40s").memory_bytes;
    s.engine.visible_bytes = 0;  // derived: nominal x (1 - reserved)
    const EngineMemory m = engine_memory(s);
    sum.add("Llama-3.1-8B L40S vLLM V1 defaults", "weights GiB", m.weights_bytes / kGiB,
            std::stod(r.at("weights_gib")));
    sum.add("Llama-3.1-8B L40S vLLM V1 defaults", "KV tokens", m.kv_cache_tokens, std::stod(r.at("kv_tokens")));
    sum.add("Llama-3.1-8B L40S vLLM V1 defaults", "concurrency", m.max_concurrency, std::stod(r.at("max_concurrency")));
  }
  // V0 after the profiling rewrite (PR #10511, 79.22 GiB card): fitted the V0 sampler constant.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("source_url"), "10511") && x.at("tp") == "1"; }, "#10511 tp1");
    Scenario s = paged("llama-3-8b", "bf16", "vllm-v0", 79.22, 0.9, 8192);
    const EngineMemory m = engine_memory(s);
    sum.add("Llama-3-8B 80 GiB vLLM 0.6.5-dev", "weights GiB", m.weights_bytes / kGiB, std::stod(r.at("weights_gib")));
    sum.add("Llama-3-8B 80 GiB vLLM 0.6.5-dev", "KV GiB", m.kv_cache_bytes / kGiB, std::stod(r.at("kv_cache_gib")),
            true);
  }
  // A run vLLM refused (v0.7.3, RTX 4060 8 GiB, bnb 4-bit Qwen2.5-7B, utilisation 0.7): no KV blocks.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("gpu"), "4060"); }, "4060");
    Scenario s = paged("qwen2.5-7b", "nf4", "vllm-v0", std::stod(r.at("total_gpu_mem_gib")),
                       std::stod(r.at("memory_fraction")), std::stod(r.at("max_model_len")));
    const EngineMemory m = engine_memory(s);
    sum.add("Qwen2.5-7B bnb-4bit RTX 4060 (refused)", "weights GiB", m.weights_bytes / kGiB,
            std::stod(r.at("weights_gib")));
    EXPECT_FALSE(m.fits);
    EXPECT_EQ(m.kv_cache_blocks, 0);
    EXPECT_NE(m.error.find("No available memory for the cache blocks"), std::string::npos) << m.error;
  }
  // Tensor parallel 4 (Qwen3-235B-A22B, 4 KV heads: one per rank): tokens per logged KV GiB, vLLM V1 and SGLang.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return x.at("engine") == "vllm" && has(x.at("model"), "Qwen3-235B"); },
        "vllm 235B");
    Scenario s = paged("qwen3-235b-a22b", "fp8", "vllm", 79.19, 0.9, 32768, 4);
    const EngineMemory m = engine_memory(s);
    sum.add("Qwen3-235B-A22B-FP8 4xH100 vLLM V1: tokens in the logged KV", "KV tokens",
            std::floor(std::stod(r.at("kv_cache_gib")) * kGiB / m.block_bytes) * m.block_size,
            std::stod(r.at("kv_tokens")));
    const auto& g = row(
        logs, [](const CsvRow& x) { return x.at("engine") == "sglang" && has(x.at("model"), "Qwen3-235B"); }, "sglang");
    Scenario t = paged("qwen3-235b-a22b", "fp8", "sglang", 79.19, std::stod(g.at("memory_fraction")), 32768, 4);
    const EngineMemory sg = engine_memory(t);
    sum.add("Qwen3-235B-A22B-FP8 4xH100 SGLang mem_fraction 0.93", "KV tokens", sg.kv_cache_tokens,
            std::stod(g.at("kv_tokens")));
  }
  sum.print("Paged engines: predicted vs logged");
  EXPECT_LT(sum.median("KV tokens"), 0.05) << "aim: KV capacity within 5 % of the engine's log";
  EXPECT_LT(sum.median("KV GiB"), 0.05);
  EXPECT_LT(sum.median("weights GiB"), 0.01) << "aim: weights within 1 %";
}

TEST(EngineValidation, LlamaCppAgainstLoggedBuffers) {
  Summary sum;
  const auto refrows = read_csv(ref("llamacpp_memory.csv"));
  ASSERT_FALSE(refrows.empty());
  // Llama-2-7B on the CPU (0 layers offloaded): model buffer, KV self, compute buffer.
  struct CpuRow {
    const char* quant;
    const char* n_ctx;
    const char* compute_contains;
  };
  for (const CpuRow c : {CpuRow{"Q4_K_M", "4096", "CPU compute buffer"}, CpuRow{"Q4_K_M", "2048", "164.01"},
                         CpuRow{"Q5_K_M", "2048", "164.01"}}) {
    const auto& r = row(
        refrows,
        [&](const CsvRow& x) {
          return x.at("quant") == c.quant && x.at("n_ctx") == c.n_ctx &&
                 has(x.at("compute_buffer_MiB"), c.compute_contains);
        },
        c.quant);
    Scenario s =
        llama("llama-2-7b", c.quant == std::string("Q4_K_M") ? "q4_k_m" : "q5_k_m", std::stod(c.n_ctx), false, 0);
    s.engine.flash_attention = 0;
    const EngineMemory m = engine_memory(s);
    const std::string what = std::string("Llama-2-7B ") + c.quant + " CPU n_ctx " + c.n_ctx;
    const std::string other = r.at("other");
    if (has(other, "buffer")) {
      sum.add(what, "model buffer MiB", device(m, true).weights_bytes / kMiB,
              leading_number(other.substr(other.find("buffer") + 7)));
    }
    sum.add(what, "KV self MiB", m.kv_cache_bytes / kMiB, leading_number(r.at("kv_self_size_MiB")));
    sum.add(what, "compute buffer MiB", m.host_compute_buffer_bytes / kMiB, leading_number(r.at("compute_buffer_MiB")));
  }
  // Fully offloaded: llama 7B F16 on a V100 (CUDA0 buffer 12603.02 MiB, compute 164 + 12 host), Q4_0 on an Arc A770.
  {
    const auto& r = row(
        refrows, [](const CsvRow& x) { return has(x.at("model"), "V100"); }, "V100");
    const EngineMemory m = engine_memory(llama("llama-2-7b", "f16", 2048, false, 999));
    sum.add("llama 7B F16 V100", "model buffer MiB", device(m, false).weights_bytes / kMiB,
            leading_number(r.at("quant").substr(r.at("quant").find("buffer") + 7)));
    sum.add("llama 7B F16 V100", "KV self MiB", m.kv_cache_bytes / kMiB, leading_number(r.at("kv_self_size_MiB")));
    sum.add("llama 7B F16 V100", "compute buffer MiB", m.compute_buffer_bytes / kMiB,
            leading_number(r.at("compute_buffer_MiB")));
    const std::string cb = r.at("compute_buffer_MiB");
    sum.add("llama 7B F16 V100", "host compute MiB", m.host_compute_buffer_bytes / kMiB,
            leading_number(cb.substr(cb.find('+') + 1)));
  }
  {
    const auto& r = row(
        refrows, [](const CsvRow& x) { return has(x.at("model"), "Arc A770"); }, "A770");
    // The quant is not logged (the row guesses Q4_0): its model buffer is not compared.
    const EngineMemory m = engine_memory(llama("llama-2-7b", "q4_0", 4096, false, 999));
    sum.add("llama 7B ~Q4 Arc A770", "KV self MiB", m.kv_cache_bytes / kMiB, leading_number(r.at("kv_self_size_MiB")));
    sum.add("llama 7B ~Q4 Arc A770", "compute buffer MiB", m.compute_buffer_bytes / kMiB,
            leading_number(r.at("compute_buffer_MiB")));
    const std::string cb = r.at("compute_buffer_MiB");
    sum.add("llama 7B ~Q4 Arc A770", "host compute MiB", m.host_compute_buffer_bytes / kMiB,
            leading_number(cb.substr(cb.find('+') + 1)));
  }
  // Ollama runner, Llama 3 8B (~Q4), n_ctx 8192 over 4 sequences, flash attention off.
  {
    const auto& r = row(
        refrows, [](const CsvRow& x) { return has(x.at("model"), "Ollama"); }, "Ollama");
    Scenario s = llama("llama-3-8b", "q4_0", 2048, false, 999, "ollama");
    s.engine.n_seq = 4;
    const EngineMemory m = engine_memory(s);
    // The quant is logged only as "~Q4": the model buffers are not compared.
    sum.add("Llama 3 8B ~Q4 Ollama 4 x 2048", "KV self MiB", m.kv_cache_bytes / kMiB,
            leading_number(r.at("kv_self_size_MiB")));
    sum.add("Llama 3 8B ~Q4 Ollama 4 x 2048", "compute buffer MiB", m.compute_buffer_bytes / kMiB,
            leading_number(r.at("compute_buffer_MiB")));
    const std::string cb = r.at("compute_buffer_MiB");
    sum.add("Llama 3 8B ~Q4 Ollama 4 x 2048", "host compute MiB", m.host_compute_buffer_bytes / kMiB,
            leading_number(cb.substr(cb.find('+') + 1)));
  }
  const auto logs = read_csv(fixture("llamacpp.csv"));
  ASSERT_FALSE(logs.empty());
  // Mistral 7B, n_ctx 32000 without flash attention (issue #7450): KV, compute and host buffers.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("model"), "Mistral 7B"); }, "Mistral");
    Scenario s = llama("mistral-7b", "q4_k_m", std::stod(r.at("n_ctx")), false, 999);
    s.engine.n_batch = std::stod(r.at("n_batch"));
    const EngineMemory m = engine_memory(s);
    sum.add("Mistral 7B n_ctx 32000, no flash attention", "KV self MiB", m.kv_cache_bytes / kMiB,
            std::stod(r.at("kv_self_mib")));
    sum.add("Mistral 7B n_ctx 32000, no flash attention", "compute buffer MiB", m.compute_buffer_bytes / kMiB,
            leading_number(r.at("compute_buffer_gpu_mib").substr(6)));
    sum.add("Mistral 7B n_ctx 32000, no flash attention", "host compute MiB", m.host_compute_buffer_bytes / kMiB,
            std::stod(r.at("compute_buffer_host_mib")));
  }
  // Mixtral 8x7B IQ2_XXS on the CPU, n_ctx 512 (issue #5137): model buffer and KV.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("model"), "Mixtral"); }, "Mixtral");
    Scenario s = llama("mixtral-8x7b", "iq2_xxs", std::stod(r.at("n_ctx")), false, 0);
    const EngineMemory m = engine_memory(s);
    sum.add("Mixtral 8x7B IQ2_XXS CPU n_ctx 512", "model buffer MiB", device(m, true).weights_bytes / kMiB,
            std::stod(r.at("model_buffer_cpu_mib")));
    sum.add("Mixtral 8x7B IQ2_XXS CPU n_ctx 512", "KV self MiB", m.kv_cache_bytes / kMiB,
            std::stod(r.at("kv_self_mib")));
  }
  // Qwen3-30B-A3B, n_ctx 32768 with flash attention, split over two T4s (ik_llama.cpp): KV over both.
  {
    const auto& r = row(
        logs, [](const CsvRow& x) { return has(x.at("model"), "Qwen3-30B-A3B"); }, "Qwen3-30B");
    Scenario s = llama("qwen3-30b-a3b", "q4_k_m", std::stod(r.at("n_ctx")), true, 999);
    s.engine.tp = 2;
    const EngineMemory m = engine_memory(s);
    sum.add("Qwen3-30B-A3B 2 x T4 n_ctx 32768", "KV self MiB", m.kv_cache_bytes / kMiB, std::stod(r.at("kv_self_mib")));
  }
  sum.print("llama.cpp family: predicted vs logged");
  EXPECT_LT(sum.median("KV self MiB"), 0.05);
  EXPECT_LT(sum.median("model buffer MiB"), 0.01);
  EXPECT_LT(sum.median("compute buffer MiB"), 0.10);
}
