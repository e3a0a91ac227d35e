// ScalarPredicate evaluation (contract in scalar_predicate.h).
//
// Decisions beyond the header:
//  - NaN (value or argument) satisfies nothing but kExists (a NaN value is present) and never kNotExists.
//  - CompareNumbers orders NaN after every other number and equal to itself, so that it is a total order;
//    Holds never relies on that order for NaN.
//  - kMatch compiles its pattern on every call; callers evaluating many values keep a compiled core::Glob.
//    An invalid pattern matches nothing.
#include "mosaico/core/scalar_predicate.h"

#include <cmath>
#include <string>

#include "mosaico/core/glob.h"

namespace mosaico {
namespace {

struct OpName {
  PredicateOp op;
  const char* name;
};
constexpr OpName kOpNames[] = {
    {PredicateOp::kEq, "$eq"},       {PredicateOp::kNeq, "$neq"},       {PredicateOp::kLt, "$lt"},
    {PredicateOp::kLeq, "$leq"},     {PredicateOp::kGt, "$gt"},         {PredicateOp::kGeq, "$geq"},
    {PredicateOp::kBetween, "$between"}, {PredicateOp::kOutside, "$outside"}, {PredicateOp::kIn, "$in"},
    {PredicateOp::kMatch, "$match"}, {PredicateOp::kExists, "$ex"},     {PredicateOp::kNotExists, "$nex"},
};

enum class Kind { kNull, kBool, kNumber, kString };

Kind KindOf(const ScalarValue& v) {
  switch (v.index()) {
    case 0: return Kind::kNull;
    case 1: return Kind::kBool;
    case 2:
    case 3: return Kind::kNumber;
    default: return Kind::kString;
  }
}

bool IsNaN(const ScalarValue& v) {
  const double* d = std::get_if<double>(&v);
  return d != nullptr && std::isnan(*d);
}

int Sign(auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); }

// Exact comparison of an int64 with a non-NaN double.
int CompareIntDouble(int64_t i, double d) {
  constexpr double kTwoPow63 = 9223372036854775808.0;  // 2^63, exactly representable
  if (d >= kTwoPow63) return -1;
  if (d < -kTwoPow63) return 1;
  // d is in [-2^63, 2^63): its integral part fits in int64 exactly.
  const double whole = std::trunc(d);
  const auto whole_int = static_cast<int64_t>(whole);
  if (i != whole_int) return i < whole_int ? -1 : 1;
  const double fraction = d - whole;  // exact
  return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
}

// Three-way comparison of two values of the same, ordered kind (number or string); NaN excluded by callers.
int CompareSameKind(const ScalarValue& a, const ScalarValue& b) {
  if (KindOf(a) == Kind::kString) {
    // std::char_traits<char> compares as unsigned char, i.e. UTF-8 byte order.
    const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return CompareNumbers(a, b);
}

// Can `value` be compared with `arg` at all? Same kind, neither null nor NaN.
bool Comparable(const ScalarValue& value, const ScalarValue& arg) {
  return KindOf(value) == KindOf(arg) && KindOf(arg) != Kind::kNull && !IsNaN(arg);
}

bool Equal(const ScalarValue& value, const ScalarValue& arg) {
  if (!Comparable(value, arg)) return false;
  if (KindOf(value) == Kind::kBool) return std::get<bool>(value) == std::get<bool>(arg);
  return CompareSameKind(value, arg) == 0;
}

// For the order operators: -2 when the two cannot be ordered (kind mismatch, bool, null, NaN), else <0, 0, >0.
constexpr int kUnordered = -2;
int Order(const ScalarValue& value, const ScalarValue& arg) {
  if (!Comparable(value, arg) || KindOf(value) == Kind::kBool) return kUnordered;
  int c = CompareSameKind(value, arg);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

const char* PredicateOpName(PredicateOp op) {
  for (const OpName& entry : kOpNames) {
    if (entry.op == op) return entry.name;
  }
  return "?";
}

bool ParsePredicateOp(std::string_view name, PredicateOp* op) {
  for (const OpName& entry : kOpNames) {
    if (name == entry.name) {
      *op = entry.op;
      return true;
    }
  }
  return false;
}

int CompareNumbers(const ScalarValue& a, const ScalarValue& b) {
  const int64_t* ai = std::get_if<int64_t>(&a);
  const int64_t* bi = std::get_if<int64_t>(&b);
  const double* ad = std::get_if<double>(&a);
  const double* bd = std::get_if<double>(&b);
  if ((ai == nullptr && ad == nullptr) || (bi == nullptr && bd == nullptr)) return 0;  // not numbers
  if (ai != nullptr && bi != nullptr) return Sign(*ai, *bi);
  const bool a_nan = ad != nullptr && std::isnan(*ad), b_nan = bd != nullptr && std::isnan(*bd);
  if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
  if (ad != nullptr && bd != nullptr) return Sign(*ad, *bd);
  if (ai != nullptr) return CompareIntDouble(*ai, *bd);
  return -CompareIntDouble(*bi, *ad);
}

bool Holds(const ScalarPredicate& predicate, const ScalarValue& value) {
  const auto& args = predicate.args;
  const bool null = KindOf(value) == Kind::kNull;
  if (predicate.op == PredicateOp::kNotExists) return null;
  if (null) return false;
  if (predicate.op == PredicateOp::kExists) return true;
  if (IsNaN(value)) return false;

  switch (predicate.op) {
    case PredicateOp::kEq:
      return args.size() == 1 && Equal(value, args[0]);
    case PredicateOp::kNeq:
      return args.size() == 1 && Comparable(value, args[0]) && !Equal(value, args[0]);
    case PredicateOp::kLt:
      return args.size() == 1 && Order(value, args[0]) == -1;
    case PredicateOp::kLeq:
      return args.size() == 1 && (Order(value, args[0]) == -1 || Order(value, args[0]) == 0);
    case PredicateOp::kGt:
      return args.size() == 1 && Order(value, args[0]) == 1;
    case PredicateOp::kGeq:
      return args.size() == 1 && (Order(value, args[0]) == 1 || Order(value, args[0]) == 0);
    case PredicateOp::kBetween:
    case PredicateOp::kOutside: {
      if (args.size() != 2) return false;
      const int low = Order(value, args[0]), high = Order(value, args[1]);
      if (low == kUnordered || high == kUnordered) return false;
      return predicate.op == PredicateOp::kBetween ? (low >= 0 && high <= 0) : (low < 0 || high > 0);
    }
    case PredicateOp::kIn:
      for (const ScalarValue& arg : args) {
        if (Equal(value, arg)) return true;
      }
      return false;
    case PredicateOp::kMatch: {
      if (args.size() != 1) return false;
      const std::string* text = std::get_if<std::string>(&value);
      const std::string* pattern = std::get_if<std::string>(&args[0]);
      if (text == nullptr || pattern == nullptr) return false;
      auto glob = Glob::Compile(*pattern);
      return glob.ok() && glob->Matches(*text);
    }
    case PredicateOp::kExists:
    case PredicateOp::kNotExists:
      break;  // handled above
  }
  return false;
}

}  // namespace mosaico
