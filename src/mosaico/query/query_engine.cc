#include "mosaico/query/query_engine.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/json_writer.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/query/windows.h"

namespace mosaico::query {
namespace {

// Schema snapshots decoded once per call (many topics share the same bytes).
class SchemaDecoder {
 public:
  arrow::Result<std::shared_ptr<arrow::Schema>> Decode(const std::string& ipc) {
    auto it = cache_.find(ipc);
    if (it != cache_.end()) return it->second;
    auto schema = ingest::DeserializeSchema(ipc);
    if (!schema.ok()) return arrow::Status::IOError("corrupt schema snapshot in the catalog: ", schema.status().message());
    cache_.emplace(ipc, *schema);
    return *schema;
  }

 private:
  std::map<std::string, std::shared_ptr<arrow::Schema>> cache_;
};

double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

OrderedJson WindowReply(const Window& w, int64_t id) {
  OrderedJson ts;
  ts["start_ns"] = w.start_ns;
  ts["end_ns"] = w.end_ns;
  OrderedJson out;
  out["ts"] = std::move(ts);
  out["id"] = id;
  return out;
}

QueryEngine::QueryEngine(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
                         QueryOptions options)
    : catalog_(std::move(catalog)), store_(std::move(store)), options_(options) {}

arrow::Result<EvalResult> QueryEngine::Evaluate(const char* action, const TopicData& topic,
                                                const std::vector<OntologyCondition>& conditions, EvalRequest request,
                                                EvalCounters* counters) {
  request.use_statistics = options_.use_statistics;
  request.cancelled = options_.cancelled;
  const auto t0 = std::chrono::steady_clock::now();
  EvalCounters c;
  auto result = EvaluateTopic(*store_, topic, conditions, request, &c);
  spdlog::debug(
      "event=query_topic action={} topic={} ok={} conditions={} chunks_total={} chunks_pruned={} chunks_read={} "
      "chunks_pruned_by_time={} chunks_pruned_by_stats={} chunks_not_needed={} chunks_from_catalog={} "
      "row_groups_total={} row_groups_pruned={} row_groups_not_needed={} row_groups_read={} rows_evaluated={} "
      "rows_matched={} ms={:.3f}",
      action, topic.locator, result.ok(), conditions.size(), c.chunks_total,
      c.chunks_pruned_by_time + c.chunks_pruned_by_stats, c.chunks_read, c.chunks_pruned_by_time,
      c.chunks_pruned_by_stats, c.chunks_not_needed, c.chunks_from_catalog, c.row_groups_total, c.row_groups_pruned,
      c.row_groups_not_needed, c.row_groups_read, c.rows_evaluated, c.rows_matched, MillisSince(t0));
  counters->Add(c);
  return result;
}

SchemaLookup QueryEngine::Schemas() const {
  auto catalog = catalog_;
  return [catalog](const std::string& tag) -> arrow::Result<std::vector<std::shared_ptr<arrow::Schema>>> {
    ARROW_ASSIGN_OR_RAISE(auto blobs, catalog->SchemasOfOntologyTag(tag));
    SchemaDecoder decoder;
    std::vector<std::shared_ptr<arrow::Schema>> out;
    for (const auto& ipc : blobs) {
      ARROW_ASSIGN_OR_RAISE(auto schema, decoder.Decode(ipc));
      out.push_back(std::move(schema));
    }
    return out;
  };
}

arrow::Result<QueryEngine::Answer> QueryEngine::Run(const Json& body) {
  const auto t0 = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto request, ParseQuery(body, Schemas()));
  // Schema snapshots are only read for the ontology evaluation (a row's schema is kilobytes).
  request.catalog.with_schemas = !request.ontology.empty();
  ARROW_ASSIGN_OR_RAISE(auto matches, catalog_->FindTopics(request.catalog));
  Answer answer;
  answer.catalog_ms = MillisSince(t0);
  answer.catalog_matches = matches.size();
  // Catalog::FindTopics orders by (sequence name, topic name), which is the reply's order (within a sequence the
  // locators share the prefix "<sequence>/"); checked, since the reply is written in one pass.
  const auto by_name = [](const catalog::TopicMatch& a, const catalog::TopicMatch& b) {
    const int by_sequence = a.sequence_name.compare(b.sequence_name);
    return by_sequence != 0 ? by_sequence < 0 : a.topic_name < b.topic_name;
  };
  if (!std::is_sorted(matches.begin(), matches.end(), by_name)) std::sort(matches.begin(), matches.end(), by_name);

