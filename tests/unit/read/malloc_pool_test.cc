// ProcessMallocPool: alignment, contents across growth and shrinking, zero sizes, statistics; a topic of wide
// binary rows reads back the same through it as through Arrow's default pool.
#include "mosaico/read/malloc_pool.h"

#include <gtest/gtest.h>

#include <arrow/builder.h>
#include <arrow/table.h>

#include "mosaico/read/topic_reader.h"
#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

bool AlignedTo(const uint8_t* p, int64_t alignment) { return reinterpret_cast<uintptr_t>(p) % alignment == 0; }

void Fill(uint8_t* p, int64_t n, uint8_t seed) {
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(seed + i * 31);
}

bool Holds(const uint8_t* p, int64_t n, uint8_t seed) {
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] != static_cast<uint8_t>(seed + i * 31)) return false;
  }
  return true;
}

TEST(ProcessMallocPool, KeepsContentsAndAlignmentThroughGrowthAndShrinking) {
  arrow::MemoryPool* pool = ProcessMallocPool();
  EXPECT_EQ(pool, ProcessMallocPool());
  const int64_t before = pool->bytes_allocated();
  for (int64_t alignment : {int64_t{64}, int64_t{4096}}) {
    uint8_t* p = nullptr;
    int64_t size = 40;  // small blocks: realloc may return a 16-aligned block, which must be moved
    ASSERT_TRUE(pool->Allocate(size, alignment, &p).ok());
    ASSERT_TRUE(AlignedTo(p, alignment));
    Fill(p, size, 7);
    // Grow through small, large and huge sizes, then shrink back, as Parquet's binary builders do.
    for (int64_t next : {int64_t{100}, int64_t{5000}, int64_t{1} << 20, int64_t{3} << 20, int64_t{9} << 20,
                         int64_t{3} << 20 | 12345, int64_t{70000}, int64_t{33}}) {
      const int64_t kept = std::min(size, next);
      ASSERT_TRUE(pool->Reallocate(size, next, alignment, &p).ok()) << next;
      ASSERT_TRUE(AlignedTo(p, alignment)) << next;
      ASSERT_TRUE(Holds(p, kept, 7)) << "after resizing " << size << " -> " << next;
      Fill(p, next, 7);
      size = next;
      EXPECT_EQ(pool->bytes_allocated(), before + size);
    }
    pool->Free(p, size, alignment);
    EXPECT_EQ(pool->bytes_allocated(), before);
  }
  EXPECT_GE(pool->max_memory(), before + (int64_t{9} << 20));
  EXPECT_GE(pool->total_bytes_allocated(), int64_t{9} << 20);
  EXPECT_GT(pool->num_allocations(), 0);
  EXPECT_EQ(pool->backend_name(), "malloc-realloc");
}

TEST(ProcessMallocPool, ZeroSizesAreAnAlignedAreaNeverFreed) {
  arrow::MemoryPool* pool = ProcessMallocPool();
  const int64_t before = pool->bytes_allocated();
  uint8_t* empty = nullptr;
  ASSERT_TRUE(pool->Allocate(0, &empty).ok());
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(AlignedTo(empty, 64));
  uint8_t* p = empty;
  ASSERT_TRUE(pool->Reallocate(0, 1000, &p).ok());  // from the zero area: a fresh block
  EXPECT_NE(p, empty);
  Fill(p, 1000, 3);
  ASSERT_TRUE(pool->Reallocate(1000, 0, &p).ok());  // to zero: freed, the zero area again
  EXPECT_EQ(p, empty);
  pool->Free(empty, 0);
  EXPECT_EQ(pool->bytes_allocated(), before);
  EXPECT_TRUE(pool->Allocate(-1, &p).IsInvalid());
}

TEST(ProcessMallocPool, WideBinaryRowsReadBackTheSame) {
  testing::TempStore tmp;
  auto schema = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("data", arrow::binary())});
  arrow::Int64Builder ts;
  arrow::BinaryBuilder data;
  for (int64_t i = 0; i < 40; ++i) {
    ASSERT_TRUE(ts.Append(i).ok());
    std::string blob(static_cast<size_t>(100000 + i * 7919), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(i % 9 == 4 ? data.AppendNull().ok() : data.Append(blob).ok());
  }
  auto table = arrow::Table::Make(schema, {ts.Finish().ValueOrDie(), data.Finish().ValueOrDie()});
  auto chunk = testing::WriteChunk(*tmp.store(), table, 0, {.row_group_rows = 16});
  auto read = [&](arrow::MemoryPool* pool) {
    ReadOptions opts;
    opts.max_batch_bytes = 300000;  // a few rows per batch: every batch's value buffer grows, then shrinks to fit
    opts.pool = pool;
    auto reader = OpenTopicReader(tmp.store(), schema, {chunk}, testing::Window({}, {}), opts).ValueOrDie();
    return reader->ToTable().ValueOrDie();
  };
  auto through_malloc = read(ProcessMallocPool());
  auto through_default = read(arrow::default_memory_pool());
  EXPECT_EQ(through_malloc->num_rows(), 40);
  EXPECT_TRUE(through_malloc->Equals(*table)) << through_malloc->ToString().substr(0, 500);
  EXPECT_TRUE(through_malloc->Equals(*through_default));
}

}  // namespace
}  // namespace mosaico::read
