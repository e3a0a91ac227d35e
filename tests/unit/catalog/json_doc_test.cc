// JsonDoc: the user_metadata reader behind the catalog's metadata predicates.
#include "mosaico/catalog/json_doc.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace mosaico::catalog {
namespace {

using Kind = JsonDoc::Kind;

TEST(JsonDoc, RejectsWhatIsNotJson) {
  JsonDoc doc;
  for (const char* bad : {"", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{a:1}",
                          "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"\\x\"", "\"\\u12\"", "\"a",
                          "{\"a\":1}}", "{} {}", "\"tab\there\"", "NaN", "[\"\\\"]"}) {
    EXPECT_FALSE(doc.Parse(bad)) << bad;
  }
}

TEST(JsonDoc, ReadsScalarsWithTheirKinds) {
  JsonDoc doc;
  ASSERT_TRUE(doc.Parse(R"( [1, -0, 1.0, 2e3, -9223372036854775808, 9223372036854775808, true, false, null,
                           "s", 1e400, -1e400, 1e-400] )"));
  ASSERT_EQ(doc.size(), 14u);
  EXPECT_EQ(doc.node(0).kind, Kind::kArray);
  EXPECT_EQ(doc.node(0).end, 14u);
  EXPECT_EQ(doc.node(1).kind, Kind::kInt);
  EXPECT_EQ(doc.node(1).integer, 1);
  EXPECT_EQ(doc.node(2).kind, Kind::kInt);
  EXPECT_EQ(doc.node(3).kind, Kind::kDouble);
  EXPECT_EQ(doc.node(4).kind, Kind::kDouble);
  EXPECT_EQ(doc.node(4).number, 2000.0);
  EXPECT_EQ(doc.node(5).kind, Kind::kInt);
  EXPECT_EQ(doc.node(5).integer, INT64_MIN);
  EXPECT_EQ(doc.node(6).kind, Kind::kDouble);  // beyond int64
  EXPECT_EQ(doc.node(6).number, 9223372036854775808.0);
  EXPECT_TRUE(doc.node(7).boolean);
  EXPECT_EQ(doc.node(8).kind, Kind::kBool);
  EXPECT_FALSE(doc.node(8).boolean);
  EXPECT_EQ(doc.node(9).kind, Kind::kNull);
  EXPECT_EQ(doc.node(10).text, "s");
  EXPECT_TRUE(std::isinf(doc.node(11).number) && doc.node(11).number > 0);
  EXPECT_TRUE(std::isinf(doc.node(12).number) && doc.node(12).number < 0);
  EXPECT_EQ(doc.node(13).number, 0.0);
}

TEST(JsonDoc, ObjectsKnowTheirMembersAndWhetherKeysAreSorted) {
  JsonDoc doc;
  ASSERT_TRUE(doc.Parse(R"({"a":{"x":[1,{"y":2}]},"b":"v","c":{}})"));
  EXPECT_TRUE(doc.node(0).keys_sorted_unique);
  const uint32_t a = doc.FindMember(0, "a");
  const uint32_t b = doc.FindMember(0, "b");
  const uint32_t c = doc.FindMember(0, "c");
  ASSERT_NE(a, 0u);
  EXPECT_EQ(doc.node(b).text, "v");
  EXPECT_EQ(doc.node(c).kind, Kind::kObject);
  EXPECT_EQ(doc.node(c).end, c + 1);
  EXPECT_EQ(doc.FindMember(0, "x"), 0u);  // not a member of the root
  EXPECT_NE(doc.FindMember(a, "x"), 0u);
  std::string members;
  doc.ForEachMember(0, [&](uint32_t child) { members += std::string(doc.node(child).key); });
  EXPECT_EQ(members, "abc");

  ASSERT_TRUE(doc.Parse(R"({"b":1,"a":2,"b":3})"));
  EXPECT_FALSE(doc.node(0).keys_sorted_unique);
  EXPECT_EQ(doc.node(doc.FindMember(0, "b")).integer, 3);
  members.clear();
  doc.ForEachMember(0, [&](uint32_t child) { members += std::string(doc.node(child).key); });
  EXPECT_EQ(members, "ab");
}

TEST(JsonDoc, DecodesEscapes) {
  JsonDoc doc;
  ASSERT_TRUE(doc.Parse(R"({"k\u00e9y":"\"\\\/\b\f\n\r\t \ud83d\ude00 \ud800x"})"));
  const uint32_t v = doc.FindMember(0, "k\xc3\xa9y");
  ASSERT_NE(v, 0u);
  EXPECT_EQ(doc.node(v).text, "\"\\/\b\f\n\r\t \xf0\x9f\x98\x80 \xed\xa0\x80x");
}

TEST(JsonDoc, DeepNestingDoesNotRecurse) {
  const int depth = 200000;
  std::string text(depth, '[');
  text += std::string(depth, ']');
  JsonDoc doc;
  ASSERT_TRUE(doc.Parse(text));
  EXPECT_EQ(doc.size(), static_cast<uint32_t>(depth));
  EXPECT_FALSE(doc.Parse(std::string(depth, '[')));
}

// One JsonDoc parses row after row (MetadataMatcher keeps one): a parse that failed inside open containers leaves
// nothing behind for the next one.
TEST(JsonDoc, ParsesAfterAFailedParseWithOpenContainers) {
  JsonDoc doc;
  EXPECT_FALSE(doc.Parse(R"({"a": {"b": [1, {"c": )"));
  ASSERT_TRUE(doc.Parse(R"({"x": 1})"));
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc.node(0).kind, Kind::kObject);
  EXPECT_EQ(doc.node(0).end, 2u);
  EXPECT_EQ(doc.node(1).key, "x");
  EXPECT_EQ(doc.node(1).integer, 1);
  EXPECT_FALSE(doc.Parse(R"([[[{"k": [)"));
  EXPECT_FALSE(doc.Parse("]"));  // no container is open any more
  ASSERT_TRUE(doc.Parse("[]"));
  EXPECT_EQ(doc.size(), 1u);
}

}  // namespace
}  // namespace mosaico::catalog
