#include "mosaico/ingest/schema_check.h"

#include <optional>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/schema.h>
#include <parquet/properties.h>
#include <parquet/schema.h>

#include "mosaico/core/errors.h"

namespace mosaico::ingest {
namespace {

bool HasMetadata(const arrow::Field& f) { return f.metadata() && f.metadata()->size() > 0; }

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string RenderMetadata(const arrow::Field& f) {
  if (!HasMetadata(f)) return "{}";
  constexpr size_t kMaxValue = 80;
  const auto& md = *f.metadata();
  std::string out = "{";
  for (int64_t i = 0; i < md.size(); ++i) {
    if (i > 0) out += ", ";
    std::string value = md.value(i);
    if (value.size() > kMaxValue) value = value.substr(0, kMaxValue) + "...";
    out += md.key(i) + ": " + Quote(value);
  }
  return out + "}";
}

bool SameMetadata(const arrow::Field& e, const arrow::Field& a) {
  if (!HasMetadata(e) && !HasMetadata(a)) return true;
  if (HasMetadata(e) != HasMetadata(a)) return false;
  return e.metadata()->Equals(*a.metadata());
}

std::string TypeDiff(const arrow::DataType& e, const arrow::DataType& a) {
  return "type: expected " + e.ToString() + " got " + a.ToString();
}

// What differs between two fields at `path` (dotted path from the top-level field), or nullopt when equal.
std::optional<std::string> FieldDiff(const arrow::Field& e, const arrow::Field& a, const std::string& path) {
  if (e.Equals(a, /*check_metadata=*/true)) return std::nullopt;
  if (e.name() != a.name()) return "name: expected " + Quote(e.name()) + " got " + Quote(a.name());
  const arrow::DataType& et = *e.type();
  const arrow::DataType& at = *a.type();
  if (!et.Equals(at, /*check_metadata=*/true)) {
    if (et.id() != at.id() || et.num_fields() != at.num_fields() || et.num_fields() == 0) return TypeDiff(et, at);
    // Same kind of nested type: point at the first differing child.
    for (int i = 0; i < et.num_fields(); ++i) {
      const std::string child_path = path + "." + et.field(i)->name();
      if (auto diff = FieldDiff(*et.field(i), *at.field(i), child_path)) {
        return "child " + Quote(child_path) + ": " + *diff;
      }
    }
    return TypeDiff(et, at);  // a type parameter differs (list size, keys_sorted, union codes, ...)
  }
  if (e.nullable() != a.nullable()) {
    return std::string("nullability: expected ") + (e.nullable() ? "nullable" : "not null") + " got " +
           (a.nullable() ? "nullable" : "not null");
  }
  if (!SameMetadata(e, a)) return "field metadata: expected " + RenderMetadata(e) + " got " + RenderMetadata(a);
  return std::string("fields differ");  // unreachable in practice: Field::Equals covers only the above
}

}  // namespace

arrow::Status ValidateTopicSchema(const arrow::Schema& schema) {
  const std::vector<int> idx = schema.GetAllFieldIndices(kTimestampField);
  if (idx.empty()) {
    return InvalidArgument(std::string("topic schema is missing the required field '") + kTimestampField +
                           "' (int64, not null)");
  }
  if (idx.size() > 1) {
    return InvalidArgument(std::string("topic schema has ") + std::to_string(idx.size()) + " fields named '" +
                           kTimestampField + "'; exactly one is allowed");
  }
  const auto& field = schema.field(idx[0]);
  if (field->type()->id() != arrow::Type::INT64) {
    return InvalidArgument(std::string("field '") + kTimestampField + "' must be of type int64, got " +
                           field->type()->ToString());
  }
  if (field->nullable()) {
    return InvalidArgument(std::string("field '") + kTimestampField + "' must be non-nullable (int64 not null)");
  }
  // Every field must be storable in Parquet, checked now rather than at the first chunk (when the schema snapshot
  // would already bind the topic). Field by field, so the message names the one at fault.
  auto props = parquet::default_writer_properties();
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  for (const auto& f : schema.fields()) {
    std::shared_ptr<parquet::SchemaDescriptor> out;
    auto st = parquet::arrow::ToParquetSchema(arrow::schema({f}).get(), *props, *arrow_props, &out);
    if (!st.ok()) {
      return InvalidArgument("field '" + f->name() + "' has type " + f->type()->ToString() +
                             ", which cannot be stored (Parquet: " + st.message() + ")");
    }
  }
  return arrow::Status::OK();
}

arrow::Status CheckSameSchema(const arrow::Schema& expected, const arrow::Schema& actual,
                              const std::string& topic_locator) {
  const std::string prefix = "schema mismatch for topic " + Quote(topic_locator) + ": ";
  const int n = std::min(expected.num_fields(), actual.num_fields());
  for (int i = 0; i < n; ++i) {
    const auto& e = *expected.field(i);
    if (auto diff = FieldDiff(e, *actual.field(i), e.name())) {
      return InvalidArgument(prefix + "field " + std::to_string(i) + " " + Quote(e.name()) + ": " + *diff);
    }
  }
  const std::string counts = " (expected " + std::to_string(expected.num_fields()) + " fields, got " +
                             std::to_string(actual.num_fields()) + ")";
  if (expected.num_fields() > n) {
    return InvalidArgument(prefix + "field " + std::to_string(n) + " " + Quote(expected.field(n)->name()) +
                           ": missing" + counts);
  }
  if (actual.num_fields() > n) {
    return InvalidArgument(prefix + "field " + std::to_string(n) + " " + Quote(actual.field(n)->name()) +
                           ": not in the topic schema" + counts);
  }
  return arrow::Status::OK();
}

arrow::Result<std::string> SerializeSchema(const arrow::Schema& schema) {
  ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::ipc::SerializeSchema(schema));
  return buffer->ToString();
}

arrow::Result<std::shared_ptr<arrow::Schema>> DeserializeSchema(std::string_view ipc) {
  if (ipc.empty()) return InvalidArgument("invalid schema snapshot: empty");
  arrow::io::BufferReader reader(
      std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>(ipc.data()), static_cast<int64_t>(ipc.size())));
  arrow::ipc::DictionaryMemo memo;
  auto schema = arrow::ipc::ReadSchema(&reader, &memo);
  if (!schema.ok()) return InvalidArgument("invalid schema snapshot: " + schema.status().message());
  return schema;
}

}  // namespace mosaico::ingest
