// A data model of a topic: the Arrow schema uploaded for it, the ontology tag and the serialization format sent at
// topic_create. The SDK's built-in models are in builtin_models.h (generated from the installed SDK); a topic may
// also use any schema of its own (`Model::Custom`), which the SDK then reads as an unmodeled topic.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

namespace mosaico::client {

struct Model {
  std::string name;                      ///< the SDK's class name ("IMU"), or the custom model's name
  std::string ontology_tag;              ///< sent at topic_create; what queries name ("IMU.acceleration.x")
  std::string serialization_format;      ///< "default", "ragged" or "image"
  std::shared_ptr<arrow::Schema> schema; ///< timestamp_ns: int64 not null, then the model's fields

  /// A model of one's own: `schema` must start with (or hold) `timestamp_ns: int64 not null`.
  static arrow::Result<Model> Custom(std::string ontology_tag, std::shared_ptr<arrow::Schema> schema,
                                     std::string serialization_format = "default");
};

/// The built-in model with this class name or ontology tag; NotFound (listing the names) otherwise.
arrow::Result<const Model*> FindBuiltinModel(std::string_view name_or_tag);

}  // namespace mosaico::client
