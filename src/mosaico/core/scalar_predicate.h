// ScalarPredicate: one query operator with its arguments, applied to one scalar value. Shared by every place that
// evaluates a query condition on individual values (catalog backends on user metadata, tests); the ontology
// evaluator applies the same semantics column-wise with Arrow compute.
//
// Semantics (docs/QUERY.md):
//  - Values are null, bool, int64, double or string. Numbers compare as numbers, int against float exactly
//    (no rounding through double for large ints); strings by UTF-8 byte order; booleans only for eq/neq/in.
//  - A null value satisfies only kNotExists; kExists holds for any non-null value.
//  - A value whose kind differs from an argument's (number vs string vs bool) never satisfies that argument.
//  - kEq/kNeq: one arg (kNeq: non-null, same kind and different). kLt..kGeq: one arg. kBetween: [a,b] inclusive;
//    kOutside: v < a or v > b. kIn: any arg equal. kMatch: one string arg, a glob (core/glob.h) anchored to the
//    whole value. kExists/kNotExists: no args.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mosaico {

enum class PredicateOp { kEq, kNeq, kLt, kLeq, kGt, kGeq, kBetween, kOutside, kIn, kMatch, kExists, kNotExists };

// "$eq" ... "$nex" (the SDK's wire names); Parse returns false for an unknown name.
const char* PredicateOpName(PredicateOp op);
bool ParsePredicateOp(std::string_view name, PredicateOp* op);

using ScalarValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct ScalarPredicate {
  PredicateOp op = PredicateOp::kEq;
  std::vector<ScalarValue> args;
};

// Total order between two numbers (int64 or double) without precision loss: <0, 0, >0.
int CompareNumbers(const ScalarValue& a, const ScalarValue& b);

// Does `value` satisfy `predicate`? Never fails: a malformed predicate (wrong arg count) is false.
bool Holds(const ScalarPredicate& predicate, const ScalarValue& value);

}  // namespace mosaico
