#include "mosaico/catalog/chunk_validation.h"

#include <set>
#include <string>

#include "mosaico/core/errors.h"

namespace mosaico::catalog {
namespace {

// Checks that only the min/max pair of the stats' kind is used, and that min and max come together.
arrow::Status ValidateStats(const ChunkRecord& chunk, const ColumnStats& s) {
  const bool ints = s.min_int || s.max_int, floats = s.min_float || s.max_float, strs = s.min_str || s.max_str;
  bool ok = false;
  switch (s.kind) {
    case ColumnStats::Kind::kInt:
    case ColumnStats::Kind::kBool:
      ok = !floats && !strs && s.min_int.has_value() == s.max_int.has_value();
      break;
    case ColumnStats::Kind::kFloat:
      ok = !ints && !strs && s.min_float.has_value() == s.max_float.has_value();
      break;
    case ColumnStats::Kind::kString:
      ok = !ints && !floats && s.min_str.has_value() == s.max_str.has_value();
      break;
  }
  if (ok) return arrow::Status::OK();
  return InvalidArgument("chunk " + std::to_string(chunk.index) + ": statistics of column '" + s.column +
                         "' do not match their kind '" + ColumnStatsKindName(s.kind) + "'");
}

}  // namespace

arrow::Status ValidateChunks(const std::vector<ChunkRecord>& chunks) {
  std::set<int32_t> indexes;
  for (const ChunkRecord& chunk : chunks) {
    if (!indexes.insert(chunk.index).second) {
      return InvalidArgument("duplicate chunk index " + std::to_string(chunk.index));
    }
    std::set<std::string> columns;
    for (const ColumnStats& s : chunk.stats) {
      if (!columns.insert(s.column).second) {
        return InvalidArgument("chunk " + std::to_string(chunk.index) + ": duplicate statistics for column '" +
                               s.column + "'");
      }
      ARROW_RETURN_NOT_OK(ValidateStats(chunk, s));
    }
  }
  return arrow::Status::OK();
}

arrow::Status ValidateReplacement(const std::string& expected_upload_id, const std::string& new_upload_id,
                                  const std::vector<ChunkRecord>& chunks) {
  if (expected_upload_id.empty() || new_upload_id.empty()) return InvalidArgument("upload ids must not be empty");
  if (expected_upload_id == new_upload_id) {
    return InvalidArgument("the replacement upload id must differ from the replaced one ('" + new_upload_id + "')");
  }
  return ValidateChunks(chunks);
}

}  // namespace mosaico::catalog
