// Length limits of locators: the whole locator, and each name as the store writes it (kMaxStoredNameBytes).
#include <string>

#include <gtest/gtest.h>

#include "mosaico/core/locator.h"

namespace mosaico {
namespace {

bool Mentions(const arrow::Status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

TEST(LocatorLimits, SequenceNameUpTo255BytesIsAccepted) {
  const std::string name(kMaxStoredNameBytes, 's');
  ASSERT_TRUE(ParseSequenceName(name).ok());
  auto topic = ParseTopicLocator(name + "/imu");
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  EXPECT_EQ(topic->sequence, name);
}

TEST(LocatorLimits, SequenceNameOf256BytesIsInvalidArgumentNamingTheLimit) {
  const std::string name(kMaxStoredNameBytes + 1, 's');
  for (auto st : {ParseSequenceName(name, "locator").status(), ParseTopicLocator(name + "/imu").status(),
                  ParseResourceLocator(name).status(), ParseSessionLocator(name + ":ABC").status()}) {
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.IsInvalid()) << st.ToString();
    EXPECT_TRUE(Mentions(st, "255 bytes")) << st.ToString();
    EXPECT_TRUE(Mentions(st, "sss")) << "names the locator: " << st.ToString();
  }
}

TEST(LocatorLimits, TopicPathCountsEachSlashAsThreeBytes) {
  EXPECT_EQ(StoredTopicNameBytes("imu"), 3u);
  EXPECT_EQ(StoredTopicNameBytes("front/imu"), 11u);  // "front%2Fimu"
  // 253 bytes of text with one '/': 255 bytes stored -> accepted; one more byte -> refused.
  const std::string fits = std::string(126, 'a') + "/" + std::string(126, 'b');
  ASSERT_EQ(StoredTopicNameBytes(fits), kMaxStoredNameBytes);
  EXPECT_TRUE(ParseTopicPath(fits).ok());
  EXPECT_TRUE(ParseTopicLocator("seq/" + fits).ok());
  const std::string over = fits + "c";
  auto st = ParseTopicLocator("seq/" + over, "locator").status();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_TRUE(Mentions(st, "256 bytes in the store")) << st.ToString();
  EXPECT_TRUE(Mentions(st, "locator")) << st.ToString();
}

TEST(LocatorLimits, SingleLongTopicSegmentIsRefused) {
  auto st = ParseTopicLocator("seq/" + std::string(300, 't')).status();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsInvalid());
}

TEST(LocatorLimits, WholeLocatorLengthStillApplies) {
  // Many short segments: every name fits, the whole locator does not.
  std::string topic;
  while (topic.size() <= kMaxLocatorLength) topic += "ab/";
  auto st = ParseTopicLocator("seq/" + topic).status();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_TRUE(Mentions(st, "512")) << st.ToString();
}

}  // namespace
}  // namespace mosaico
