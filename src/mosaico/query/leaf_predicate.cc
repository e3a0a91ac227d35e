#include "mosaico/query/leaf_predicate.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api.h>
#include <arrow/scalar.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>

#include "mosaico/ingest/compute_init.h"
#include "mosaico/query/ontology_key.h"

namespace mosaico::query {
namespace {

namespace cp = arrow::compute;
using Atom = LeafPredicate::Atom;
using i128 = __int128;

enum class Canon { kInt64, kUInt64, kDouble, kString, kLargeString, kBool, kNone };

Canon CanonOf(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32:
    case arrow::Type::DATE32: case arrow::Type::DATE64: case arrow::Type::TIME32: case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP: case arrow::Type::DURATION:
      return Canon::kInt64;
    case arrow::Type::UINT64: return Canon::kUInt64;
    case arrow::Type::FLOAT: case arrow::Type::DOUBLE: return Canon::kDouble;
    case arrow::Type::STRING: return Canon::kString;
    case arrow::Type::LARGE_STRING: case arrow::Type::STRING_VIEW: return Canon::kLargeString;
    case arrow::Type::BOOL: return Canon::kBool;
    case arrow::Type::DICTIONARY:
      return CanonOf(*static_cast<const arrow::DictionaryType&>(t).value_type());
    default: return Canon::kNone;
  }
}

// The column as one of the canonical array types (int64, uint64, double, utf8, large_utf8, bool).
arrow::Result<std::shared_ptr<arrow::Array>> ToCanonical(const std::shared_ptr<arrow::Array>& a) {
  switch (a->type_id()) {
    case arrow::Type::INT64: case arrow::Type::UINT64: case arrow::Type::DOUBLE: case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING: case arrow::Type::BOOL:
      return a;
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32:
      return cp::Cast(*a, arrow::int64());
    case arrow::Type::DATE32: case arrow::Type::TIME32: {
      ARROW_ASSIGN_OR_RAISE(auto ints, a->View(arrow::int32()));
      return cp::Cast(*ints, arrow::int64());
    }
    case arrow::Type::DATE64: case arrow::Type::TIME64: case arrow::Type::TIMESTAMP: case arrow::Type::DURATION:
      return a->View(arrow::int64());
    case arrow::Type::FLOAT: return cp::Cast(*a, arrow::float64());
    case arrow::Type::STRING_VIEW: return cp::Cast(*a, arrow::large_utf8());
    case arrow::Type::DICTIONARY: {
      ARROW_ASSIGN_OR_RAISE(auto dense,
                            cp::Cast(*a, static_cast<const arrow::DictionaryType&>(*a->type()).value_type()));
      return ToCanonical(dense);
    }
    default:
      return arrow::Status::Invalid("column type ", a->type()->ToString(), " is not queryable");
  }
}

bool IsNumber(const ScalarValue& v) { return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v); }

Atom Const(Atom::Kind k) {
  Atom a;
  a.kind = k;
  return a;
}

Atom Compare(const char* fn, std::shared_ptr<arrow::Scalar> scalar) {
  Atom a;
  a.kind = Atom::Kind::kCompare;
  a.function = fn;
  a.scalar = arrow::Datum(std::move(scalar));
  return a;
}

// --- integer columns -----------------------------------------------------------------------------------------

constexpr double kTwo100 = 1267650600228229401496703205376.0;  // 2^100

// v rounded to an integer by `round` (std::floor / std::ceil), clamped to +-2^100 (beyond every int64 column value).
i128 RoundedOf(const ScalarValue& v, double (*round)(double)) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  const double d = std::get<double>(v);
  if (d >= kTwo100) return i128{1} << 100;
  if (d <= -kTwo100) return -(i128{1} << 100);
  return static_cast<i128>(round(d));
}

i128 FloorOf(const ScalarValue& v) { return RoundedOf(v, std::floor); }
i128 CeilOf(const ScalarValue& v) { return RoundedOf(v, std::ceil); }

bool IsIntegral(const ScalarValue& v) {
  if (std::holds_alternative<int64_t>(v)) return true;
  const double d = std::get<double>(v);
  return std::floor(d) == d;
}

