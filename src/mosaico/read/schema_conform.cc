#include "mosaico/read/schema_conform.h"

#include <vector>

#include <arrow/array/data.h>
#include <arrow/extension_type.h>

namespace mosaico::read {
namespace {

// Shallow copy of `data` whose type (and its children's types) are `type`'s.
// REQUIRES: data->type conforms to `type` (equal ignoring field metadata and stricter nullability, see Conforms).
std::shared_ptr<arrow::ArrayData> Retype(const std::shared_ptr<arrow::ArrayData>& data,
                                         const std::shared_ptr<arrow::DataType>& type) {
  if (!data || data->type == type) return data;
  auto out = data->Copy();
  out->type = type;
  const arrow::DataType* storage = type.get();
  if (storage->id() == arrow::Type::EXTENSION) {
    storage = static_cast<const arrow::ExtensionType&>(*storage).storage_type().get();
  }
  if (storage->id() == arrow::Type::DICTIONARY) {
    out->dictionary = Retype(data->dictionary, static_cast<const arrow::DictionaryType&>(*storage).value_type());
    return out;
  }
  for (size_t i = 0; i < out->child_data.size() && static_cast<int>(i) < storage->num_fields(); ++i) {
    out->child_data[i] = Retype(data->child_data[i], storage->field(static_cast<int>(i))->type());
  }
  return out;
}

// Whether chunk field `c` reads as topic field `t`: the same name and type ignoring field metadata, except that a
// field or struct child the topic declares nullable may be required in the chunk (never the reverse).
bool Conforms(const arrow::Field& c, const arrow::Field& t) {
  if (c.name() != t.name() || (c.nullable() && !t.nullable())) return false;
  const arrow::DataType& ct = *c.type();
  const arrow::DataType& tt = *t.type();
  if (ct.id() != arrow::Type::STRUCT || tt.id() != arrow::Type::STRUCT) return ct.Equals(tt, /*check_metadata=*/false);
  if (ct.num_fields() != tt.num_fields()) return false;
  for (int i = 0; i < ct.num_fields(); ++i) {
    if (!Conforms(*ct.field(i), *tt.field(i))) return false;
  }
  return true;
}

}  // namespace

arrow::Result<SchemaMatch> CompareChunkSchema(const arrow::Schema& chunk, const arrow::Schema& topic) {
  if (chunk.num_fields() != topic.num_fields()) {
    return arrow::Status::IOError("corrupt chunk: ", chunk.num_fields(), " columns where the topic schema has ",
                                  topic.num_fields());
  }
  SchemaMatch match = SchemaMatch::kIdentical;
  for (int i = 0; i < topic.num_fields(); ++i) {
    const auto& c = *chunk.field(i);
    const auto& t = *topic.field(i);
    if (c.Equals(t, /*check_metadata=*/true)) continue;
    if (!c.Equals(t, /*check_metadata=*/false) && !Conforms(c, t)) {
      return arrow::Status::IOError("corrupt chunk: column ", i, " is '", c.ToString(), "' where the topic schema has '",
                                    t.ToString(), "'");
    }
    match = SchemaMatch::kRetype;
  }
  return match;
}

std::shared_ptr<arrow::RecordBatch> ConformBatch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                 const std::shared_ptr<arrow::Schema>& topic, SchemaMatch match) {
  if (batch->schema() == topic) return batch;
  std::vector<std::shared_ptr<arrow::ArrayData>> columns = batch->column_data();
  if (match == SchemaMatch::kRetype) {
    for (int i = 0; i < topic->num_fields(); ++i) columns[i] = Retype(columns[i], topic->field(i)->type());
  }
  return arrow::RecordBatch::Make(topic, batch->num_rows(), std::move(columns));
}

}  // namespace mosaico::read
