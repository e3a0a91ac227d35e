// Helpers of the query unit tests: status macros, a temp-dir object store, batches from JSON rows, and topics
// written through ingest::ChunkWriter (sorted zstd Parquet chunks with catalog statistics, as DoPut writes them).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/query/ontology_evaluator.h"
#include "mosaico/store/object_store.h"

#define QASSERT_OK(expr)                                      \
  do {                                                        \
    ::arrow::Status _st = ::arrow::ToStatus(expr);            \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

#define QCONCAT_INNER(a, b) a##b
#define QCONCAT(a, b) QCONCAT_INNER(a, b)
#define QASSERT_OK_AND_ASSIGN_IMPL(res, lhs, rexpr)                    \
  auto res = (rexpr);                                                  \
  ASSERT_TRUE(res.ok()) << #rexpr << ": " << res.status().ToString(); \
  lhs = std::move(res).ValueUnsafe()
#define QASSERT_OK_AND_ASSIGN(lhs, rexpr) QASSERT_OK_AND_ASSIGN_IMPL(QCONCAT(_res_, __COUNTER__), lhs, rexpr)

namespace mosaico::query::testing {

class TempStore {
 public:
  TempStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-query-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) dir_ = tmpl;
    auto st = store::ObjectStore::Open(dir_);
    if (st.ok()) store_ = *st;
  }
  ~TempStore() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  const std::shared_ptr<store::ObjectStore>& store() const { return store_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::shared_ptr<store::ObjectStore> store_;
};

inline std::shared_ptr<arrow::Field> F(const std::string& name, std::shared_ptr<arrow::DataType> type,
                                       bool nullable = true) {
  return arrow::field(name, std::move(type), nullable);
}

// A record batch of `schema` from a JSON array of row objects.
inline std::shared_ptr<arrow::RecordBatch> BatchFromJson(const std::shared_ptr<arrow::Schema>& schema,
                                                         const std::string& rows) {
  auto array = arrow::json::ArrayFromJSONString(arrow::struct_(schema->fields()), rows).ValueOrDie();
  auto batch = arrow::RecordBatch::FromStructArray(array).ValueOrDie();
  return batch->ReplaceSchema(schema).ValueOrDie();  // keep nullability flags
}

// Writes `batches` as one upload of a topic and returns the topic as the evaluator sees it.
inline TopicData WriteTopic(const std::shared_ptr<store::ObjectStore>& store, const std::string& topic,
                            const std::shared_ptr<arrow::Schema>& schema,
                            const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                            ingest::ChunkWriterOptions options) {
  ingest::ChunkWriter writer(store, "seq", topic, "UP" + topic, schema, options);
  for (const auto& b : batches) EXPECT_TRUE(writer.Append(b).ok());
  auto chunks = writer.Finish();
  EXPECT_TRUE(chunks.ok()) << chunks.status().ToString();
  TopicData data;
  data.locator = "seq/" + topic;
  data.schema = schema;
  if (chunks.ok()) data.chunks = *chunks;
  return data;
}

}  // namespace mosaico::query::testing
