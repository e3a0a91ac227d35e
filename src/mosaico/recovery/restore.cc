#include "mosaico/recovery/restore.h"

#include <map>

#include "mosaico/core/errors.h"

namespace mosaico::recovery {
namespace {

arrow::Status RestoreInto(const SequenceSnapshot& seq, catalog::Catalog& catalog, RestoreCounts* counts) {
  ARROW_ASSIGN_OR_RAISE(auto seq_row,
                        catalog.CreateSequence(seq.record.name, seq.record.user_metadata_json, seq.record.created_at_ns));
  ++counts->sequences;
  std::map<std::string, int64_t> session_ids;
  for (const auto& session : seq.sessions) {
    ARROW_ASSIGN_OR_RAISE(auto row, catalog.CreateSession(seq.record.name, session.record.key, session.record.uuid,
                                                          session.record.created_at_ns));
    session_ids[session.record.key] = row.id;
    ++counts->sessions;
  }
  for (const auto& topic : seq.topics) {
    catalog::TopicRecord record = topic.record;
    record.sequence_id = seq_row.id;
    record.session_id = session_ids.at(topic.record.session_key);  // the scan drops topics of unknown sessions
    ARROW_ASSIGN_OR_RAISE(auto row, catalog.CreateTopic(record));
    ++counts->topics;
    if (topic.record.schema_ipc) ARROW_RETURN_NOT_OK(catalog.SetTopicSchema(row.id, *topic.record.schema_ipc));
    if (const auto* upload = topic.committed_upload()) {
      ARROW_RETURN_NOT_OK(catalog.CommitTopicData(row.id, upload->upload_id, upload->manifest->chunks));
      ++counts->uploads;
      counts->chunks += static_cast<int64_t>(upload->manifest->chunks.size());
      counts->rows += upload->manifest->row_count;
    }
    for (const auto& n : topic.notifications) {
      ARROW_RETURN_NOT_OK(catalog.AddNotification(n.record).status());
      ++counts->notifications;
    }
  }
  for (const auto& session : seq.sessions) {
    if (session.record.locked && session.record.completed_at_ns) {
      ARROW_RETURN_NOT_OK(catalog.LockSession(session_ids.at(session.record.key), *session.record.completed_at_ns));
    }
  }
  for (const auto& n : seq.notifications) {
    ARROW_RETURN_NOT_OK(catalog.AddNotification(n.record).status());
    ++counts->notifications;
  }
  return arrow::Status::OK();
}

}  // namespace

RestoreCounts& RestoreCounts::operator+=(const RestoreCounts& o) {
  sequences += o.sequences;
  sessions += o.sessions;
  topics += o.topics;
  uploads += o.uploads;
  chunks += o.chunks;
  rows += o.rows;
  notifications += o.notifications;
  return *this;
}

arrow::Result<RestoreCounts> RestoreSequence(const SequenceSnapshot& seq, catalog::Catalog& catalog) {
  RestoreCounts counts;
  auto st = RestoreInto(seq, catalog, &counts);
  if (!st.ok()) {
    if (counts.sequences > 0) (void)catalog.DeleteSequence(seq.record.name);  // whole or not at all
    return WithContext(st, "restoring sequence '" + seq.record.name + "'");
  }
  return counts;
}

arrow::Result<RestoreCounts> RestoreAll(const StoreSnapshot& snapshot, catalog::Catalog& catalog,
                                        const std::function<void(int64_t, int64_t)>& progress) {
  RestoreCounts total;
  int64_t done = 0;
  for (const auto& seq : snapshot.sequences) {
    ARROW_ASSIGN_OR_RAISE(auto counts, RestoreSequence(seq, catalog));
    total += counts;
    if (progress) progress(++done, static_cast<int64_t>(snapshot.sequences.size()));
  }
  return total;
}

}  // namespace mosaico::recovery
