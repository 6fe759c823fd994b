// The codes gpuplan decides on (codes.hpp): each enum prints one spelling and parses it back.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gpuplan/codes.hpp"

namespace gpuplan {
namespace {

TEST(Codes, EveryMemoryTermPrintsAUniqueNameThatParsesBack) {
  std::set<std::string> seen;
  for (MemoryTerm t : {MemoryTerm::weights, MemoryTerm::kv_cache, MemoryTerm::activations, MemoryTerm::gradients,
                       MemoryTerm::optimizer, MemoryTerm::adapters, MemoryTerm::overhead}) {
    EXPECT_TRUE(seen.insert(to_string(t)).second) << to_string(t);
    EXPECT_EQ(parse_memory_term(to_string(t)), t) << to_string(t);
    EXPECT_FALSE(std::string(describe(t)).empty());
  }
  EXPECT_STREQ(describe(MemoryTerm::kv_cache), "KV cache");
  EXPECT_STREQ(to_string(MemoryTerm::kv_cache), "kv_cache");
  EXPECT_FALSE(parse_memory_term("KV cache"));  // prose does not parse as the code
  EXPECT_FALSE(parse_memory_term(""));
}

TEST(Codes, CostBasisAndSeverityParseWhatTheyPrint) {
  for (CostBasis b : {CostBasis::rent, CostBasis::own}) EXPECT_EQ(parse_cost_basis(to_string(b)), b);
  EXPECT_STREQ(to_string(CostBasis::own), "own");
  EXPECT_FALSE(parse_cost_basis("buy"));
  for (Severity s : {Severity::info, Severity::warning, Severity::error}) EXPECT_EQ(parse_severity(to_string(s)), s);
  EXPECT_STREQ(to_string(Severity::warning), "warning");
  EXPECT_FALSE(parse_severity("fatal"));
}

}  // namespace
}  // namespace gpuplan
