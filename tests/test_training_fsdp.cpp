// Out-of-sample check of the training step time on a different software stack: MosaicML's
// llm-foundry MPT benchmarks on H100 80GB in BF16 (Composer, PyTorch FSDP FULL_SHARD, flash
// attention), 52 runs of 760M-70B models on 8-64 GPUs at sequences of 512-65536 tokens
// (tests/fixtures/mosaicml_llm_foundry_h100_bf16.csv). The Megatron calibration (Llama 3 fit)
// transfers poorly to this stack; data/runtimes.json "fsdp-training" holds the GEMM efficiency
// fitted on the 20 rows at sequence 2048 only (attention at FlashAttention-2's measured 0.34 of
// peak, not fitted), and the other 32 rows are held out.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "csv.hpp"
#include "training_fixture.hpp"

using namespace gpuplan;

namespace {

struct MptRow {
  std::string model;
  double hidden = 0, heads = 0, layers = 0, vocab = 0, seq = 0, gpus = 0, micro_batch = 0, global_batch = 0;
  Recompute recompute = Recompute::none;
  double measured_tokens_per_s_per_gpu = 0;
};

std::vector<MptRow> mpt_rows(const char* file = "mosaicml_llm_foundry_h100_bf16.csv") {
  std::vector<MptRow> rows;
  const std::string path = std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/" + file;
  for (const auto& r : gpuplan::testing::read_csv(path)) {
    MptRow row;
    const auto num = [&r](const char* key) { return std::stod(r.at(key)); };
    row.model = r.at("model");
    row.hidden = num("hidden");
    row.heads = num("heads");
    row.layers = num("layers");
    row.vocab = num("vocab");
    row.seq = num("seq");
    row.gpus = num("gpus");
    row.micro_batch = num("micro_batch");
    row.global_batch = num("global_batch");
    row.recompute = r.at("checkpointing") == "full" ? Recompute::full : Recompute::none;
    row.measured_tokens_per_s_per_gpu = num("measured_tokens_per_s_per_gpu");
    rows.push_back(row);
  }
  return rows;
}

double stored_attention_efficiency(const char* framework) {
  return gpuplan::testing::training_stack(framework).attention_efficiency;
}

double stored_efficiency(const char* framework) {
  return gpuplan::testing::training_stack(framework).compute_efficiency_float;
}

// Step time with the memory check lifted (reported separately): the rows did run.
TrainEstimate predict(const MptRow& r, double efficiency, double attention_efficiency, double* memory_bytes = nullptr,
                      bool fp8 = false) {
  const Gpu& g = gpuplan::testing::gpu("h100-sxm");
  Scenario s;
  s.arch = gpuplan::testing::gpt_arch(r.hidden, r.heads, r.layers, r.vocab, r.seq, /*with_biases=*/false);
  s.precision = find_precision("bf16").value();
  s.workload.mode = Mode::pretrain;
  s.workload.context = r.seq;
  // As `gpuplan train --framework fsdp` builds it, with the efficiencies given and FP8 GEMMs when asked.
  Cluster c = training_cluster(g, gpuplan::testing::catalog(), "ib-ndr-400", 8, "fsdp", fp8);
  c.gpus = r.gpus;
  c.compute_efficiency = efficiency;
  c.attention_efficiency = attention_efficiency;
  c.memory_bytes = 1e15;
  s.gpu_memory_bytes = usable_memory_bytes(g);
  TrainJob job;
  job.seq = r.seq;
  job.global_batch_seqs = r.global_batch;
  job.tokens = r.global_batch * r.seq;
  job.grad_reduce_bytes = 4;  // Composer's DEFAULT FSDP mixed precision reduces in fp32
  const TrainModel m = prepare_train_model(s, job);
  const Layout l{1, 1, r.gpus, 1, 1, 1, 3, r.micro_batch, r.recompute};
  TrainEstimate e = evaluate_layout(m, l, job, c);
  if (memory_bytes != nullptr) *memory_bytes = e.memory_bytes;
  return e;
}

double error_of(const MptRow& r, double efficiency, double attention_efficiency) {
  const TrainEstimate e = predict(r, efficiency, attention_efficiency);
  return e.tokens_per_s / r.gpus / r.measured_tokens_per_s_per_gpu - 1;
}

}  // namespace