struct IntDomain {
  bool is_unsigned;
  i128 lo, hi;
  std::shared_ptr<arrow::Scalar> Scalar(i128 v) const {
    if (is_unsigned) return std::make_shared<arrow::UInt64Scalar>(static_cast<uint64_t>(v));
    return std::make_shared<arrow::Int64Scalar>(static_cast<int64_t>(v));
  }
};

IntDomain DomainOf(Canon c) {
  if (c == Canon::kUInt64) return {true, 0, static_cast<i128>(std::numeric_limits<uint64_t>::max())};
  return {false, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
}

// v <op> arg over the integers of the domain.
Atom IntAtom(PredicateOp op, const ScalarValue& arg, const IntDomain& d) {
  if (!IsNumber(arg)) return Const(Atom::Kind::kFalse);
  switch (op) {
    case PredicateOp::kLt: {  // v < ceil(arg)
      const i128 b = CeilOf(arg);
      if (b > d.hi) return Const(Atom::Kind::kValid);
      if (b <= d.lo) return Const(Atom::Kind::kFalse);
      return Compare("less", d.Scalar(b));
    }
    case PredicateOp::kLeq: {  // v <= floor(arg)
      const i128 b = FloorOf(arg);
      if (b >= d.hi) return Const(Atom::Kind::kValid);
      if (b < d.lo) return Const(Atom::Kind::kFalse);
      return Compare("less_equal", d.Scalar(b));
    }
    case PredicateOp::kGt: {  // v > floor(arg)
      const i128 b = FloorOf(arg);
      if (b < d.lo) return Const(Atom::Kind::kValid);
      if (b >= d.hi) return Const(Atom::Kind::kFalse);
      return Compare("greater", d.Scalar(b));
    }
    case PredicateOp::kGeq: {  // v >= ceil(arg)
      const i128 b = CeilOf(arg);
      if (b <= d.lo) return Const(Atom::Kind::kValid);
      if (b > d.hi) return Const(Atom::Kind::kFalse);
      return Compare("greater_equal", d.Scalar(b));
    }
    case PredicateOp::kEq: {
      const i128 b = FloorOf(arg);
      if (!IsIntegral(arg) || b < d.lo || b > d.hi) return Const(Atom::Kind::kFalse);
      return Compare("equal", d.Scalar(b));
    }
    case PredicateOp::kNeq: {
      const i128 b = FloorOf(arg);
      if (!IsIntegral(arg) || b < d.lo || b > d.hi) return Const(Atom::Kind::kValid);
      return Compare("not_equal", d.Scalar(b));
    }
    default:
      return Const(Atom::Kind::kFalse);
  }
}

// --- float columns ---------------------------------------------------------------------------------------------

// v <op> arg over doubles, exact for int arguments that no double represents.
Atom DoubleAtom(PredicateOp op, const ScalarValue& arg) {
  if (!IsNumber(arg)) return Const(Atom::Kind::kFalse);
  const char* fn = nullptr;
  double x;
  int side = 0;  // sign of (x - arg) when arg is an int that x only approximates
  if (auto* i = std::get_if<int64_t>(&arg)) {
    x = static_cast<double>(*i);
    const i128 xi = static_cast<i128>(x);  // |x| <= 2^63: exact
    side = xi > *i ? 1 : (xi < *i ? -1 : 0);
  } else {
    x = std::get<double>(arg);
  }
  switch (op) {
    case PredicateOp::kLt: fn = side == 0 ? "less" : (side > 0 ? "less" : "less_equal"); break;
    case PredicateOp::kLeq: fn = side == 0 ? "less_equal" : (side > 0 ? "less" : "less_equal"); break;
    case PredicateOp::kGt: fn = side == 0 ? "greater" : (side > 0 ? "greater_equal" : "greater"); break;
    case PredicateOp::kGeq: fn = side == 0 ? "greater_equal" : (side > 0 ? "greater_equal" : "greater"); break;
    case PredicateOp::kEq:
      if (side != 0) return Const(Atom::Kind::kFalse);
      fn = "equal";
      break;
    case PredicateOp::kNeq:
      if (side != 0) return Const(Atom::Kind::kValid);
      fn = "not_equal";
      break;
    default:
      return Const(Atom::Kind::kFalse);
  }
  return Compare(fn, std::make_shared<arrow::DoubleScalar>(x));
}

// --- strings and booleans ------------------------------------------------------------------------------------

std::shared_ptr<arrow::Scalar> StringScalarOf(Canon c, const std::string& s) {
  if (c == Canon::kLargeString) return std::make_shared<arrow::LargeStringScalar>(s);
  return std::make_shared<arrow::StringScalar>(s);
}

const char* CompareFunction(PredicateOp op) {
  switch (op) {
    case PredicateOp::kLt: return "less";
    case PredicateOp::kLeq: return "less_equal";
    case PredicateOp::kGt: return "greater";
    case PredicateOp::kGeq: return "greater_equal";
    case PredicateOp::kEq: return "equal";
    case PredicateOp::kNeq: return "not_equal";
    default: return nullptr;
  }
}

Atom StringAtom(PredicateOp op, const ScalarValue& arg, Canon c) {
  const auto* s = std::get_if<std::string>(&arg);
  const char* fn = CompareFunction(op);
  if (!s || !fn) return Const(Atom::Kind::kFalse);
  return Compare(fn, StringScalarOf(c, *s));
}

Atom BoolAtom(PredicateOp op, const ScalarValue& arg) {
  const auto* b = std::get_if<bool>(&arg);
  if (!b || (op != PredicateOp::kEq && op != PredicateOp::kNeq)) return Const(Atom::Kind::kFalse);
  return Compare(CompareFunction(op), std::make_shared<arrow::BooleanScalar>(*b));
}

Atom SimpleAtom(PredicateOp op, const ScalarValue& arg, Canon c) {
  switch (c) {
    case Canon::kInt64: case Canon::kUInt64: return IntAtom(op, arg, DomainOf(c));
    case Canon::kDouble: return DoubleAtom(op, arg);
    case Canon::kString: case Canon::kLargeString: return StringAtom(op, arg, c);
    case Canon::kBool: return BoolAtom(op, arg);
    default: return Const(Atom::Kind::kFalse);
  }
}

// $in: the arguments that some value of the column can equal, as a value set of the canonical type.
arrow::Result<Atom> InAtom(const std::vector<ScalarValue>& args, Canon c) {
  std::unique_ptr<arrow::ArrayBuilder> builder;
  int64_t n = 0;
  switch (c) {
    case Canon::kInt64: case Canon::kUInt64: {
      const IntDomain d = DomainOf(c);
      arrow::Int64Builder ib;
      arrow::UInt64Builder ub;
      for (const auto& a : args) {
        if (!IsNumber(a) || !IsIntegral(a)) continue;
        const i128 v = FloorOf(a);
        if (v < d.lo || v > d.hi) continue;
        ARROW_RETURN_NOT_OK(d.is_unsigned ? ub.Append(static_cast<uint64_t>(v)) : ib.Append(static_cast<int64_t>(v)));
        ++n;
      }
      if (n == 0) return Const(Atom::Kind::kFalse);
      Atom atom;
      atom.kind = Atom::Kind::kIsIn;
      if (d.is_unsigned) {
        ARROW_ASSIGN_OR_RAISE(atom.values, ub.Finish());
      } else {
        ARROW_ASSIGN_OR_RAISE(atom.values, ib.Finish());
      }
      return atom;
    }
    case Canon::kDouble: {
      arrow::DoubleBuilder b;
      for (const auto& a : args) {
        if (!IsNumber(a)) continue;
        double x;
        if (auto* i = std::get_if<int64_t>(&a)) {
          x = static_cast<double>(*i);
          if (static_cast<i128>(x) != *i) continue;  // no double equals this int
        } else {
          x = std::get<double>(a);
        }
        ARROW_RETURN_NOT_OK(b.Append(x));
        if (x == 0) ARROW_RETURN_NOT_OK(b.Append(-x));  // 0.0 and -0.0 are equal values
        ++n;
      }
      if (n == 0) return Const(Atom::Kind::kFalse);
      Atom atom;
      atom.kind = Atom::Kind::kIsIn;
      ARROW_ASSIGN_OR_RAISE(atom.values, b.Finish());
      return atom;
    }
    case Canon::kString: case Canon::kLargeString: {
      arrow::StringBuilder sb;
      arrow::LargeStringBuilder lb;
      for (const auto& a : args) {
        const auto* s = std::get_if<std::string>(&a);
        if (!s) continue;
        ARROW_RETURN_NOT_OK(c == Canon::kString ? sb.Append(*s) : lb.Append(*s));
        ++n;
      }
      if (n == 0) return Const(Atom::Kind::kFalse);
      Atom atom;
      atom.kind = Atom::Kind::kIsIn;
      if (c == Canon::kString) {
        ARROW_ASSIGN_OR_RAISE(atom.values, sb.Finish());
      } else {
        ARROW_ASSIGN_OR_RAISE(atom.values, lb.Finish());
      }
      return atom;
    }
    case Canon::kBool: {
      arrow::BooleanBuilder b;
      for (const auto& a : args) {
        if (const auto* v = std::get_if<bool>(&a)) {
          ARROW_RETURN_NOT_OK(b.Append(*v));
          ++n;
        }
      }
      if (n == 0) return Const(Atom::Kind::kFalse);
      Atom atom;
      atom.kind = Atom::Kind::kIsIn;
      ARROW_ASSIGN_OR_RAISE(atom.values, b.Finish());
      return atom;
    }
    default:
      return Const(Atom::Kind::kFalse);
  }
}

arrow::Result<std::shared_ptr<arrow::BooleanArray>> AsMask(const arrow::Datum& d) {
  return NullsToFalse(d.make_array());
}

template <typename StringArrayType>
arrow::Result<std::shared_ptr<arrow::BooleanArray>> GlobMask(const StringArrayType& values, const Glob& glob) {
  const int64_t n = values.length();
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateEmptyBitmap(n));
  uint8_t* out = bits->mutable_data();
  for (int64_t i = 0; i < n; ++i) {
    if (values.IsValid(i) && glob.Matches(values.GetView(i))) arrow::bit_util::SetBit(out, i);
  }
  return std::make_shared<arrow::BooleanArray>(n, std::move(bits));
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::BooleanArray>> ConstantMask(int64_t length, bool value) {
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateBitmap(length));
  if (length > 0) arrow::bit_util::SetBitsTo(bits->mutable_data(), 0, length, value);
  return std::make_shared<arrow::BooleanArray>(length, std::move(bits));
}

