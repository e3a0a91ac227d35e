// ChunkWriter with an ingest memory budget (chunk_writer.h, memory_budget.h): writers that share a budget smaller
// than what they buffer all finish (partly built chunks are flushed early instead of deadlocking), an idle writer
// gives its memory to a waiting one, a cancelled wait buffers nothing, a batch larger than the budget gets through;
// writers sharing one EncodeExecutor thread all finish, and the executor runs its queue before it stops.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <arrow/api.h>
#include <arrow/util/byte_size.h>
#include <gtest/gtest.h>

#include "ingest/test_util.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/ingest/memory_budget.h"

namespace mosaico::ingest {
namespace {

using namespace std::chrono_literals;
using testing::Contains;
using testing::ReadParquet;
using testing::RobotBatch;
using testing::RobotSchema;
using testing::TempDir;

std::vector<int64_t> Range(int64_t from, int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(from + i);
  return out;
}

int64_t Bytes(const std::shared_ptr<arrow::RecordBatch>& b) { return arrow::util::TotalBufferSize(*b); }

class ChunkWriterBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::ObjectStore::Open(dir_.path()).ValueOrDie(); }

  ChunkWriterOptions Options(std::shared_ptr<MemoryBudget> budget) {
    ChunkWriterOptions o;
    o.target_chunk_bytes = int64_t{1} << 30;  // never full: only the budget makes chunks before Finish
    o.memory_budget = std::move(budget);
    o.memory_wait.poll_interval = 5ms;
    o.memory_wait.max_wait = 20s;  // a deadlock fails the test instead of hanging it
    return o;
  }
  std::unique_ptr<ChunkWriter> Writer(const std::string& upload, ChunkWriterOptions options) {
    return std::make_unique<ChunkWriter>(store_, "seq", "topic_" + upload, upload, RobotSchema(), options);
  }
  // Every row of every chunk, checking that each chunk is sorted.
  int64_t RowsIn(const std::vector<catalog::ChunkRecord>& chunks) {
    int64_t rows = 0;
    for (const auto& c : chunks) {
      auto table = ReadParquet(*store_, c.object_key).ValueOrDie();
      EXPECT_EQ(table->num_rows(), c.row_count);
      int64_t prev = INT64_MIN;
      for (const auto& piece : table->column(0)->chunks()) {
        const auto& ts = static_cast<const arrow::Int64Array&>(*piece);
        for (int64_t i = 0; i < ts.length(); ++i) {
          EXPECT_GE(ts.Value(i), prev) << c.object_key;
          prev = ts.Value(i);
        }
      }
      rows += table->num_rows();
    }
    return rows;
  }

  TempDir dir_;
  std::shared_ptr<store::ObjectStore> store_;
};

TEST_F(ChunkWriterBudgetTest, WritersSharingABudgetSmallerThanTheirBuffersAllFinish) {
  constexpr int kWriters = 8;
  constexpr int kBatches = 20;
  constexpr int64_t kRows = 40;
  const int64_t batch_bytes = Bytes(RobotBatch(Range(0, kRows)));
  // Room for three batches while eight writers each want to buffer twenty: without early flushes every writer
  // would wait for memory that only a (never reached) full chunk frees.
  auto budget = std::make_shared<MemoryBudget>(3 * batch_bytes + batch_bytes / 2);
  std::vector<std::future<arrow::Result<std::vector<catalog::ChunkRecord>>>> results;
  std::vector<std::unique_ptr<ChunkWriter>> writers;
  for (int w = 0; w < kWriters; ++w) writers.push_back(Writer("U" + std::to_string(w), Options(budget)));
  for (int w = 0; w < kWriters; ++w) {
    results.push_back(std::async(std::launch::async, [&, w]() -> arrow::Result<std::vector<catalog::ChunkRecord>> {
      for (int b = 0; b < kBatches; ++b) {
        // Each batch out of order relative to the previous one: chunks must still come out sorted.
        ARROW_RETURN_NOT_OK(writers[w]->Append(RobotBatch(Range((kBatches - b) * 1000, kRows), b * kRows)));
      }
      return writers[w]->Finish();
    }));
  }
  int64_t early = 0;
  for (int w = 0; w < kWriters; ++w) {
    auto chunks = results[w].get();
    ASSERT_TRUE(chunks.ok()) << "writer " << w << ": " << chunks.status().ToString();
    EXPECT_EQ(RowsIn(*chunks), kBatches * kRows) << "writer " << w;
    early += writers[w]->early_flushes();
  }
  const auto stats = budget->stats();
  EXPECT_GT(early, 0) << "the budget never bound";
  EXPECT_GT(stats.waits, 0);
  EXPECT_LE(stats.peak_in_use, stats.capacity);
  EXPECT_EQ(stats.in_use, 0) << "every chunk's memory came back";
  EXPECT_EQ(stats.oversize_grants, 0);
}