TEST(TrainingFsdpValidation, MosaicMlMptOnH100) {
  const auto rows = mpt_rows();
  ASSERT_EQ(rows.size(), 52u);
  // Refit as data/runtimes.json fsdp-training says: least squares on the sequence-2048 rows.
  double best_e = 0, best_err = INFINITY;
  for (double e = 0.30; e <= 0.95; e += 0.0025) {
    double err = 0;
    for (const auto& r : rows) {
      if (r.seq == 2048) err += std::pow(error_of(r, e, stored_attention_efficiency("fsdp")), 2);
    }
    if (err < best_err) {
      best_err = err;
      best_e = e;
    }
  }
  const double fsdp = stored_efficiency("fsdp");
  const double megatron = stored_efficiency("megatron");
  std::printf("fsdp-training GEMM efficiency %.4f (fit %.4f), attention %.2f; megatron-training %.4f\n", fsdp, best_e,
              stored_attention_efficiency("fsdp"), megatron);
  std::printf(
      "| model | seq | GPUs | mb | recompute | measured tok/s/GPU | fsdp error | megatron error | memory GiB |\n"
      "|---|---:|---:|---:|---|---:|---:|---:|---:|\n");
  double sum_fit = 0, sum_held = 0, sum_megatron = 0, max_held = 0;
  int n_fit = 0, n_held = 0, over_memory = 0;
  for (const MptRow& r : rows) {
    double memory = 0;
    const TrainEstimate e = predict(r, fsdp, stored_attention_efficiency("fsdp"), &memory);
    ASSERT_TRUE(e.valid) << r.model << " seq " << r.seq << ": "
                         << describe(e.rejected.value_or(RejectReason::no_layout));
    const double err = e.tokens_per_s / r.gpus / r.measured_tokens_per_s_per_gpu - 1;
    const double err_megatron = error_of(r, megatron, stored_attention_efficiency("megatron"));
    sum_megatron += std::fabs(err_megatron);
    if (r.seq == 2048) {
      sum_fit += std::fabs(err);
      ++n_fit;
    } else {
      sum_held += std::fabs(err);
      max_held = std::max(max_held, std::fabs(err));
      ++n_held;
    }
    const double gib = memory / (1u << 30);
    if (memory > usable_memory_bytes(gpuplan::testing::gpu("h100-sxm"))) ++over_memory;
    std::printf("| %s | %g | %g | %g | %s | %.0f | %+.1f%%%s | %+.1f%% | %.1f |\n", r.model.c_str(), r.seq, r.gpus,
                r.micro_batch, to_string(r.recompute), r.measured_tokens_per_s_per_gpu, 100 * err,
                r.seq == 2048 ? " (fit)" : "", 100 * err_megatron, gib);
  }
  std::printf(
      "fsdp calibration: fitted rows mean |error| %.1f%% (%d), held-out rows %.1f%% (%d, max %.1f%%); megatron "
      "calibration on all rows %.1f%%; memory model above 80 GB on %d of %zu rows that ran\n",
      100 * sum_fit / n_fit, n_fit, 100 * sum_held / n_held, n_held, 100 * max_held,
      100 * sum_megatron / static_cast<double>(rows.size()), over_memory, rows.size());
  EXPECT_NEAR(fsdp, best_e, 0.003) << "update data/runtimes.json fsdp-training to the fit";
  EXPECT_LT(sum_held / n_held, 0.20);
}

TEST(TrainingFsdpValidation, MosaicMlMptFp8OnH100) {
  // Composer's amp_fp8 (Transformer Engine) rows: the FP8 GEMM efficiency of fsdp-training
  // (compute_efficiency_quant) fitted on the 4 rows at sequences up to 2048; the 6 longer ones are
  // held out.
  const auto rows = mpt_rows("mosaicml_llm_foundry_h100_fp8.csv");
  ASSERT_EQ(rows.size(), 10u);
  const double attention = stored_attention_efficiency("fsdp");
  const auto err_of = [&](const MptRow& r, double e) {
    const TrainEstimate est = predict(r, e, attention, nullptr, /*fp8=*/true);
    return est.tokens_per_s / r.gpus / r.measured_tokens_per_s_per_gpu - 1;
  };
  double best_e = 0, best_err = INFINITY;
  for (double e = 0.10; e <= 0.95; e += 0.0025) {
    double err = 0;
    for (const auto& r : rows) {
      if (r.seq <= 2048) err += std::pow(err_of(r, e), 2);
    }
    if (err < best_err) {
      best_err = err;
      best_e = e;
    }
  }
  const double stored = gpuplan::testing::training_stack("fsdp").compute_efficiency_quant;
  std::printf("fsdp-training FP8 GEMM efficiency %.4f of dense FP8 peak (fit %.4f)\n", stored, best_e);
  std::printf("| model | seq | recompute | measured tok/s/GPU | error |\n|---|---:|---|---:|---:|\n");
  double sum_held = 0, sum_fit = 0;
  int n_held = 0, n_fit = 0;
  for (const MptRow& r : rows) {
    const double err = err_of(r, stored);
    (r.seq <= 2048 ? sum_fit : sum_held) += std::fabs(err);
    ++(r.seq <= 2048 ? n_fit : n_held);
    std::printf("| %s | %g | %s | %.0f | %+.1f%%%s |\n", r.model.c_str(), r.seq, to_string(r.recompute),
                r.measured_tokens_per_s_per_gpu, 100 * err, r.seq <= 2048 ? " (fit)" : "");
  }
  std::printf("FP8: fitted rows mean |error| %.1f%% (%d), held-out rows %.1f%% (%d)\n", 100 * sum_fit / n_fit, n_fit,
              100 * sum_held / n_held, n_held);
  EXPECT_NEAR(stored, best_e, 0.003) << "update data/runtimes.json fsdp-training compute_efficiency_quant";
  EXPECT_LT(sum_held / n_held, 0.30);
}
