#include "mosaico/server/limits.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

namespace mosaico::server {
namespace {

TEST(StreamSlots, RefusesOverTheCapAndReleasesOnDestruction) {
  StreamSlots slots(2);
  auto a = slots.Acquire("DoPut", "s/t");
  auto b = slots.Acquire("DoGet", "s/t");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(slots.in_use(), 2);
  auto c = slots.Acquire("DoGet", "s/t");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--max-concurrent-streams"), std::string::npos);
  EXPECT_NE(c.status().message().find("limit 2"), std::string::npos);
  {
    StreamSlots::Slot copy = *a;  // copies share one slot
    a = arrow::Status::Cancelled("dropped");
    EXPECT_EQ(slots.in_use(), 2);
  }
  EXPECT_EQ(slots.in_use(), 1);
  EXPECT_TRUE(slots.Acquire("DoGet", "s/t").ok());  // acquired and released at once
  EXPECT_EQ(slots.in_use(), 1);
}

TEST(StreamSlots, ZeroMeansUnlimited) {
  StreamSlots slots(0);
  std::vector<StreamSlots::Slot> held;
  for (int i = 0; i < 1000; ++i) held.push_back(*slots.Acquire("DoGet", "x"));
  EXPECT_EQ(slots.in_use(), 1000);
}

TEST(StreamSlots, ReaderHoldsItsSlotUntilDestroyed) {
  StreamSlots slots(1);
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  auto reader = *arrow::RecordBatchReader::Make({}, schema);
  auto held = HoldSlotWhileReading(reader, *slots.Acquire("DoGet", "s/t"));
  EXPECT_FALSE(slots.Acquire("DoGet", "s/t").ok());
  held.reset();
  EXPECT_TRUE(slots.Acquire("DoGet", "s/t").ok());
}

TEST(RequestDeadline, DisabledNeverExpires) {
  RequestDeadline none(0, "--flag");
  EXPECT_FALSE(none.Expired());
}

TEST(RequestDeadline, ExpiredDeadlineNamesLimitAndFlag) {
  RequestDeadline tiny(1e-9, "--request-timeout-seconds");
  while (!tiny.Expired()) {
  }
  auto st = tiny.Exceeded("action 'query'");
  EXPECT_NE(st.message().find("action 'query'"), std::string::npos);
  EXPECT_NE(st.message().find("--request-timeout-seconds"), std::string::npos);
  RequestDeadline hour(3600, "--x");
  EXPECT_FALSE(hour.Expired());
}

TEST(FieldBytes, OverTheLimitIsInvalidArgumentNamingFieldAndLimit) {
  EXPECT_TRUE(CheckFieldBytes("user_metadata", 10, 10, "--max-metadata-bytes").ok());
  EXPECT_TRUE(CheckFieldBytes("user_metadata", 1 << 30, 0, "--max-metadata-bytes").ok());
  auto st = CheckFieldBytes("user_metadata", 11, 10, "--max-metadata-bytes");
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("user_metadata is 11 bytes"), std::string::npos);
  EXPECT_NE(st.message().find("limit of 10 bytes (--max-metadata-bytes)"), std::string::npos);
}

TEST(BatchBytes, CountsTheArrowBuffersOfOneMessage) {
  arrow::Int64Builder b;
  ASSERT_TRUE(b.AppendValues(std::vector<int64_t>(1000, 7)).ok());
  auto arr = *b.Finish();
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::int64())}), 1000, {arr});
  EXPECT_TRUE(CheckBatchBytes(*batch, 8000, "s/t").ok());
  auto st = CheckBatchBytes(*batch, 7999, "s/t");
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("--max-message-mb"), std::string::npos);
}

}  // namespace
}  // namespace mosaico::server
