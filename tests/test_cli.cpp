// The `gpuplan` command as a user runs it: examples work, bad input gets one line and exit 2.
#include <gtest/gtest.h>

#include "cli_run.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using gpuplan::testing::CliRun;
CliRun run(const std::string& args) {
  return gpuplan::testing::run_cli(args);
}

// True when the text holds the word "nan" or "inf" (any case), as printf prints non-finite values.
bool prints_non_number(const std::string& text) {
  std::string word;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))) : ' ';
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += c;
      continue;
    }
    if (word == "nan" || word == "inf") return true;
    word.clear();
  }
  return false;
}

}  // namespace

TEST(Cli, IssueExamplesRun) {
  for (const char* args :
       {"fit llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4",
        "fit mistral-7b --gpu a100-80gb --mode full-finetune --seq 4096 --micro-batch 4",
        "fit qwen2.5-7b --gpu l4 --mode qlora", "fit --params 13B --gpu rtx-a6000 --quant fp16", "models",
        "gpus --tier consumer", "models --json", "gpus --json", "quants", "fit llama3.1:70b --gpu h100-sxm",
        "fit meta-llama/Llama-3.1-70B --gpu mi300x", "fit llama-3.1-8b --gpu m2-ultra --context 128k",
        "fit deepseek-v3 --gpu h100-sxm --gpus 16 --quant fp8", "fit gpt-oss-120b --gpu h100-sxm --quant mxfp4",
        "fit llama-3.1-8b --gpu l40s --mode lora --optimizer adamw-8bit --recompute full",
        "fit llama-3.1-8b --gpu rtx-5090 --mode full-finetune --optimizer adafactor --offload-optimizer"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    EXPECT_FALSE(prints_non_number(r.out)) << args;
  }
}

// gpus --json carries both FP16 accumulates: GeForce halves FP32 accumulate, H100 does not.
TEST(Cli, GpusJsonHasFp16WithFp16Accumulate) {
  const CliRun r = run("gpus --json");
  ASSERT_EQ(r.status, 0) << r.err;
  std::map<std::string, nlohmann::json> flops;
  const nlohmann::json doc = nlohmann::json::parse(r.out);  // kept alive: the loop reads into it
  for (const auto& g : doc["gpus"]) flops[g["id"].get<std::string>()] = g["dense_flops"];
  EXPECT_NEAR(flops["rtx-4090"]["fp16_acc16"].get<double>(), 330.3e12, 1e9);
  EXPECT_NEAR(flops["rtx-4090"]["fp16"].get<double>(), 165.2e12, 1e9);
  EXPECT_DOUBLE_EQ(flops["h100-sxm"]["fp16_acc16"].get<double>(), flops["h100-sxm"]["fp16"].get<double>());
}

TEST(Cli, FitJsonHasTheStableSchema) {
  const CliRun r = run("fit llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"weights_bytes", "kv_cache_bytes", "activations_bytes", "gradients_bytes", "optimizer_bytes",
                        "overhead_bytes", "total_bytes"}) {
    ASSERT_TRUE(j["memory"][k].is_number_integer()) << k;
    EXPECT_GE(j["memory"][k].get<long long>(), 0) << k;
  }
  EXPECT_EQ(j["schema"], "gpuplan-fit/2");
  EXPECT_TRUE(j["model"]["params"]["total"].is_number_integer());
  EXPECT_TRUE(j["model"]["params"]["active"].is_number_integer());
  EXPECT_TRUE(j["model"]["params"]["trainable"].is_null());  // inference: nothing is trained
  EXPECT_TRUE(j["gpu"]["memory_bytes"].is_number_integer());
  EXPECT_TRUE(j["fits"].is_boolean());
  EXPECT_FALSE(j["fits"].get<bool>());
  EXPECT_TRUE(j["max_context"].is_number_integer());
  EXPECT_TRUE(j["max_batch"].is_number_integer());
  EXPECT_EQ(j["model"]["params"]["total"].get<long long>(), 70553706496LL);
  // 80 layers x 8 KV heads x 128 x 2 (K,V) x 2 bytes x 32000 tokens (32k is decimal) x 4 sequences.
  EXPECT_EQ(j["memory"]["kv_cache_bytes"].get<long long>(), 80LL * 8 * 128 * 2 * 2 * 32000 * 4);
  EXPECT_FALSE(j["suggestions"].empty());
}

