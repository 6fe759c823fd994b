// The Hub client against a local Hub on loopback: an HTTPS server (httplib::SSLServer with the
// self-signed certificate in tests/fixtures/tls) and a plain HTTP one, each on an ephemeral port
// of 127.0.0.1, serving fixture repositories at /<org>/<name>/resolve/<revision>/<file> with
// Range support. "private/*" needs the Bearer token, weights redirect to a second server (a CDN
// on another origin, which refuses requests that carry the token), missing repos are 404. No
// test touches the network; servers stop when the test ends.
#include <gtest/gtest.h>

#include <httplib.h>
#include <chrono>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "catalog_fixture.hpp"
#include "gpuplan/sources/model_source.hpp"
#include "model_file_writer.hpp"

using namespace gpuplan;
using gpuplan::testing::SafetensorsWriter;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(GPUPLAN_SOURCE_DIR) / "tests" / "fixtures";
constexpr const char* kToken = "hf_test_token";

// Serves a whole (small) file; cpp-httplib answers "Range: bytes=a-b" itself with 206 and
// Content-Range (each server's logger counts those answers).
void serve_file(const fs::path& path, const httplib::Request&, httplib::Response& res) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > (16u << 20)) {
    res.status = 404;
    return;
  }
  res.set_content(gpuplan::testing::read_text(path), "application/octet-stream");
}

class LocalHub {
 public:
  LocalHub()
      : root_(gpuplan::testing::fresh_dir("hub_root")),
        https_((kFixtures / "tls" / "cert.pem").c_str(), (kFixtures / "tls" / "key.pem").c_str()) {
    make_repo("acme", "tiny-llama");
    make_repo("private", "tiny-llama");
    SafetensorsWriter none;  // a repo whose config names an unknown family: best effort
    fs::create_directories(root_ / "acme" / "odd");
    gpuplan::testing::write_text(root_ / "acme" / "odd" / "config.json",
                                 R"({"model_type":"oddity","hidden_size":64,"num_hidden_layers":2,)"
                                 R"("num_attention_heads":4,"intermediate_size":128,"vocab_size":100})");
    fs::create_directories(root_ / "acme" / "gguf");
    fs::copy_file(fs::path(GPUPLAN_SOURCE_DIR) / "fuzz" / "corpus" / "gguf" / "valid-tiny-llama-v3.gguf",
                  root_ / "acme" / "gguf" / "tiny-Q4_K_M.gguf");
    // CDN: plain HTTP on another port; refuses requests that carry the Hub token.
    cdn_.Get(R"(/cdn/([^/]+)/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      ++cdn_requests;
      if (req.has_header("Authorization")) {
        res.status = 400;
        return;
      }
      serve_file(root_ / req.matches[1].str() / req.matches[2].str() / req.matches[3].str(), req, res);
    });
    cdn_port_ = cdn_.bind_to_any_port("127.0.0.1");
    auto count_partial = [this](const httplib::Request&, const httplib::Response& res) {
      if (res.status == 206) ++partial_responses;
    };
    cdn_.set_logger(count_partial);
    https_.set_logger(count_partial);
    http_.set_logger(count_partial);
    auto hub = [this](const httplib::Request& req, httplib::Response& res) {
      ++hub_requests;
      const std::string org = req.matches[1], name = req.matches[2], rev = req.matches[3], file = req.matches[4];
      if (org == "private" && req.get_header_value("Authorization") != std::string("Bearer ") + kToken) {
        res.status = 401;
        return;
      }
      const fs::path path = root_ / org / name / file;
      if (rev != "main" || !fs::exists(path)) {
        res.status = 404;
        return;
      }
      if (file.size() > 12 && file.substr(file.size() - 12) == ".safetensors") {  // LFS files live on the CDN
        res.status = 302;
        res.set_header("Location",
                       "http://127.0.0.1:" + std::to_string(cdn_port_) + "/cdn/" + org + "/" + name + "/" + file);
        return;
      }
      serve_file(path, req, res);
    };
    const char* route = R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))";
    https_.Get(route, hub);
    http_.Get(route, hub);
    https_port_ = https_.bind_to_any_port("127.0.0.1");
    http_port_ = http_.bind_to_any_port("127.0.0.1");
    threads_.emplace_back([this] { https_.listen_after_bind(); });
    threads_.emplace_back([this] { http_.listen_after_bind(); });
    threads_.emplace_back([this] { cdn_.listen_after_bind(); });
    for (int i = 0; i < 200 && !(https_.is_running() && http_.is_running() && cdn_.is_running()); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~LocalHub() {
    https_.stop();
    http_.stop();
    cdn_.stop();
    for (auto& t : threads_) t.join();
    fs::remove_all(root_);
  }

  sources::SourceOptions options(bool https, const fs::path& cache) const {
    sources::SourceOptions o;
    o.endpoint =
        https ? "https://localhost:" + std::to_string(https_port_) : "http://127.0.0.1:" + std::to_string(http_port_);
    o.ca_file = (kFixtures / "tls" / "cert.pem").string();
    o.cache_dir = cache.string();
    o.connect_timeout_s = 5;
    o.read_timeout_s = 10;
    return o;
  }
  [[nodiscard]] int https_port() const { return https_port_; }

  std::atomic<int> hub_requests{0};
  std::atomic<int> cdn_requests{0};
  std::atomic<int> partial_responses{0};

 private:
  // A two-layer Llama with the config of Llama-3.2-1B's family (small dims) and one sparse shard.
  void make_repo(const std::string& org, const std::string& name) {
    const fs::path dir = root_ / org / name;
    fs::create_directories(dir);
    gpuplan::testing::write_text(dir / "config.json",
                                 R"({"model_type":"llama","hidden_size":256,"num_hidden_layers":2,)"
                                 R"("num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":512,)"
                                 R"("vocab_size":1000,"tie_word_embeddings":false,"torch_dtype":"bfloat16"})");
    nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
    std::uint64_t total = 0;
    for (int s = 0; s < 2; ++s) {
      SafetensorsWriter w;
      if (s == 0) w.tensor("model.embed_tokens.weight", "BF16", {1000, 256});
      const std::string p = "model.layers." + std::to_string(s) + ".";
      w.tensor(p + "input_layernorm.weight", "BF16", {256});
      w.tensor(p + "post_attention_layernorm.weight", "BF16", {256});
      w.tensor(p + "self_attn.q_proj.weight", "BF16", {256, 256});
      w.tensor(p + "self_attn.k_proj.weight", "BF16", {128, 256});
      w.tensor(p + "self_attn.v_proj.weight", "BF16", {128, 256});
      w.tensor(p + "self_attn.o_proj.weight", "BF16", {256, 256});
      w.tensor(p + "mlp.gate_proj.weight", "BF16", {512, 256});
      w.tensor(p + "mlp.up_proj.weight", "BF16", {512, 256});
      w.tensor(p + "mlp.down_proj.weight", "BF16", {256, 512});
      if (s == 1) {
        w.tensor("model.norm.weight", "BF16", {256});
        w.tensor("lm_head.weight", "BF16", {1000, 256});
      }
      const std::string shard = "model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
      w.write(dir / shard);
      total += w.data_bytes();
      const auto header = nlohmann::json::parse(w.header_json());
      for (const auto& item : header.items()) index["weight_map"][item.key()] = shard;
    }
    index["metadata"]["total_size"] = total;
    gpuplan::testing::write_text(dir / "model.safetensors.index.json", index.dump());
  }

  fs::path root_;
  httplib::SSLServer https_;
  httplib::Server http_;
  httplib::Server cdn_;
  int https_port_ = 0, http_port_ = 0, cdn_port_ = 0;
  std::vector<std::thread> threads_;
};

