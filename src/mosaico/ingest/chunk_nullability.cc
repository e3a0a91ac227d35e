#include "mosaico/ingest/chunk_nullability.h"

#include <utility>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/data.h>
#include <arrow/chunked_array.h>
#include <arrow/type.h>

namespace mosaico::ingest {
namespace {

using Arrays = std::vector<std::shared_ptr<arrow::Array>>;

bool NullFree(const Arrays& arrays) {
  for (const auto& a : arrays) {
    if (a->null_count() != 0) return false;
  }
  return true;
}

bool MayBeRequired(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::NA:
    case arrow::Type::SPARSE_UNION:
    case arrow::Type::DENSE_UNION:
      return false;
    default:
      return true;
  }
}

// `field` as a chunk whose values of it are `arrays` stores it. Returns `field` itself when nothing changes.
std::shared_ptr<arrow::Field> Strict(const std::shared_ptr<arrow::Field>& field, const Arrays& arrays) {
  // A null here: the field stays as declared and so do its children (a child's slots under a null struct are
  // undefined, its own null count says nothing).
  if (!MayBeRequired(*field->type()) || !NullFree(arrays)) return field;
  std::shared_ptr<arrow::Field> out = field->nullable() ? field->WithNullable(false) : field;
  const auto& type = field->type();
  if (type->id() != arrow::Type::STRUCT) return out;
  std::vector<std::shared_ptr<arrow::Field>> children;
  children.reserve(static_cast<size_t>(type->num_fields()));
  bool changed = false;
  for (int i = 0; i < type->num_fields(); ++i) {
    Arrays child_arrays;
    child_arrays.reserve(arrays.size());
    // StructArray::field slices the child to the struct's own offset and length.
    for (const auto& a : arrays) child_arrays.push_back(static_cast<const arrow::StructArray&>(*a).field(i));
    children.push_back(Strict(type->field(i), child_arrays));
    changed = changed || children.back() != type->field(i);
  }
  return changed ? out->WithType(arrow::struct_(std::move(children))) : out;
}

// Shallow copy of `data` typed `type`. REQUIRES: `type` equals data->type but for the nullability of (nested) struct
// children, as Strict makes it.
std::shared_ptr<arrow::ArrayData> Retype(const std::shared_ptr<arrow::ArrayData>& data,
                                         const std::shared_ptr<arrow::DataType>& type) {
  if (data->type == type) return data;
  auto out = data->Copy();
  out->type = type;
  if (type->id() == arrow::Type::STRUCT) {
    for (int i = 0; i < type->num_fields(); ++i) {
      out->child_data[static_cast<size_t>(i)] = Retype(data->child_data[static_cast<size_t>(i)], type->field(i)->type());
    }
  }
  return out;
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Table>> RequireNullFreeFields(const std::shared_ptr<arrow::Table>& table) {
  const auto& schema = *table->schema();
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  fields.reserve(static_cast<size_t>(schema.num_fields()));
  columns.reserve(static_cast<size_t>(schema.num_fields()));
  bool changed = false;
  for (int i = 0; i < schema.num_fields(); ++i) {
    const auto& field = schema.field(i);
    const auto& column = table->column(i);
    auto strict = Strict(field, column->chunks());
    if (strict == field) {
      fields.push_back(field);
      columns.push_back(column);
      continue;
    }
    changed = true;
    if (strict->type() == field->type()) {
      columns.push_back(column);  // only the field's own nullability changed
    } else {
      Arrays chunks;
      chunks.reserve(column->chunks().size());
      for (const auto& c : column->chunks()) chunks.push_back(arrow::MakeArray(Retype(c->data(), strict->type())));
      ARROW_ASSIGN_OR_RAISE(auto retyped, arrow::ChunkedArray::Make(std::move(chunks), strict->type()));
      columns.push_back(std::move(retyped));
    }
    fields.push_back(std::move(strict));
  }
  if (!changed) return table;
  return arrow::Table::Make(arrow::schema(std::move(fields), schema.metadata()), std::move(columns), table->num_rows());
}

}  // namespace mosaico::ingest