arrow::Result<std::shared_ptr<arrow::BooleanArray>> NullsToFalse(const std::shared_ptr<arrow::Array>& mask) {
  auto b = std::static_pointer_cast<arrow::BooleanArray>(mask);
  if (b->null_count() == 0) return b;
  const auto& data = *b->data();
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::internal::BitmapAnd(arrow::default_memory_pool(), data.buffers[1]->data(),
                                                              data.offset, data.buffers[0]->data(), data.offset,
                                                              data.length, 0));
  return std::make_shared<arrow::BooleanArray>(data.length, std::move(bits));
}

arrow::Result<LeafPredicate> LeafPredicate::Make(const ScalarPredicate& p,
                                                 const std::shared_ptr<arrow::DataType>& type) {
  ARROW_RETURN_NOT_OK(ingest::EnsureComputeInitialized());
  LeafPredicate out;
  out.type_ = type;
  out.op_ = p.op;
  const Canon c = CanonOf(*type);
  out.queryable_ = c != Canon::kNone && LeafKindOf(*type).has_value();
  if (p.op == PredicateOp::kExists || p.op == PredicateOp::kNotExists) return out;
  if (!out.queryable_) {
    out.atoms_.push_back(Const(Atom::Kind::kFalse));
    return out;
  }
  switch (p.op) {
    case PredicateOp::kBetween:
      if (p.args.size() != 2) return arrow::Status::Invalid("$between takes two arguments");
      out.atoms_.push_back(SimpleAtom(PredicateOp::kGeq, p.args[0], c));
      out.atoms_.push_back(SimpleAtom(PredicateOp::kLeq, p.args[1], c));
      break;
    case PredicateOp::kOutside:
      if (p.args.size() != 2) return arrow::Status::Invalid("$outside takes two arguments");
      out.atoms_.push_back(SimpleAtom(PredicateOp::kLt, p.args[0], c));
      out.atoms_.push_back(SimpleAtom(PredicateOp::kGt, p.args[1], c));
      out.any_ = true;
      break;
    case PredicateOp::kIn: {
      ARROW_ASSIGN_OR_RAISE(auto atom, InAtom(p.args, c));
      out.atoms_.push_back(std::move(atom));
      break;
    }
    case PredicateOp::kMatch: {
      const auto* pattern = p.args.size() == 1 ? std::get_if<std::string>(&p.args[0]) : nullptr;
      if (!pattern) return arrow::Status::Invalid("$match takes a string");
      if (c == Canon::kString || c == Canon::kLargeString) {
        ARROW_ASSIGN_OR_RAISE(auto glob, Glob::Compile(*pattern));
        out.glob_ = std::move(glob);
      } else {
        out.atoms_.push_back(Const(Atom::Kind::kFalse));
      }
      break;
    }
    default:
      if (p.args.size() != 1) return arrow::Status::Invalid(PredicateOpName(p.op), " takes one argument");
      out.atoms_.push_back(SimpleAtom(p.op, p.args[0], c));
      out.exclude_nan_ = c == Canon::kDouble && p.op == PredicateOp::kNeq;
      break;
  }
  return out;
}

