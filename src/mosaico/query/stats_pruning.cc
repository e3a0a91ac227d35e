#include "mosaico/query/stats_pruning.h"

#include <arrow/type.h>
#include <parquet/statistics.h>
#include <parquet/types.h>

namespace mosaico::query {
namespace {

enum class K { kNone, kBool, kNumber, kString };

K KindOf(const ScalarValue& v) {
  if (std::holds_alternative<bool>(v)) return K::kBool;
  if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v)) return K::kNumber;
  if (std::holds_alternative<std::string>(v)) return K::kString;
  return K::kNone;
}

bool IsNaN(const ScalarValue& v) {
  const double* d = std::get_if<double>(&v);
  return d && *d != *d;
}

// Three-way comparison of two values of the same kind; nullopt when they are not comparable.
std::optional<int> Compare(const ScalarValue& a, const ScalarValue& b) {
  const K ka = KindOf(a);
  if (ka == K::kNone || ka != KindOf(b) || IsNaN(a) || IsNaN(b)) return std::nullopt;
  switch (ka) {
    case K::kBool: {
      const int x = std::get<bool>(a), y = std::get<bool>(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    case K::kNumber: {
      const int c = CompareNumbers(a, b);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case K::kString: {
      const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    default:
      return std::nullopt;
  }
}

// Could a value v with min <= v <= max satisfy `v <op> arg`? Comparable values only; otherwise no value can.
bool InRange(const ScalarValue& lo, const ScalarValue& hi, const ScalarValue& arg) {
  auto a = Compare(lo, arg), b = Compare(hi, arg);
  return a && b && *a <= 0 && *b >= 0;
}

bool Less(const ScalarValue& x, const ScalarValue& y, bool or_equal) {
  auto c = Compare(x, y);
  return c && (or_equal ? *c <= 0 : *c < 0);
}

}  // namespace

std::string GlobLiteralPrefix(const std::string& pattern) {
  const size_t cut = pattern.find_first_of("*?#[");
  return pattern.substr(0, cut);
}

bool MayMatch(const ScalarPredicate& p, const LeafStats& s) {
  if (s.row_count <= 0) return false;
  const bool all_null = s.null_count && *s.null_count >= s.row_count;
  switch (p.op) {
    case PredicateOp::kNotExists:
      return !s.null_count || *s.null_count > 0;
    case PredicateOp::kExists:
      return !all_null;
    default:
      break;
  }
  if (all_null) return false;
  if (!s.min || !s.max) return true;
  const ScalarValue& lo = *s.min;
  const ScalarValue& hi = *s.max;
  switch (p.op) {
    case PredicateOp::kEq:
      return p.args.size() == 1 && InRange(lo, hi, p.args[0]);
    case PredicateOp::kNeq: {
      if (p.args.size() != 1) return false;
      if (KindOf(p.args[0]) != KindOf(lo)) return false;
      auto a = Compare(lo, p.args[0]), b = Compare(hi, p.args[0]);
      return !(a && b && *a == 0 && *b == 0);
    }
    case PredicateOp::kLt: return p.args.size() == 1 && Less(lo, p.args[0], false);
    case PredicateOp::kLeq: return p.args.size() == 1 && Less(lo, p.args[0], true);
    case PredicateOp::kGt: return p.args.size() == 1 && Less(p.args[0], hi, false);
    case PredicateOp::kGeq: return p.args.size() == 1 && Less(p.args[0], hi, true);
    case PredicateOp::kBetween:
      return p.args.size() == 2 && Less(p.args[0], hi, true) && Less(lo, p.args[1], true);
    case PredicateOp::kOutside:
      return p.args.size() == 2 && (Less(lo, p.args[0], false) || Less(p.args[1], hi, false));
    case PredicateOp::kIn:
      for (const auto& a : p.args) {
        if (InRange(lo, hi, a)) return true;
      }
      return false;
    case PredicateOp::kMatch: {
      if (p.args.size() != 1 || !std::holds_alternative<std::string>(p.args[0])) return false;
      if (KindOf(lo) != K::kString) return false;
      const std::string prefix = GlobLiteralPrefix(std::get<std::string>(p.args[0]));
      if (prefix.empty()) return true;
      const auto& min = std::get<std::string>(lo);
      const auto& max = std::get<std::string>(hi);
      // Strings starting with `prefix` form the interval [prefix, prefix + 0xFF...] in byte order.
      if (max.compare(prefix) < 0) return false;
      if (min.compare(0, prefix.size(), prefix) > 0) return false;
      return true;
    }
    default:
      return true;
  }
}

LeafStats FromColumnStats(const catalog::ColumnStats& c, int64_t row_count) {
  LeafStats s;
  s.row_count = row_count;
  s.null_count = c.null_count;
  switch (c.kind) {
    case catalog::ColumnStats::Kind::kInt:
      if (c.min_int && c.max_int) s.min = *c.min_int, s.max = *c.max_int;
      break;
    case catalog::ColumnStats::Kind::kBool:
      if (c.min_int && c.max_int) s.min = *c.min_int != 0, s.max = *c.max_int != 0;
      break;
    case catalog::ColumnStats::Kind::kFloat:
      if (c.min_float && c.max_float) s.min = *c.min_float, s.max = *c.max_float;
      break;
    case catalog::ColumnStats::Kind::kString:
      if (c.min_str && c.max_str) s.min = *c.min_str, s.max = *c.max_str;
      break;
  }
  return s;
}

std::optional<LeafStats> FromParquetStats(const parquet::ColumnChunkMetaData& column, const arrow::DataType& type,
                                          int64_t row_count) {
  if (!column.is_stats_set()) return std::nullopt;
  auto stats = column.statistics();
  if (!stats) return std::nullopt;
  LeafStats s;
  s.row_count = row_count;
  if (stats->HasNullCount()) s.null_count = stats->null_count();
  if (!stats->HasMinMax()) return s;
  const auto physical = stats->physical_type();
  switch (type.id()) {
    case arrow::Type::BOOL:
      if (physical == parquet::Type::BOOLEAN) {
        const auto& b = static_cast<const parquet::BoolStatistics&>(*stats);
        s.min = b.min(), s.max = b.max();
      }
      break;
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32:
      if (physical == parquet::Type::INT32) {
        const auto& i = static_cast<const parquet::Int32Statistics&>(*stats);
        s.min = int64_t{i.min()}, s.max = int64_t{i.max()};
      }
      break;
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32:
      if (physical == parquet::Type::INT32) {  // unsigned order; the bits are the uint32 value
        const auto& i = static_cast<const parquet::Int32Statistics&>(*stats);
        s.min = int64_t{static_cast<uint32_t>(i.min())}, s.max = int64_t{static_cast<uint32_t>(i.max())};
      }
      break;
    case arrow::Type::INT64:
      if (physical == parquet::Type::INT64) {
        const auto& i = static_cast<const parquet::Int64Statistics&>(*stats);
        s.min = int64_t{i.min()}, s.max = int64_t{i.max()};
      }
      break;
    case arrow::Type::UINT64:
      if (physical == parquet::Type::INT64) {
        const auto& i = static_cast<const parquet::Int64Statistics&>(*stats);
        const auto lo = static_cast<uint64_t>(i.min()), hi = static_cast<uint64_t>(i.max());
        if (hi <= static_cast<uint64_t>(INT64_MAX)) s.min = static_cast<int64_t>(lo), s.max = static_cast<int64_t>(hi);
      }
      break;
    case arrow::Type::FLOAT:
      if (physical == parquet::Type::FLOAT) {
        const auto& f = static_cast<const parquet::FloatStatistics&>(*stats);
        s.min = double{f.min()}, s.max = double{f.max()};
      }
      break;
    case arrow::Type::DOUBLE:
      if (physical == parquet::Type::DOUBLE) {
        const auto& f = static_cast<const parquet::DoubleStatistics&>(*stats);
        s.min = f.min(), s.max = f.max();
      }
      break;
    case arrow::Type::STRING: case arrow::Type::LARGE_STRING:
      if (physical == parquet::Type::BYTE_ARRAY) {
        const auto& b = static_cast<const parquet::ByteArrayStatistics&>(*stats);
        s.min = std::string(reinterpret_cast<const char*>(b.min().ptr), b.min().len);
        s.max = std::string(reinterpret_cast<const char*>(b.max().ptr), b.max().len);
      }
      break;
    default:
      break;  // other types: null count only
  }
  if (s.min && (IsNaN(*s.min) || IsNaN(*s.max))) s.min.reset(), s.max.reset();
  return s;
}

}  // namespace mosaico::query
