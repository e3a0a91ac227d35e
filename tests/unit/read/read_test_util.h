// Fixtures of the read tests: a temp-dir object store, Parquet chunks written the way ingest writes them
// (Arrow schema stored, rows sorted by timestamp_ns, small row groups, statistics), hand-built ChunkRecords,
// and a brute-force reference (stable sort of every row in upload order).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <arrow/api.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read::testing {

#define ASSERT_OK(expr)                                 \
  do {                                                  \
    auto _st = (expr);                                  \
    ASSERT_TRUE(_st.ok()) << _st.ToString();            \
  } while (0)

class TempStore {
 public:
  TempStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-read-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
    auto st = store::ObjectStore::Open(dir_);
    if (st.ok()) store_ = *st;
  }
  ~TempStore() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  const std::shared_ptr<store::ObjectStore>& store() const { return store_; }

 private:
  std::string dir_;
  std::shared_ptr<store::ObjectStore> store_;
};

// Schema of the simple tests: the sort key and a row id that identifies (chunk, row).
inline std::shared_ptr<arrow::Schema> SimpleSchema() {
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), /*nullable=*/false),
                        arrow::field("id", arrow::int64(), /*nullable=*/false)});
}

inline std::shared_ptr<arrow::Array> Int64Array(const std::vector<int64_t>& v) {
  arrow::Int64Builder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}

struct WriteOptions {
  int64_t row_group_rows = 16;
  bool statistics = true;
  // Further writer settings (codecs, encodings per column), applied last.
  std::function<void(parquet::WriterProperties::Builder&)> tune;
};

// Writes `table` (REQUIRES: sorted by timestamp_ns) as chunk `index` and returns its catalog record.
inline catalog::ChunkRecord WriteChunk(store::ObjectStore& store, const std::shared_ptr<arrow::Table>& table,
                                       int32_t index, WriteOptions opts = {}) {
  catalog::ChunkRecord rec;
  rec.index = index;
  rec.object_key = "topic/chunk-" + std::to_string(index) + ".parquet";
  rec.row_count = table->num_rows();
  auto out = store.OpenWrite(rec.object_key).ValueOrDie();
  parquet::WriterProperties::Builder props;
  if (!opts.statistics) props.disable_statistics();
  if (opts.tune) opts.tune(props);
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  auto st = parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, opts.row_group_rows,
                                       props.build(), arrow_props);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(out->Close().ok());
  rec.size_bytes = store.Size(rec.object_key).ValueOr(0);
  auto ts = std::static_pointer_cast<arrow::Int64Array>(
      table->GetColumnByName("timestamp_ns")->num_chunks() > 0
          ? arrow::Concatenate(table->GetColumnByName("timestamp_ns")->chunks()).ValueOrDie()
          : Int64Array({}));
  if (ts->length() > 0) {
    rec.ts_min = ts->Value(0);
    rec.ts_max = ts->Value(ts->length() - 1);
  }
  return rec;
}

// A simple chunk: ids are index * 1'000'000 + row.
inline catalog::ChunkRecord WriteSimpleChunk(store::ObjectStore& store, std::vector<int64_t> ts, int32_t index,
                                             WriteOptions opts = {}) {
  std::sort(ts.begin(), ts.end());
  std::vector<int64_t> ids(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) ids[i] = int64_t{index} * 1000000 + static_cast<int64_t>(i);
  auto table = arrow::Table::Make(SimpleSchema(), {Int64Array(ts), Int64Array(ids)});
  return WriteChunk(store, table, index, opts);
}

using Row = std::pair<int64_t, int64_t>;  // (timestamp_ns, id)

// Brute force: every row of every chunk, chunks in upload order, stable-sorted by timestamp, in the window.
inline std::vector<Row> Reference(const std::vector<std::vector<int64_t>>& chunk_ts, const TimeWindow& w) {
  std::vector<Row> rows;
  for (size_t c = 0; c < chunk_ts.size(); ++c) {
    auto ts = chunk_ts[c];
    std::sort(ts.begin(), ts.end());
    for (size_t i = 0; i < ts.size(); ++i) rows.emplace_back(ts[i], static_cast<int64_t>(c) * 1000000 + i);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.first < b.first; });
  std::vector<Row> out;
  for (const auto& r : rows) {
    if (w.Contains(r.first)) out.push_back(r);
  }
  return out;
}

// Drains `reader`, checking the batch invariants every test relies on.
inline arrow::Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> Drain(arrow::RecordBatchReader& reader,
                                                                             int64_t max_rows) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> b;
    ARROW_RETURN_NOT_OK(reader.ReadNext(&b));
    if (!b) break;
    EXPECT_GT(b->num_rows(), 0) << "zero-row batch emitted";
    EXPECT_LE(b->num_rows(), max_rows);
    EXPECT_EQ(b->schema(), reader.schema()) << "batch does not carry the topic schema object";
    ARROW_RETURN_NOT_OK(b->ValidateFull());
    batches.push_back(std::move(b));
  }
  // End of stream is sticky.
  std::shared_ptr<arrow::RecordBatch> again;
  ARROW_RETURN_NOT_OK(reader.ReadNext(&again));
  EXPECT_EQ(again, nullptr);
  return batches;
}

inline std::vector<Row> Rows(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  std::vector<Row> rows;
  for (const auto& b : batches) {
    auto ts = std::static_pointer_cast<arrow::Int64Array>(b->GetColumnByName("timestamp_ns"));
    auto id = std::static_pointer_cast<arrow::Int64Array>(b->GetColumnByName("id"));
    for (int64_t i = 0; i < b->num_rows(); ++i) rows.emplace_back(ts->Value(i), id->Value(i));
  }
  return rows;
}

inline TimeWindow Window(std::optional<int64_t> start, std::optional<int64_t> end) {
  TimeWindow w;
  w.start_ns = start;
  w.end_ns = end;
  return w;
}

}  // namespace mosaico::read::testing
