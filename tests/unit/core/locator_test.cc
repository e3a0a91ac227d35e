#include "mosaico/core/locator.h"

#include <gtest/gtest.h>

namespace mosaico {
namespace {

TEST(SequenceName, AcceptsPlainNamesAndStripsSlashes) {
  EXPECT_EQ(*ParseSequenceName("run_2023_01"), "run_2023_01");
  EXPECT_EQ(*ParseSequenceName("/run-1"), "run-1");
  EXPECT_EQ(*ParseSequenceName("v1.2"), "v1.2");
}

TEST(SequenceName, RejectsBadNames) {
  for (const char* bad : {"", "/", "a/b", "..", ".", "_x", "a b", "a:b", "a\x01" "b", "é"}) {
    auto r = ParseSequenceName(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalid()) << bad;
  }
  EXPECT_FALSE(ParseSequenceName(std::string(600, 'a')).ok());
}

TEST(SequenceName, ErrorNamesFieldAndLocator) {
  auto r = ParseSequenceName("bad name", "locator");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("locator"), std::string::npos);
  EXPECT_NE(r.status().message().find("'bad name'"), std::string::npos);
}

TEST(TopicLocator, NormalizesSlashes) {
  for (const char* text : {"seq/front/imu", "/seq/front/imu", "seq/front/imu/", "/seq/front/imu/"}) {
    auto r = ParseTopicLocator(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(r->sequence, "seq");
    EXPECT_EQ(r->topic, "front/imu");
    EXPECT_EQ(r->ToString(), "seq/front/imu");
    EXPECT_EQ(r->DisplayName(), "/front/imu");
  }
}

TEST(TopicLocator, RejectsBadPaths) {
  for (const char* bad : {"seq", "seq//imu", "seq/front//imu", "seq/../imu", "seq/./imu", "seq/front/..",
                          "seq/a\nb", "seq/a b", "/", "seq/"}) {
    EXPECT_FALSE(ParseTopicLocator(bad).ok()) << bad;
  }
}

TEST(SessionLocator, ParsesSequenceAndId) {
  auto r = ParseSessionLocator("run_1:01KQ9XQ0HJ3V39F87CBP6PYA1T");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sequence, "run_1");
  EXPECT_EQ(r->id, "01KQ9XQ0HJ3V39F87CBP6PYA1T");
  EXPECT_FALSE(ParseSessionLocator("run_1").ok());
  EXPECT_FALSE(ParseSessionLocator("run_1:").ok());
  EXPECT_FALSE(ParseSessionLocator("run_1:ab-c").ok());
  EXPECT_FALSE(ParseSessionLocator(":abc").ok());
}

TEST(ResourceLocator, DistinguishesSequenceAndTopic) {
  auto seq = ParseResourceLocator("run_1");
  ASSERT_TRUE(seq.ok());
  EXPECT_FALSE(seq->is_topic());
  auto topic = ParseResourceLocator("run_1/cam/front");
  ASSERT_TRUE(topic.ok());
  EXPECT_TRUE(topic->is_topic());
  EXPECT_EQ(topic->topic, "cam/front");
}

}  // namespace
}  // namespace mosaico
