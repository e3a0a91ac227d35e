// UploadRegistry: one open-stream slot per topic, and the abandoners of slots held without a stream (a striped
// upload waiting for stripes): AbandonIdle runs only the asked session's (or topic's), outside the mutex, and an
// abandoner that releases its slot frees the topic.
#include "mosaico/lifecycle/upload_registry.h"

#include <gtest/gtest.h>

namespace mosaico::lifecycle {
namespace {

TEST(UploadRegistryTest, OneSlotPerTopicReleasedByTheGuard) {
  UploadRegistry r;
  std::unique_ptr<UploadRegistry::Guard> g1, g2;
  ASSERT_TRUE(r.Acquire(1, 10, "s/a", &g1).ok());
  auto again = r.Acquire(1, 10, "s/a", &g2);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("s/a"), std::string::npos);
  EXPECT_TRUE(r.SessionHasOpenUploads(10));
  g1.reset();
  EXPECT_FALSE(r.SessionHasOpenUploads(10));
  EXPECT_TRUE(r.Acquire(1, 10, "s/a", &g2).ok());
}

TEST(UploadRegistryTest, AbandonIdleRunsOnlyTheAskedSessionsAbandoners) {
  UploadRegistry r;
  std::shared_ptr<UploadRegistry::Guard> a, b, c;  // held like a striped upload holds its slot
  {
    std::unique_ptr<UploadRegistry::Guard> ua, ub, uc;
    ASSERT_TRUE(r.Acquire(1, 10, "s/a", &ua).ok());
    ASSERT_TRUE(r.Acquire(2, 10, "s/b", &ub).ok());
    ASSERT_TRUE(r.Acquire(3, 20, "t/c", &uc).ok());
    a = std::move(ua);
    b = std::move(ub);
    c = std::move(uc);
  }
  int calls_a = 0, calls_b = 0, calls_c = 0;
  // a gives its slot up (releasing the guard re-enters the registry: no mutex may be held); b is streaming.
  r.SetAbandoner(1, [&] { ++calls_a; a.reset(); return true; });
  r.SetAbandoner(2, [&] { ++calls_b; return false; });
  r.SetAbandoner(3, [&] { ++calls_c; c.reset(); return true; });
  r.SetAbandoner(4, [&] { return true; });  // no slot held: ignored

  EXPECT_EQ(r.AbandonIdle(10, /*only_topic=*/2), 0);
  EXPECT_EQ(calls_a, 0);
  EXPECT_EQ(calls_b, 1);
  EXPECT_EQ(r.AbandonIdle(10), 1);
  EXPECT_EQ(calls_a, 1);
  EXPECT_EQ(calls_b, 2);
  EXPECT_EQ(calls_c, 0);
  EXPECT_EQ(r.open_uploads(), 2u);  // b and c
  EXPECT_TRUE(r.SessionHasOpenUploads(10));
  EXPECT_EQ(r.AbandonIdle(10), 0);  // a's abandoner went with its slot
  EXPECT_EQ(calls_a, 1);
  b.reset();
  EXPECT_FALSE(r.SessionHasOpenUploads(10));
  EXPECT_EQ(r.AbandonIdle(20), 1);
  EXPECT_EQ(r.open_uploads(), 0u);
}

}  // namespace
}  // namespace mosaico::lifecycle