// 2 x (attention 256x256x2 + 128x256x2 + MLP 3x256x512 + 2 norms) + 2 x 1000x256 + final norm.
constexpr double kTinyParams = 2 * (2 * 256 * 256 + 2 * 128 * 256 + 3 * 256 * 512 + 2 * 256) + 2 * 1000 * 256 + 256;

Result<sources::LoadedModel> load(const std::string& spec, const sources::SourceOptions& o) {
  return sources::load_model_source(spec, gpuplan::testing::catalog(), o);
}

}  // namespace

TEST(Hub, HttpsRangeReadsFollowTheCdnRedirectAndFillTheCache) {
  LocalHub hub;
  const fs::path cache = gpuplan::testing::fresh_dir("hub_cache");
  auto r = load("hf:acme/tiny-llama", hub.options(true, cache));
  ASSERT_TRUE(r) << r.error().message;
  const auto& m = r.value();
  EXPECT_EQ(m.kind, "safetensors");
  EXPECT_EQ(m.files, 2u);
  EXPECT_EQ(m.tensors.params, kTinyParams);
  EXPECT_EQ(count_params(m.model.arch).total, kTinyParams);
  EXPECT_EQ(m.model.hf_repo, "acme/tiny-llama");
  EXPECT_GT(hub.cdn_requests.load(), 0);  // shards came from the CDN, without the token
  // 8-byte length + header of each shard, as Range reads. httplib calls the logger after the
  // response is on the wire, so the client can be done first: give the server threads a moment.
  for (int i = 0; i < 200 && hub.partial_responses.load() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(hub.partial_responses.load(), 4);
  EXPECT_TRUE(fs::exists(cache / "acme" / "tiny-llama" / "main" / "config.json"));
  EXPECT_TRUE(fs::exists(cache / "acme" / "tiny-llama" / "main" / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(cache / "acme" / "tiny-llama" / "main" / "model-00001-of-00002.safetensors@0-7"));
  // Offline: the same answer from the cache alone, without a request.
  auto o = hub.options(true, cache);
  o.offline = true;
  const int before = hub.hub_requests.load() + hub.cdn_requests.load();
  auto offline = load("hf:acme/tiny-llama", o);
  ASSERT_TRUE(offline) << offline.error().message;
  EXPECT_EQ(offline.value().tensors.params, kTinyParams);
  EXPECT_EQ(hub.hub_requests.load() + hub.cdn_requests.load(), before);
  auto not_cached = load("hf:acme/other", o);
  ASSERT_FALSE(not_cached);
  EXPECT_NE(not_cached.error().message.find("not in the cache"), std::string::npos) << not_cached.error().message;
  fs::remove_all(cache);
}

TEST(Hub, PrivateReposNeedTheTokenAndMissingOnesAre404) {
  LocalHub hub;
  const fs::path cache = gpuplan::testing::fresh_dir("hub_cache_private");
  auto o = hub.options(true, cache);
  auto denied = load("hf:private/tiny-llama", o);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("HTTP 401"), std::string::npos) << denied.error().message;
  EXPECT_NE(denied.error().message.find("HF_TOKEN"), std::string::npos) << denied.error().message;
  o.token = kToken;
  auto allowed = load("hf:private/tiny-llama", o);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed.value().tensors.params, kTinyParams);
  auto missing = load("hf:acme/no-such-model", o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no config.json"), std::string::npos) << missing.error().message;
  auto bad_rev = load("hf:acme/tiny-llama@v9", o);
  ASSERT_FALSE(bad_rev);
  auto bad_spec = load("hf:not-a-repo", o);
  ASSERT_FALSE(bad_spec);
  EXPECT_NE(bad_spec.error().message.find("hf:org/name"), std::string::npos);
  fs::remove_all(cache);
}

TEST(Hub, PlainHttpEndpointGgufFilesAndUnknownFamilies) {
  LocalHub hub;
  const fs::path cache = gpuplan::testing::fresh_dir("hub_cache_http");
  auto o = hub.options(false, cache);
  auto r = load("hf:acme/tiny-llama@main", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().tensors.params, kTinyParams);
  auto gguf = load("hf:acme/gguf/tiny-Q4_K_M.gguf", o);
  ASSERT_TRUE(gguf) << gguf.error().message;
  EXPECT_EQ(gguf.value().kind, "gguf");
  EXPECT_EQ(gguf.value().precision, "q4_k_m");
  auto odd = load("hf:acme/odd", o);
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_FALSE(odd.value().has_tensors);
  ASSERT_GE(odd.value().warnings.size(), 2u);  // guessed fields; no weights found
  fs::remove_all(cache);
}

TEST(Hub, TlsIsVerifiedAndUnreachableEndpointsSaySo) {
  LocalHub hub;
  const fs::path cache = gpuplan::testing::fresh_dir("hub_cache_tls");
  auto o = hub.options(true, cache);
  o.ca_file.clear();  // the system store does not know our self-signed certificate
  auto untrusted = load("hf:acme/tiny-llama", o);
  ASSERT_FALSE(untrusted);
  EXPECT_NE(untrusted.error().message.find("cannot reach"), std::string::npos) << untrusted.error().message;
  sources::SourceOptions closed;
  closed.endpoint = "http://127.0.0.1:1";
  closed.connect_timeout_s = 2;
  auto down = load("hf:acme/tiny-llama", closed);
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().message.find("cannot reach http://127.0.0.1:1"), std::string::npos) << down.error().message;
  EXPECT_NE(down.error().message.find("--offline"), std::string::npos);
  fs::remove_all(cache);
}

