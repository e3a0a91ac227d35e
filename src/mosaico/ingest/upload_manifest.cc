#include "mosaico/ingest/upload_manifest.h"

#include <cmath>
#include <limits>
#include <optional>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"

namespace mosaico::ingest {
namespace {

using catalog::ChunkRecord;
using catalog::ColumnStats;

template <typename T>
OrderedJson OrNull(const std::optional<T>& v) {
  return v ? OrderedJson(*v) : OrderedJson(nullptr);
}

OrderedJson FloatJson(const std::optional<double>& v) {
  if (!v) return nullptr;
  if (std::isinf(*v)) return *v > 0 ? "inf" : "-inf";
  return *v;
}

OrderedJson StatsJson(const ColumnStats& s) {
  OrderedJson j;
  j["column"] = s.column;
  j["kind"] = catalog::ColumnStatsKindName(s.kind);
  switch (s.kind) {
    case ColumnStats::Kind::kInt:
    case ColumnStats::Kind::kBool:
      j["min"] = OrNull(s.min_int);
      j["max"] = OrNull(s.max_int);
      break;
    case ColumnStats::Kind::kFloat:
      j["min"] = FloatJson(s.min_float);
      j["max"] = FloatJson(s.max_float);
      break;
    case ColumnStats::Kind::kString:
      j["min"] = OrNull(s.min_str);
      j["max"] = OrNull(s.max_str);
      break;
  }
  j["null_count"] = s.null_count;
  return j;
}

OrderedJson ChunkJson(const ChunkRecord& c) {
  OrderedJson j;
  j["index"] = c.index;
  j["object_key"] = c.object_key;
  j["row_count"] = c.row_count;
  j["size_bytes"] = c.size_bytes;
  j["ts_min"] = c.ts_min;
  j["ts_max"] = c.ts_max;
  j["checksum"] = c.checksum;
  OrderedJson stats = OrderedJson::array();
  for (const auto& s : c.stats) stats.push_back(StatsJson(s));
  j["stats"] = std::move(stats);
  return j;
}

// --- parsing: every failure names the field by its path inside the manifest ---

arrow::Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument("upload manifest: " + where + " " + what);
}

const Json* Find(const Json& obj, const char* field) {
  auto it = obj.find(field);
  return it == obj.end() ? nullptr : &*it;
}

arrow::Result<int64_t> IntValue(const Json& v, const std::string& where) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Bad(where, "is out of int64 range");
    return static_cast<int64_t>(u);
  }
  return Bad(where, "must be an integer");
}

arrow::Result<int64_t> RequireInt(const Json& obj, const std::string& where, const char* field) {
  const Json* v = Find(obj, field);
  if (!v || v->is_null()) return Bad(where + field, "is missing");
  return IntValue(*v, where + field);
}

arrow::Result<std::string> RequireStr(const Json& obj, const std::string& where, const char* field) {
  const Json* v = Find(obj, field);
  if (!v || v->is_null()) return Bad(where + field, "is missing");
  if (!v->is_string()) return Bad(where + field, "must be a string");
  return v->get<std::string>();
}

const Json* OptionalValue(const Json& obj, const char* field) {
  const Json* v = Find(obj, field);
  return (v && !v->is_null()) ? v : nullptr;
}

arrow::Result<std::optional<int64_t>> OptInt(const Json& obj, const std::string& where, const char* field) {
  const Json* v = OptionalValue(obj, field);
  if (!v) return std::optional<int64_t>{};
  ARROW_ASSIGN_OR_RAISE(int64_t i, IntValue(*v, where + field));
  return std::optional<int64_t>(i);
}

arrow::Result<std::optional<double>> OptFloat(const Json& obj, const std::string& where, const char* field) {
  const Json* v = OptionalValue(obj, field);
  if (!v) return std::optional<double>{};
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s == "inf") return std::optional<double>(std::numeric_limits<double>::infinity());
    if (s == "-inf") return std::optional<double>(-std::numeric_limits<double>::infinity());
    return Bad(where + field, "must be a number, \"inf\" or \"-inf\"");
  }
  if (!v->is_number()) return Bad(where + field, "must be a number");
  return std::optional<double>(v->get<double>());
}

arrow::Result<std::optional<std::string>> OptStr(const Json& obj, const std::string& where, const char* field) {
  const Json* v = OptionalValue(obj, field);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return Bad(where + field, "must be a string");
  return std::optional<std::string>(v->get<std::string>());
}

