// Opens one Parquet chunk object of the store for reading with parquet::arrow.
//
// Contract:
//  - The returned reader decodes with the Arrow schema stored in the chunk (exact types, field metadata).
//  - Errors carry the object key as context; a chunk without an INT64 timestamp_ns column is IOError.
//  - No data pages are read here, only the footer.
//  - A local object is memory-mapped (read in place, no copy out of the page cache); S3 objects are read with
//    range requests through the store, as before.
#pragma once

#include <memory>

#include <arrow/result.h>
#include <parquet/arrow/reader.h>
#include <parquet/metadata.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

struct ChunkFile {
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::shared_ptr<parquet::FileMetaData> metadata;
  int ts_leaf = -1;  // Parquet leaf-column index of timestamp_ns
};

arrow::Result<ChunkFile> OpenChunkFile(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                       const ReadOptions& options);

}  // namespace mosaico::read
