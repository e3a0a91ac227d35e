// The data behind a console plot: chosen numeric fields of one topic over a window, downsampled on the server to
// min/max per pixel column (console/downsample.h).
//
// Contract:
//  - Fields are dotted paths of numeric (integer, floating point, boolean) leaves of the topic schema outside
//    lists ("acceleration.x"); anything else is INVALID_ARGUMENT naming the field.
//  - Rows in the window are estimated from the catalog's chunk records (no I/O). Above raw_row_limit the plot is
//    built from the Parquet row-group statistics of the chunks overlapping the window (their footers, cached by
//    object key: chunks are immutable), so a whole 10 h 1 kHz topic costs a few footers, not 36 M rows; a row group
//    whose statistics lack min/max for a field contributes nothing to it. At or below the limit the rows are read
//    (only timestamp_ns and the fields' columns, only the row groups the window overlaps) and bucketed; when they
//    are no more than the pixel columns, every row is returned as it is ("points").
//  - Either way each column's min and max bound the data of its time span, so a one-sample spike always shows.
//  - Errors reading a chunk are IOError naming the object key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/console/downsample.h"
#include "mosaico/store/object_store.h"

namespace parquet {
class FileMetaData;
}

namespace mosaico::console {

class FooterCache;

struct SeriesRequest {
  std::vector<std::string> fields;
  int64_t start_ns = 0;  // [start_ns, end_ns)
  int64_t end_ns = 0;
  int width = 1000;      // pixel columns
  int64_t raw_row_limit = 1000000;
};

struct FieldSeries {
  std::string field;
  BucketSeries data;
};

struct SeriesResult {
  std::string source;  // "points" | "raw" | "stats"
  int64_t start_ns = 0, end_ns = 0, bucket_ns = 0;
  int64_t rows_estimate = 0;
  int64_t chunks = 0;      // chunks overlapping the window
  int64_t row_groups = 0;  // row groups used (stats) or decoded (raw)
  std::vector<FieldSeries> fields;
};

// The Parquet leaf index of a dotted field path in a topic schema, checked numeric; INVALID_ARGUMENT otherwise.
arrow::Status CheckNumericField(const arrow::Schema& schema, const std::string& field);

arrow::Result<SeriesResult> ReadSeries(store::ObjectStore& store, FooterCache& footers,
                                       const arrow::Schema& topic_schema,
                                       const std::vector<catalog::ChunkRecord>& chunks, const SeriesRequest& request);

// Parquet footers by object key, at most `capacity` (the oldest entry leaves first). Thread-safe.
class FooterCache {
 public:
  explicit FooterCache(size_t capacity = 4096);
  ~FooterCache();
  arrow::Result<std::shared_ptr<parquet::FileMetaData>> Get(store::ObjectStore& store, const std::string& key);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mosaico::console
