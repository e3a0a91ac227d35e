// The SELECT prefixes of catalog records, in the portable SQL both backends (catalog/sqlite, catalog/postgres)
// speak, so the column order their row decoders (Read*) rely on is defined once.
//  - kSelect* are SELECT ... FROM ... [JOIN ...] prefixes without WHERE/ORDER BY; backends append their clauses.
//  - kSelectStats yields the owning chunk id first: chunk_id, column_path, kind, min/max..., null_count.
#pragma once

namespace mosaico::catalog {

extern const char kSelectSequence[];
extern const char kSelectSession[];
extern const char kSelectTopic[];
extern const char kSelectChunk[];
extern const char kSelectStats[];

}  // namespace mosaico::catalog
