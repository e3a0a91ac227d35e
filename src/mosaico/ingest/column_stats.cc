#include "mosaico/ingest/column_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/bit_run_reader.h>
#include <arrow/util/utf8.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

#include "mosaico/ingest/compute_init.h"

namespace mosaico::ingest {
namespace {

using catalog::ColumnStats;

// Integer value of an integer scalar; nullopt when it does not fit int64.
std::optional<int64_t> IntOf(const arrow::Scalar& s) {
  switch (s.type->id()) {
    case arrow::Type::INT8: return static_cast<const arrow::Int8Scalar&>(s).value;
    case arrow::Type::INT16: return static_cast<const arrow::Int16Scalar&>(s).value;
    case arrow::Type::INT32: return static_cast<const arrow::Int32Scalar&>(s).value;
    case arrow::Type::INT64: return static_cast<const arrow::Int64Scalar&>(s).value;
    case arrow::Type::UINT8: return static_cast<const arrow::UInt8Scalar&>(s).value;
    case arrow::Type::UINT16: return static_cast<const arrow::UInt16Scalar&>(s).value;
    case arrow::Type::UINT32: return static_cast<const arrow::UInt32Scalar&>(s).value;
    case arrow::Type::UINT64: {
      uint64_t v = static_cast<const arrow::UInt64Scalar&>(s).value;
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default: return std::nullopt;
  }
}

bool IsUtf8(std::string_view s) {
  static std::once_flag once;
  std::call_once(once, [] { arrow::util::InitializeUTF8(); });  // the validator's lookup tables
  return arrow::util::ValidateUTF8(s);
}

double FloatOf(const arrow::Scalar& s) {
  if (s.type->id() == arrow::Type::FLOAT) return static_cast<const arrow::FloatScalar&>(s).value;
  return static_cast<const arrow::DoubleScalar&>(s).value;
}

// Applies `fn` to every chunk, collecting the results.
template <typename Fn>
arrow::Result<arrow::ArrayVector> MapChunks(const arrow::ArrayVector& chunks, Fn&& fn) {
  arrow::ArrayVector out;
  out.reserve(chunks.size());
  for (const auto& chunk : chunks) {
    ARROW_ASSIGN_OR_RAISE(auto mapped, fn(*chunk));
    out.push_back(std::move(mapped));
  }
  return out;
}

arrow::Result<arrow::ArrayVector> ViewAs(const arrow::ArrayVector& chunks, const std::shared_ptr<arrow::DataType>& to) {
  return MapChunks(chunks, [&](const arrow::Array& a) { return a.View(to); });
}

arrow::Result<arrow::ArrayVector> CastTo(const arrow::ArrayVector& chunks, const std::shared_ptr<arrow::DataType>& to) {
  return MapChunks(chunks, [&](const arrow::Array& a) { return arrow::compute::Cast(a, to); });
}

// {min, max} scalars of the values, nulls skipped; both invalid when there is no value.
arrow::Result<std::pair<std::shared_ptr<arrow::Scalar>, std::shared_ptr<arrow::Scalar>>> MinMaxOf(
    const arrow::ArrayVector& chunks, const std::shared_ptr<arrow::DataType>& type) {
  ARROW_ASSIGN_OR_RAISE(auto chunked, arrow::ChunkedArray::Make(chunks, type));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum result,
                        arrow::compute::MinMax(chunked, arrow::compute::ScalarAggregateOptions(
                                                            /*skip_nulls=*/true, /*min_count=*/1)));
  const auto& st = result.scalar_as<arrow::StructScalar>();
  return std::make_pair(st.value[0], st.value[1]);
}

// Float leaf statistics of a Parquet footer, by dotted leaf path (see the header: the `written` overload).
class FooterFloatStats {
 public:
  explicit FooterFloatStats(const parquet::FileMetaData& written) : written_(written) {
    const parquet::SchemaDescriptor* schema = written.schema();
    for (int i = 0; i < schema->num_columns(); ++i) {
      auto [it, inserted] = leaf_.emplace(schema->Column(i)->path()->ToDotString(), i);
      if (!inserted) it->second = -1;  // two leaves with one dotted name: ambiguous, never used
    }
  }

