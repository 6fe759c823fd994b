// Training at scale: layout rules, memory sharding, step time vs the Llama 3 405B layouts of
// shared/reference/training_compute.csv, and the search.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "csv.hpp"
#include "gpuplan/calibration.hpp"
#include "training_fixture.hpp"

using namespace gpuplan;

namespace {

// As `gpuplan train --gpu h100-sxm --network roce-400` builds it (Llama 3 405B ran on RoCE,
// 400 Gb/s per GPU), at a given GEMM efficiency.
Cluster h100_cluster(double gpus, double efficiency) {
  Cluster c = training_cluster(gpuplan::testing::gpu("h100-sxm"), gpuplan::testing::catalog(), "roce-400", 8);
  c.gpus = gpus;
  c.compute_efficiency = efficiency;
  return c;
}

Scenario pretrain(const char* model) {
  Scenario s = gpuplan::testing::scenario(model, "bf16", "h100-sxm", 8192, 1, Mode::pretrain);
  return s;
}

struct Llama3Row {
  double gpus, tp, cp, pp, dp, seq, tflops;
  std::string label;
};

std::vector<Llama3Row> llama3_rows() {
  std::vector<Llama3Row> rows;
  for (const auto& r : gpuplan::testing::read_csv(std::string(GPUPLAN_REFERENCE_DIR) + "/training_compute.csv")) {
    const std::string par = r.at("parallelism");
    if (par.rfind("TP", 0) != 0) continue;
    Llama3Row row;
    row.label = r.at("model");
    row.gpus = gpuplan::testing::leading_number(r.at("num_gpus"));
    std::sscanf(par.c_str(), "TP%lf CP%lf PP%lf DP%lf", &row.tp, &row.cp, &row.pp, &row.dp);
    row.seq = gpuplan::testing::leading_number(r.at("seq_len"));
    row.tflops = gpuplan::testing::leading_number(r.at("tflops_per_gpu"));
    rows.push_back(row);
  }
  return rows;
}

// The published layout with FSDP-style sharding (Meta: "DP" is FSDP) and 16M-token batches; the
// virtual-stage count is not published, so the best of 1..8 is taken, as a practitioner would tune it.
TrainEstimate predict(const Llama3Row& row, double efficiency) {
  TrainJob job;
  job.seq = row.seq;
  job.global_batch_seqs = 16.0 * 1024 * 1024 / row.seq;
  job.tokens = 15.6e12;
  job.allow_uneven_pipeline = true;
  const TrainModel m = prepare_train_model(pretrain("llama-3.1-405b"), job);
  TrainEstimate best;
  for (double vpp : {1.0, 2.0, 4.0, 8.0}) {
    for (Recompute rc : {Recompute::none, Recompute::selective, Recompute::full}) {
      const Layout l{row.tp, row.pp, row.dp, row.cp, 1, vpp, 2, 1, rc};
      const TrainEstimate e = evaluate_layout(m, l, job, h100_cluster(row.gpus, efficiency));
      if (e.valid && (!best.valid || e.step_s < best.step_s)) best = e;
    }
  }
  return best;
}

}  // namespace

TEST(Training, RulesRejectInvalidLayouts) {
  TrainJob job;
  job.seq = 4096;
  job.global_batch_seqs = 1024;
  const TrainModel m = prepare_train_model(pretrain("llama-3.1-70b"), job);  // 64 heads, 8 KV heads, 80 layers
  const Cluster c = h100_cluster(64, 0.5);
  EXPECT_EQ(evaluate_layout(m, Layout{3, 1, 64, 1, 1, 1, 0, 1, Recompute::none}, job, c).rejected,
            RejectReason::gpu_count_mismatch);  // 3 x 64 is not 64
  EXPECT_EQ(evaluate_layout(m, Layout{3, 1, 1, 1, 1, 1, 0, 1, Recompute::none}, job, h100_cluster(3, 0.5)).rejected,
            RejectReason::tp_heads);
  EXPECT_EQ(evaluate_layout(m, Layout{16, 1, 4, 1, 1, 1, 0, 1, Recompute::full}, job, c).rejected,
            RejectReason::tp_crosses_nodes);
  EXPECT_EQ(evaluate_layout(m, Layout{8, 3, 2, 1, 1, 1, 0, 1, Recompute::full}, job, h100_cluster(48, 0.5)).rejected,
            RejectReason::pp_layers);
  EXPECT_EQ(evaluate_layout(m, Layout{8, 1, 8, 1, 2, 1, 0, 1, Recompute::full}, job, c).rejected,
            RejectReason::ep_dense);
  EXPECT_EQ(evaluate_layout(m, Layout{1, 1, 64, 1, 1, 1, 0, 1, Recompute::none}, job, c).rejected,
            RejectReason::layout_does_not_fit);
  EXPECT_STREQ(describe(RejectReason::layout_does_not_fit), "does not fit in GPU memory");
  const TrainEstimate ok = evaluate_layout(m, Layout{8, 4, 2, 1, 1, 1, 1, 1, Recompute::full}, job, c);
  EXPECT_TRUE(ok.valid) << describe(ok.rejected.value_or(RejectReason::no_layout));
  EXPECT_FALSE(ok.rejected);
}