TEST_F(ChunkWriterBudgetTest, AnIdleWritersPartialChunkIsFlushedForAWaitingOne) {
  const auto b1 = RobotBatch(Range(100, 30), 0);
  const auto b2 = RobotBatch(Range(50, 30), 30);
  const int64_t batch_bytes = Bytes(b1);
  auto budget = std::make_shared<MemoryBudget>(2 * batch_bytes + batch_bytes / 2);
  auto idle = Writer("IDLE", Options(budget));
  ASSERT_OK(idle->Append(b1));
  ASSERT_OK(idle->Append(b2));
  EXPECT_EQ(idle->chunks_started(), 0);
  // The idle writer's owner makes no call now (a stream blocked reading its next message) ...
  auto busy = Writer("BUSY", Options(budget));
  auto appended = std::async(std::launch::async, [&] { return busy->Append(RobotBatch(Range(0, 30))); });
  ASSERT_EQ(appended.wait_for(10s), std::future_status::ready) << "the waiting writer never got memory";
  ASSERT_OK(appended.get());
  // ... yet its two buffered batches were flushed as one (early) chunk.
  EXPECT_EQ(idle->early_flushes(), 1);
  EXPECT_EQ(idle->chunks_started(), 1);
  EXPECT_EQ(idle->buffered_rows(), 0);
  ASSERT_OK(idle->Append(RobotBatch(Range(10, 5), 60)));
  ASSERT_OK_AND_ASSIGN(auto idle_chunks, idle->Finish());
  ASSERT_EQ(idle_chunks.size(), 2u);
  EXPECT_EQ(idle_chunks[0].row_count, 60);
  EXPECT_EQ(idle_chunks[0].ts_min, 50);
  EXPECT_EQ(idle_chunks[1].row_count, 5);
  EXPECT_EQ(RowsIn(idle_chunks), 65);
  ASSERT_OK_AND_ASSIGN(auto busy_chunks, busy->Finish());
  EXPECT_EQ(RowsIn(busy_chunks), 30);
  EXPECT_EQ(budget->stats().in_use, 0);
}

TEST_F(ChunkWriterBudgetTest, ACancelledWaitBuffersNothingAndTheUploadCanBeAborted) {
  const auto batch = RobotBatch(Range(0, 20));
  auto budget = std::make_shared<MemoryBudget>(Bytes(batch));
  auto outside = *budget->TryReserve(Bytes(batch));  // held by nobody who could flush it
  std::atomic<bool> cancelled{false};
  auto options = Options(budget);
  options.memory_wait.cancelled = [&] { return cancelled.load(); };
  options.memory_wait.what = "upload to 'seq/topic_CANCEL'";
  auto w = Writer("CANCEL", options);
  auto appended = std::async(std::launch::async, [&] { return w->Append(batch); });
  EXPECT_EQ(appended.wait_for(100ms), std::future_status::timeout) << "no memory: must wait";
  cancelled = true;
  ASSERT_EQ(appended.wait_for(5s), std::future_status::ready);
  auto st = appended.get();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "cancelled")) << st.ToString();
  EXPECT_EQ(w->buffered_rows(), 0);
  ASSERT_OK(w->Abort());
  EXPECT_EQ(budget->stats().in_use, Bytes(batch)) << "only the outside reservation remains";
  EXPECT_TRUE(store_->List(store::layout::UploadDir("seq", "topic_CANCEL", "CANCEL")).ValueOrDie().empty());
}

