// upload.json: the commit marker of one upload (one DoPut stream) in the store, and the record from which the
// catalog's chunk rows can be rebuilt (recovery/).
//
//   {"version": 1, "upload_id": "...", "topic": "<topic path>", "row_count": N,
//    "chunks": [{"index", "object_key", "row_count", "size_bytes", "ts_min", "ts_max", "checksum",
//                "stats": [{"column", "kind": "int"|"float"|"string"|"bool", "min", "max", "null_count"}]}]}
//
// min/max are null when unset; integers (kinds int and bool) are exact int64 JSON integers; floats are JSON
// numbers printed with round-trip precision, except +/-infinity, written as the strings "inf" / "-inf".
// Parse(Serialize(m)) == m exactly (ChunkRecord::id and topic_id are catalog ids and are not stored: 0).
// Serialize never fails (invalid UTF-8 in strings would be replaced; ingest never produces any).
// Parse failures are INVALID_ARGUMENT naming the offending field, e.g. "upload manifest: chunks[2].ts_min ...".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::ingest {

struct UploadManifest {
  static constexpr int kVersion = 1;

  int version = kVersion;
  std::string upload_id;
  std::string topic;  // topic path, relative, no leading '/'
  int64_t row_count = 0;
  std::vector<catalog::ChunkRecord> chunks;

  std::string Serialize() const;
  static arrow::Result<UploadManifest> Parse(std::string_view text);
};

}  // namespace mosaico::ingest