TEST(Cli, BadInputGetsOneLineAndExitTwo) {
  struct Case {
    const char* args;
    const char* expect;
  };
  const Case cases[] = {
      {"fit --params 70X --gpu rtx-4090", "unknown unit 'X'"},
      {"fit llama-3.1-8b --gpu rtx-4090 --context=-5k", "positive"},
      {"fit llama-3.1-8b --gpu rtx-4090 --context 1e400", "not"},
      {"fit llama-3.1-8b --gpu rtx-4090 --batch 0", "batch"},
      {"train llama-3.1-8b --gpu h100-sxm --tokens 1B --efficiency 1e-308", "outside 0.01..1"},
      {"fit llama-3.1-8b --gpu rtx-4090 --batch nan", "batch"},
      {"fit llama-3.1-8b --gpu rtx-4090 --batch 2.5", "whole number"},
      {"fit llama-3.1-8b --gpu rtx-4090 --gpus 0", "gpus"},
      {"fit llama-3.1-8b --gpu rtx-4090 --quant q4_k_x", "did you mean"},
      {"fit llama-3.1-8b --gpu rtx-4900", "rtx-4090"},
      {"fit lama-3.1-8b --gpu rtx-4090", "llama-3.1-8b"},
      {"fit llama-3.1-8b", "--gpu"},
      {"fit --gpu rtx-4090", "which model"},
      {"fit llama-3.1-8b --params 8B --gpu rtx-4090", "not both"},
      {"fit llama-3.1-8b --gpu rtx-4090 --mode full-finetune --quant q4_k_m", "quantised"},
      {"fit llama-3.1-8b --gpu rtx-4090 --mode qlora --quant bf16", "qlora"},
      {"fit llama-3.1-8b --gpu rtx-4090 --optimizer adamw", "training"},
      {"fit llama-3.1-8b --gpu rtx-4090 --mode trian", "did you mean"},
      {"fit llama-3.1-8b --gpu rtx-4090 --kv-dtype q3", "KV-cache"},
      {"fit llama-3.1-8b --gpu rtx-4090 --gpu-memory -3GB", "positive"},
      {"gpus --tier consumr", "consumer"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\nstderr: " << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 2) << c.args << "\nstderr: " << r.err;
  }
}

TEST(CliSpeed, IssueExamplesAndJsonFields) {
  for (const char* args : {"speed llama-3.1-8b --gpu rtx-4090 --quant q4_k_m --prompt 2000 --output 500",
                           "speed llama-3.1-70b --gpu h100-sxm --gpus 4 --concurrency 32 --runtime vllm",
                           "speed qwen3-30b-a3b --gpu rtx-4090 --quant q4_k_m --curve 6",
                           "speed deepseek-v3 --gpu h200 --gpus 8 --quant fp8 --runtime sglang --concurrency 64",
                           "speed llama-3.1-8b --gpu mi300x --runtime llama.cpp", "speed --help"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    EXPECT_FALSE(prints_non_number(r.out)) << args;
  }
  const CliRun r = run("speed llama-3.1-70b --gpu h100-sxm --gpus 4 --concurrency 32 --runtime vllm --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "gpuplan-speed/2");
  for (const char* k : {"prefill_tokens_per_s", "decode_tokens_per_s", "aggregate_tokens_per_s", "ttft_s", "tpot_s"}) {
    ASSERT_TRUE(j["speed"][k].is_number()) << k;
    EXPECT_GT(j["speed"][k].get<double>(), 0) << k;
    EXPECT_LE(j["speed"]["ranges"][k]["low"].get<double>(), j["speed"]["ranges"][k]["high"].get<double>()) << k;
  }
  EXPECT_TRUE(j["speed"]["bound"] == "memory" || j["speed"]["bound"] == "compute");
  // vLLM is the serving step model, calibrated on vLLM rows measured on Hopper.
  EXPECT_TRUE(j["speed"]["calibration"]["calibrated"].get<bool>());
  EXPECT_EQ(j["speed"]["serving"]["calibration"]["engine"], "vllm");
  EXPECT_EQ(j["speed"]["serving"]["calibration"]["gpu_family"], "hopper");
  EXPECT_TRUE(j["memory"]["total_bytes"].is_number_integer());  // the common estimate is there too
  EXPECT_GT(j["speed"]["aggregate_tokens_per_s"].get<double>(), j["speed"]["decode_tokens_per_s"].get<double>());
}

TEST(CliSpeed, LlamaBenchSettingReproducesPp512AndTg128) {
  // llama-bench pp512 / tg: Llama 3 8B Q4_K_M on an RTX 4090 measured 7138.99 (pp512) and 130.58 (tg512).
  const CliRun r =
      run("speed llama-3-8b --gpu rtx-4090 --quant q4_k_m --runtime llama.cpp --prompt 512 --output 128 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const double pp = j["speed"]["prefill_tokens_per_s"].get<double>();
  const double tg =
      1.0 / nlohmann::json::parse(run("speed llama-3-8b --gpu rtx-4090 --quant q4_k_m --runtime llama.cpp "
                                      "--prompt 0 --output 128 --json")
                                      .out)["speed"]["tpot_s"]
                .get<double>();
  std::printf("pp512 %.0f (measured 7139), tg128 %.1f (measured tg512 130.6)\n", pp, tg);
  EXPECT_NEAR(pp / 7138.99, 1.0, 0.25);
  EXPECT_NEAR(tg / 130.58, 1.0, 0.15);
  EXPECT_TRUE(j["speed"]["calibration"]["calibrated"].get<bool>());
}

TEST(CliSpeed, BadInput) {
  struct Case {
    const char* args;
    const char* expect;
  };
  const Case cases[] = {
      {"speed llama-3.1-8b --gpu rtx-4090 --concurrency 0", "concurrency"},
      {"speed llama-3.1-8b --gpu rtx-4090 --concurrency 2.5", "whole number"},
      {"speed llama-3.1-8b --gpu rtx-4090 --runtime vlm", "did you mean"},
      {"speed llama-3.1-8b --gpu rtx-4090 --split diagonal", "layer"},
      {"speed llama-3.1-8b --gpu h100-sxm --gpus 3 --split tensor", "KV heads"},
      {"speed llama-3.1-8b --gpu rtx-4090 --output 0", "--output"},
      {"speed llama-3.1-8b --gpu rtx-4090 --prompt 70X", "unknown unit"},
      {"speed llama-3.1-8b --gpu rtx-4090 --curve 1000", "--curve"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\nstderr: " << r.err;
  }
}

TEST(CliCost, IssueExamplesJsonAndCsv) {
  for (const char* args : {"cost llama-3.1-70b --tokens-per-month 3B --prompt 1500 --output 300",
                           "cost llama-3.1-8b --gpu l40s --utilization 0.35 --years 3 --power-price 0.15",
                           "cost qwen2.5-7b --gpu rtx-4090 --quant q4_k_m --tokens-per-month 200M --tpot 30ms",
                           "cost --gpu h100-sxm --gpu-hours 20000 --utilization 0.6",
                           "cost llama-3.1-8b --gpu h100-sxm --tokens-per-month 1B --sweep tokens=100M:100B:5"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    EXPECT_FALSE(prints_non_number(r.out)) << args;
  }
  const CliRun r = run("cost llama-3.1-70b --tokens-per-month 3B --prompt 1500 --output 300 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* option : {"api", "rent", "own"}) {
    EXPECT_GT(j["cost"][option]["monthly_usd"].get<double>(), 0) << option;
    EXPECT_GT(j["cost"][option]["usd_per_million_tokens"].get<double>(), 0) << option;
  }
  const double u = j["cost"]["breakeven_utilization"].get<double>();
  EXPECT_GT(u, 0.2);
  EXPECT_LT(u, 1.5);
  EXPECT_FALSE(j["prices"]["api"]["as_of"].get<std::string>().empty());
  EXPECT_FALSE(j["prices"]["power_usd_per_kwh"]["source"].get<std::string>().empty());
  const CliRun csv = run("cost llama-3.1-8b --gpu h100-sxm --tokens-per-month 1B --sweep utilization=0.1:1.0 --csv");
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("utilization,tokens_per_month,api_usd,rent_usd,rent_elastic_usd,own_usd\n", 0), 0u);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 11);
  // An overridden price is used and labelled as the user's.
  const auto o =
      nlohmann::json::parse(run("cost llama-3.1-8b --gpu h100-sxm --tokens-per-month 1B --rent-price 1.5 --json").out);
  EXPECT_DOUBLE_EQ(o["prices"]["rent_usd_per_gpu_hour"]["value"].get<double>(), 1.5);
  EXPECT_EQ(o["prices"]["rent_usd_per_gpu_hour"]["source"], "user value");
}

TEST(CliCost, BadInput) {
  struct Case {
    const char* args;
    const char* expect;
  };
  const Case cases[] = {
      {"cost llama-3.1-8b --gpu l40s --utilization 1.5", "--utilization"},
      {"cost llama-3.1-8b --gpu l40s --utilization 0.5 --pue 0.5", "--pue"},
      {"cost llama-3.1-8b --gpu l40s --tokens-per-month=-3B", "positive"},
      {"cost llama-3.1-8b --gpu l40s", "--tokens-per-month"},
      {"cost llama-3.1-8b --gpu l40s --tokens-per-month 1B --sweep utlization=0.1:1", "did you mean"},
      {"cost llama-3.1-8b --gpu l40s --tokens-per-month 1B --sweep utilization=0.9:0.1", "LO <= HI"},
      {"cost --gpu-hours 1000", "--gpu"},
      {"cost llama-3.1-8b --gpu l40s --tokens-per-month 1B --tpot fast", "not a number"},
      {"cost llama-3.1-8b --gpu l40s --tokens-per-month 1B --prices-file /nonexistent.json", "cannot open"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\nstderr: " << r.err;
  }
}

// A card nobody rents (Apple) is priced owned: no rent row, no rent break-even, the verdict says why.
TEST(CliCost, CardWithoutRentIsPricedOwned) {
  const CliRun r = run("cost llama-3.1-8b --gpu m2-ultra --tokens-per-month 1B --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["cost"]["rent"].is_null());
  EXPECT_TRUE(j["cost"]["breakeven_utilization"].is_null());
  EXPECT_EQ(j["cost"]["verdict"], "own");
  EXPECT_GT(j["cost"]["own"]["monthly_usd"].get<double>(), 0);
  const CliRun text = run("cost llama-3.1-8b --gpu m2-ultra --tokens-per-month 1B");
  EXPECT_NE(text.out.find("no rental price for m2-ultra (give --rent-price"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("$0.00/GPU-h"), std::string::npos) << text.out;
  // With a rent given, both are compared again.
  const CliRun rented = run("cost llama-3.1-8b --gpu m2-ultra --tokens-per-month 1B --rent-price 1.5 --json");
  ASSERT_EQ(rented.status, 0) << rented.err;
  EXPECT_FALSE(nlohmann::json::parse(rented.out)["cost"]["rent"].is_null());
}

TEST(CliTrain, IssueExamplesAndJson) {
  for (const char* args :
       {"train llama-3.1-70b --tokens 2T --gpu h100-sxm --gpus 1024",
        "train mistral-7b --method lora --tokens 200M --gpu rtx-4090",
        "train --params 13B --tokens 260B --gpu a100-80gb --gpus 64 --layout tp=8,pp=2,dp=4 --zero 1",
        "train llama-3.1-8b --tokens 1T --gpu h100-sxm --budget 500000 --deadline 30d",
        "train qwen3-30b-a3b --tokens 100B --gpu h100-sxm --gpus 64",
        "train llama-3.1-8b --method qlora --tokens 50M --epochs 3 --gpu l4"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    EXPECT_FALSE(prints_non_number(r.out)) << args;
  }
  const CliRun r =
      run("train llama-3.1-405b --tokens 15.6T --gpu h100-sxm --layout tp=8,cp=1,pp=16,dp=64,vpp=4 --seq 8192 "
          "--global-batch-tokens 16Mi --recompute full --zero 2 --network roce-400 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* k :
       {"step_s", "tokens_per_s", "mfu", "comm_fraction", "gpu_hours", "days", "energy_kwh", "cost_usd"}) {
    ASSERT_TRUE(j["train"][k].is_number()) << k;
    EXPECT_GT(j["train"][k].get<double>(), 0) << k;
  }
  EXPECT_GT(j["memory"]["total_bytes"].get<double>(), 0);
  EXPECT_EQ(j["gpu"]["count"].get<double>(), 8192);
  EXPECT_EQ(j["train"]["global_batch_seqs"].get<double>(), 2048);
  const double mfu = j["train"]["mfu"].get<double>();
  std::printf("Llama 3 405B stage 1 as written: MFU %.1f%% (published 43%%)\n", 100 * mfu);
  EXPECT_NEAR(mfu, 0.43, 0.43 * 0.2);
}

TEST(CliTrain, GradientReductionSettings) {
  // Data parallelism across 4 nodes: the gradient all-reduce is exposed in full without overlap,
  // and doubles in fp32.
  const char* base =
      "train llama-3.1-8b --tokens 1T --gpu a100-80gb --layout tp=1,pp=1,dp=32,mb=2 --zero 1 "
      "--network ib-hdr-200 --seq 2048 --global-batch 512 --recompute full --json";
  const auto dp_s = [&](const std::string& extra) {
    const CliRun r = run(std::string(base) + extra);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    return j["train"]["dp_comm_s"].get<double>();
  };
  const double overlapped = dp_s("");
  const double exposed = dp_s(" --no-overlap-grad-reduce");
  const double exposed_fp32 = dp_s(" --no-overlap-grad-reduce --fp32-grad-reduce");
  EXPECT_LT(overlapped, exposed);
  EXPECT_GT(exposed, 0);
  EXPECT_NEAR(exposed_fp32 / exposed, 2.0, 0.05);
}

TEST(CliTrain, FrameworkFollowsTheMethodUnlessGiven) {
  const auto framework_of = [&](const std::string& args) {
    const CliRun r = run(args + " --json");
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    const auto j = nlohmann::json::parse(r.out);
    return std::make_pair(j["train"]["framework"].get<std::string>(), j["train"]["mfu"].get<double>());
  };
  const auto lora = framework_of("train mistral-7b --method lora --tokens 200M --gpu rtx-4090");
  const auto lora_megatron =
      framework_of("train mistral-7b --method lora --tokens 200M --gpu rtx-4090 --framework megatron");
  const auto pretrain = framework_of("train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus 64");
  EXPECT_EQ(lora.first, "fsdp");
  EXPECT_EQ(lora_megatron.first, "megatron");
  EXPECT_EQ(pretrain.first, "megatron");
  EXPECT_LT(lora.second, lora_megatron.second);  // the FSDP stack's measured efficiency is lower
}

TEST(CliTrain, Fp8GemmsAreFasterAndNeedFp8TensorCores) {
  const auto run_json = [&](const std::string& args) {
    const CliRun r = run(args + " --json");
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
    return nlohmann::json::parse(r.out);
  };
  const std::string base =
      "train llama-3.1-70b --tokens 2T --gpu h100-sxm --layout tp=4,pp=8,dp=2,vpp=5 --seq 8192 "
      "--global-batch 128 --recompute none --zero 1";
  const auto bf16 = run_json(base);
  const auto fp8 = run_json(base + " --precision fp8");
  EXPECT_EQ(fp8["train"]["gemm_dtype"], "fp8");
  EXPECT_EQ(bf16["train"]["gemm_dtype"], "bf16");
  const double speedup = fp8["train"]["tokens_per_s"].get<double>() / bf16["train"]["tokens_per_s"].get<double>();
  std::printf("Llama 3 70B, Megatron-Bridge H100 layout: FP8 / BF16 throughput %.2f\n", speedup);
  EXPECT_GT(speedup, 1.0);
  EXPECT_LT(speedup, 2.0);  // only the GEMMs speed up
  EXPECT_EQ(fp8["memory"]["total_bytes"], bf16["memory"]["total_bytes"]);
  const CliRun a100 = run("train llama-3.1-8b --tokens 1T --gpu a100-80gb --gpus 8 --precision fp8");
  EXPECT_EQ(a100.status, 2);
  EXPECT_NE(a100.err.find("FP8"), std::string::npos) << a100.err;
}

TEST(CliTrain, InfeasibleSearchIsAResultWithExitOne) {
  const CliRun r = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --deadline 1h --max-gpus 8 --json");
  EXPECT_EQ(r.status, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["found"].get<bool>());
  EXPECT_EQ(j["error"]["code"], "infeasible");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("deadline"), std::string::npos);
  const CliRun text = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --deadline 1h --max-gpus 8");
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.out.find("No layout meets"), std::string::npos) << text.out;
}

// --max-evaluated bounds the work of a search (a server's budget, here from the command line):
// the plan answers with the best found so far and says it stopped; a train search that found
// nothing says to raise it.
TEST(CliPlan, MaxEvaluatedStopsTheSearchAndSaysSo) {
  const CliRun full = run("plan llama-3.1-70b --json");
  ASSERT_EQ(full.status, 0) << full.err;
  const auto jf = nlohmann::json::parse(full.out);
  EXPECT_EQ(jf["plan"]["search_stopped"], "complete");
  const CliRun r = run("plan llama-3.1-70b --max-evaluated 500 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["plan"]["search_stopped"], "budget_spent");
  EXPECT_LT(j["plan"]["candidates_evaluated"].get<long long>(),
            jf["plan"]["candidates_evaluated"].get<long long>() / 4);
  EXPECT_NE(run("plan llama-3.1-70b --max-evaluated 500").out.find("stopped at --max-evaluated"), std::string::npos);
  EXPECT_EQ(run("plan llama-3.1-70b --max-evaluated 0").status, 2);
  EXPECT_EQ(run("plan llama-3.1-70b --max-evaluated lots").status, 2);
  const CliRun t = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --max-evaluated 100 --json");
  EXPECT_EQ(t.status, 1) << t.err;
  const auto jt = nlohmann::json::parse(t.out);
  EXPECT_EQ(jt["search"]["stopped"], "budget_spent");
  EXPECT_LE(jt["search"]["evaluated"].get<double>(), 100);
  EXPECT_NE(jt["error"]["message"].get<std::string>().find("raise it"), std::string::npos);
}

TEST(CliTrain, APrintedLayoutIsAcceptedBack) {
  const CliRun searched = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus 64 --json");
  ASSERT_EQ(searched.status, 0) << searched.err;
  const auto a = nlohmann::json::parse(searched.out);
  const std::string layout = a["layout"]["text"].get<std::string>();
  const CliRun again = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --layout " + layout + " --json");
  ASSERT_EQ(again.status, 0) << again.err;
  const auto b = nlohmann::json::parse(again.out);
  EXPECT_EQ(b["layout"]["text"], a["layout"]["text"]);
  EXPECT_DOUBLE_EQ(b["train"]["step_s"].get<double>(), a["train"]["step_s"].get<double>());
  const CliRun sp_off = run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --layout tp=2,pp=1,dp=4,sp=off --json");
  ASSERT_EQ(sp_off.status, 0) << sp_off.err;
  EXPECT_FALSE(nlohmann::json::parse(sp_off.out)["layout"]["sequence_parallel"].get<bool>());
}

TEST(CliTrain, GlobalBatchIsSequences) {
  const auto seqs = [&](const std::string& extra) {
    const CliRun r = run("train llama-3.1-8b --tokens 100B --gpu h100-sxm --gpus 8 --seq 8192 --json " + extra);
    EXPECT_EQ(r.status, 0) << extra << "\n" << r.err;
    return nlohmann::json::parse(r.out)["train"]["global_batch_seqs"].get<double>();
  };
  EXPECT_EQ(seqs("--global-batch 256"), 256);
  EXPECT_EQ(seqs("--global-batch-tokens 4Mi"), 512);  // 4 x 2^20 tokens / 8192
  EXPECT_EQ(seqs("--global-batch-tokens 4M"), 488);   // 4e6 / 8192, rounded down
  EXPECT_EQ(seqs(""), 512);                           // default 4M tokens
  EXPECT_EQ(run("train llama-3.1-8b --tokens 1T --gpu h100-sxm --global-batch 4M --global-batch-tokens 4M").status, 2);
}

TEST(CliTrain, BadInput) {
  struct Case {
    const char* args;
    const char* expect;
  };
  const Case cases[] = {
      {"train llama-3.1-8b --gpu h100-sxm", "--tokens"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --layout tp=3,pp=1,dp=1", "not usable"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --layout tq=2", "did you mean"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus 16 --layout tp=8,pp=1,dp=1", "--gpus says"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --network infiniband", "--network"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --method inference", "--method"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --framework deepspeed", "--framework"},
      {"train llama-3.1-8b --tokens=-1T --gpu h100-sxm", "positive"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --zero abc", "--zero"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --zero 4", "--zero"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --micro-batch 0", "--micro-batch"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --gpus-per-node x", "--gpus-per-node"},
      {"train llama-3.1-8b --tokens 1T --gpu h100-sxm --deadline 30", "unit"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\nstderr: " << r.err;
  }
}

// ---- what a new user hit ----

TEST(Cli, VersionPrintsTheProjectVersion) {
  const CliRun r = run("--version");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("gpuplan ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find('.'), std::string::npos) << r.out;
}

// Each "bigger card" and "split across N" suggestion, run as printed, fits; no format the card cannot run.
TEST(Advice, FitSuggestionsFitWhenRunAsPrinted) {
  for (const std::string args :
       {"llama-3.1-70b --gpu rtx-4090 --quant q4_k_m --context 32k --batch 4",
        "llama-3.1-8b --gpu rtx-4090 --mode full-finetune", "llama-3.1-70b --gpu a100-80gb --quant bf16",
        "llama-3.1-70b --gpu rtx-3090 --quant bf16", "llama-3.1-8b --gpu t4 --context 128k",
        "mistral-7b --gpu a100-40gb --mode full-finetune --seq 4096 --micro-batch 4",
        "qwen2.5-14b --gpu rtx-3090 --quant bf16", "llama-3.1-8b --gpu t4 --quant bf16",
        "llama-3.2-3b --gpu t4 --quant fp32 --context 64k", "llama-3.1-70b --gpu rtx-4090 --mode qlora",
        "qwen3-32b --gpu l40s --runtime vllm --max-model-len 16k",
        "qwen3-32b --gpu rtx-4090 --runtime llama.cpp --quant q8_0 -ngl 99"}) {
    SCOPED_TRACE(args);
    const CliRun r = run("fit " + args + " --json");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_FALSE(j["fits"].get<bool>());
    int checked = 0;
    for (const auto& s : j["suggestions"]) {
      const std::string kind = s["kind"], value = s["value"], text = s["text"];
      SCOPED_TRACE(text);
      if (kind == "precision") {
        const bool no_fp8 = args.find("a100") != std::string::npos || args.find("3090") != std::string::npos ||
                            args.find("--gpu t4") != std::string::npos;
        if (no_fp8) {
          EXPECT_NE(value, "fp8");
        }
        if (args.find("--gpu t4") != std::string::npos) {
          EXPECT_NE(value, "bf16");
        }
        // The engine named serves the format suggested (no GGUF on vLLM, only GGUF on llama.cpp),
        // and it fits as printed.
        const bool gguf = value.rfind("q", 0) == 0 || value.rfind("iq", 0) == 0 || value == "f16";
        if (args.find("--runtime vllm") != std::string::npos) {
          EXPECT_FALSE(gguf) << value;
        }
        if (args.find("--runtime llama.cpp") != std::string::npos) {
          EXPECT_TRUE(gguf) << value;
        }
        std::string again = "fit " + args;
        const auto quant = again.find(" --quant ");
        if (quant != std::string::npos) {
          const auto next = again.find(' ', quant + 9);
          again = again.substr(0, quant) + (next == std::string::npos ? "" : again.substr(next));
        }
        const CliRun re = run(again + " --quant " + value + " --json");
        ASSERT_EQ(re.status, 0) << again << "\n" << re.err;
        EXPECT_TRUE(nlohmann::json::parse(re.out)["fits"].get<bool>()) << again << " --quant " << value;
      }
      if (kind != "bigger_gpu" && kind != "more_gpus") continue;
      std::string again = "fit " + args;
      if (kind == "bigger_gpu") {
        const auto at = again.find("--gpu ");
        const auto end = again.find(' ', at + 6);
        again = again.substr(0, at) + "--gpu " + value + again.substr(end);
      } else {
        again += " --gpus " + value;
      }
      const auto with = text.find(" with --");
      if (with != std::string::npos) {
        const auto stop = text.find_first_of(";)", with);
        again += ' ';
        again += text.substr(with + 6, stop == std::string::npos ? std::string::npos : stop - with - 6);
      }
      const CliRun re = run(again + " --json");
      ASSERT_EQ(re.status, 0) << again << "\n" << re.err;
      EXPECT_TRUE(nlohmann::json::parse(re.out)["fits"].get<bool>()) << again;
      ++checked;
    }
    EXPECT_GT(checked, 0) << "no hardware suggestion to check";
  }
}

TEST(Cli, TextSaysOneGpuOneReplicaOneRequest) {
  const CliRun r = run("plan llama-3.1-8b --gpu h100-sxm --users 20 --pay rent --explain");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("1 replica x 1 GPU = 1 GPU,"), std::string::npos) << r.out;
  for (const char* wrong : {" 1 GPUs", " 1 replicas", " 1 requests", " 1 users", "GPU(s)"}) {
    EXPECT_EQ(r.out.find(wrong), std::string::npos) << wrong << "\n" << r.out;
  }
}

TEST(Cli, SpeedOfAModelThatDoesNotFitLeadsWithTheVerdict) {
  const CliRun r = run("speed llama-3.1-70b --gpu rtx-4090 --quant bf16");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("DOES NOT FIT", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("not meaningful"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("time per output token"), std::string::npos) << r.out;
  const CliRun j = run("speed llama-3.1-70b --gpu rtx-4090 --quant bf16 --json");
  ASSERT_EQ(j.status, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_FALSE(doc["fits"].get<bool>());
  EXPECT_TRUE(doc["speed"].is_object());
}

TEST(Cli, ShortTrainingJobsPrintHoursOrMinutesNotZeroDays) {
  const CliRun r = run("train llama-3.1-8b --mode lora --tokens 100M --gpu a100-80gb --gpus 8");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("0.0 days"), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find(" minutes,") != std::string::npos || r.out.find(" hours,") != std::string::npos) << r.out;
}

TEST(Cli, UntrustedNamesCannotDriveTheTerminal) {
  // A config.json whose model_type carries ESC [2J (clear screen) and a BEL: printed escaped.
  const std::string dir = ::testing::TempDir() + "gpuplan_escape_" + std::to_string(getpid());
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
  {
    std::ifstream in(std::string(GPUPLAN_SOURCE_DIR) + "/tests/fixtures/hf/Qwen__Qwen3-8B/config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    config["model_type"] = "qwen3\x1b[2J\x07";
    std::ofstream(dir + "/config.json") << config.dump();
  }
  const CliRun r = run("inspect '" + dir + "/config.json'");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const std::string* text : {&r.out, &r.err}) {
    EXPECT_EQ(text->find('\x1b'), std::string::npos);
    EXPECT_EQ(text->find('\x07'), std::string::npos);
  }
  EXPECT_NE(r.out.find("qwen3\\x1b[2J\\x07"), std::string::npos) << r.out;
  const CliRun j = run("inspect '" + dir + "/config.json' --json");
  EXPECT_EQ(nlohmann::json::parse(j.out)["model"]["model_type"], "qwen3\x1b[2J\x07");  // JSON escapes it
}
