// ConditionEvaluator: one ontology condition (access path + predicate) evaluated on the rows of a decoded batch.
//
// Contract (docs/QUERY.md, "Operators on one value v" and "Evaluation"):
//  - Evaluate returns a boolean array with one value per row and no nulls.
//  - Field steps go into struct children with their parent's validity folded in (a field under a null struct is
//    null). A field the batch does not have (the topic's schema lacks it, or the value is not a struct) is null.
//  - List steps: [N] element N (out of range, null or empty list: false); [?] some element satisfies the rest of
//    the path; [!] every element does, and an empty or null list is false. A specifier on a non-list is false.
//  - The batch may hold only some leaves of a struct (Parquet column projection): only the path's own leaf (or,
//    when the path stops early, one leaf under the deepest node it reaches) is needed.
//  - ClassifyForSchema tells, from a topic's schema alone, when the condition is the same on every row, so a topic
//    can be skipped (always false) or the condition dropped (always true) without reading data.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <parquet/arrow/schema.h>

#include "mosaico/query/leaf_predicate.h"
#include "mosaico/query/query_ast.h"

namespace mosaico::query {

class ConditionEvaluator {
 public:
  explicit ConditionEvaluator(const OntologyCondition* condition) : condition_(condition) {}

  arrow::Result<std::shared_ptr<arrow::BooleanArray>> Evaluate(const arrow::RecordBatch& batch);

  const OntologyCondition& condition() const { return *condition_; }

 private:
  arrow::Result<std::shared_ptr<arrow::BooleanArray>> Eval(const std::shared_ptr<arrow::Array>& node, size_t step);
  template <typename ListArrayType>
  arrow::Result<std::shared_ptr<arrow::BooleanArray>> EvalList(const ListArrayType& list, size_t step);

  const OntologyCondition* condition_;
  std::optional<LeafPredicate> leaf_;  // compiled for the leaf type last seen
};

enum class StaticOutcome { kDynamic, kAlwaysTrue, kAlwaysFalse };
StaticOutcome ClassifyForSchema(const arrow::Schema& schema, const OntologyCondition& condition);

// Parquet leaf columns a chunk must decode to evaluate `path` (see the contract above); appended to `out`.
void CollectLeafColumns(const parquet::arrow::SchemaManifest& manifest, const std::vector<PathStep>& path,
                        std::vector<int>* out);

// The manifest node of a specifier-free path when it ends at a leaf column, else nullptr (no row-group pruning).
const parquet::arrow::SchemaField* FindLeafField(const parquet::arrow::SchemaManifest& manifest,
                                                 const std::vector<PathStep>& path);

}  // namespace mosaico::query