  // Fills null_count and min/max of `s` from the footer; false when the footer cannot tell (scan instead).
  bool Fill(const std::string& path, arrow::Type::type type, ColumnStats* s) const {
    auto it = leaf_.find(path);
    if (it == leaf_.end() || it->second < 0) return false;
    const int leaf = it->second;
    const auto physical = written_.schema()->Column(leaf)->physical_type();
    if (type == arrow::Type::DOUBLE && physical == parquet::Type::DOUBLE) return Fold<parquet::DoubleType>(leaf, s);
    if (type == arrow::Type::FLOAT && physical == parquet::Type::FLOAT) return Fold<parquet::FloatType>(leaf, s);
    return false;
  }

 private:
  template <typename ParquetType>
  bool Fold(int leaf, ColumnStats* s) const {
    int64_t nulls = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
    bool any = false;
    for (int rg = 0; rg < written_.num_row_groups(); ++rg) {
      auto chunk = written_.RowGroup(rg)->ColumnChunk(leaf);
      if (!chunk->is_stats_set()) return false;
      auto stats = std::dynamic_pointer_cast<parquet::TypedStatistics<ParquetType>>(chunk->statistics());
      if (!stats || !stats->HasNullCount()) return false;
      nulls += stats->null_count();
      if (!stats->HasMinMax()) continue;  // only nulls and NaN in this row group
      lo = std::min(lo, static_cast<double>(stats->min()));
      hi = std::max(hi, static_cast<double>(stats->max()));
      any = true;
    }
    s->null_count = nulls;
    if (any) {
      s->min_float = lo == 0 ? 0.0 : lo;  // Parquet writes a zero minimum as -0.0
      s->max_float = hi == 0 ? 0.0 : hi;
    }
    return true;
  }

  const parquet::FileMetaData& written_;
  std::unordered_map<std::string, int> leaf_;
};

class StatsCollector {
 public:
  explicit StatsCollector(std::vector<ColumnStats>* out, const FooterFloatStats* footer = nullptr)
      : out_(out), footer_(footer) {}

  arrow::Status Visit(const std::string& path, const arrow::ArrayVector& chunks,
                      const std::shared_ptr<arrow::DataType>& type) {
    switch (type->id()) {
      case arrow::Type::STRUCT:
        return VisitStruct(path, chunks, type);
      case arrow::Type::DICTIONARY: {
        const auto& value_type = static_cast<const arrow::DictionaryType&>(*type).value_type();
        if (!IsSupportedLeaf(value_type->id())) return arrow::Status::OK();
        ARROW_ASSIGN_OR_RAISE(auto decoded, CastTo(chunks, value_type));
        // Parquet's statistics of a dictionary column need not be those of the referenced values: scan them.
        const FooterFloatStats* footer = std::exchange(footer_, nullptr);
        arrow::Status st = Visit(path, decoded, value_type);
        footer_ = footer;
        return st;
      }
      case arrow::Type::BOOL:
        return AddInt(path, ColumnStats::Kind::kBool, chunks, type);
      case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
      case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
        return AddInt(path, ColumnStats::Kind::kInt, chunks, type);
      case arrow::Type::DATE32: case arrow::Type::TIME32: {
        ARROW_ASSIGN_OR_RAISE(auto ints, ViewAs(chunks, arrow::int32()));
        return AddInt(path, ColumnStats::Kind::kInt, ints, arrow::int32());
      }
      case arrow::Type::DATE64: case arrow::Type::TIME64: case arrow::Type::TIMESTAMP:
      case arrow::Type::DURATION: {
        ARROW_ASSIGN_OR_RAISE(auto ints, ViewAs(chunks, arrow::int64()));
        return AddInt(path, ColumnStats::Kind::kInt, ints, arrow::int64());
      }
      case arrow::Type::HALF_FLOAT: {
        ARROW_ASSIGN_OR_RAISE(auto floats, CastTo(chunks, arrow::float32()));
        return AddFloat(path, floats, arrow::float32());
      }
      case arrow::Type::FLOAT: case arrow::Type::DOUBLE:
        return AddFloat(path, chunks, type);
      case arrow::Type::STRING: case arrow::Type::LARGE_STRING:
        return AddString(path, chunks, type);
      case arrow::Type::STRING_VIEW: {
        ARROW_ASSIGN_OR_RAISE(auto strings, CastTo(chunks, arrow::large_utf8()));
        return AddString(path, strings, arrow::large_utf8());
      }
      default:
        return arrow::Status::OK();  // lists, maps, binaries, decimals, ...: no statistics
    }
  }

