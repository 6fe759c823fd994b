// inspect and idle on the request layer: requests from JSON, run_inspect / run_idle answers, their
// defaults, and inspect agreeing with fit on the same model.
#include <gtest/gtest.h>

#include "api_context.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "gpuplan/api/api.hpp"
#include "gpuplan/api/defaults.hpp"
#include "gpuplan/api/json_request.hpp"
#include "gpuplan/io/fit_report.hpp"
#include "gpuplan/io/inspect_report.hpp"
#include "gpuplan/io/telemetry.hpp"

namespace gpuplan {
namespace {

const std::string kSource = GPUPLAN_SOURCE_DIR;
const std::string kLlama8BFolder = kSource + "/tests/fixtures/hf/meta-llama__Llama-3.1-8B";
const std::string kTinyGguf = kSource + "/fuzz/corpus/gguf/valid-tiny-llama-v3.gguf";
const std::string kLoneSafetensors = kSource + "/fuzz/corpus/safetensors/valid-tiny-llama.safetensors";

std::string telemetry_fixture(const std::string& name) {
  std::ifstream in(kSource + "/tests/fixtures/telemetry/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

api::IdleRequest idle_request(const std::string& fixture, double price_per_hour_usd) {
  api::IdleRequest q;
  q.file = fixture;
  q.telemetry = telemetry_fixture(fixture);
  q.price_per_hour_usd = price_per_hour_usd;
  return q;
}

nlohmann::ordered_json fit_document(const api::FitResponse& f) {
  return io::fit_json(io::FitReport{f.resolved.model, f.resolved.architecture_assumed, f.resolved.gpu,
                                    f.resolved.scenario, f.estimate, f.suggestions});
}

TEST(ApiInspect, JsonRequestsUseTheFieldTable) {
  auto q = api::request_from_json_text<api::InspectRequest>(R"({"model": "llama-3.1-8b", "kv-cache-dtype": "fp8"})",
                                                            api::inspect_fields());
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(*q.value().model, "llama-3.1-8b");
  EXPECT_EQ(*q.value().kv_dtype, "fp8");
  const auto unknown = api::request_from_json_text<api::InspectRequest>(R"({"modle": "x"})", api::inspect_fields());
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("model"), std::string::npos) << unknown.error().message;
  EXPECT_FALSE((api::request_from_json_text<api::InspectRequest>(R"({"model": 8})", api::inspect_fields())));
}

TEST(ApiInspect, CatalogModelParamsAndKvBytesComeFromTheArchitecture) {
  const api::Context ctx = testing::offline_context();
  api::InspectRequest q;
  q.model = "llama-3.1-8b";
  auto r = api::run_inspect(ctx, q);
  ASSERT_TRUE(r) << r.error().message;
  const io::InspectReport& report = r.value().report;
  EXPECT_EQ(report.kind, io::ModelSourceKind::catalog);
  ASSERT_TRUE(report.params.has_value());
  EXPECT_DOUBLE_EQ(report.params->total, count_params(report.model.arch).total);
  EXPECT_EQ(report.kv_dtype, api::defaults::kKvDtype);
  // 32 layers x K and V x 8 KV heads x 128 dims x 2 bytes (f16)
  EXPECT_DOUBLE_EQ(report.kv_cache_bytes_per_token, 32.0 * 2 * 8 * 128 * 2);
  q.kv_dtype = "fp8";
  auto fp8 = api::run_inspect(ctx, q);
  ASSERT_TRUE(fp8) << fp8.error().message;
  EXPECT_DOUBLE_EQ(fp8.value().report.kv_cache_bytes_per_token, report.kv_cache_bytes_per_token / 2);
  const auto j = io::inspect_json(report);
  EXPECT_EQ(j["schema"], "gpuplan-inspect/2");
  EXPECT_EQ(j["source"]["kind"], "catalog");
  EXPECT_TRUE(j["model"]["params"]["total"].is_number_integer());
  EXPECT_TRUE(j["model"]["params"]["trainable"].is_null());
  EXPECT_NE(io::inspect_table(report).find("KV cache      128.0 KiB per token (f16, all 32 layers)"),
            std::string::npos);
}

TEST(ApiInspect, TensorsOnlyHasNullParamsAndNoArchitecture) {
  auto r = api::run_inspect(testing::offline_context(), api::InspectRequest{kLoneSafetensors, {}});
  ASSERT_TRUE(r) << r.error().message;
  const io::InspectReport& report = r.value().report;
  EXPECT_FALSE(report.params.has_value());
  ASSERT_TRUE(report.tensors.has_value());
  const auto j = io::inspect_json(report);
  EXPECT_TRUE(j["model"]["params"]["total"].is_null());
  EXPECT_FALSE(j["model"].contains("kv_cache_bytes_per_token"));
  EXPECT_TRUE(j["architecture"].is_null());
  EXPECT_EQ(j["tensors"]["params"].get<long long>(), static_cast<long long>(report.tensors->params));
  EXPECT_EQ(io::inspect_table(report).find("Architecture"), std::string::npos);
}

TEST(ApiInspect, BadRequestsAreErrors) {
  const api::Context ctx = testing::offline_context();
  EXPECT_FALSE(api::run_inspect(ctx, api::InspectRequest{}));
  const auto kv = api::run_inspect(ctx, api::InspectRequest{"llama-3.1-8b", "f13"});
  ASSERT_FALSE(kv);
  EXPECT_NE(kv.error().message.find("f13"), std::string::npos) << kv.error().message;
  const auto missing = api::run_inspect(ctx, api::InspectRequest{"./no-such-model.gguf", {}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no such file"), std::string::npos) << missing.error().message;
  api::Context server = ctx;
  server.sources.allow_local_paths = false;
  EXPECT_FALSE(api::run_inspect(server, api::InspectRequest{kLlama8BFolder, {}}));
}

// The same model read by inspect and by fit: one parameter count and one KV size per token.
TEST(ApiInspect, InspectAndFitReportTheSameParamsTotal) {
  const api::Context ctx = testing::offline_context();
  for (const std::string& model :
       {std::string("llama-3.1-8b"), std::string("deepseek-v3"), kLlama8BFolder, kTinyGguf}) {
    auto i = api::run_inspect(ctx, api::InspectRequest{model, {}});
    ASSERT_TRUE(i) << model << ": " << i.error().message;
    api::FitRequest fit;
    fit.model = model;
    fit.gpu = "h100-sxm";
    auto f = api::run_fit(ctx, fit);
    ASSERT_TRUE(f) << model << ": " << f.error().message;
    const auto ij = io::inspect_json(i.value().report);
    const auto fj = fit_document(f.value());
    ASSERT_TRUE(ij["model"]["params"]["total"].is_number_integer()) << model;
    EXPECT_GT(ij["model"]["params"]["total"].get<long long>(), 0) << model;
    EXPECT_EQ(ij["model"]["params"]["total"], fj["model"]["params"]["total"]) << model;
    EXPECT_EQ(ij["model"]["params"]["active"], fj["model"]["params"]["active"]) << model;
    EXPECT_EQ(ij["model"]["kv_cache_bytes_per_token"], fj["model"]["kv_cache_bytes_per_token"]) << model;
    EXPECT_EQ(ij["model"]["id"], fj["model"]["id"]) << model;
  }
}

TEST(ApiIdle, JsonRequestsUseTheFieldTable) {
  auto q = api::request_from_json_text<api::IdleRequest>(
      R"({"file": "gpus.csv", "price_per_hour": 2.49, "threshold": 0, "max-gap": "10m", "interval": "1m",
          "format": "dcgm"})",
      api::idle_fields());
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(*q.value().file, "gpus.csv");
  EXPECT_DOUBLE_EQ(*q.value().price_per_hour_usd, 2.49);
  EXPECT_DOUBLE_EQ(*q.value().threshold_pct, 0);
  EXPECT_DOUBLE_EQ(*q.value().max_gap_s, 600);
  EXPECT_DOUBLE_EQ(*q.value().interval_s, 60);
  EXPECT_EQ(*q.value().format, "dcgm");
  EXPECT_TRUE(q.value().telemetry.empty());  // bytes are the face's to fill, never a field
  const auto& f = api::idle_fields();
  EXPECT_FALSE((api::request_from_json_text<api::IdleRequest>(R"({"telemetry": "a,b,c"})", f)));
  EXPECT_FALSE((api::request_from_json_text<api::IdleRequest>(R"({"threshold": 101})", f)));
  EXPECT_FALSE((api::request_from_json_text<api::IdleRequest>(R"({"price_per_hour": -1})", f)));
  EXPECT_FALSE((api::request_from_json_text<api::IdleRequest>(R"({"max_gap": "0"})", f)));
  EXPECT_FALSE((api::request_from_json_text<api::IdleRequest>(R"({"interval": 30})", f)));  // needs its unit
  api::IdleRequest text;
  EXPECT_TRUE(api::assign_text(text, *api::find_field(f, "--price-per-hour"), "0"));
  EXPECT_DOUBLE_EQ(*text.price_per_hour_usd, 0);
  const auto nan = api::assign_text(text, *api::find_field(f, "--threshold"), "nan");
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().message.find("--threshold"), std::string::npos) << nan.error().message;
}

TEST(ApiIdle, RunsWithTheListedDefaults) {
  auto r = api::run_idle(testing::offline_context(), idle_request("units.csv", 2.49));
  ASSERT_TRUE(r) << r.error().message;
  const IdleReport& report = r.value().report;
  EXPECT_DOUBLE_EQ(report.threshold_pct, api::defaults::kIdleThresholdPct);
  EXPECT_DOUBLE_EQ(report.price_per_hour_usd, 2.49);
  EXPECT_GE(report.max_gap_s, api::defaults::kIdleMinMaxGapS);
  ASSERT_EQ(report.gpus.size(), 2u);
  EXPECT_NEAR(report.gpus[0].idle_hours, 1.5, 1e-3);
  EXPECT_EQ(r.value().parsed.format, io::TelemetryFormat::nvidia_smi_csv);
  EXPECT_EQ(r.value().source, "units.csv");
  const auto j = io::idle_json(r.value().view());
  EXPECT_EQ(j["schema"], "gpuplan-idle/2");
  EXPECT_EQ(j["idle"]["source"], "units.csv");
  bool listed = false;
  for (const auto& d : api::defaults::describe_defaults()) listed = listed || d.name == "idle.threshold";
  EXPECT_TRUE(listed);
}

TEST(ApiIdle, RequestFieldsChangeTheAnswer) {
  const api::Context ctx = testing::offline_context();
  api::IdleRequest q = idle_request("gaps_and_garbage.csv", 1);
  auto base = api::run_idle(ctx, q);
  ASSERT_TRUE(base) << base.error().message;
  q.max_gap_s = 3 * 3600.0;
  auto wide = api::run_idle(ctx, q);
  ASSERT_TRUE(wide) << wide.error().message;
  EXPECT_NEAR(base.value().report.no_data_hours, 2.0, 1e-9);
  EXPECT_NEAR(wide.value().report.no_data_hours, 0.0, 1e-9);
  q.threshold_pct = 0;
  auto strict = api::run_idle(ctx, q);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict.value().report.idle_hours, 0);
  api::IdleRequest dcgm = idle_request("dcgm_no_timestamps.prom", 1);
  dcgm.interval_s = 60;
  auto minute = api::run_idle(ctx, dcgm);
  ASSERT_TRUE(minute) << minute.error().message;
  EXPECT_DOUBLE_EQ(minute.value().report.median_interval_s, 60);
}

TEST(ApiIdle, BadRequestsAreErrors) {
  const api::Context ctx = testing::offline_context();
  api::IdleRequest no_price = idle_request("units.csv", 1);
  no_price.price_per_hour_usd.reset();
  const auto price = api::run_idle(ctx, no_price);
  ASSERT_FALSE(price);
  EXPECT_NE(price.error().message.find("--price-per-hour is required"), std::string::npos);
  api::IdleRequest format = idle_request("units.csv", 1);
  format.format = "xml";
  EXPECT_FALSE(api::run_idle(ctx, format));
  api::IdleRequest empty = idle_request("units.csv", 1);
  empty.telemetry.clear();
  const auto none = api::run_idle(ctx, empty);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message.rfind("units.csv: ", 0), 0u) << none.error().message;
  const auto garbage = api::run_idle(ctx, idle_request("garbage.txt", 1));
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("no readable telemetry"), std::string::npos) << garbage.error().message;
}

}  // namespace
}  // namespace gpuplan
