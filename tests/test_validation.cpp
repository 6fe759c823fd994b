// Validation against measured public data (../shared/reference): prints predicted vs measured
// for every usable row and the error, then checks the aims of the foundation issue:
// weights and KV cache within 3 %, peak totals within 15 % (median).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "catalog_fixture.hpp"
#include "csv.hpp"
#include "gpuplan/units.hpp"

using namespace gpuplan;
using gpuplan::testing::leading_number;
using gpuplan::testing::read_csv;

namespace {

std::string ref(const char* file) {
  return std::string(GPUPLAN_REFERENCE_DIR) + "/" + file;
}

bool contains(const std::string& s, const char* part) {
  std::string a = s, b = part;
  std::transform(a.begin(), a.end(), a.begin(), ::tolower);
  std::transform(b.begin(), b.end(), b.begin(), ::tolower);
  return a.find(b) != std::string::npos;
}

// Reference rows name models loosely; map them to catalog ids (nullptr: not in the catalog).
const char* model_id(const std::string& name) {
  if (contains(name, "llama-3.1-8b") || contains(name, "llama-3.1-8b") || contains(name, "llama 3.1 8b"))
    return "llama-3.1-8b";
  if (contains(name, "llama 3.1 70b")) return "llama-3.1-70b";
  if (contains(name, "llama 3.1 405b")) return "llama-3.1-405b";
  if (contains(name, "llama-3-8b") || contains(name, "llama 3 8b") || contains(name, "llama-3.x 8b"))
    return "llama-3-8b";
  if (contains(name, "llama 3 70b")) return "llama-3-70b";
  if (contains(name, "llama 2 70b")) return "llama-2-70b";
  if (contains(name, "13b")) return "llama-2-13b";
  if (contains(name, "7b")) return "llama-2-7b";
  if (contains(name, "qwen (64-layer")) return "qwen2.5-32b";  // 64 layers, 8 KV heads x 128
  return nullptr;
}

struct Row {
  std::string what;
  double predicted;
  double measured;
  [[nodiscard]] double error() const { return (predicted - measured) / measured; }
};

double median_abs(const std::vector<Row>& rows) {
  std::vector<double> e;
  for (const auto& r : rows) e.push_back(std::fabs(r.error()));
  if (e.empty()) return 0;
  std::sort(e.begin(), e.end());
  const std::size_t n = e.size();
  return n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
}

double worst_abs(const std::vector<Row>& rows) {
  double w = 0;
  for (const auto& r : rows) w = std::max(w, std::fabs(r.error()));
  return w;
}

void print(const char* title, const char* unit, const std::vector<Row>& rows) {
  std::printf("\n%s\n| row | predicted %s | measured %s | error |\n|---|---:|---:|---:|\n", title, unit, unit);
  for (const auto& r : rows) {
    std::printf("| %s | %.3f | %.3f | %+.1f%% |\n", r.what.c_str(), r.predicted, r.measured, 100 * r.error());
  }
  std::printf("| **%zu rows** | | median abs error | **%.1f%%** (worst %.1f%%) |\n", rows.size(),
              100 * median_abs(rows), 100 * worst_abs(rows));
}

Scenario base(const char* id, const char* precision) {
  Scenario s;
  s.arch = gpuplan::testing::model(id).arch;
  s.precision = find_precision(precision).value();
  s.gpu_memory_bytes = 1e15;
  return s;
}

}  // namespace

TEST(Validation, ReferenceDataIsPresent) {
  ASSERT_FALSE(read_csv(ref("vllm_kvcache.csv")).empty()) << "missing " << ref("vllm_kvcache.csv");
  ASSERT_FALSE(read_csv(ref("llamacpp_memory.csv")).empty());
  ASSERT_FALSE(read_csv(ref("finetune_memory.csv")).empty());
}

