// Row decoding and lookups shared by the SqliteCatalog source files (internal to catalog/sqlite/).
//
//  - kSelect* are SELECT ... FROM ... [JOIN ...] prefixes without WHERE/ORDER BY; callers append a
//    constant clause with '?' parameters. Read*() decodes one row produced by the matching prefix.
//  - Find*() return NotFound naming the resource ("sequence 'x' not found", "topic 'seq/name' not found",
//    "session 42 not found"); lookups by secret uuid never echo the uuid.
// REQUIRES: the caller holds the catalog mutex (the Connection is not thread-safe).
#pragma once

#include <cstdint>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/record_sql.h"  // kSelect* prefixes decoded by Read*
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::sqlite {


SequenceRecord ReadSequence(const Statement& row);
SessionRecord ReadSession(const Statement& row);
TopicRecord ReadTopic(const Statement& row);
ChunkRecord ReadChunk(const Statement& row);
// Decodes a kSelectStats row (the chunk id in column 0 is left to the caller).
arrow::Result<ColumnStats> ReadColumnStats(const Statement& row);

std::string SessionLocator(const std::string& sequence, const std::string& key);  // "seq:key"
std::string TopicLocator(const std::string& sequence, const std::string& topic);  // "seq/name"

arrow::Result<SequenceRecord> FindSequence(Connection* conn, const std::string& name);
arrow::Result<SessionRecord> FindSessionById(Connection* conn, int64_t id);
arrow::Result<TopicRecord> FindTopicById(Connection* conn, int64_t id);
arrow::Result<TopicRecord> FindTopic(Connection* conn, const std::string& sequence, const std::string& topic);

}  // namespace mosaico::catalog::sqlite
