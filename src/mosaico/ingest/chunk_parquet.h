// The Parquet settings of a chunk object: what ChunkWriter writes with, callable on their own so that
// bench/ceiling_server writes byte-for-byte comparable files.
//
// Contract:
//  - ChunkArrowWriterProperties(): the Arrow side (the Arrow schema stored in the file metadata, non-compliant
//    nested list item names), so types and field metadata read back as written. `use_threads` lets
//    FileWriter::WriteRecordBatch (buffered row groups) encode the top-level columns in parallel on Arrow's CPU
//    thread pool; it changes nothing in the file.
//  - ChunkWriterProperties(): zstd at `zstd_level`, row groups of at most `row_group_rows` rows, column statistics
//    (except on binary, non-string leaves: blobs), and per-leaf encodings chosen for robotics data (see
//    chunk_parquet.cc). Fails only if `schema` cannot be
//    mapped to Parquet with `arrow_properties`. The overload with `column_codecs` writes those leaf columns
//    (Parquet dotted paths, as chunk_codec.h chooses them) with the codec named there instead of zstd: UNCOMPRESSED
//    (float ones then PLAIN instead of BYTE_STREAM_SPLIT) or LZ4 (Parquet's LZ4_RAW; floats stay
//    BYTE_STREAM_SPLIT), at the codec's default level.
//  - kChunkWriteBufferBytes: the BufferedOutputStream size between the Parquet writer and the store stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>
#include <arrow/util/type_fwd.h>
#include <parquet/properties.h>

namespace mosaico::ingest {

inline constexpr int64_t kChunkWriteBufferBytes = 1 << 20;

// A leaf column (Parquet dotted path) written with `codec` instead of the file-wide zstd.
struct ColumnCodec {
  std::string path;
  arrow::Compression::type codec = arrow::Compression::ZSTD;
};

std::shared_ptr<parquet::ArrowWriterProperties> ChunkArrowWriterProperties(bool use_threads = false);

arrow::Result<std::shared_ptr<parquet::WriterProperties>> ChunkWriterProperties(
    const arrow::Schema& schema, int zstd_level, int64_t row_group_rows,
    const std::shared_ptr<parquet::ArrowWriterProperties>& arrow_properties);
arrow::Result<std::shared_ptr<parquet::WriterProperties>> ChunkWriterProperties(
    const arrow::Schema& schema, int zstd_level, int64_t row_group_rows,
    const std::shared_ptr<parquet::ArrowWriterProperties>& arrow_properties,
    const std::vector<ColumnCodec>& column_codecs);

}  // namespace mosaico::ingest
