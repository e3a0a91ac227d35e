// The cap on objects being written at once to an S3 store (object_store.h, kMaxConcurrentS3Writes), exercised through
// the S3 code path of ObjectStore (local = false) over a local filesystem: no S3 server needed.
#include <chrono>
#include <filesystem>
#include <future>
#include <vector>

#include <arrow/filesystem/localfs.h>
#include <gtest/gtest.h>

#include "mosaico/store/object_store.h"

namespace mosaico::store {
namespace {

using namespace std::chrono_literals;

class S3WriteSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mosaico-slots-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::make_shared<ObjectStore>(std::make_shared<arrow::fs::LocalFileSystem>(), dir_, /*local=*/false);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_F(S3WriteSlotsTest, AWriterOverTheCapWaitsForAStreamToClose) {
  std::vector<std::shared_ptr<arrow::io::OutputStream>> open;
  for (int i = 0; i < ObjectStore::kMaxConcurrentS3Writes; ++i) {
    auto out = store_->OpenWrite("o" + std::to_string(i));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_TRUE((*out)->Write("x", 1).ok());
    open.push_back(*out);
  }
  // Every slot is taken: one more write (a stream or a PutAtomic) waits ...
  auto put = std::async(std::launch::async, [&] { return store_->PutAtomic("extra", std::string("y")); });
  EXPECT_EQ(put.wait_for(150ms), std::future_status::timeout);
  // ... until a stream is closed.
  ASSERT_TRUE(open.back()->Close().ok());
  open.pop_back();
  ASSERT_EQ(put.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(put.get().ok());
  EXPECT_EQ((*store_->Get("extra"))->ToString(), "y");
  // Aborting or dropping a stream gives its slot back too.
  ASSERT_TRUE(open.back()->Abort().ok());
  open.pop_back();
  open.pop_back();  // destroyed unclosed
  auto a = store_->OpenWrite("a");
  auto b = store_->OpenWrite("b");
  ASSERT_TRUE(a.ok() && b.ok());
  for (auto& s : open) ASSERT_TRUE(s->Close().ok());
  ASSERT_TRUE((*a)->Close().ok());
  ASSERT_TRUE((*b)->Close().ok());
  EXPECT_EQ((*store_->Get("o0"))->ToString(), "x");
}

}  // namespace
}  // namespace mosaico::store
