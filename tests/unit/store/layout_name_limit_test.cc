// The locator limit on stored names (core/locator.h kMaxStoredNameBytes) must measure exactly what the layout
// writes: StoredTopicNameBytes(path) is the size of the topic directory name EncodeTopic(path).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mosaico/core/locator.h"
#include "mosaico/store/layout.h"

namespace mosaico::store::layout {
namespace {

TEST(LayoutNameLimit, StoredTopicNameBytesMatchesEncodeTopic) {
  const std::vector<std::string> paths = {"imu", "front/imu", "a/b/c/d",
                                          std::string(126, 'a') + "/" + std::string(126, 'b')};
  for (const auto& path : paths) {
    EXPECT_EQ(EncodeTopic(path).size(), StoredTopicNameBytes(path)) << path;
  }
}

TEST(LayoutNameLimit, LongestAcceptedNamesAreSingleDirectoryNames) {
  const std::string seq(kMaxStoredNameBytes, 's');
  const std::string topic = std::string(126, 'a') + "/" + std::string(126, 'b');
  ASSERT_TRUE(ParseSequenceName(seq).ok());
  ASSERT_TRUE(ParseTopicPath(topic).ok());
  const std::string dir = TopicDir(seq, topic);
  // sequences/<seq>/topics/<encoded topic>: no component longer than the file-system limit.
  size_t start = 0;
  while (start <= dir.size()) {
    size_t slash = dir.find('/', start);
    size_t len = (slash == std::string::npos ? dir.size() : slash) - start;
    EXPECT_LE(len, kMaxStoredNameBytes);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

}  // namespace
}  // namespace mosaico::store::layout