TEST_F(ChunkWriterBudgetTest, ABatchLargerThanTheWholeBudgetIsAdmittedAlone) {
  const auto big = RobotBatch(Range(0, 200));
  auto budget = std::make_shared<MemoryBudget>(Bytes(big) / 4);
  auto w = Writer("BIG", Options(budget));
  ASSERT_OK(w->Append(big));
  EXPECT_EQ(budget->stats().oversize_grants, 1);
  ASSERT_OK(w->Append(RobotBatch(Range(500, 10), 200)));  // waits for the big one: flushed early, then drained
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  EXPECT_EQ(RowsIn(chunks), 210);
  EXPECT_GE(chunks.size(), 2u);
  EXPECT_EQ(budget->stats().in_use, 0);
}

TEST_F(ChunkWriterBudgetTest, ChunksStillRollAtTheTargetSizeWhenTheBudgetIsAmple) {
  const auto batch = RobotBatch(Range(0, 20));
  auto budget = std::make_shared<MemoryBudget>(100 * Bytes(batch));
  auto options = Options(budget);
  options.target_chunk_bytes = 3 * Bytes(batch);
  auto w = Writer("AMPLE", options);
  for (int i = 0; i < 9; ++i) ASSERT_OK(w->Append(RobotBatch(Range(i * 100, 20), i * 20)));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  EXPECT_EQ(chunks.size(), 3u);
  EXPECT_EQ(w->early_flushes(), 0);
  EXPECT_EQ(budget->stats().waits, 0);
  EXPECT_EQ(budget->stats().in_use, 0);
}

TEST_F(ChunkWriterBudgetTest, WritersSharingOneEncodeThreadAllFinish) {
  auto encoder = std::make_shared<EncodeExecutor>(1);
  auto budget = std::make_shared<MemoryBudget>(4 * Bytes(RobotBatch(Range(0, 20))));
  std::vector<std::unique_ptr<ChunkWriter>> writers;
  for (int w = 0; w < 6; ++w) {
    auto options = Options(budget);
    options.encoder = encoder;
    options.target_chunk_bytes = 2 * Bytes(RobotBatch(Range(0, 20)));  // a chunk every two batches
    writers.push_back(Writer("E" + std::to_string(w), options));
  }
  std::vector<std::future<arrow::Result<std::vector<catalog::ChunkRecord>>>> results;
  for (int w = 0; w < 6; ++w) {
    results.push_back(std::async(std::launch::async, [&, w]() -> arrow::Result<std::vector<catalog::ChunkRecord>> {
      for (int b = 0; b < 9; ++b) ARROW_RETURN_NOT_OK(writers[w]->Append(RobotBatch(Range(b * 100, 20), b * 20)));
      return writers[w]->Finish();
    }));
  }
  for (int w = 0; w < 6; ++w) {
    auto chunks = results[w].get();
    ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
    EXPECT_EQ(RowsIn(*chunks), 180);
    for (size_t i = 0; i < chunks->size(); ++i) EXPECT_EQ((*chunks)[i].index, static_cast<int32_t>(i));
  }
  EXPECT_EQ(budget->stats().in_use, 0);
}

TEST(EncodeExecutorTest, RunsWhatIsQueuedBeforeItStops) {
  std::vector<std::future<arrow::Result<catalog::ChunkRecord>>> done;
  {
    EncodeExecutor executor(2);
    EXPECT_EQ(executor.threads(), 2);
    for (int i = 0; i < 20; ++i) {
      done.push_back(executor.Submit(EncodeExecutor::Task([i]() -> arrow::Result<catalog::ChunkRecord> {
        std::this_thread::sleep_for(1ms);
        catalog::ChunkRecord r;
        r.index = i;
        return r;
      })));
    }
  }  // the destructor runs the queue empty, then joins
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(done[i].wait_for(0s), std::future_status::ready);
    EXPECT_EQ(done[i].get()->index, i);
  }
}

}  // namespace
}  // namespace mosaico::ingest