TEST(Training, ZeroStagesShardStates) {
  TrainJob job;
  job.seq = 4096;
  job.global_batch_seqs = 512;
  const TrainModel m = prepare_train_model(pretrain("llama-3.1-8b"), job);
  const Cluster c = h100_cluster(8, 0.5);
  double previous = INFINITY;
  for (int zero = 0; zero <= 3; ++zero) {
    const TrainEstimate e = evaluate_layout(m, Layout{1, 1, 8, 1, 1, 1, zero, 1, Recompute::full}, job, c);
    ASSERT_TRUE(e.valid || e.rejected == RejectReason::layout_does_not_fit);
    const double states = e.weights_bytes + e.gradients_bytes + e.optimizer_bytes;
    EXPECT_LT(states, previous) << zero;
    previous = states;
  }
}

TEST(TrainingValidation, Llama3LayoutsMfu) {
  const auto rows = llama3_rows();
  ASSERT_EQ(rows.size(), 3u);
  // One efficiency for all rows (kernel efficiency of H100 BF16 GEMMs at these shapes), fitted by
  // least squares on the relative MFU error; leave-one-out shows how it transfers.
  auto fit = [&](const std::vector<Llama3Row>& train) {
    double best_e = 0.5, best_err = INFINITY;
    for (double e = 0.30; e <= 0.95; e += 0.0025) {
      double err = 0;
      for (const auto& r : train) err += std::pow(predict(r, e).mfu * 989.0 / r.tflops - 1, 2);
      if (err < best_err) {
        best_err = err;
        best_e = e;
      }
    }
    return best_e;
  };
  const double eff = fit(rows);
  std::printf(
      "fitted H100 GEMM efficiency %.4f\n| stage | predicted TFLOP/s per GPU | published | error | leave-one-out error "
      "|\n|---|---:|---:|---:|---:|\n",
      eff);
  std::vector<double> errors, loo;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<Llama3Row> others;
    for (std::size_t j = 0; j < rows.size(); ++j) {
      if (j != i) others.push_back(rows[j]);
    }
    const TrainEstimate e = predict(rows[i], eff);
    const TrainEstimate l = predict(rows[i], fit(others));
    const double tf = e.mfu * 989.0;
    errors.push_back(tf / rows[i].tflops - 1);
    loo.push_back(l.mfu * 989.0 / rows[i].tflops - 1);
    std::printf("| %s (%g GPUs, seq %g) | %.0f | %.0f | %+.1f%% | %+.1f%% |\n", rows[i].label.c_str(), rows[i].gpus,
                rows[i].seq, tf, rows[i].tflops, 100 * errors.back(), 100 * loo.back());
    std::printf("    step %.2f s: compute %.2f, bubble %.2f, TP %.2f, PP %.2f, DP %.2f, CP %.2f; comm %.0f%%\n",
                e.step_s, e.compute_s, e.bubble_s, e.tp_s, e.pp_s, e.dp_s, e.cp_s, 100 * e.comm_fraction);
  }
  for (double x : loo) EXPECT_LE(std::fabs(x), 0.20);
}

TEST(TrainingValidation, StoredEfficiencyIsTheFit) {
  const double stored = gpuplan::testing::training_stack("megatron").compute_efficiency_float;
  // Refit as in Llama3LayoutsMfu.
  const auto rows = llama3_rows();
  double best_e = 0, best_err = INFINITY;
  for (double e = 0.30; e <= 0.95; e += 0.0025) {
    double err = 0;
    for (const auto& r : rows) err += std::pow(predict(r, e).mfu * 989.0 / r.tflops - 1, 2);
    if (err < best_err) {
      best_err = err;
      best_e = e;
    }
  }
  EXPECT_NEAR(stored, best_e, 0.003) << "update data/runtimes.json megatron-training to the fit";
}

