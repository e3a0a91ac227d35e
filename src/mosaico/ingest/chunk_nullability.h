// Which fields a chunk stores as required (non-nullable) Parquet columns: those without nulls in the chunk.
//
// The SDK declares every field (and struct child) nullable, so with the topic's schema every leaf of every chunk
// carries definition levels, which the reader turns into validity bitmaps (~9 % of a full read's CPU on IMU-like
// data; a required leaf decodes in about 0.73x the CPU, bench/README.md 2026-12-07). A chunk holding no null in a
// field stores it required instead; read/schema_conform.h reads such a chunk back under the topic's schema.
//
// Contract:
//  - RequireNullFreeFields(table): `table` under a schema equal to its own (names, types, field and schema
//    metadata) except that a nullable field, or a nullable child of a struct, becomes required when it and every
//    struct it lies in hold no null in `table`. A field with a null keeps its children as declared, whatever they
//    hold. Only struct children are descended into: the items of lists and maps, dictionary values and extension
//    storage keep their declared nullability (the list or map field itself may become required). Null-typed and
//    union fields never become required (a union's nulls live in its children).
//  - Cost O(columns x batches): decided from the arrays' null counts (known for batches decoded from IPC; an array
//    of unknown count, e.g. a child of a sliced struct, costs one popcount of its validity bitmap), never from the
//    values.
//  - Zero-copy: buffers are shared, only the type pointers of struct arrays whose children change are replaced.
//    Returns `table` itself when no field changes.
//  - ChunkWriter and bench/ceiling_server both write through it, so their chunk files stay comparable.
#pragma once

#include <memory>

#include <arrow/result.h>
#include <arrow/table.h>

namespace mosaico::ingest {

arrow::Result<std::shared_ptr<arrow::Table>> RequireNullFreeFields(const std::shared_ptr<arrow::Table>& table);

}  // namespace mosaico::ingest
