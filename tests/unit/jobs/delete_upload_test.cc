// The "delete_upload" handler: removes one replaced upload directory, never the one the catalog serves, and
// refuses payloads that do not name an upload directory.
#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/compaction.h"
#include "mosaico/jobs/delete_upload.h"

namespace mosaico::jobs::queue_testing {
namespace {

namespace layout = store::layout;

class DeleteUploadTest : public QueueTest {
 protected:
  arrow::Status Run(const std::string& payload) {
    catalog::JobRecord job;
    job.kind = kDeleteUploadJob;
    job.payload_json = payload;
    return RunDeleteUploadJob(job, *catalog_, *store_);
  }
  static std::string Payload(const std::string& seq, const std::string& topic, const std::string& id) {
    return R"({"sequence":")" + seq + R"(","topic":")" + topic + R"(","upload_id":")" + id + R"("})";
  }
};

TEST_F(DeleteUploadTest, RemovesAReplacedUploadAndKeepsTheLiveOne) {
  auto session = OpenSession("rec", {"front/imu"});
  auto topic = *catalog_->GetTopic("rec", "front/imu");
  const std::string old_id = NewUlid(NowNs() - 1000);
  const std::string live_id = NewUlid(NowNs());
  PutCommittedUpload("rec", "front/imu", old_id);
  auto m = PutCommittedUpload("rec", "front/imu", live_id);
  ASSERT_TRUE(catalog_->CommitTopicData(topic.id, live_id, m.chunks).ok());

  ASSERT_TRUE(Run(Payload("rec", "front/imu", old_id)).ok());
  EXPECT_FALSE(Exists(layout::UploadManifest("rec", "front/imu", old_id)));
  EXPECT_FALSE(Exists(layout::ChunkObject("rec", "front/imu", old_id, 0)));
  ASSERT_TRUE(Run(Payload("rec", "front/imu", old_id)).ok());  // again: nothing left, fine

  ASSERT_TRUE(Run(Payload("rec", "front/imu", live_id)).ok());  // referenced: kept, not an error
  EXPECT_TRUE(Exists(layout::UploadManifest("rec", "front/imu", live_id)));
  EXPECT_TRUE(Exists(layout::ChunkObject("rec", "front/imu", live_id, 0)));
}

TEST_F(DeleteUploadTest, TheUploadOfATopicThatIsGoneIsGarbage) {
  const std::string id = NewUlid(NowNs());
  PutInterruptedUpload("gone", "imu", id);
  ASSERT_TRUE(Run(Payload("gone", "imu", id)).ok());
  EXPECT_FALSE(Exists(layout::ChunkObject("gone", "imu", id, 0)));
}

TEST_F(DeleteUploadTest, RefusesPayloadsThatDoNotNameAnUploadDirectory) {
  OpenSession("rec", {"imu"});
  const std::string id = NewUlid(NowNs());
  for (const std::string& bad : {std::string("{}"), std::string("not json"),
                                 Payload("rec", "imu", ".."), Payload("rec", "imu", ""),
                                 Payload("rec", "imu", "a/b"), Payload("../x", "imu", id),
                                 Payload("rec", "../imu", id)}) {
    auto st = Run(bad);
    EXPECT_TRUE(st.IsInvalid()) << bad << ": " << st.ToString();
  }
  EXPECT_TRUE(Exists(layout::TopicManifest("rec", "imu")));
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
