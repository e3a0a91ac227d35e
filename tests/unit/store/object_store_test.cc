#include "mosaico/store/object_store.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "mosaico/store/layout.h"

namespace mosaico::store {
namespace {

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mosaico-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = ObjectStore::Open("file://" + dir_ + "/root");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *s;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, PutGetListDelete) {
  ASSERT_TRUE(store_->PutAtomic("a/b/one.json", std::string("{\"x\":1}")).ok());
  ASSERT_TRUE(store_->PutAtomic("a/b/two.json", std::string("2")).ok());
  ASSERT_TRUE(store_->PutAtomic("a/c.json", std::string("3")).ok());
  EXPECT_EQ((*store_->Get("a/b/one.json"))->ToString(), "{\"x\":1}");
  EXPECT_EQ(*store_->Size("a/b/two.json"), 1);
  EXPECT_TRUE(*store_->Exists("a/c.json"));
  EXPECT_FALSE(*store_->Exists("a/b"));  // a "directory" is not an object
  EXPECT_EQ(*store_->List("a"), (std::vector<std::string>{"a/b/one.json", "a/b/two.json", "a/c.json"}));

  ASSERT_TRUE(store_->PutAtomic("a/c.json", std::string("replaced")).ok());
  EXPECT_EQ((*store_->Get("a/c.json"))->ToString(), "replaced");

  ASSERT_TRUE(store_->DeletePrefix("a/b").ok());
  EXPECT_EQ(*store_->List("a"), (std::vector<std::string>{"a/c.json"}));
  ASSERT_TRUE(store_->Delete("a/c.json").ok());
  ASSERT_TRUE(store_->Delete("a/c.json").ok());  // deleting twice is fine
  ASSERT_TRUE(store_->DeletePrefix("nothing/here").ok());
  EXPECT_TRUE(store_->List("nothing")->empty());
  EXPECT_TRUE(store_->Get("a/c.json").status().IsKeyError());
}

TEST_F(ObjectStoreTest, PutAtomicLeavesNoTemporaryFiles) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store_->PutAtomic("d/x.json", std::to_string(i)).ok());
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/root/d")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST_F(ObjectStoreTest, StreamedObjectsAppearWhenClosed) {
  auto out = store_->OpenWrite("big/obj.bin");
  ASSERT_TRUE(out.ok());
  std::string block(1 << 16, 'z');
  for (int i = 0; i < 16; ++i) ASSERT_TRUE((*out)->Write(block.data(), block.size()).ok());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(*store_->Size("big/obj.bin"), 16 << 16);
  auto in = store_->OpenRead("big/obj.bin");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ((*(*in)->ReadAt(0, 4))->ToString(), "zzzz");
}

TEST(StoreOpen, RejectsUnsupportedUris) {
  EXPECT_TRUE(ObjectStore::Open("gs://bucket/x").status().IsInvalid());
  EXPECT_TRUE(ObjectStore::Open("").status().IsInvalid());
}

TEST(StoreOpen, RejectsIncompleteS3SettingsBeforeAnyNetworkCall) {
  EXPECT_TRUE(ObjectStore::Open("s3://").status().IsInvalid());
  EXPECT_TRUE(ObjectStore::Open("s3:///prefix").status().IsInvalid());
  S3Settings half;
  half.endpoint = "127.0.0.1:1";
  half.access_key = "only-the-key";
  auto st = ObjectStore::Open("s3://bucket/x", half).status();
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("secret key"), std::string::npos);
}

TEST(Layout, TopicNamesCannotCollide) {
  EXPECT_EQ(layout::EncodeTopic("front/imu"), "front%2Fimu");
  EXPECT_EQ(layout::DecodeTopic("front%2Fimu"), "front/imu");
  EXPECT_NE(layout::TopicDir("s", "a/uploads"), layout::UploadDir("s", "a", "x").substr(0, layout::TopicDir("s", "a/uploads").size()));
  EXPECT_EQ(layout::ChunkObject("s", "a/b", "U1", 7), "sequences/s/topics/a%2Fb/uploads/U1/chunk-000007.parquet");
  EXPECT_EQ(layout::NotificationsDir("s", ""), "sequences/s/notifications");
  EXPECT_EQ(layout::NotificationsDir("s", "t"), "sequences/s/topics/t/notifications");
}

}  // namespace
}  // namespace mosaico::store
