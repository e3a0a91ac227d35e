#include "mosaico/catalog/record_sql.h"

namespace mosaico::catalog {

const char kSelectSequence[] = "SELECT q.id, q.name, q.user_metadata, q.created_at_ns FROM sequences q";

const char kSelectSession[] =
    "SELECT s.id, s.sequence_id, q.name, s.session_key, s.uuid, s.created_at_ns, s.completed_at_ns, s.locked "
    "FROM sessions s JOIN sequences q ON q.id = s.sequence_id";

const char kSelectTopic[] =
    "SELECT t.id, t.sequence_id, t.session_id, q.name, s.session_key, t.name, t.uuid, t.ontology_tag, "
    "t.serialization_format, t.user_metadata, t.created_at_ns, t.completed_at_ns, t.locked, t.schema_ipc, "
    "t.upload_id "
    "FROM topics t JOIN sequences q ON q.id = t.sequence_id JOIN sessions s ON s.id = t.session_id";

const char kSelectChunk[] =
    "SELECT c.id, c.topic_id, c.idx, c.object_key, c.row_count, c.size_bytes, c.ts_min, c.ts_max, c.checksum "
    "FROM chunks c";

const char kSelectStats[] =
    "SELECT st.chunk_id, st.column_path, st.kind, st.min_int, st.max_int, st.min_float, st.max_float, "
    "st.min_str, st.max_str, st.null_count "
    "FROM chunk_column_stats st JOIN chunks c ON c.id = st.chunk_id";

}  // namespace mosaico::catalog
