// ReadaheadReader: same batches in the same order, errors in order, bounded queue, stop on Close / destruction,
// and the topic reader with readahead equal to the one without.
#include "mosaico/read/readahead_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "mosaico/read/topic_reader.h"
#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Window;

// Yields `n` one-row batches (value = position), then `error` if set, else the end; counts what was read.
class CountingReader : public arrow::RecordBatchReader {
 public:
  CountingReader(int n, arrow::Status error = arrow::Status::OK()) : n_(n), error_(std::move(error)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    out->reset();
    if (read_ == n_) {
      if (!error_.ok()) return error_;
      return arrow::Status::OK();
    }
    const int64_t v = read_++;
    *out = arrow::RecordBatch::Make(schema(), 1, {testing::Int64Array({v}), testing::Int64Array({v})});
    return arrow::Status::OK();
  }
  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  int read() const { return read_.load(); }
  bool closed() const { return closed_.load(); }

 private:
  const int n_;
  arrow::Status error_;
  std::shared_ptr<arrow::Schema> schema_ = testing::SimpleSchema();
  std::atomic<int> read_{0};
  std::atomic<bool> closed_{false};
};

void WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 2000 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(ReadaheadReaderTest, SameBatchesInOrderThenStickyEnd) {
  auto inner = std::make_shared<CountingReader>(50);
  auto reader = ReadaheadReader::Make(inner, 3);
  EXPECT_EQ(reader->schema()->ToString(), inner->schema()->ToString());
  auto batches = testing::Drain(*reader, 1).ValueOrDie();
  ASSERT_EQ(batches.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(batches[i]->column(0))->Value(0), i);
  }
  EXPECT_NE(reader->idle_inner(), nullptr);  // the thread is done with it
}

TEST(ReadaheadReaderTest, ErrorComesAfterTheBatchesBeforeIt) {
  auto reader = ReadaheadReader::Make(std::make_shared<CountingReader>(4, arrow::Status::IOError("boom")), 2);
  std::shared_ptr<arrow::RecordBatch> b;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(reader->ReadNext(&b).ok());
    ASSERT_NE(b, nullptr);
  }
  auto st = reader->ReadNext(&b);
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_EQ(b, nullptr);
  ASSERT_TRUE(reader->ReadNext(&b).ok());  // ended
  EXPECT_EQ(b, nullptr);
}

TEST(ReadaheadReaderTest, ReadsAtMostDepthAhead) {
  auto inner = std::make_shared<CountingReader>(1000);
  auto reader = ReadaheadReader::Make(inner, 2);
  WaitFor([&] { return inner->read() >= 2; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(inner->read(), 2);  // the queue is full: nothing more is read
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_TRUE(reader->ReadNext(&b).ok());
  WaitFor([&] { return inner->read() >= 3; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(inner->read(), 3);
  EXPECT_EQ(reader->idle_inner(), nullptr);  // still reading
}

TEST(ReadaheadReaderTest, CloseStopsTheThreadAndClosesTheInnerReader) {
  auto inner = std::make_shared<CountingReader>(1000000);
  auto reader = ReadaheadReader::Make(inner, 2);
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_TRUE(reader->ReadNext(&b).ok());
  ASSERT_TRUE(reader->Close().ok());
  EXPECT_TRUE(inner->closed());
  const int read = inner->read();
  EXPECT_LE(read, 3);
  EXPECT_NE(reader->idle_inner(), nullptr);
  ASSERT_TRUE(reader->ReadNext(&b).ok());
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(inner->read(), read);
}

TEST(ReadaheadReaderTest, DestroyingAnUnfinishedReaderStopsIt) {
  auto inner = std::make_shared<CountingReader>(1000000);
  {
    auto reader = ReadaheadReader::Make(inner, 2);
    std::shared_ptr<arrow::RecordBatch> b;
    ASSERT_TRUE(reader->ReadNext(&b).ok());
  }
  const int read = inner->read();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(inner->read(), read);
  EXPECT_LE(read, 3);
}

TEST(ReadaheadReaderTest, TopicReaderWithReadaheadMatchesWithout) {
  testing::TempStore tmp;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> ts(0, 3000);
  std::vector<catalog::ChunkRecord> records;
  for (int c = 0; c < 5; ++c) {
    std::vector<int64_t> v(200 + c * 31);
    for (auto& t : v) t = c < 3 ? ts(rng) : 4000 + c * 1000 + ts(rng) / 10;  // 3 interleaved, 2 apart
    records.push_back(testing::WriteSimpleChunk(*tmp.store(), v, c, {.row_group_rows = 40}));
  }
  for (const auto& window : {Window({}, {}), Window(100, 2500), Window(5000, {})}) {
    ReadOptions plain{.max_batch_rows = 64};
    ReadOptions ahead = plain;
    ahead.readahead_batches = 2;
    auto a = OpenTopicReader(tmp.store(), testing::SimpleSchema(), records, window, plain).ValueOrDie();
    auto b = OpenTopicReader(tmp.store(), testing::SimpleSchema(), records, window, ahead).ValueOrDie();
    auto rows_a = testing::Rows(testing::Drain(*a, 64).ValueOrDie());
    auto rows_b = testing::Rows(testing::Drain(*b, 64).ValueOrDie());
    EXPECT_EQ(rows_a, rows_b);
    auto stats_a = GetReadStats(*a), stats_b = GetReadStats(*b);
    ASSERT_TRUE(stats_a && stats_b);
    EXPECT_EQ(stats_a->rows_emitted, stats_b->rows_emitted);
    EXPECT_EQ(stats_a->chunks_opened, stats_b->chunks_opened);
  }
}

}  // namespace
}  // namespace mosaico::read
