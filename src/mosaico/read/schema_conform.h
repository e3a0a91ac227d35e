// Makes batches decoded from a chunk carry the topic's schema snapshot exactly (the same Schema object, so
// names, types, nullability and field metadata — nested ones included — are the topic's).
//
// Contract:
//  - CompareChunkSchema: kIdentical when every field equals the topic's including field metadata; kRetype when
//    the fields differ only in (possibly nested) field metadata, or in nullability where the chunk is stricter: a
//    field or struct child the topic declares nullable may be required in a chunk (a chunk without nulls there
//    stores no definition levels for it; a chunk never holds nulls the topic refuses). IOError (corrupt chunk)
//    naming the first differing field otherwise (types, names, or a chunk field nullable where the topic's is
//    required). Schema-level metadata is ignored: the output always carries the topic's.
//  - ConformBatch is zero-copy: buffers are shared, only type pointers are replaced.
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace mosaico::read {

enum class SchemaMatch { kIdentical, kRetype };

arrow::Result<SchemaMatch> CompareChunkSchema(const arrow::Schema& chunk, const arrow::Schema& topic);

// REQUIRES: `match` is CompareChunkSchema(*batch->schema(), *topic).
std::shared_ptr<arrow::RecordBatch> ConformBatch(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                 const std::shared_ptr<arrow::Schema>& topic, SchemaMatch match);

}  // namespace mosaico::read
