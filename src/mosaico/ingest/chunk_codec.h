// ChunkCodecs: which leaf columns of one chunk are written without compression, decided by measuring.
//
// Camera frames (JPEG, PNG, H.264), compressed point clouds and other already-compressed blobs do not shrink under
// zstd: compressing them costs a full pass over every byte (and a fresh zstd context per page) for nothing, and
// reading them back pays the same again. So, per chunk, each binary leaf column (binary, large_binary,
// binary_view, fixed_size_binary; not strings, which are dictionary-encoded and compress) is sampled: the bytes of
// its first non-null values, up to kCodecSampleBytes, are compressed with zstd at the chunk's level, and a column
// whose sample shrinks by less than kMinZstdSaving is written UNCOMPRESSED. Every other column stays zstd.
//
// Contract:
//  - ChooseChunkCodecs never fails on data: a column it cannot sample (all null, no rows) keeps zstd. It fails only
//    if the zstd codec itself cannot be created or fails.
//  - The decision is per chunk and per column, and it is recorded where every reader finds it: the Parquet footer
//    names the codec of each column chunk (UNCOMPRESSED or ZSTD). Readers need nothing else; chunks written before
//    this choice existed (all zstd) read as before.
//  - Cost: at most kCodecSampleBytes of zstd per binary column per chunk (about 1 ms), nothing for other columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

namespace mosaico::ingest {

inline constexpr int64_t kCodecSampleBytes = 1 << 20;
inline constexpr double kMinZstdSaving = 0.03;

struct ColumnCodecChoice {
  std::string path;      // Parquet dotted path of the leaf column, as ChunkWriterProperties names columns
  int64_t sample_bytes = 0;
  double zstd_saving = 0;  // 1 - compressed / sampled, on the sample
  bool compress = true;
};

// The choice for every binary leaf column of `table` (other columns are not listed: they are compressed).
arrow::Result<std::vector<ColumnCodecChoice>> ChooseChunkCodecs(const arrow::Table& table, int zstd_level);

// The paths of `choices` written uncompressed.
std::vector<std::string> UncompressedColumns(const std::vector<ColumnCodecChoice>& choices);

}  // namespace mosaico::ingest
