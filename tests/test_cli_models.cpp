// Model files on the command line: every model-taking command accepts a folder, a config.json or a
// .gguf file; weights come from the file's tensor table when its own format is used; `inspect`
// prints architecture, params, tensors and KV bytes, with a stable --json schema.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include "cli_run.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "model_file_writer.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kSource = GPUPLAN_SOURCE_DIR;
const fs::path kTinyGguf = kSource / "fuzz" / "corpus" / "gguf" / "valid-tiny-llama-v3.gguf";
const fs::path kLlama8B = kSource / "tests" / "fixtures" / "hf" / "meta-llama__Llama-3.1-8B";

using gpuplan::testing::CliRun;
CliRun run(const std::string& args) {
  return gpuplan::testing::run_cli(args);
}

}  // namespace

TEST(CliModels, FitSpeedAndCostTakeFilesAndFolders) {
  for (const std::string& args : std::vector<std::string>{
           "fit " + kLlama8B.string() + "/ --gpu rtx-4090",
           "fit " + (kLlama8B / "config.json").string() + " --quant awq --gpu rtx-4090",
           "fit " + kTinyGguf.string() + " --gpu rtx-4090 --context 32k",
           "speed " + kTinyGguf.string() + " --gpu rtx-4090", "speed " + kLlama8B.string() + " --gpu h100-sxm",
           "cost " + (kLlama8B / "config.json").string() + " --gpu l40s --tokens-per-month 1B",
           "inspect " + kLlama8B.string(), "inspect llama-3.1-8b", "inspect " + kTinyGguf.string()}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
  }
}

TEST(CliModels, GgufWeightsComeFromTheTensorTable) {
  const CliRun fit = run("fit " + kTinyGguf.string() + " --gpu rtx-4090 --json");
  ASSERT_EQ(fit.status, 0) << fit.err;
  const CliRun inspect = run("inspect " + kTinyGguf.string() + " --json");
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  const auto f = nlohmann::json::parse(fit.out);
  const auto i = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(f["memory"]["weights_bytes"].get<double>(), i["tensors"]["bytes"].get<double>());
  EXPECT_EQ(f["precision"]["name"], "q4_k_m");
  // An explicit --quant prices the architecture in that format instead.
  const CliRun q8 = run("fit " + kTinyGguf.string() + " --gpu rtx-4090 --quant q8_0 --json");
  ASSERT_EQ(q8.status, 0) << q8.err;
  EXPECT_NE(nlohmann::json::parse(q8.out)["memory"]["weights_bytes"].get<double>(),
            i["tensors"]["bytes"].get<double>());
}

TEST(CliModels, InspectJsonSchema) {
  const CliRun r = run("inspect " + kLlama8B.string() + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "gpuplan-inspect/2");
  EXPECT_EQ(j["source"]["kind"], "config");
  EXPECT_EQ(j["model"]["model_type"], "llama");
  EXPECT_EQ(j["model"]["params"]["total"].get<long long>(), 8030261248LL);
  EXPECT_EQ(j["model"]["params"]["active"].get<long long>(), 8030261248LL);
  EXPECT_TRUE(j["model"]["params"]["trainable"].is_null());
  EXPECT_EQ(j["model"]["kv_heads"].get<long long>(), 8);
  EXPECT_EQ(j["architecture"]["num_kv_heads"].get<long long>(), 8);
  EXPECT_EQ(j["model"]["kv_cache_bytes_per_token"].get<long long>(), 32LL * 2 * 8 * 128 * 2);  // 128 KiB
  EXPECT_TRUE(j["tensors"].is_null());
  EXPECT_TRUE(j["quantization"].is_null());
  EXPECT_EQ(j["precision"]["name"], "bf16");
  EXPECT_EQ(j["precision"]["kv_dtype"], "f16");
  EXPECT_TRUE(j["warnings"].is_array());
  // --kv-dtype prices the KV cache per token in that type: fp8 is half of f16.
  const auto fp8 = nlohmann::json::parse(run("inspect " + kLlama8B.string() + " --kv-dtype fp8 --json").out);
  EXPECT_EQ(fp8["model"]["kv_cache_bytes_per_token"].get<long long>(), 32LL * 2 * 8 * 128);
  EXPECT_EQ(fp8["precision"]["kv_dtype"], "fp8");
  const auto g = nlohmann::json::parse(run("inspect " + kTinyGguf.string() + " --json").out);
  EXPECT_EQ(g["source"]["kind"], "gguf");
  for (const char* k : {"count", "params", "bytes", "by_dtype"}) EXPECT_TRUE(g["tensors"].contains(k)) << k;
  EXPECT_EQ(g["tensors"]["by_dtype"][0]["dtype"], "Q8_0");
  EXPECT_EQ(g["quantization"]["detail"], "Q4_K_M");
}

TEST(CliModels, BadFilesGetOneLineAndExitTwo) {
  struct Case {
    std::string args;
    const char* expect;
  };
  const Case cases[] = {
      {"fit ./no-such-model.gguf --gpu rtx-4090", "no such file or folder"},
      {"inspect /nonexistent/", "no such file or folder"},
      {"inspect " + (kSource / "fuzz" / "corpus" / "gguf" / "bad-magic.gguf").string(), "not a GGUF file"},
      {"inspect " + (kSource / "fuzz" / "corpus" / "gguf" / "tensor-type-unknown.gguf").string(), "unknown ggml type"},
      {"fit " + (kSource / "fuzz" / "corpus" / "hf_config" / "missing-hidden-size.json").string() + " --gpu rtx-4090",
       "missing 'hidden_size'"},
      {"fit " + (kSource / "fuzz" / "corpus" / "safetensors" / "valid-tiny-llama.safetensors").string() +
           " --gpu rtx-4090",
       "no architecture"},
      {"inspect hf:bad", "hf:org/name"},
  };
  for (const auto& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}
