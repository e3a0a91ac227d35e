// Ontology keys "<tag>.<field>(.<field>)*", each field optionally followed by list specifiers [N], [?], [!]
// (docs/QUERY.md, "Grammar"), and their resolution against a topic's Arrow schema.
//
// Contract:
//  - ParseOntologyKey splits at the first '.': the tag is everything before it (non-empty). A field name is a
//    non-empty run of characters other than '.', '[' and ']'; N is a decimal index <= kMaxListIndex. At most
//    kMaxKeySegments steps. Errors are INVALID_ARGUMENT naming the key.
//  - ResolvePath walks a schema: field steps go into struct fields (top level: the schema's fields), specifiers
//    into list / large list / fixed-size list elements. kLeaf when it ends at a scalar of a queryable type
//    (LeafKindOf), with its kind. Pure function, no I/O.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/query/condition_parser.h"
#include "mosaico/query/query_ast.h"

namespace mosaico::query {

struct ParsedKey {
  std::string tag;
  std::vector<PathStep> path;
};

arrow::Result<ParsedKey> ParseOntologyKey(std::string_view key);

// Kind of a queryable scalar Arrow type: integers (any width, signed or not), float32/float64, date/time/
// timestamp/duration (as their integer value) -> number; utf8/large_utf8/utf8_view -> string; bool -> bool;
// a dictionary follows its value type. Anything else (float16, decimals, binaries, nested) -> nullopt.
std::optional<ValueKind> LeafKindOf(const arrow::DataType& type);

struct PathResolution {
  enum class Outcome {
    kLeaf,           // ends at a queryable scalar; `kind` and `type` are set
    kMissing,        // a field step names no field of that struct
    kNotScalar,      // ends at a struct or list (a list needs [N], [?] or [!])
    kSpecOnNonList,  // a list specifier on something that is not a list
    kFieldOnNonStruct,  // a field step on a scalar or a list (without specifier)
    kUnsupported,    // ends at a scalar type that is not queryable
  };
  Outcome outcome = Outcome::kMissing;
  ValueKind kind = ValueKind::kNumber;
  std::shared_ptr<arrow::DataType> type;
  size_t step = 0;  // the step at which resolution stopped (outcome != kLeaf)
  // Human-readable reason (outcome != kLeaf), e.g. "unknown field 'q'".
  std::string Reason(const std::vector<PathStep>& path) const;
};

PathResolution ResolvePath(const arrow::Schema& schema, const std::vector<PathStep>& path);

}  // namespace mosaico::query