TEST(TrainingValidation, PublishedGpuHours) {
  // Llama 2 / 3 / 3.1 model cards: total GPU-hours for a token count. The layout is not
  // published, so the fastest searched layout on 2048 GPUs is used; published hours include
  // restarts, evaluation and ablations, so the model is expected to come in below them.
  struct Run {
    const char* model;
    const char* gpu;
    const char* network;
    double tokens, seq, published_hours;
  };
  const Run runs[] = {{"llama-2-7b", "a100-80gb", "ib-hdr-200", 2e12, 4096, 184320},
                      {"llama-2-13b", "a100-80gb", "ib-hdr-200", 2e12, 4096, 368640},
                      {"llama-2-70b", "a100-80gb", "ib-hdr-200", 2e12, 4096, 1720320},
                      {"llama-3.1-8b", "h100-sxm", "ib-ndr-400", 15e12, 8192, 1.46e6},
                      {"llama-3.1-70b", "h100-sxm", "ib-ndr-400", 15e12, 8192, 7.0e6},
                      {"llama-3.1-405b", "h100-sxm", "roce-400", 15.6e12, 8192, 30.84e6}};
  std::printf("| run | predicted GPU-hours | published | error |\n|---|---:|---:|---:|\n");
  for (const Run& r : runs) {
    TrainJob job;
    job.tokens = r.tokens;
    job.seq = r.seq;
    job.global_batch_seqs = 4.0 * 1024 * 1024 / r.seq;
    Scenario s = gpuplan::testing::scenario(r.model, "bf16", r.gpu, r.seq, 1, Mode::pretrain);
    const TrainModel m = prepare_train_model(s, job);
    const Cluster c = training_cluster(gpuplan::testing::gpu(r.gpu), gpuplan::testing::catalog(), r.network, 8);
    SearchLimits limits;
    limits.max_gpus = 2048;
    limits.fixed_gpus = true;
    const SearchResult found = search_layouts(m, job, c, limits);
    ASSERT_TRUE(found.found) << r.model;
    const double hours = found.fastest_estimate.gpu_hours;
    std::printf("| %s, %.3g tokens on %s (%s, MFU %.0f%%) | %.3g | %.3g | %+.0f%% |\n", r.model, r.tokens, r.gpu,
                to_string(found.fastest).c_str(), 100 * found.fastest_estimate.mfu, hours, r.published_hours,
                100 * (hours / r.published_hours - 1));
    // Pure training time is a lower bound on the published totals (which add restarts,
    // evaluation and, for Llama 3.1, other work on the same allocation).
    EXPECT_LT(hours, 1.1 * r.published_hours) << r.model;
    EXPECT_GT(hours, 0.25 * r.published_hours) << r.model;
  }
}

TEST(Training, RandomLayoutsGiveFiniteFigures) {
  std::mt19937_64 rng(11);
  const auto& models = gpuplan::testing::catalog().models;
  int valid = 0;
  for (int i = 0; i < 4000; ++i) {
    const Model& model = models[rng() % models.size()];
    TrainJob job;
    job.seq = static_cast<double>(1 << (9 + rng() % 7));
    job.global_batch_seqs = static_cast<double>(1 << (rng() % 12));
    job.tokens = 1e9 * static_cast<double>(1 + rng() % 1000);
    Scenario s;
    s.arch = model.arch;
    s.precision = find_precision("bf16").value();
    s.workload.mode = static_cast<Mode>(1 + rng() % 4);
    if (s.workload.mode == Mode::qlora) s.precision = find_precision("nf4-dq").value();
    s.gpu_memory_bytes = 80.0 * (1 << 30);
    const TrainModel m = prepare_train_model(s, job);
    Layout l;
    l.tp = static_cast<double>(1 << (rng() % 4));
    l.pp = static_cast<double>(1 << (rng() % 5));
    l.cp = static_cast<double>(1 << (rng() % 2));
    l.dp = static_cast<double>(1 << (rng() % 8));
    l.vpp = static_cast<double>(1 << (rng() % 3));
    l.zero = static_cast<int>(rng() % 4);
    l.micro_batch = static_cast<double>(1 << (rng() % 3));
    l.recompute = static_cast<Recompute>(rng() % 3);
    l.ep = static_cast<double>(1 << (rng() % 4));
    l.sequence_parallel = rng() % 2;
    Cluster c = h100_cluster(l.tp * l.pp * l.dp * l.cp, 0.3 + 0.01 * static_cast<double>(rng() % 60));
    const double per_node[] = {1, 2, 4, 8, 72};
    c.gpus_per_node = per_node[rng() % 5];
    c.intra.bus_efficiency = 0.3 + 0.01 * static_cast<double>(rng() % 80);
    c.inter.bus_efficiency = 0.3 + 0.01 * static_cast<double>(rng() % 80);
    if (rng() % 2) c.attention_efficiency = 0.2 + 0.01 * static_cast<double>(rng() % 60);
    if (rng() % 3 == 0) {  // FP8 GEMMs, BF16 attention
      c.attention_peak_flops = c.peak_flops;
      c.peak_flops *= 2;
    }
    job.allow_uneven_pipeline = rng() % 2;
    job.fused_attention = rng() % 2;
    job.overlap_grad_reduce = rng() % 2;
    job.grad_reduce_bytes = rng() % 2 ? 2 : 4;
    const TrainEstimate e = evaluate_layout(m, l, job, c);
    for (double v : {e.memory_bytes, e.weights_bytes, e.activations_bytes}) ASSERT_TRUE(std::isfinite(v) && v >= 0);
    if (!e.valid) continue;
    ++valid;
    for (double v : {e.step_s, e.compute_s, e.elementwise_s, e.optimizer_s, e.bubble_s, e.tp_s, e.pp_s, e.dp_s, e.cp_s,
                     e.ep_s, e.tokens_per_s, e.mfu, e.comm_fraction, e.gpu_hours, e.wall_s}) {
      ASSERT_TRUE(std::isfinite(v) && v >= 0) << model.id << " " << to_string(l);
    }
    ASSERT_LE(e.mfu, 1.0);
  }
  std::printf("%d of 4000 random layouts valid, all figures finite and non-negative\n", valid);
  EXPECT_GT(valid, 100);
}