TEST(Validation, WeightsAgainstVllmAndLlamaCpp) {
  std::vector<Row> asserted, informational;
  for (const auto& r : read_csv(ref("vllm_kvcache.csv"))) {
    const std::string& model = r.at("model");
    const std::string& dtype = r.at("dtype");
    const char* precision = contains(model, "awq") ? "awq-int4" : contains(dtype, "gptq") ? "gptq-int4" : "bf16";
    // vLLM logs "Loading model weights took X GB" with X = bytes / 2^30.
    const double measured = leading_number(r.at("weights_loaded"));
    const double predicted =
        weights_bytes(base("llama-3.1-8b", precision).arch, find_precision(precision).value()) / kGiB;
    asserted.push_back({"vLLM " + model.substr(0, 60) + " (" + precision + ")", predicted, measured});
  }
  for (const auto& r : read_csv(ref("llamacpp_memory.csv"))) {
    const std::string size = r.at("model_size_reported");
    const std::string quant = r.at("quant");
    const char* id = model_id(r.at("model"));
    if (size.empty() || id == nullptr) continue;
    std::string q = quant.substr(0, quant.find(' '));
    std::transform(q.begin(), q.end(), q.begin(), ::tolower);
    auto p = find_precision(q);
    if (!p) continue;
    const double predicted = weights_bytes(gpuplan::testing::model(id).arch, p.value()) / kGiB;
    const double measured = leading_number(size);
    const std::string what = "llama.cpp " + r.at("model").substr(0, 40) + " " + q;
    if (contains(size, "GiB")) {
      asserted.push_back({what + " (model size, GiB)", predicted, measured});
    } else {
      // XiongjieDai's "VRAM requirement/quantized size" column: llama-bench GiB for the Llama 3 rows,
      // loaded VRAM for the LLaMA 1/2 rows; not a clean weights figure, so printed, not asserted.
      informational.push_back({what + " (VRAM column)", predicted, measured});
    }
  }
  print("Weights, GiB (asserted: within 3% each)", "GiB", asserted);
  print("Weights vs the 'Total VRAM Requirements' column (printed only)", "GiB", informational);
  EXPECT_GE(asserted.size(), 10u);
  for (const auto& r : asserted) EXPECT_LE(std::fabs(r.error()), 0.03) << r.what;
}

TEST(Validation, KvCacheAgainstVllmAndLlamaCpp) {
  std::vector<Row> rows;
  const double per_token_8b = kv_cache_bytes(gpuplan::testing::model("llama-3.1-8b").arch, 1, 1, 2);
  for (const auto& r : read_csv(ref("vllm_kvcache.csv"))) {
    const double kv_gib = leading_number(r.at("kv_cache_mem"));
    const double blocks = leading_number(r.at("num_gpu_blocks"));
    if (kv_gib <= 0 || blocks <= 0) continue;
    // vLLM: blocks = KV bytes / (block_size x bytes per token); predicted bytes of the logged blocks.
    rows.push_back(
        {"vLLM Llama-3.1-8B " + r.at("num_gpu_blocks") + " blocks x 16", blocks * 16 * per_token_8b / kGiB, kv_gib});
  }
  for (const auto& r : read_csv(ref("llamacpp_memory.csv"))) {
    const double kv_mib = leading_number(r.at("kv_self_size_MiB"));
    const double n_ctx = leading_number(r.at("n_ctx"));
    const char* id = model_id(r.at("model"));
    if (kv_mib <= 0 || n_ctx <= 0 || id == nullptr) continue;
    const double predicted = kv_cache_bytes(gpuplan::testing::model(id).arch, n_ctx, 1, 2) / kMiB;
    rows.push_back(
        {"llama.cpp " + r.at("model").substr(0, 40) + " n_ctx " + r.at("n_ctx").substr(0, 5), predicted, kv_mib});
  }
  print("KV cache (asserted: within 3% each)", "GiB or MiB", rows);
  EXPECT_GE(rows.size(), 8u);
  for (const auto& r : rows) EXPECT_LE(std::fabs(r.error()), 0.03) << r.what;
}

TEST(Validation, ComputeBufferAgainstLlamaCpp) {
  std::vector<Row> rows;
  for (const auto& r : read_csv(ref("llamacpp_memory.csv"))) {
    const double measured = leading_number(r.at("compute_buffer_MiB"));
    const double n_ctx = leading_number(r.at("n_ctx"));
    const std::string model = r.at("model");
    // Only the Llama-2-7B rows from builds without flash attention and n_ubatch 512 are comparable.
    if (measured <= 0 || n_ctx <= 0 || model_id(model) == nullptr || std::string(model_id(model)) != "llama-2-7b") {
      continue;
    }
    Scenario s = base("llama-2-7b", "q4_k_m");
    s.workload.context = n_ctx;
    s.workload.flash_attention = false;
    s.workload.ubatch = 512;
    rows.push_back({"llama.cpp " + model.substr(0, 30) + " n_ctx " + r.at("n_ctx"),
                    estimate_memory(s).activations_bytes / kMiB, measured});
  }
  print("Compute buffer / prefill workspace (printed; median asserted within 25%)", "MiB", rows);
  EXPECT_GE(rows.size(), 4u);
  EXPECT_LE(median_abs(rows), 0.25);
}

