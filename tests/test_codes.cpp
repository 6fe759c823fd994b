// The codes gpuplan decides on (codes.hpp): each enum prints one spelling and parses it back.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

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

TEST(Codes, ErrorStylesParseWhatTheyPrint) {
  for (ErrorStyle e : {ErrorStyle::v0, ErrorStyle::v1, ErrorStyle::sglang, ErrorStyle::trtllm}) {
    EXPECT_EQ(parse_error_style(to_string(e)), e) << to_string(e);
  }
  EXPECT_FALSE(parse_error_style("v2"));
  EXPECT_FALSE(parse_error_style(""));
}

TEST(Codes, VendorsParseWhatTheyPrint) {
  for (Vendor v : {Vendor::other, Vendor::nvidia, Vendor::amd, Vendor::intel, Vendor::apple, Vendor::google}) {
    EXPECT_EQ(parse_vendor(to_string(v)), v) << to_string(v);
  }
  EXPECT_FALSE(parse_vendor("Apple"));  // the catalog's lowercase spelling only
  EXPECT_FALSE(parse_vendor("qualcomm"));
  EXPECT_FALSE(parse_vendor(""));
}

TEST(Codes, BoundsParseWhatTheyPrint) {
  for (Bound b : {Bound::memory, Bound::compute}) EXPECT_EQ(parse_bound(to_string(b)), b) << to_string(b);
  EXPECT_STREQ(to_string(Bound::compute), "compute");
  EXPECT_FALSE(parse_bound("Memory"));
  EXPECT_FALSE(parse_bound("bandwidth"));
  EXPECT_FALSE(parse_bound(""));
}

// Every RejectReason, counted up from 0 until to_string runs out of names (it returns "" past the
// last value): a value added to the enum and its switch is covered here without editing this test.
std::vector<RejectReason> every_reject_reason() {
  std::vector<RejectReason> out;
  for (int i = 0; *to_string(static_cast<RejectReason>(i)) != '\0'; ++i) out.push_back(static_cast<RejectReason>(i));
  return out;
}

TEST(Codes, EveryRejectReasonHasAUniqueCodeAndMessageThatParseBack) {
  const std::vector<RejectReason> all = every_reject_reason();
  EXPECT_GE(all.size(), 30u);  // the serving, training-candidate and layout rules
  std::set<std::string> codes, messages;
  for (RejectReason r : all) {
    const std::string code = to_string(r);
    EXPECT_TRUE(codes.insert(code).second) << code;
    EXPECT_TRUE(messages.insert(describe(r)).second) << describe(r);
    EXPECT_EQ(parse_reject_reason(code), r) << code;
    EXPECT_EQ(code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << code;
    EXPECT_FALSE(std::string(describe(r)).empty()) << code;
  }
  EXPECT_STREQ(to_string(RejectReason::does_not_fit), "does_not_fit");
  EXPECT_STREQ(describe(RejectReason::does_not_fit), "does not fit");
  EXPECT_FALSE(parse_reject_reason("does not fit"));  // the message is not the code
  EXPECT_FALSE(parse_reject_reason("DOES_NOT_FIT"));
  EXPECT_FALSE(parse_reject_reason("no_such_rule"));
  EXPECT_FALSE(parse_reject_reason(""));
}

TEST(Codes, TheSchemaListsEveryRejectCode) {
  std::ifstream in(std::string(GPUPLAN_SOURCE_DIR) + "/schemas/common.schema.json");
  ASSERT_TRUE(in) << "schemas/common.schema.json";
  const auto schema = nlohmann::json::parse(in);
  std::set<std::string> listed;
  for (const auto& v : schema["$defs"]["reject_code"]["enum"]) listed.insert(v.get<std::string>());
  std::set<std::string> codes;
  for (RejectReason r : every_reject_reason()) codes.insert(to_string(r));
  EXPECT_EQ(listed, codes);
}

TEST(Codes, CommonestRejectionsComeFirstAndTiesFollowTheirMessages) {
  const std::vector<RejectCount> ranked = commonest_first({{RejectReason::too_slow, 3},
                                                           {RejectReason::does_not_fit, 5},
                                                           {RejectReason::no_price, 3},
                                                           {RejectReason::misses_deadline, 1}});
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0].reason, RejectReason::does_not_fit);
  EXPECT_EQ(ranked[0].count, 5);
  EXPECT_EQ(ranked[1].reason, RejectReason::no_price);  // "no rental ..." before "too slow"
  EXPECT_EQ(ranked[2].reason, RejectReason::too_slow);
  EXPECT_EQ(ranked[3].reason, RejectReason::misses_deadline);
  EXPECT_TRUE(commonest_first({}).empty());
}

}  // namespace
}  // namespace gpuplan
