// QueryEngine: runs the `query`, `topic_filter_clusterize` and `topic_filter_intersect` actions
// (docs/QUERY.md) over the catalog and the object store.
//
// Data path of a query: JSON -> query_parser (validation, ontology keys type-checked against the tag's schema
// snapshots) -> Catalog::FindTopics (sequence / topic / tag predicates, evaluated inside the catalog backend) ->
// for each topic, when the query has an ontology section, ontology_evaluator over the topic's committed chunks ->
// reply grouped by sequence.
//
// Contract:
//  - Query answers with the `response` object: {"items": [{"sequence", "topics": [{"locator", "ontology_tag",
//    "timestamp_range": [min, max] | null}]}]}, sequences sorted by name and topics by locator (byte order);
//    sequences without a matching topic are left out. AppendQueryResponse writes it as JSON text in one pass over
//    the catalog's rows (core/json_writer.h: the bytes nlohmann's compact dump of the same object gives), which is
//    what the `query` action sends; Query parses that text back (tests); Find gives the topics themselves.
//  - Clusterize / Intersect return the windows in time order (ids are their positions); an unknown topic is
//    NOT_FOUND, an invalid body INVALID_ARGUMENT. A body's rows are those of its topic that satisfy the conditions
//    of the topic's own tag (the SDK sends every condition of the query for every topic); conditions of other
//    tags are validated but do not apply; an ontology with no condition for the topic's tag matches no row, an
//    empty ontology every row.
//  - A topic deleted while it is being queried is left out rather than failing the query.
//  - Each call logs one info line `event=query_done action=<action>` with the summed EvalCounters (chunks_total,
//    chunks_pruned, chunks_read, row_groups_total, row_groups_read, rows_evaluated, ...) and its time (`query`:
//    catalog_ms = FindTopics, reply_ms / reply_bytes = writing the reply text, total_ms = both and the rest); every
//    topic whose rows are evaluated adds a debug line `event=query_topic action=<action> topic=<locator>` with
//    its own counters (a query can touch thousands of topics).
//  - Thread-safe: one engine may serve concurrent calls (it holds no per-call state).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/json.h"
#include "mosaico/query/ontology_evaluator.h"
#include "mosaico/query/query_ast.h"
#include "mosaico/query/query_parser.h"
#include "mosaico/store/object_store.h"

namespace mosaico::query {

struct QueryOptions {
  // false: never skip chunks / row groups by their value statistics (to measure what pruning buys).
  bool use_statistics = true;
  // Polled between topics, chunks and row groups; true -> the call fails with Status::Cancelled.
  std::function<bool()> cancelled;
};

// One topic of a `query` answer: its catalog row (schema_ipc may be unset when the query had no ontology part),
// with ts_min / ts_max holding the reply's timestamp_range (both unset: null). Without an ontology part that is the
// topic's committed data interval; with one, the interval of its matching rows.
using QueryHit = catalog::TopicMatch;

// The `response` object of a `query` answer made of `hits` (in reply order), appended to `out` as JSON text.
void AppendQueryResponseJson(const std::vector<QueryHit>& hits, std::string* out);

class QueryEngine {
 public:
  QueryEngine(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
              QueryOptions options = {});

  // `counters`, when given, receives what the ontology evaluation touched (added to what it holds).
  // The topics of the answer, in reply order (sequence name, then topic name: the locator order within a sequence).
  arrow::Result<std::vector<QueryHit>> Find(const Json& body, EvalCounters* counters = nullptr);
  // Appends the `response` object of the answer to `out` as JSON text.
  arrow::Status AppendQueryResponse(const Json& body, std::string* out, EvalCounters* counters = nullptr);
  // The same object, parsed.
  arrow::Result<OrderedJson> Query(const Json& body, EvalCounters* counters = nullptr);
  arrow::Result<std::vector<Window>> Clusterize(const Json& body, EvalCounters* counters = nullptr);
  arrow::Result<std::vector<Window>> Intersect(const Json& body, EvalCounters* counters = nullptr);

  // The schema snapshots of a tag, from the catalog (what the parser type-checks ontology keys against).
  SchemaLookup Schemas() const;

 private:
  struct Answer {
    std::vector<QueryHit> hits;
    double catalog_ms = 0;
    size_t catalog_matches = 0;  // rows FindTopics returned (before the ontology part)
    EvalCounters counters;
  };
  arrow::Result<Answer> Run(const Json& body);
  // Logs event=query_done for `answer`; `reply_bytes` / `reply_ms` when the reply text was written.
  void LogDone(const Answer& answer, std::chrono::steady_clock::time_point t0, size_t reply_bytes,
               double reply_ms) const;
  arrow::Result<std::vector<Window>> TopicWindows(const char* action, const ClusterizeRequest& request,
                                                  const catalog::TopicRecord& topic, EvalCounters* counters);
  // EvaluateTopic, logged as event=query_topic, its counters added to `counters`.
  arrow::Result<EvalResult> Evaluate(const char* action, const TopicData& topic,
                                     const std::vector<OntologyCondition>& conditions, EvalRequest request,
                                     EvalCounters* counters);

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  QueryOptions options_;
};

// One streamed result of clusterize / intersect: {"ts": {"start_ns", "end_ns"}, "id": id}.
OrderedJson WindowReply(const Window& window, int64_t id);

}  // namespace mosaico::query
