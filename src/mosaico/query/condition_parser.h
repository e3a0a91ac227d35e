// One query condition `{op: arg}` -> ScalarPredicate, with the operator/argument checks of docs/QUERY.md
// ("Grammar" and "Types"). Shared by every section of the query parser.
//
// Contract:
//  - ParseCondition: the condition is an object with exactly one known operator; arguments are JSON scalars
//    converted to ScalarValue (integers must fit int64; floats must be finite). Shapes: $ex/$nex any argument
//    (ignored, no args kept); $eq/$neq one number, string or boolean; $lt..$geq one number or string;
//    $between/$outside [a, b] of two numbers or two strings; $in a list of at most kMaxInValues scalars;
//    $match a non-empty string of at most kMaxMatchPatternBytes bytes that compiles as a core::Glob.
//  - CheckKind: every argument has the field's kind; $match only on strings; no order operator on booleans.
//  - Errors are INVALID_ARGUMENT "<what> '<key>': <reason>"; nothing here throws or recurses into the JSON.
#pragma once

#include <string>
#include <string_view>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/core/json.h"
#include "mosaico/core/scalar_predicate.h"

namespace mosaico::query {

enum class ValueKind { kNumber, kString, kBool };
const char* ValueKindName(ValueKind kind);

// `what` names the kind of key in messages ("ontology key", "sequence field", ...).
arrow::Result<ScalarPredicate> ParseCondition(const Json& condition, std::string_view what, std::string_view key);

arrow::Status CheckKind(const ScalarPredicate& predicate, ValueKind kind, std::string_view what,
                        std::string_view key);

// The error every parser returns: INVALID_ARGUMENT "query: <what> '<key>': <reason>" with the key shortened and
// control characters escaped.
arrow::Status KeyError(std::string_view what, std::string_view key, std::string_view reason);

// A key or value for an error message: at most ~200 bytes (cut at a UTF-8 boundary), control characters escaped.
std::string Printable(std::string_view text);

}  // namespace mosaico::query
