// Shared by the validation tests that write a README block: the median error and the check that
// the README holds the block the test just wrote (scripts/update-readme-accuracy.sh rewrites it).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace gpuplan::testing {

// Median of |v| (the mean of the middle two for an even count).
inline double median_abs(std::vector<double> v) {
  if (v.empty()) return 0;
  for (auto& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Writes `block` to the build directory as `file` and, unless GPUPLAN_UPDATING_README is set,
// expects README.md to hold it between <!-- name:begin --> and <!-- name:end -->.
inline void expect_readme_block(const std::string& name, const std::string& file, const std::string& block) {
  std::ofstream(std::string(GPUPLAN_BINARY_DIR) + "/" + file) << block;
  if (std::getenv("GPUPLAN_UPDATING_README") != nullptr) return;
  std::ifstream readme(std::string(GPUPLAN_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << readme.rdbuf();
  const std::string s = text.str();
  const std::string begin = "<!-- " + name + ":begin -->\n";
  const auto a = s.find(begin);
  const auto b = s.find("<!-- " + name + ":end -->");
  ASSERT_TRUE(a != std::string::npos && b != std::string::npos) << name << " markers missing in README.md";
  EXPECT_EQ(s.substr(a + begin.size(), b - a - begin.size()), block)
      << "README's " << name << " block is stale: run scripts/update-readme-accuracy.sh";
}

}  // namespace gpuplan::testing