arrow::Result<ColumnStats> ParseStats(const Json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where, "must be an object");
  const std::string at = where + ".";
  ColumnStats s;
  ARROW_ASSIGN_OR_RAISE(s.column, RequireStr(j, at, "column"));
  ARROW_ASSIGN_OR_RAISE(std::string kind, RequireStr(j, at, "kind"));
  auto k = catalog::ParseColumnStatsKind(kind);
  if (!k) return Bad(at + "kind", "must be one of int, float, string, bool (got '" + kind + "')");
  s.kind = *k;
  switch (s.kind) {
    case ColumnStats::Kind::kInt:
    case ColumnStats::Kind::kBool: {
      ARROW_ASSIGN_OR_RAISE(s.min_int, OptInt(j, at, "min"));
      ARROW_ASSIGN_OR_RAISE(s.max_int, OptInt(j, at, "max"));
      break;
    }
    case ColumnStats::Kind::kFloat: {
      ARROW_ASSIGN_OR_RAISE(s.min_float, OptFloat(j, at, "min"));
      ARROW_ASSIGN_OR_RAISE(s.max_float, OptFloat(j, at, "max"));
      break;
    }
    case ColumnStats::Kind::kString: {
      ARROW_ASSIGN_OR_RAISE(s.min_str, OptStr(j, at, "min"));
      ARROW_ASSIGN_OR_RAISE(s.max_str, OptStr(j, at, "max"));
      break;
    }
  }
  ARROW_ASSIGN_OR_RAISE(s.null_count, RequireInt(j, at, "null_count"));
  return s;
}

arrow::Result<ChunkRecord> ParseChunk(const Json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where, "must be an object");
  const std::string at = where + ".";
  ChunkRecord c;
  ARROW_ASSIGN_OR_RAISE(int64_t index, RequireInt(j, at, "index"));
  if (index < 0 || index > std::numeric_limits<int32_t>::max()) return Bad(at + "index", "is out of range");
  c.index = static_cast<int32_t>(index);
  ARROW_ASSIGN_OR_RAISE(c.object_key, RequireStr(j, at, "object_key"));
  ARROW_ASSIGN_OR_RAISE(c.row_count, RequireInt(j, at, "row_count"));
  ARROW_ASSIGN_OR_RAISE(c.size_bytes, RequireInt(j, at, "size_bytes"));
  ARROW_ASSIGN_OR_RAISE(c.ts_min, RequireInt(j, at, "ts_min"));
  ARROW_ASSIGN_OR_RAISE(c.ts_max, RequireInt(j, at, "ts_max"));
  ARROW_ASSIGN_OR_RAISE(c.checksum, RequireStr(j, at, "checksum"));
  const Json* stats = Find(j, "stats");
  if (!stats || !stats->is_array()) return Bad(at + "stats", "must be an array");
  for (size_t i = 0; i < stats->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto s, ParseStats((*stats)[i], at + "stats[" + std::to_string(i) + "]"));
    c.stats.push_back(std::move(s));
  }
  return c;
}

}  // namespace

std::string UploadManifest::Serialize() const {
  OrderedJson j;
  j["version"] = version;
  j["upload_id"] = upload_id;
  j["topic"] = topic;
  j["row_count"] = row_count;
  OrderedJson list = OrderedJson::array();
  for (const auto& c : chunks) list.push_back(ChunkJson(c));
  j["chunks"] = std::move(list);
  return j.dump(-1, ' ', /*ensure_ascii=*/false, OrderedJson::error_handler_t::replace);
}

arrow::Result<UploadManifest> UploadManifest::Parse(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("upload manifest is not valid JSON");
  if (!j.is_object()) return InvalidArgument("upload manifest must be a JSON object");
  UploadManifest m;
  ARROW_ASSIGN_OR_RAISE(int64_t version, RequireInt(j, "", "version"));
  if (version != kVersion) {
    return Bad("version", std::to_string(version) + " is not supported (expected " + std::to_string(kVersion) + ")");
  }
  m.version = static_cast<int>(version);
  ARROW_ASSIGN_OR_RAISE(m.upload_id, RequireStr(j, "", "upload_id"));
  ARROW_ASSIGN_OR_RAISE(m.topic, RequireStr(j, "", "topic"));
  ARROW_ASSIGN_OR_RAISE(m.row_count, RequireInt(j, "", "row_count"));
  const Json* chunks = Find(j, "chunks");
  if (!chunks || !chunks->is_array()) return Bad("chunks", "must be an array");
  for (size_t i = 0; i < chunks->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto c, ParseChunk((*chunks)[i], "chunks[" + std::to_string(i) + "]"));
    m.chunks.push_back(std::move(c));
  }
  return m;
}

}  // namespace mosaico::ingest
