// What the console's catalog, sequence and topic pages show, read from the catalog (no data scan), as JSON.
//
// Contract:
//  - ListSequences: one page of sequences by name after `after` (cursor paging: the cost follows the page, not
//    the catalog). Without a filter it is the catalog's name index (Catalog::ListSequencesPage); with one (name
//    glob, user_metadata conditions, ontology tag, or a whole query body) the sequences come from the same query
//    engine as the `query` action (query/query_engine.h), so the console and the SDK agree on what matches.
//    Each row: name, created_at_ns, user_metadata, state ("locked" | "uploading" | "empty"), sessions, topics,
//    rows, bytes, ts_min/ts_max (duration), notifications. Reply {"items": [...], "next": name | null}.
//  - Sequence: the row above plus sessions (key, created, completed, locked), topics (name, ontology tag,
//    serialization format, rows, bytes, chunks, time range, locked) and notifications, and a timeline: for every
//    topic, rows per column over the sequence's time range from its chunks' catalog records.
//  - Topic: its record, summary, schema tree ({name, type, nullable, children}), per-column statistics merged
//    over its chunks (min, max, null count), notifications, and "kind": "image" | "compressed_image" | "table"
//    decided by the schema (the SDK's Image / CompressedImage fields).
//  - Unknown sequence / topic: NotFound (KeyError from the catalog) naming it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/json.h"
#include "mosaico/query/query_engine.h"

namespace mosaico::console {

struct SequenceFilter {
  std::string name_glob;            // $match on the sequence name; empty: none
  std::string user_metadata_json;   // {"key": {"$op": arg}, ...}; empty: none
  std::string ontology_tag;         // topics with this tag; empty: none
  std::string query_json;           // a whole `query` body; merged under the fields above
  bool empty() const {
    return name_glob.empty() && user_metadata_json.empty() && ontology_tag.empty() && query_json.empty();
  }
};

inline constexpr int kTimelineColumns = 400;

class CatalogView {
 public:
  CatalogView(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<query::QueryEngine> engine)
      : catalog_(std::move(catalog)), engine_(std::move(engine)) {}

  arrow::Result<OrderedJson> ListSequences(const SequenceFilter& filter, const std::string& after, int limit);
  arrow::Result<OrderedJson> Sequence(const std::string& name);
  arrow::Result<OrderedJson> Topic(const std::string& sequence, const std::string& topic);

 private:
  arrow::Result<OrderedJson> SequenceRow(const catalog::SequenceRecord& seq);

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<query::QueryEngine> engine_;
};

// {"name", "type", "nullable", "children"?} for every field of a schema.
OrderedJson SchemaTree(const arrow::Schema& schema);
// "image" (data, format, width, height, stride, encoding), "compressed_image" (data, format) or "table".
std::string TopicKind(const arrow::Schema& schema);

}  // namespace mosaico::console
