#include "mosaico/core/ids.h"

#include <set>

#include <gtest/gtest.h>

namespace mosaico {
namespace {

TEST(IdsTest, UlidCarriesItsCreationTimeAndSortsByIt) {
  const int64_t t1 = 1'764'000'000'123'456'789;
  const std::string a = NewUlid(t1);
  const std::string b = NewUlid(t1 + 5'000'000);
  ASSERT_EQ(a.size(), 26u);
  EXPECT_EQ(UlidTimeNs(a), t1 / 1'000'000 * 1'000'000);  // millisecond precision
  EXPECT_EQ(UlidTimeNs(b), (t1 + 5'000'000) / 1'000'000 * 1'000'000);
  EXPECT_LT(a, b);
  EXPECT_EQ(UlidTimeNs("00000000000000000000000000"), 0);
}

TEST(IdsTest, UlidTimeRejectsWhatIsNotAUlid) {
  EXPECT_FALSE(UlidTimeNs(""));
  EXPECT_FALSE(UlidTimeNs("0000000000000000000000000"));    // 25 chars
  EXPECT_FALSE(UlidTimeNs("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));   // overflows 128 bits
  EXPECT_FALSE(UlidTimeNs("0000000000000000000000000U"));   // U is not Crockford base32
  EXPECT_FALSE(UlidTimeNs("upload-0000000000000000000"));
}

TEST(IdsTest, UuidsAreV4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string u = NewUuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4');
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace mosaico
