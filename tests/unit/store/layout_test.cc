#include "mosaico/store/layout.h"

#include <gtest/gtest.h>

namespace mosaico::store::layout {
namespace {

using Kind = ObjectRef::Kind;

TEST(LayoutTest, ParseKeyInvertsEveryKeyFunction) {
  const std::string seq = "run_1";
  const std::string topic = "front/imu";
  auto ref = ParseKey(SequenceManifest(seq));
  EXPECT_EQ(ref.kind, Kind::kSequenceManifest);
  EXPECT_EQ(ref.sequence, seq);

  ref = ParseKey(SessionManifest(seq, "01HSESSION"));
  EXPECT_EQ(ref.kind, Kind::kSessionManifest);
  EXPECT_EQ(ref.session_key, "01HSESSION");
  EXPECT_EQ(ParseKey(SessionFinalizedMarker(seq, "01HSESSION")).kind, Kind::kSessionFinalized);

  ref = ParseKey(TopicManifest(seq, topic));
  EXPECT_EQ(ref.kind, Kind::kTopicManifest);
  EXPECT_EQ(ref.topic, topic);
  EXPECT_EQ(ParseKey(TopicSchema(seq, topic)).kind, Kind::kTopicSchema);

  ref = ParseKey(UploadManifest(seq, topic, "01HUPLOAD"));
  EXPECT_EQ(ref.kind, Kind::kUploadManifest);
  EXPECT_EQ(ref.upload_id, "01HUPLOAD");
  EXPECT_EQ(ref.topic, topic);

  ref = ParseKey(ChunkObject(seq, topic, "01HUPLOAD", 42));
  EXPECT_EQ(ref.kind, Kind::kChunk);
  EXPECT_EQ(ref.chunk_index, 42);
  EXPECT_EQ(ref.upload_id, "01HUPLOAD");

  ref = ParseKey(NotificationObject(seq, "", 1234, "abc"));
  EXPECT_EQ(ref.kind, Kind::kNotification);
  EXPECT_TRUE(ref.topic.empty());
  ref = ParseKey(NotificationObject(seq, topic, 1234, "abc"));
  EXPECT_EQ(ref.kind, Kind::kNotification);
  EXPECT_EQ(ref.topic, topic);
}

TEST(LayoutTest, ParseKeyRejectsShapesTheLayoutNeverWrites) {
  for (const std::string key :
       {"sequences", "sequences/run_1", "other/run_1/sequence.json", "sequences/run_1/extra.json",
        "sequences/run_1/sessions/K/.tmp-123", "sequences/run_1/topics/imu/uploads/U/chunk-12.parquet",
        "sequences/run_1/topics/imu/uploads/U/chunk-00001x.parquet", "sequences/run_1/notifications/12-a.json",
        "sequences/run_1/topics/imu/uploads/U/deeper/upload.json", "sequences//sequence.json"}) {
    const auto ref = ParseKey(key);
    EXPECT_EQ(ref.kind, Kind::kUnknown) << key;
    EXPECT_EQ(ref.chunk_index, -1) << key;
  }
  // Inside a sequence directory, the sequence is still reported (check/repair name it).
  EXPECT_EQ(ParseKey("sequences/run_1/sessions/K/.tmp-123").sequence, "run_1");
}

}  // namespace
}  // namespace mosaico::store::layout
