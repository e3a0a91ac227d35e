// LeafPredicate: one ScalarPredicate compiled for one Arrow leaf type and evaluated on whole arrays with Arrow
// compute (the column-wise twin of core/scalar_predicate.h's Holds).
//
// Contract (docs/QUERY.md, "Operators on one value v"):
//  - Evaluate returns a boolean array of the input's length WITHOUT nulls: true where the value satisfies the
//    predicate. A null satisfies only $nex; $ex holds for every non-null value (NaN included).
//  - Numbers compare exactly, whatever the mix: integer columns of any width or signedness against int or float
//    arguments (float bounds become integer bounds, e.g. v < 2.5 is v < 3), float columns against int arguments
//    beyond 2^53 (rounded towards the right side). A NaN satisfies nothing but $ex.
//  - Strings compare by byte order; $match is a core::Glob anchored to the whole value. Booleans: $eq $neq $in.
//  - An argument of another kind than the column's never matches; a column that is not a queryable scalar
//    (struct, list, unsupported type, or the null type of an absent field) only answers $ex / $nex.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/datum.h>
#include <arrow/result.h>

#include "mosaico/core/glob.h"
#include "mosaico/core/scalar_predicate.h"

namespace mosaico::query {

class LeafPredicate {
 public:
  static arrow::Result<LeafPredicate> Make(const ScalarPredicate& predicate,
                                           const std::shared_ptr<arrow::DataType>& type);

  arrow::Result<std::shared_ptr<arrow::BooleanArray>> Evaluate(const std::shared_ptr<arrow::Array>& values) const;

  const std::shared_ptr<arrow::DataType>& type() const { return type_; }

  // One comparison of the canonical column against a scalar, or a constant.
  struct Atom {
    enum class Kind { kFalse, kValid, kNull, kCompare, kIsIn } kind = Kind::kFalse;
    std::string function;                  // kCompare: "less", "equal", ...
    arrow::Datum scalar;                   // kCompare
    std::shared_ptr<arrow::Array> values;  // kIsIn: the value set
  };

 private:
  std::shared_ptr<arrow::DataType> type_;  // the leaf type as decoded
  bool queryable_ = false;                 // a scalar of a queryable kind
  std::vector<Atom> atoms_;
  bool any_ = false;         // combine atoms with OR (else AND)
  bool exclude_nan_ = false; // float column: NaN rows never satisfy
  std::optional<Glob> glob_;
  PredicateOp op_ = PredicateOp::kEq;
};

// A boolean array of `length` values, all `value`.
arrow::Result<std::shared_ptr<arrow::BooleanArray>> ConstantMask(int64_t length, bool value);

// Replaces the nulls of a boolean array by false.
arrow::Result<std::shared_ptr<arrow::BooleanArray>> NullsToFalse(const std::shared_ptr<arrow::Array>& mask);

}  // namespace mosaico::query
