#include "mosaico/core/json.h"

#include <string>

#include <gtest/gtest.h>

namespace mosaico {
namespace {

TEST(JsonTest, ParsesObjectsWithExactIntegers) {
  auto j = ParseJsonObject(R"({"a": 9223372036854775807, "b": -9223372036854775808, "c": 18446744073709551615,
                              "d": 1.5e300, "e": [1, {"f": null}]})", "body");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["a"].get<int64_t>(), INT64_MAX);
  EXPECT_EQ((*j)["b"].get<int64_t>(), INT64_MIN);
  EXPECT_TRUE((*j)["c"].is_number_unsigned());
  EXPECT_TRUE((*j)["d"].is_number_float());
}

TEST(JsonTest, RefusesIntegersBeyond64BitsInsteadOfRoundingThem) {
  for (const std::string text : {R"({"n": 18446744073709551616})", R"({"x": {"y": [0, -9223372036854775809]}})",
                                 R"({"n": 1180591620717411303424})"}) {
    auto j = ParseJsonObject(text, "body of action 'query'");
    ASSERT_FALSE(j.ok()) << text;
    EXPECT_TRUE(j.status().IsInvalid());
    EXPECT_NE(j.status().message().find("does not fit in 64 bits"), std::string::npos) << j.status().message();
    EXPECT_NE(j.status().message().find("body of action 'query'"), std::string::npos);
  }
}

TEST(JsonTest, RefusesWhatIsNotAJsonObject) {
  for (const std::string text : {"", "[1]", "3", "{", R"({"a": NaN})", R"({"a": Infinity})", "{} {}", "{\"a\":1,}"}) {
    auto j = ParseJsonObject(text, "body");
    EXPECT_FALSE(j.ok()) << text;
  }
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseJsonObject(deep, "body").ok());
  // Deep but valid nesting parses (and is destroyed) without exhausting the stack.
  EXPECT_TRUE(ParseJsonObject("{\"a\":" + std::string(20000, '[') + std::string(20000, ']') + "}", "body").ok());
}

}  // namespace
}  // namespace mosaico
