// The on-disk Hub cache under concurrency: many threads writing the same key at once each write
// through their own temporary file, so the entry is always one whole value and no temp is left.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../src/sources/byte_source.hpp"
#include "model_file_writer.hpp"

namespace fs = std::filesystem;
using namespace gpuplan::sources;

TEST(Cache, SameKeyFromManyThreadsLeavesOneWholeValue) {
  const fs::path dir = gpuplan::testing::fresh_dir("cache_threads");
  SourceOptions o;
  o.cache_dir = dir.string();
  detail::HubSpec spec;
  spec.org = "acme";
  spec.name = "tiny";
  const std::string path = detail::cache_path(o, spec, "config.json", "");
  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  std::vector<std::string> values;
  for (int t = 0; t < kThreads; ++t) values.push_back(std::string(4096 + t, static_cast<char>('a' + t)));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) detail::cache_write(path, values[static_cast<std::size_t>(t)]);
    });
  }
  for (auto& th : threads) th.join();
  auto read = detail::cache_read(path);
  ASSERT_TRUE(read);
  bool whole = false;
  for (const auto& v : values) whole = whole || *read == v;
  EXPECT_TRUE(whole) << "torn cache entry of " << read->size() << " bytes";
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1) << "temporary files left behind";
  fs::remove_all(dir);
}