arrow::Result<std::shared_ptr<arrow::BooleanArray>> LeafPredicate::Evaluate(
    const std::shared_ptr<arrow::Array>& values) const {
  const int64_t n = values->length();
  if (op_ == PredicateOp::kExists || op_ == PredicateOp::kNotExists) {
    if (values->type_id() == arrow::Type::NA) return ConstantMask(n, op_ == PredicateOp::kNotExists);
    ARROW_ASSIGN_OR_RAISE(auto d, cp::CallFunction(op_ == PredicateOp::kExists ? "is_valid" : "is_null", {values}));
    return AsMask(d);
  }
  if (!queryable_ || values->type_id() == arrow::Type::NA) return ConstantMask(n, false);
  ARROW_ASSIGN_OR_RAISE(auto canon, ToCanonical(values));
  if (glob_) {
    if (canon->type_id() == arrow::Type::STRING) return GlobMask(static_cast<const arrow::StringArray&>(*canon), *glob_);
    return GlobMask(static_cast<const arrow::LargeStringArray&>(*canon), *glob_);
  }
  std::shared_ptr<arrow::BooleanArray> acc;
  for (const auto& atom : atoms_) {
    std::shared_ptr<arrow::BooleanArray> m;
    switch (atom.kind) {
      case Atom::Kind::kFalse: {
        ARROW_ASSIGN_OR_RAISE(m, ConstantMask(n, false));
        break;
      }
      case Atom::Kind::kValid:
      case Atom::Kind::kNull: {
        ARROW_ASSIGN_OR_RAISE(auto d, cp::CallFunction(atom.kind == Atom::Kind::kValid ? "is_valid" : "is_null",
                                                       {canon}));
        ARROW_ASSIGN_OR_RAISE(m, AsMask(d));
        break;
      }
      case Atom::Kind::kCompare: {
        ARROW_ASSIGN_OR_RAISE(auto d, cp::CallFunction(atom.function, {canon, atom.scalar}));
        ARROW_ASSIGN_OR_RAISE(m, AsMask(d));
        break;
      }
      case Atom::Kind::kIsIn: {
        cp::SetLookupOptions options(atom.values);
        ARROW_ASSIGN_OR_RAISE(auto d, cp::CallFunction("is_in", {canon}, &options));
        ARROW_ASSIGN_OR_RAISE(m, AsMask(d));
        break;
      }
    }
    if (!acc) {
      acc = std::move(m);
    } else {
      ARROW_ASSIGN_OR_RAISE(auto d, any_ ? cp::Or(acc, m) : cp::And(acc, m));
      ARROW_ASSIGN_OR_RAISE(acc, AsMask(d));
    }
  }
  if (!acc) return ConstantMask(n, false);
  if (exclude_nan_) {
    ARROW_ASSIGN_OR_RAISE(auto nan, cp::CallFunction("is_nan", {canon}));
    ARROW_ASSIGN_OR_RAISE(auto nan_mask, AsMask(nan));
    ARROW_ASSIGN_OR_RAISE(auto d, cp::AndNot(acc, nan_mask));
    ARROW_ASSIGN_OR_RAISE(acc, AsMask(d));
  }
  return acc;
}

}  // namespace mosaico::query
