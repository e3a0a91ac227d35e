// ChunkCodecs: which leaf columns of one chunk are written uncompressed or with LZ4 instead of zstd, decided by
// measuring.
//
// Two kinds of columns are measured, per chunk; every other column stays zstd:
//  - Blobs (binary, large_binary, binary_view, fixed_size_binary; not strings, which are dictionary-encoded and
//    compress). Camera frames (JPEG, PNG, H.264), compressed point clouds and other already-compressed blobs do not
//    shrink under zstd: compressing them costs a full pass over every byte (and a fresh zstd context per page) for
//    nothing, and reading them back pays the same again. The bytes of the first non-null values, up to
//    kCodecSampleBytes, are compressed with zstd at the chunk's level; a column whose sample shrinks by less than
//    kMinZstdSaving is written UNCOMPRESSED.
//  - Floating point leaves (float, double: measurements). They are stored BYTE_STREAM_SPLIT + zstd, which on
//    noisy full-precision doubles (random-like mantissas) saves only ~10 % of the bytes while zstd and the
//    byte-stream-split decode are most of a full read's CPU (decode ~3x the CPU of PLAIN uncompressed; bench/README.md,
//    "float columns stored PLAIN uncompressed"). The first non-null values, up to kFloatSampleBytes, are byte-stream-split as the writer
//    would store them and compressed with zstd at the chunk's level; a column whose sample shrinks by less than
//    kMinFloatZstdSaving is written PLAIN and UNCOMPRESSED (chunk_parquet.h). Sensor data of limited precision
//    (float32 or ADC counts widened to double, smooth signals) saves 18-50 % and stays compressed, byte-stream-split:
//    the same sample is also compressed with LZ4 (LZ4_RAW in the Parquet footer), and when LZ4 keeps at least
//    kMinLz4ShareOfZstdSaving of zstd's saving the column is written with LZ4 instead of zstd. A chunk of such
//    columns decodes at ~0.6x the CPU (both codecs find the split's runs of zero mantissa and equal exponent
//    bytes; LZ4 has no entropy stage); the price is bounded disk: at most a quarter of zstd's saving on that
//    column (float32 widened: 51 % -> 44 %; +3 % chunk bytes on bench/'s imu-sensor; bench/README.md, "float
//    columns that compress: LZ4"). Columns whose saving comes from skewed byte frequencies rather than runs (ADC
//    counts: zstd 20 %, LZ4 5 %) keep zstd. A sample of fewer than kMinFloatSampleValues values is not measured
//    (keeps zstd): a column that small costs nothing to decode.
//
// Contract:
//  - ChooseChunkCodecs never fails on data: a column it cannot sample (all null, no rows) keeps zstd. It fails only
//    if the zstd or LZ4 codec itself cannot be created or fails.
//  - The decision is per chunk and per column, and it is recorded where every reader finds it: the Parquet footer
//    names the codec (UNCOMPRESSED, ZSTD or LZ4_RAW) and the encodings of each column chunk. Readers need nothing
//    else; chunks written before these choices existed (all zstd, floats byte-stream-split; or before LZ4: floats
//    zstd or PLAIN uncompressed) read as before, mixed in one topic with newer ones.
//  - Cost: at most kCodecSampleBytes of zstd per blob column and kFloatSampleBytes of zstd (+ LZ4 when zstd saves
//    enough) per float column per chunk (about 1 ms and 0.3 ms), nothing for other columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>
#include <arrow/util/type_fwd.h>

#include "mosaico/ingest/chunk_parquet.h"

namespace mosaico::ingest {

inline constexpr int64_t kCodecSampleBytes = 1 << 20;
inline constexpr double kMinZstdSaving = 0.03;
inline constexpr int64_t kFloatSampleBytes = 256 << 10;
inline constexpr int64_t kMinFloatSampleValues = 1024;
inline constexpr double kMinFloatZstdSaving = 0.15;
inline constexpr double kMinLz4ShareOfZstdSaving = 0.75;

enum class CodecColumnKind { kBlob, kFloat };

struct ColumnCodecChoice {
  std::string path;      // Parquet dotted path of the leaf column, as ChunkWriterProperties names columns
  CodecColumnKind kind = CodecColumnKind::kBlob;
  int64_t sample_bytes = 0;
  double zstd_saving = 0;  // 1 - compressed / sampled, on the sample
  double lz4_saving = 0;   // the same with LZ4; measured only on float columns zstd shrinks enough
  arrow::Compression::type codec = arrow::Compression::ZSTD;  // ZSTD, LZ4 (floats only) or UNCOMPRESSED

  bool compressed() const { return codec != arrow::Compression::UNCOMPRESSED; }
};

// The choice for every blob and floating point leaf column of `table`, in Parquet leaf order (other columns are not
// listed: they are compressed).
arrow::Result<std::vector<ColumnCodecChoice>> ChooseChunkCodecs(const arrow::Table& table, int zstd_level);

// The paths of `choices` written uncompressed.
std::vector<std::string> UncompressedColumns(const std::vector<ColumnCodecChoice>& choices);

// The columns of `choices` written with another codec than the file-wide zstd, as ChunkWriterProperties takes them.
std::vector<ColumnCodec> ColumnCodecs(const std::vector<ColumnCodecChoice>& choices);

}  // namespace mosaico::ingest
