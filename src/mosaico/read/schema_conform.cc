#include "mosaico/read/schema_conform.h"

#include <vector>

#include <arrow/array/data.h>
#include <arrow/extension_type.h>

namespace mosaico::read {
namespace {

// Shallow copy of `data` whose type (and its children's types) are `type`'s.
// REQUIRES: data->type equals `type` ignoring field metadata.
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
    if (!c.Equals(t, /*check_metadata=*/false)) {
      return arrow::Status::IOError("corrupt chunk: column ", i, " is '", c.ToString(), "' where the topic schema has '",
                                    t.ToString(), "'");
    }
    match = SchemaMatch::kMetadataOnly;
  }
  return match;
}

std::shared_ptr<arrow::RecordBatch> ConformBatch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                 const std::shared_ptr<arrow::Schema>& topic, SchemaMatch match) {
  if (batch->schema() == topic) return batch;
  std::vector<std::shared_ptr<arrow::ArrayData>> columns = batch->column_data();
  if (match == SchemaMatch::kMetadataOnly) {
    for (int i = 0; i < topic->num_fields(); ++i) columns[i] = Retype(columns[i], topic->field(i)->type());
  }
  return arrow::RecordBatch::Make(topic, batch->num_rows(), std::move(columns));
}

}  // namespace mosaico::read
