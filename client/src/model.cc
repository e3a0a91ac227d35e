#include "mosaico/client/model.h"

#include <arrow/type.h>

#include "mosaico/client/builtin_models.h"

namespace mosaico::client {

arrow::Result<Model> Model::Custom(std::string ontology_tag, std::shared_ptr<arrow::Schema> schema,
                                   std::string serialization_format) {
  if (schema == nullptr) return arrow::Status::Invalid("model '", ontology_tag, "': no schema");
  auto ts = schema->GetFieldByName("timestamp_ns");
  if (ts == nullptr || ts->type()->id() != arrow::Type::INT64 || ts->nullable()) {
    return arrow::Status::Invalid("model '", ontology_tag, "': the schema needs a field 'timestamp_ns: int64 not null'");
  }
  if (serialization_format != "default" && serialization_format != "ragged" && serialization_format != "image") {
    return arrow::Status::Invalid("model '", ontology_tag, "': serialization format '", serialization_format,
                                  "' is not default, ragged or image");
  }
  return Model{ontology_tag, ontology_tag, std::move(serialization_format), std::move(schema)};
}

arrow::Result<const Model*> FindBuiltinModel(std::string_view name_or_tag) {
  std::string names;
  for (const Model* m : models::All()) {
    if (m->name == name_or_tag || m->ontology_tag == name_or_tag) return m;
    names += (names.empty() ? "" : ", ") + m->name;
  }
  return arrow::Status::KeyError("no built-in model '", std::string(name_or_tag), "' (known: ", names, ")");
}

}  // namespace mosaico::client
