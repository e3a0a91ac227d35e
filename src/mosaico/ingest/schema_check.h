// Schema rules of a topic's data stream, and the schema snapshot format.
//
// A topic schema has a top-level `timestamp_ns: int64 not null` column plus the data model's fields (any Arrow
// types, nested at will). Once the first DoPut of a topic opened, its schema is frozen as a snapshot; every
// stream and every batch must then have the same schema:
//   same field count, and for each field in order: same name, type (nested children included), nullability and
//   field metadata (nested children's metadata included). Schema-level metadata is ignored.
// Errors are INVALID_ARGUMENT and name the first differing field and what differs, e.g.
//   schema mismatch for topic 'seq/imu': field 3 'acceleration': type: expected struct<x: double> got struct<...>
// Field positions in messages are 0-based, as in Arrow.
//
// The snapshot is the Arrow IPC encapsulated schema message (arrow::ipc::SerializeSchema), which keeps field and
// schema metadata byte-exact; it is what catalog::TopicRecord::schema_ipc and layout::TopicSchema hold.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>

namespace mosaico::ingest {

inline constexpr char kTimestampField[] = "timestamp_ns";

// OK when `schema` has exactly one field named timestamp_ns, of type int64, non-nullable, and every field has a type
// Parquet can store (not, e.g., a dense union): INVALID_ARGUMENT naming the field and its type otherwise. Called
// when a DoPut's schema arrives, before the topic's schema snapshot is taken, so a refused schema binds nothing.
arrow::Status ValidateTopicSchema(const arrow::Schema& schema);

// OK when `actual` equals `expected` under the rules above; `topic_locator` ("seq/topic") names the topic in
// the error message.
arrow::Status CheckSameSchema(const arrow::Schema& expected, const arrow::Schema& actual,
                              const std::string& topic_locator);

// Snapshot bytes <-> schema. DeserializeSchema fails with INVALID_ARGUMENT on bytes that are not a schema message.
arrow::Result<std::string> SerializeSchema(const arrow::Schema& schema);
arrow::Result<std::shared_ptr<arrow::Schema>> DeserializeSchema(std::string_view ipc);

}  // namespace mosaico::ingest
