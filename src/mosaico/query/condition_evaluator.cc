#include "mosaico/query/condition_evaluator.h"

#include <arrow/array/util.h>
#include <arrow/util/bit_util.h>

#include "mosaico/query/ontology_key.h"

namespace mosaico::query {
namespace {

bool IsList(const arrow::DataType& t) {
  return t.id() == arrow::Type::LIST || t.id() == arrow::Type::LARGE_LIST || t.id() == arrow::Type::FIXED_SIZE_LIST;
}

bool HasSpecifier(const std::vector<PathStep>& path, size_t from, size_t to) {
  for (size_t i = from; i < to && i < path.size(); ++i) {
    if (path[i].kind != PathStep::Kind::kField) return true;
  }
  return false;
}

// The manifest node a path reaches, stopping early at a missing field or a wrong step.
const parquet::arrow::SchemaField* Walk(const parquet::arrow::SchemaManifest& manifest,
                                        const std::vector<PathStep>& path, bool* complete) {
  const parquet::arrow::SchemaField* node = nullptr;
  *complete = false;
  for (const auto& step : path) {
    if (step.kind == PathStep::Kind::kField) {
      const std::vector<parquet::arrow::SchemaField>* children = nullptr;
      if (!node) {
        children = &manifest.schema_fields;
      } else if (node->field->type()->id() == arrow::Type::STRUCT) {
        children = &node->children;
      } else {
        return node;
      }
      const parquet::arrow::SchemaField* next = nullptr;
      for (const auto& c : *children) {
        if (c.field->name() == step.name) {
          next = &c;
          break;
        }
      }
      if (!next) return node;
      node = next;
    } else {
      if (!node || !IsList(*node->field->type()) || node->children.empty()) return node;
      node = &node->children[0];
    }
  }
  *complete = true;
  return node;
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::BooleanArray>> ConditionEvaluator::Evaluate(const arrow::RecordBatch& batch) {
  const auto& path = condition_->path;
  std::shared_ptr<arrow::Array> column;
  if (!path.empty() && path[0].kind == PathStep::Kind::kField) column = batch.GetColumnByName(path[0].name);
  if (!column) column = std::make_shared<arrow::NullArray>(batch.num_rows());
  return Eval(column, 1);
}

arrow::Result<std::shared_ptr<arrow::BooleanArray>> ConditionEvaluator::Eval(const std::shared_ptr<arrow::Array>& node,
                                                                             size_t step) {
  const auto& path = condition_->path;
  const int64_t n = node->length();
  if (step == path.size()) {
    if (!leaf_ || !leaf_->type()->Equals(*node->type())) {
      ARROW_ASSIGN_OR_RAISE(auto leaf, LeafPredicate::Make(condition_->predicate, node->type()));
      leaf_ = std::move(leaf);
    }
    return leaf_->Evaluate(node);
  }
  const PathStep& s = path[step];
  if (s.kind == PathStep::Kind::kField) {
    std::shared_ptr<arrow::Array> child;
    if (node->type_id() == arrow::Type::STRUCT) {
      const auto& st = static_cast<const arrow::StructArray&>(*node);
      const int i = st.struct_type()->GetFieldIndex(s.name);
      if (i >= 0) {
        ARROW_ASSIGN_OR_RAISE(child, st.GetFlattenedField(i));
      }
    }
    if (!child) child = std::make_shared<arrow::NullArray>(n);
    return Eval(child, step + 1);
  }
  switch (node->type_id()) {
    case arrow::Type::LIST: return EvalList(static_cast<const arrow::ListArray&>(*node), step);
    case arrow::Type::LARGE_LIST: return EvalList(static_cast<const arrow::LargeListArray&>(*node), step);
    case arrow::Type::FIXED_SIZE_LIST: return EvalList(static_cast<const arrow::FixedSizeListArray&>(*node), step);
    default: return ConstantMask(n, false);
  }
}

template <typename ListArrayType>
arrow::Result<std::shared_ptr<arrow::BooleanArray>> ConditionEvaluator::EvalList(const ListArrayType& list,
                                                                                 size_t step) {
  const int64_t n = list.length();
  if (n == 0) return ConstantMask(0, false);
  // Only the elements of this (possibly sliced) list array are evaluated.
  const int64_t begin = list.value_offset(0);
  const int64_t end = list.value_offset(n - 1) + list.value_length(n - 1);
  auto elements = list.values()->Slice(begin, std::max<int64_t>(0, end - begin));
  ARROW_ASSIGN_OR_RAISE(auto element_mask, Eval(elements, step + 1));
  const PathStep& s = condition_->path[step];
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateEmptyBitmap(n));
  uint8_t* out = bits->mutable_data();
  for (int64_t i = 0; i < n; ++i) {
    if (list.IsNull(i)) continue;
    const int64_t len = list.value_length(i);
    const int64_t off = list.value_offset(i) - begin;
    bool hit = false;
    switch (s.kind) {
      case PathStep::Kind::kIndex:
        hit = s.index < len && element_mask->Value(off + s.index);
        break;
      case PathStep::Kind::kAny:
        for (int64_t k = 0; k < len && !hit; ++k) hit = element_mask->Value(off + k);
        break;
      case PathStep::Kind::kAll:
        hit = len > 0;
        for (int64_t k = 0; k < len && hit; ++k) hit = element_mask->Value(off + k);
        break;
      case PathStep::Kind::kField:
        break;
    }
    if (hit) arrow::bit_util::SetBit(out, i);
  }
  return std::make_shared<arrow::BooleanArray>(n, std::move(bits));
}

StaticOutcome ClassifyForSchema(const arrow::Schema& schema, const OntologyCondition& c) {
  const PathResolution r = ResolvePath(schema, c.path);
  const PredicateOp op = c.predicate.op;
  const bool presence_op = op == PredicateOp::kExists || op == PredicateOp::kNotExists;
  using O = PathResolution::Outcome;
  switch (r.outcome) {
    case O::kLeaf:
      if (presence_op || CheckKind(c.predicate, r.kind, "", "").ok()) return StaticOutcome::kDynamic;
      return StaticOutcome::kAlwaysFalse;  // a value of another kind never satisfies
    case O::kNotScalar:
    case O::kUnsupported:
      return presence_op ? StaticOutcome::kDynamic : StaticOutcome::kAlwaysFalse;
    case O::kSpecOnNonList:
      return HasSpecifier(c.path, 0, r.step) ? StaticOutcome::kDynamic : StaticOutcome::kAlwaysFalse;
    case O::kMissing:
    case O::kFieldOnNonStruct:
      // Null on every row unless the missing part sits inside list elements.
      if (HasSpecifier(c.path, 0, r.step)) return StaticOutcome::kDynamic;
      if (HasSpecifier(c.path, r.step, c.path.size())) return StaticOutcome::kAlwaysFalse;
      return op == PredicateOp::kNotExists ? StaticOutcome::kAlwaysTrue : StaticOutcome::kAlwaysFalse;
  }
  return StaticOutcome::kDynamic;
}

void CollectLeafColumns(const parquet::arrow::SchemaManifest& manifest, const std::vector<PathStep>& path,
                        std::vector<int>* out) {
  bool complete = false;
  const parquet::arrow::SchemaField* node = Walk(manifest, path, &complete);
  while (node && !node->is_leaf()) {
    if (node->children.empty()) return;
    node = &node->children[0];
  }
  if (node) out->push_back(node->column_index);
}

const parquet::arrow::SchemaField* FindLeafField(const parquet::arrow::SchemaManifest& manifest,
                                                 const std::vector<PathStep>& path) {
  if (HasSpecifier(path, 0, path.size())) return nullptr;
  bool complete = false;
  const parquet::arrow::SchemaField* node = Walk(manifest, path, &complete);
  if (!complete || !node || !node->is_leaf()) return nullptr;
  return node;
}

}  // namespace mosaico::query
