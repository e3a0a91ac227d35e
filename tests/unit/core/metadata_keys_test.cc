// Keys of stored user metadata (core/metadata_keys.h).
#include <gtest/gtest.h>

#include "mosaico/core/metadata_keys.h"

namespace mosaico {
namespace {

TEST(MetadataKeysTest, KeyRule) {
  for (const char* ok : {"a", "driver", "Driver_ID", "gps lat", "snake_case-and-dash", "x-y-z", "0", "a b-c_d", "-",
                         "_"}) {
    EXPECT_TRUE(IsValidMetadataKey(ok)) << ok;
  }
  // The keys mosaicolabs 0.7.0's own suite expects to be refused, and the characters with a meaning elsewhere.
  for (const char* bad : {"", "invalid--key", "(invalid-key)", "invalid-[key", "invalid~key", "a.b", "a$", "a/b",
                          "é", "tab\tkey", "a\"b", "--", "a---b", "quote'd", "new\nline"}) {
    EXPECT_FALSE(IsValidMetadataKey(bad)) << bad;
  }
}

TEST(MetadataKeysTest, EveryNestingLevelIsChecked) {
  EXPECT_TRUE(ValidateMetadataKeys(Json::parse(R"({"a":{"b c":[{"d-e":1},2,"x--y"]},"f":null})"), "user_metadata")
                  .ok())
      << "values are free; only keys follow the rule";
  EXPECT_TRUE(ValidateMetadataKeys(Json::object(), "user_metadata").ok());
  auto nested = ValidateMetadataKeys(Json::parse(R"({"a":{"b":[1,{"bad~key":1}]}})"), "user_metadata");
  ASSERT_TRUE(nested.IsInvalid());
  EXPECT_NE(nested.message().find("invalid json key 'bad~key'"), std::string::npos) << nested.message();
  EXPECT_NE(nested.message().find("a.b[1]"), std::string::npos) << nested.message();
  EXPECT_NE(nested.message().find("'user_metadata'"), std::string::npos) << nested.message();
  auto top = ValidateMetadataKeys(Json::parse(R"({"ok":1,"invalid--key":2})"), "user_metadata");
  ASSERT_TRUE(top.IsInvalid());
  EXPECT_NE(top.message().find("invalid json key 'invalid--key'"), std::string::npos) << top.message();
}

TEST(MetadataKeysTest, LongKeysAreShortenedAndDeepNestingRefused) {
  Json j;
  j[std::string(300, 'x') + "~"] = 1;
  auto st = ValidateMetadataKeys(j, "user_metadata");
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_LT(st.message().size(), 300u);
  Json deep = 1;
  for (int i = 0; i < 100; ++i) deep = Json{{"k", deep}};
  EXPECT_TRUE(ValidateMetadataKeys(deep, "user_metadata").IsInvalid());
}

}  // namespace
}  // namespace mosaico