  SchemaDecoder decoder;
  // Kept rows are moved down in place (no second copy of a result that can hold a million rows).
  size_t kept = 0;
  for (size_t i = 0; i < matches.size(); ++i) {
    catalog::TopicMatch& m = matches[i];
    if (!request.ontology.empty()) {
      const TagConditions* tag = request.ontology.Find(m.ontology_tag);
      if (!tag || !m.schema_ipc || !m.ts_min) continue;  // not this tag, or no committed rows
      TopicData data;
      data.locator = m.sequence_name + "/" + m.topic_name;
      ARROW_ASSIGN_OR_RAISE(data.schema, decoder.Decode(*m.schema_ipc));
      ARROW_ASSIGN_OR_RAISE(data.chunks, catalog_->ListChunks(m.topic_id, /*with_stats=*/true));
      EvalRequest eval;
      eval.output = EvalRequest::Output::kRange;
      auto result = Evaluate("query", data, tag->conditions, eval, &answer.counters);
      if (!result.ok()) {
        // A topic deleted while we read it is simply not part of the answer.
        if (catalog_->GetTopic(m.sequence_name, m.topic_name).status().IsKeyError()) continue;
        return result.status();
      }
      if (!result->range) continue;
      m.ts_min = result->range->start_ns;
      m.ts_max = result->range->end_ns;
    } else if (!m.ts_min || !m.ts_max) {
      m.ts_min.reset();
      m.ts_max.reset();
    }
    if (kept != i) matches[kept] = std::move(m);
    ++kept;
  }
  matches.resize(kept);
  answer.hits = std::move(matches);
  return answer;
}

void QueryEngine::LogDone(const Answer& answer, std::chrono::steady_clock::time_point t0, size_t reply_bytes,
                          double reply_ms) const {
  size_t sequences = 0;
  for (size_t i = 0; i < answer.hits.size(); ++i) {
    if (i == 0 || answer.hits[i].sequence_name != answer.hits[i - 1].sequence_name) ++sequences;
  }
  spdlog::info(
      "event=query_done action=query catalog_matches={} sequences={} result_topics={} catalog_ms={:.2f} "
      "reply_bytes={} reply_ms={:.2f} total_ms={:.2f} {}",
      answer.catalog_matches, sequences, answer.hits.size(), answer.catalog_ms, reply_bytes, reply_ms, MillisSince(t0),
      answer.counters.ToString());
}

arrow::Result<std::vector<QueryHit>> QueryEngine::Find(const Json& body, EvalCounters* counters) {
  const auto t0 = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto answer, Run(body));
  LogDone(answer, t0, 0, 0);
  if (counters) counters->Add(answer.counters);
  return std::move(answer.hits);
}

arrow::Status QueryEngine::AppendQueryResponse(const Json& body, std::string* out, EvalCounters* counters) {
  const auto t0 = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto answer, Run(body));
  const auto t_reply = std::chrono::steady_clock::now();
  const size_t before = out->size();
  AppendQueryResponseJson(answer.hits, out);
  LogDone(answer, t0, out->size() - before, MillisSince(t_reply));
  if (counters) counters->Add(answer.counters);
  return arrow::Status::OK();
}

arrow::Result<OrderedJson> QueryEngine::Query(const Json& body, EvalCounters* counters) {
  std::string text;
  ARROW_RETURN_NOT_OK(AppendQueryResponse(body, &text, counters));
  return OrderedJson::parse(text);
}

