#include <gtest/gtest.h>

#include "gpuplan/names.hpp"
#include "gpuplan/units.hpp"

using namespace gpuplan;

TEST(Units, CountsUseDecimalSuffixes) {
  EXPECT_DOUBLE_EQ(parse_count("13B", "x").value(), 13e9);
  EXPECT_DOUBLE_EQ(parse_count("2T", "x").value(), 2e12);
  EXPECT_DOUBLE_EQ(parse_count("200M", "x").value(), 200e6);
  EXPECT_DOUBLE_EQ(parse_count("1.5k", "x").value(), 1500);
  EXPECT_DOUBLE_EQ(parse_count(" 7 ", "x").value(), 7);
}

// k/M are decimal for tokens as for every count; Ki/Mi are the binary multiples, as KiB/MiB.
TEST(Units, TokensAreDecimalUnlessKi) {
  EXPECT_DOUBLE_EQ(parse_tokens("32k", "x").value(), 32000);
  EXPECT_DOUBLE_EQ(parse_tokens("128K", "x").value(), 128000);
  EXPECT_DOUBLE_EQ(parse_tokens("1M", "x").value(), 1e6);
  EXPECT_DOUBLE_EQ(parse_tokens("32Ki", "x").value(), 32768);
  EXPECT_DOUBLE_EQ(parse_tokens("128Ki", "x").value(), 131072);
  EXPECT_DOUBLE_EQ(parse_tokens("1Mi", "x").value(), 1048576);
  EXPECT_DOUBLE_EQ(parse_tokens("4096", "x").value(), 4096);
  EXPECT_DOUBLE_EQ(parse_tokens("1.5k", "x").value(), 1500);
  EXPECT_FALSE(parse_tokens("32KiB", "x"));  // bytes are not tokens
  // A count and a token length read the same text as the same number.
  for (const char* text : {"4k", "32k", "2M", "1.5k"}) {
    EXPECT_DOUBLE_EQ(parse_tokens(text, "x").value(), parse_count(text, "x").value()) << text;
  }
}

TEST(Units, FormattedTokensParseBack) {
  for (const double n : {1.0, 999.0, 1000.0, 4096.0, 32000.0, 32768.0, 131072.0, 1e6, 123456.0}) {
    EXPECT_DOUBLE_EQ(parse_tokens(format_tokens(n), "x").value(), n) << format_tokens(n);
  }
}

TEST(Units, BytesKeepGbAndGibApart) {
  EXPECT_DOUBLE_EQ(parse_bytes("80GB", "x").value(), 80e9);
  EXPECT_DOUBLE_EQ(parse_bytes("24GiB", "x").value(), 24.0 * kGiB);
  EXPECT_DOUBLE_EQ(parse_bytes("512mib", "x").value(), 512.0 * kMiB);
  EXPECT_DOUBLE_EQ(parse_bytes("20", "x").value(), 20.0 * kGiB);
}

TEST(Units, BadNumbersAreErrorsNotValues) {
  for (const char* bad : {"70X", "-5k", "0", "", "nan", "inf", "-inf", "1e400", "abc", "5kk", "--3", "1e309k",
                          "9999999999999999999999999999999999T"}) {
    EXPECT_FALSE(parse_count(bad, "--params").has_value()) << bad;
    EXPECT_FALSE(parse_tokens(bad, "--context").has_value()) << bad;
  }
  const auto e = parse_count("70X", "--params");
  EXPECT_NE(e.error().message.find("unknown unit 'X'"), std::string::npos) << e.error().message;
  EXPECT_NE(parse_tokens("-5k", "--context").error().message.find("positive"), std::string::npos);
}

TEST(Names, NearestNameSuggestsTypos) {
  const std::vector<std::string> names = {"rtx-4090", "rtx-3090", "h100-sxm", "a100-80gb", "l40s"};
  const auto near = nearest_names("rtx4900", names);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near.front(), "rtx-4090");
  EXPECT_EQ(nearest_names("h100", names).front(), "h100-sxm");
  EXPECT_TRUE(nearest_names("completely-unrelated-name-xyz", names).empty());
  EXPECT_EQ(canonical_name("RTX 4090"), "rtx-4090");
  EXPECT_EQ(canonical_name("rtx_4090"), "rtx-4090");
}

// The lookups compare without building strings: the same answer as comparing canonical names.
TEST(Units, CanonicalEqualsAgreesWithCanonicalName) {
  const char* names[] = {"",           "-",       "RTX 4090",  "rtx_4090", "rtx--4090",
                         "-rtx-4090-", "rtx4090", "llama-3.1", "llama-31", "Llama 3.1",
                         "a",          "a-",      "_a_b",      "ab",       "a b"};
  for (const char* a : names) {
    for (const char* b : names) {
      EXPECT_EQ(canonical_equals(canonical_name(a), b), canonical_name(a) == canonical_name(b)) << a << " vs " << b;
    }
  }
}

TEST(Units, Durations) {
  EXPECT_DOUBLE_EQ(parse_duration("300", "x").value(), 300);
  EXPECT_DOUBLE_EQ(parse_duration("5m", "x").value(), 300);
  EXPECT_DOUBLE_EQ(parse_duration("1.5h", "x").value(), 5400);
  EXPECT_DOUBLE_EQ(parse_duration("500ms", "x").value(), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("2d", "x").value(), 172800);
  EXPECT_DOUBLE_EQ(parse_duration("50ms", "x").value(), 0.05);
  for (const char* bad : {"", "-5m", "0", "5 parsecs", "nan", "inf", "1e400", "m"}) {
    EXPECT_FALSE(parse_duration(bad, "--max-gap").has_value()) << bad;
  }
  EXPECT_NE(parse_duration("5x", "--max-gap").error().message.find("--max-gap"), std::string::npos);
}

// Found by fuzz_units (corpus/units/regress-format-tokens-9e299): parse_tokens has no upper bound,
// and format_tokens cast any value to long long.
TEST(Units, FormatTokensOfHugeValues) {
  EXPECT_EQ(format_tokens(131072), "131072");
  EXPECT_EQ(format_tokens(128000), "128k");
  EXPECT_EQ(format_tokens(4096), "4096");
  const auto huge = parse_tokens("9e299", "context");
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(format_tokens(huge.value()), "9e+299");
  EXPECT_EQ(format_tokens(9e18), "9e+18");
}