TEST(Validation, FineTunePeakAgainstTorchtune) {
  // torchtune recipe defaults (recipes/configs/llama3_1/*): bf16 weights without an fp32 master
  // copy; full single-device: PagedAdamW8bit stepping in backward; LoRA/QLoRA rank 8; activation
  // checkpointing on; batch 2 x 2048 packed tokens; chunked cross-entropy (8 chunks). torchtune
  // reports PyTorch's peak memory, which leaves out the CUDA context: no runtime overhead term.
  // Multi-GPU rows shard evenly (FSDP).
  struct Case {
    const char* model;
    const char* method;
    const char* hardware;
    std::function<void(Scenario&)> set;
    bool modelled;
  };
  auto common = [](Scenario& s) {
    s.workload.context = 2048;
    s.workload.batch = 2;
    s.workload.recompute = Recompute::full;
    s.workload.master_weights = false;
    s.workload.lora_rank = 8;
    s.workload.adapter_bytes = 2;
    s.workload.loss_chunks = 8;
    s.runtime_overhead_bytes = 0;
  };
  const std::vector<Case> cases = {
      {"Llama 3.1 8B", "Full finetune", "1x RTX 4090",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::full_finetune;
         s.workload.optimizer = Optimizer::adamw_8bit;
         s.workload.optimizer_in_backward = true;
         s.workload.optimizer_offload = true;  // paged optimizer evicted: 8-bit states (15 GiB) cannot stay on 24 GiB
       },
       true},
      {"Llama 3.1 8B", "Full finetune", "1x RTX A6000",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::full_finetune;
         s.workload.optimizer = Optimizer::adamw_8bit;
         s.workload.optimizer_in_backward = true;
       },
       true},
      {"Llama 3.1 8B", "LoRA", "1x RTX 4090",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::lora;
       },
       true},
      {"Llama 3.1 8B", "LoRA", "1x RTX A6000",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::lora;
       },
       true},
      {"Llama 3.1 8B", "QLoRA", "1x RTX 4090",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::qlora;
         s.precision = find_precision("nf4-dq").value();
       },
       true},
      {"Llama 3.1 70B", "Full finetune", "8x A100", [&](Scenario&) {}, false},
      {"Llama 3.1 70B", "LoRA", "8x A100",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::lora;
         s.gpus = 8;
       },
       true},
      {"Llama 3.1 405B", "QLoRA", "8x A100",
       [&](Scenario& s) {
         common(s);
         s.workload.mode = Mode::qlora;
         s.precision = find_precision("nf4-dq").value();
         s.gpus = 8;
       },
       true},
  };
  std::vector<Row> rows;
  for (const auto& r : read_csv(ref("finetune_memory.csv"))) {
    for (const auto& c : cases) {
      if (r.at("model") != c.model || r.at("method") != c.method || r.at("hardware") != c.hardware) continue;
      const std::string cell = r.at("peak_gpu_memory");
      const double measured = leading_number(cell) * (contains(cell, "GiB") ? kGiB : 1e9) / kGiB;
      if (!c.modelled) {
        std::printf(
            "not modelled: %s %s on %s (FSDP with parameter CPU offload; layouts come with training "
            "at scale), measured %.1f GiB\n",
            c.model, c.method, c.hardware, measured);
        continue;
      }
      Scenario s = base(model_id(c.model), "bf16");
      c.set(s);
      rows.push_back(
          {std::string(c.model) + " " + c.method + " " + c.hardware, estimate_memory(s).total_bytes / kGiB, measured});
    }
  }
  print("Fine-tuning peak memory per GPU vs torchtune (median asserted within 15%)", "GiB", rows);
  EXPECT_GE(rows.size(), 6u);
  EXPECT_LE(median_abs(rows), 0.15);
}