void AppendQueryResponseJson(const std::vector<QueryHit>& hits, std::string* out) {
  // Reserved up front: growing a reply of tens of MB by doubling copies it and faults its pages in again.
  size_t bytes = 16;
  for (const auto& t : hits) {
    bytes += 2 * t.sequence_name.size() + t.topic_name.size() + t.ontology_tag.size() + (t.ts_min ? 90 : 70);
  }
  out->reserve(out->size() + bytes);
  out->append("{\"items\":[");
  for (size_t i = 0; i < hits.size(); ++i) {
    const catalog::TopicMatch& t = hits[i];
    const bool first_of_sequence = i == 0 || t.sequence_name != hits[i - 1].sequence_name;
    if (first_of_sequence) {
      if (i != 0) out->append("]},");
      out->append("{\"sequence\":");
      AppendJsonString(out, t.sequence_name);
      out->append(",\"topics\":[");
    } else {
      out->push_back(',');
    }
    out->append("{\"locator\":");
    AppendJsonString(out, t.sequence_name, "/", t.topic_name);
    out->append(",\"ontology_tag\":");
    AppendJsonString(out, t.ontology_tag);
    out->append(",\"timestamp_range\":");
    if (t.ts_min && t.ts_max) {
      out->push_back('[');
      AppendJsonInt(out, *t.ts_min);
      out->push_back(',');
      AppendJsonInt(out, *t.ts_max);
      out->push_back(']');
    } else {
      out->append("null");
    }
    out->push_back('}');
  }
  if (!hits.empty()) out->append("]}");
  out->append("]}");
}

arrow::Result<std::vector<Window>> QueryEngine::TopicWindows(const char* action, const ClusterizeRequest& request,
                                                             const catalog::TopicRecord& topic,
                                                             EvalCounters* counters) {
  TopicData data;
  data.locator = topic.sequence_name + "/" + topic.name;
  if (topic.schema_ipc) {
    SchemaDecoder decoder;
    ARROW_ASSIGN_OR_RAISE(data.schema, decoder.Decode(*topic.schema_ipc));
  }
  ARROW_ASSIGN_OR_RAISE(data.chunks, catalog_->ListChunks(topic.id, /*with_stats=*/true));
  static const std::vector<OntologyCondition> kNone;
  const TagConditions* tag = request.ontology.Find(topic.ontology_tag);
  // Like `query`: with ontology conditions but none for this topic's tag, no row of it matches.
  if (!request.ontology.empty() && !tag) return std::vector<Window>{};
  EvalRequest eval;
  eval.output = EvalRequest::Output::kWindows;
  eval.clustering_dt_ns = request.clustering_dt_ns;
  eval.ts_range = request.ts_range;
  ARROW_ASSIGN_OR_RAISE(auto result, Evaluate(action, data, tag ? tag->conditions : kNone, eval, counters));
  return std::move(result.windows);
}

arrow::Result<std::vector<Window>> QueryEngine::Clusterize(const Json& body, EvalCounters* counters) {
  const auto t0 = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto request, ParseClusterize(body, Schemas()));
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(request.sequence, request.topic));
  EvalCounters local;
  ARROW_ASSIGN_OR_RAISE(auto windows, TopicWindows("topic_filter_clusterize", request, topic, &local));
  spdlog::info("event=query_done action=topic_filter_clusterize locator={}/{} windows={} total_ms={:.2f} {}", request.sequence,
                request.topic, windows.size(), MillisSince(t0), local.ToString());
  if (counters) counters->Add(local);
  return windows;
}

arrow::Result<std::vector<Window>> QueryEngine::Intersect(const Json& body, EvalCounters* counters) {
  const auto t0 = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto request, ParseIntersect(body, Schemas()));
  std::vector<catalog::TopicRecord> topics;
  for (const auto& t : request.topics) {
    ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(t.sequence, t.topic));
    topics.push_back(std::move(topic));
  }
  std::vector<Window> out;
  EvalCounters local;
  if (topics.size() >= 2) {
    std::vector<std::vector<Window>> per_topic;
    for (size_t i = 0; i < topics.size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto windows, TopicWindows("topic_filter_intersect", request.topics[i], topics[i], &local));
      if (windows.empty()) break;  // one topic without a window: no intersection
      per_topic.push_back(std::move(windows));
    }
    if (per_topic.size() == topics.size()) out = IntersectWindows(per_topic, request.intersect_dt_ns);
  }
  spdlog::info("event=query_done action=topic_filter_intersect topics={} windows={} total_ms={:.2f} {}", topics.size(), out.size(),
                MillisSince(t0), local.ToString());
  if (counters) counters->Add(local);
  return out;
}

}  // namespace mosaico::query