TEST(Hub, CliFitAndInspectTakeHubSpecs) {
  LocalHub hub;
  const fs::path cache = gpuplan::testing::fresh_dir("hub_cache_cli");
  const std::string env = "HF_ENDPOINT=https://localhost:" + std::to_string(hub.https_port()) +
                          " REQUESTS_CA_BUNDLE=" + (kFixtures / "tls" / "cert.pem").string() +
                          " XDG_CACHE_HOME=" + cache.string() + " HF_TOKEN= ";
  auto run = [&](const std::string& args) {
    std::string out;
    const bool json = args.find("--json") != std::string::npos;  // JSON on stdout; messages on stderr
    FILE* p = popen((env + GPUPLAN_CLI + " " + args + (json ? " 2>/dev/null" : " 2>&1")).c_str(), "r");
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = pclose(p);
    return std::make_pair(WEXITSTATUS(st), out);
  };
  auto [status, out] = run("fit hf:acme/tiny-llama --gpu rtx-4090 --json");
  ASSERT_EQ(status, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["memory"]["weights_bytes"].get<double>(), 2 * kTinyParams);  // measured from the BF16 shards
  auto [s2, o2] = run("--offline inspect hf:acme/tiny-llama --json");
  ASSERT_EQ(s2, 0) << o2;
  EXPECT_EQ(nlohmann::json::parse(o2)["tensors"]["params"].get<double>(), kTinyParams);
  auto [s3, o3] = run("inspect hf:private/tiny-llama");
  EXPECT_EQ(s3, 2);
  EXPECT_NE(o3.find("HTTP 401"), std::string::npos) << o3;
  fs::remove_all(cache);
}