 private:
  static bool IsSupportedLeaf(arrow::Type::type id) {
    switch (id) {
      case arrow::Type::BOOL: case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32:
      case arrow::Type::INT64: case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32:
      case arrow::Type::UINT64: case arrow::Type::DATE32: case arrow::Type::TIME32: case arrow::Type::DATE64:
      case arrow::Type::TIME64: case arrow::Type::TIMESTAMP: case arrow::Type::DURATION:
      case arrow::Type::HALF_FLOAT: case arrow::Type::FLOAT: case arrow::Type::DOUBLE: case arrow::Type::STRING:
      case arrow::Type::LARGE_STRING: case arrow::Type::STRING_VIEW:
        return true;
      default:
        return false;
    }
  }

  static int64_t NullCount(const arrow::ArrayVector& chunks) {
    int64_t n = 0;
    for (const auto& c : chunks) n += c->null_count();
    return n;
  }

  arrow::Status VisitStruct(const std::string& path, const arrow::ArrayVector& chunks,
                            const std::shared_ptr<arrow::DataType>& type) {
    for (int i = 0; i < type->num_fields(); ++i) {
      // GetFlattenedField folds the struct's own validity (and offset) into the child.
      ARROW_ASSIGN_OR_RAISE(auto child, MapChunks(chunks, [i](const arrow::Array& a) {
                              return static_cast<const arrow::StructArray&>(a).GetFlattenedField(i);
                            }));
      const auto& field = type->field(i);
      ARROW_RETURN_NOT_OK(Visit(path + "." + field->name(), child, field->type()));
    }
    return arrow::Status::OK();
  }

  arrow::Status AddInt(const std::string& path, ColumnStats::Kind kind, const arrow::ArrayVector& chunks,
                       const std::shared_ptr<arrow::DataType>& type) {
    ColumnStats s = Begin(path, kind, chunks);
    ARROW_ASSIGN_OR_RAISE(auto mm, MinMaxOf(chunks, type));
    if (mm.first->is_valid && mm.second->is_valid) {
      if (kind == ColumnStats::Kind::kBool) {
        s.min_int = static_cast<const arrow::BooleanScalar&>(*mm.first).value ? 1 : 0;
        s.max_int = static_cast<const arrow::BooleanScalar&>(*mm.second).value ? 1 : 0;
      } else {
        auto lo = IntOf(*mm.first);
        auto hi = IntOf(*mm.second);
        if (!lo || !hi) return arrow::Status::OK();  // uint64 beyond int64: not representable, no entry
        s.min_int = lo;
        s.max_int = hi;
      }
    }
    out_->push_back(std::move(s));
    return arrow::Status::OK();
  }

  arrow::Status AddFloat(const std::string& path, const arrow::ArrayVector& chunks,
                         const std::shared_ptr<arrow::DataType>& type) {
    if (footer_ != nullptr) {
      ColumnStats from_footer;
      from_footer.column = path;
      from_footer.kind = ColumnStats::Kind::kFloat;
      if (footer_->Fill(path, type->id(), &from_footer)) {
        out_->push_back(std::move(from_footer));
        return arrow::Status::OK();
      }
    }
    ColumnStats s = Begin(path, ColumnStats::Kind::kFloat, chunks);
    // NaN and null values are skipped; a column without any other value leaves min/max unset. float32 and
    // float64 (the bulk of sensor data) are scanned here directly: one pass, no per-value library call.
    if (type->id() == arrow::Type::DOUBLE || type->id() == arrow::Type::FLOAT) {
      double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
      bool any = false;
      for (const auto& chunk : chunks) {
        if (type->id() == arrow::Type::DOUBLE) {
          ScanFloats<arrow::DoubleArray>(*chunk, &lo, &hi, &any);
        } else {
          ScanFloats<arrow::FloatArray>(*chunk, &lo, &hi, &any);
        }
      }
      if (any) {
        s.min_float = lo;
        s.max_float = hi;
      }
      out_->push_back(std::move(s));
      return arrow::Status::OK();
    }
    // Arrow's min_max skips NaN unless every value is NaN, in which case it yields NaN: leave unset then.
    ARROW_ASSIGN_OR_RAISE(auto mm, MinMaxOf(chunks, type));
    if (mm.first->is_valid && mm.second->is_valid) {
      double lo = FloatOf(*mm.first), hi = FloatOf(*mm.second);
      if (!std::isnan(lo) && !std::isnan(hi)) {
        s.min_float = lo;
        s.max_float = hi;
      }
    }
    out_->push_back(std::move(s));
    return arrow::Status::OK();
  }

