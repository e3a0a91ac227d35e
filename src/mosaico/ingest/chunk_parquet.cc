#include "mosaico/ingest/chunk_parquet.h"

#include <algorithm>
#include <string>

#include <arrow/type.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/schema.h>
#include <parquet/schema.h>

#include "mosaico/ingest/schema_check.h"

namespace mosaico::ingest {

std::shared_ptr<parquet::ArrowWriterProperties> ChunkArrowWriterProperties(bool use_threads) {
  parquet::ArrowWriterProperties::Builder builder;
  builder.set_use_threads(use_threads);
  // store_schema: the Arrow schema (types, field metadata) travels in the file metadata and is restored on read.
  // Non-compliant nested types keep Arrow's list item name ("item") so list types read back unchanged.
  builder.store_schema()->disable_compliant_nested_types();
  return builder.build();
}

// Encodings chosen per leaf column for robotics sensor data:
//  - timestamp_ns (monotonic int64): DELTA_BINARY_PACKED, no dictionary, LZ4 (LZ4_RAW in the footer) rather than
//    zstd. Delta packing leaves nothing zstd finds: on 786k jittered timestamps (20 us jitter at 1 kHz, +/-1 ms at
//    30 Hz, a host clock) zstd level 1 and no compression give the same bytes to within 0.1 %, yet zstd decode cost
//    1.3x the CPU of the column (Arrow creates a fresh zstd context per page: ~3.4 % of an IMU read's CPU in perf).
//    LZ4 keeps what compression there is on perfectly regular clocks (28 kB -> 7 kB, like zstd) at no decode cost.
//  - float/double (measurements, nearly all distinct): BYTE_STREAM_SPLIT, no dictionary. Dictionary encoding
//    would hash every value only to fall back to PLAIN; byte-stream-split lets zstd find the repeated exponent bytes.
//    A float column written uncompressed (chunk_codec.h: zstd saved too little) is PLAIN instead: the split only
//    helps a compressor, and undoing it costs the reader a pass over every value. One written with LZ4 stays
//    split: LZ4 finds the split's runs of equal exponent and zero mantissa bytes, not PLAIN's interleaved ones.
//  - binary blobs (images, point clouds): PLAIN, no dictionary.
//  - everything else (ints, strings): Parquet's default dictionary-then-fallback.
arrow::Result<std::shared_ptr<parquet::WriterProperties>> ChunkWriterProperties(
    const arrow::Schema& schema, int zstd_level, int64_t row_group_rows,
    const std::shared_ptr<parquet::ArrowWriterProperties>& arrow_properties) {
  return ChunkWriterProperties(schema, zstd_level, row_group_rows, arrow_properties, {});
}

arrow::Result<std::shared_ptr<parquet::WriterProperties>> ChunkWriterProperties(
    const arrow::Schema& schema, int zstd_level, int64_t row_group_rows,
    const std::shared_ptr<parquet::ArrowWriterProperties>& arrow_properties,
    const std::vector<ColumnCodec>& column_codecs) {
  parquet::WriterProperties::Builder builder;
  builder.compression(arrow::Compression::ZSTD)
      ->compression_level(zstd_level)
      ->max_row_group_length(row_group_rows)
      ->enable_statistics();
  std::shared_ptr<parquet::SchemaDescriptor> descriptor;
  ARROW_RETURN_NOT_OK(
      parquet::arrow::ToParquetSchema(&schema, *builder.build(), *arrow_properties, &descriptor));
  for (int i = 0; i < descriptor->num_columns(); ++i) {
    const parquet::ColumnDescriptor* column = descriptor->Column(i);
    const std::string path = column->path()->ToDotString();
    if (path == kTimestampField) {
      builder.disable_dictionary(path)
          ->encoding(path, parquet::Encoding::DELTA_BINARY_PACKED)
          ->compression(path, arrow::Compression::LZ4)
          ->compression_level(path, arrow::util::kUseDefaultCompressionLevel);
    } else if (column->physical_type() == parquet::Type::DOUBLE || column->physical_type() == parquet::Type::FLOAT) {
      const bool compressed = std::none_of(column_codecs.begin(), column_codecs.end(), [&](const ColumnCodec& c) {
        return c.path == path && c.codec == arrow::Compression::UNCOMPRESSED;
      });
      builder.disable_dictionary(path)->encoding(
          path, compressed ? parquet::Encoding::BYTE_STREAM_SPLIT : parquet::Encoding::PLAIN);
    } else if (column->physical_type() == parquet::Type::BYTE_ARRAY && !column->logical_type()->is_string()) {
      // Blobs (images, point clouds) rarely repeat: hashing them is wasted work. No statistics either: nothing
      // reads a binary column's min/max (query pruning uses them for strings only), Parquet drops min/max values
      // over 4 KiB from the file anyway, and collecting them copied every value ~4 times (min/max into the page
      // statistics, then into the encoded page and chunk statistics): for 1 MiB frames that was ~60 % of the
      // chunk encode's page faults under mosaicod's 64 KiB mmap threshold (bench/README.md, 2026-12-07 02:10).
      // What is lost is the binary column's null count, which only an is-null query on a blob would prune with.
      builder.disable_dictionary(path)->disable_statistics(path);
    }
  }
  for (const auto& c : column_codecs) {
    // The file-wide zstd level would otherwise be applied to, and refused by, the other codec.
    builder.compression(c.path, c.codec)->compression_level(c.path, arrow::util::kUseDefaultCompressionLevel);
  }
  return builder.build();
}

}  // namespace mosaico::ingest