  // Folds the non-null, non-NaN values of `array` into [*lo, *hi]; *any once there was one. A comparison with NaN
  // is false, so NaN never moves a bound.
  template <typename ArrayType>
  static void ScanFloats(const arrow::Array& array, double* lo, double* hi, bool* any) {
    using T = typename ArrayType::value_type;
    const T* values = static_cast<const ArrayType&>(array).raw_values();
    T mn = static_cast<T>(*lo), mx = static_cast<T>(*hi);
    bool seen = false;
    auto scan = [&](int64_t pos, int64_t len) {
      for (int64_t i = pos; i < pos + len; ++i) {
        const T v = values[i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        seen = seen || v == v;
      }
    };
    if (array.null_count() == 0) {
      scan(0, array.length());
    } else {
      arrow::internal::VisitSetBitRunsVoid(array.null_bitmap_data(), array.offset(), array.length(), scan);
    }
    if (!seen) return;
    *lo = std::min(*lo, static_cast<double>(mn));
    *hi = std::max(*hi, static_cast<double>(mx));
    *any = true;
  }

  arrow::Status AddString(const std::string& path, const arrow::ArrayVector& chunks,
                          const std::shared_ptr<arrow::DataType>& type) {
    ColumnStats s = Begin(path, ColumnStats::Kind::kString, chunks);
    ARROW_ASSIGN_OR_RAISE(auto mm, MinMaxOf(chunks, type));
    if (mm.first->is_valid && mm.second->is_valid) {
      std::string lo(static_cast<const arrow::BaseBinaryScalar&>(*mm.first).view());
      std::string hi(static_cast<const arrow::BaseBinaryScalar&>(*mm.second).view());
      if (!IsUtf8(lo) || !IsUtf8(hi)) return arrow::Status::OK();
      s.min_str = std::move(lo);
      s.max_str = std::move(hi);
    }
    out_->push_back(std::move(s));
    return arrow::Status::OK();
  }

  static ColumnStats Begin(const std::string& path, ColumnStats::Kind kind, const arrow::ArrayVector& chunks) {
    ColumnStats s;
    s.column = path;
    s.kind = kind;
    s.null_count = NullCount(chunks);
    return s;
  }

  std::vector<ColumnStats>* out_;
  const FooterFloatStats* footer_;
};

}  // namespace

arrow::Result<std::vector<ColumnStats>> ComputeColumnStats(const arrow::Table& table) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<ColumnStats> out;
  StatsCollector collector(&out);
  for (int i = 0; i < table.num_columns(); ++i) {
    const auto& field = table.schema()->field(i);
    ARROW_RETURN_NOT_OK(collector.Visit(field->name(), table.column(i)->chunks(), field->type()));
  }
  return out;
}

arrow::Result<std::vector<ColumnStats>> ComputeColumnStats(const arrow::Table& table,
                                                           const parquet::FileMetaData& written) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  FooterFloatStats footer(written);
  std::vector<ColumnStats> out;
  StatsCollector collector(&out, &footer);
  for (int i = 0; i < table.num_columns(); ++i) {
    const auto& field = table.schema()->field(i);
    ARROW_RETURN_NOT_OK(collector.Visit(field->name(), table.column(i)->chunks(), field->type()));
  }
  return out;
}

arrow::Result<std::vector<ColumnStats>> ComputeColumnStats(const arrow::RecordBatch& batch) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  std::vector<ColumnStats> out;
  StatsCollector collector(&out);
  for (int i = 0; i < batch.num_columns(); ++i) {
    const auto& field = batch.schema()->field(i);
    ARROW_RETURN_NOT_OK(collector.Visit(field->name(), {batch.column(i)}, field->type()));
  }
  return out;
}

}  // namespace mosaico::ingest
