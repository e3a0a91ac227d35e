#include "mosaico/console/catalog_view.h"

#include <algorithm>
#include <limits>

#include <arrow/api.h>

#include "mosaico/console/downsample.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/query/request_json.h"

namespace mosaico::console {
namespace {

Json ParsedOr(const std::string& text, const char* what, arrow::Status* st) {
  auto parsed = query::ParseRequestJson(text, what);
  if (!parsed.ok()) {
    *st = parsed.status();
    return Json::object();
  }
  return *parsed;
}

OrderedJson Notifications(const std::vector<catalog::NotificationRecord>& list) {
  OrderedJson out = OrderedJson::array();
  for (const auto& n : list) {
    out.push_back({{"type", n.notification_type}, {"msg", n.msg}, {"created_at_ns", n.created_at_ns},
                   {"topic", n.topic_name ? OrderedJson(*n.topic_name) : OrderedJson(nullptr)}});
  }
  return out;
}

OrderedJson UserMetadata(const std::string& text) {
  auto parsed = OrderedJson::parse(text, nullptr, false);
  return parsed.is_discarded() ? OrderedJson(text) : parsed;
}

OrderedJson FieldTree(const arrow::Field& field) {
  OrderedJson node{{"name", field.name()}, {"type", field.type()->ToString()}, {"nullable", field.nullable()}};
  if (field.type()->num_fields() > 0) {
    OrderedJson children = OrderedJson::array();
    for (const auto& child : field.type()->fields()) children.push_back(FieldTree(*child));
    node["children"] = std::move(children);
    node["type"] = field.type()->name();
  }
  return node;
}

OrderedJson StatValue(const catalog::ColumnStats& s, bool min) {
  switch (s.kind) {
    case catalog::ColumnStats::Kind::kInt:
    case catalog::ColumnStats::Kind::kBool: {
      auto v = min ? s.min_int : s.max_int;
      return v ? OrderedJson(*v) : OrderedJson(nullptr);
    }
    case catalog::ColumnStats::Kind::kFloat: {
      auto v = min ? s.min_float : s.max_float;
      return v ? OrderedJson(*v) : OrderedJson(nullptr);
    }
    case catalog::ColumnStats::Kind::kString: {
      auto v = min ? s.min_str : s.max_str;
      return v ? OrderedJson(*v) : OrderedJson(nullptr);
    }
  }
  return nullptr;
}

}  // namespace

OrderedJson SchemaTree(const arrow::Schema& schema) {
  OrderedJson out = OrderedJson::array();
  for (const auto& f : schema.fields()) out.push_back(FieldTree(*f));
  return out;
}

std::string TopicKind(const arrow::Schema& schema) {
  auto has = [&](const char* name, bool (*pred)(const arrow::DataType&)) {
    auto f = schema.GetFieldByName(name);
    return f && pred(*f->type());
  };
  auto binary = [](const arrow::DataType& t) { return arrow::is_binary_like(t.id()) || arrow::is_large_binary_like(t.id()); };
  auto text = [](const arrow::DataType& t) {
    return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING;
  };
  auto integer = [](const arrow::DataType& t) { return arrow::is_integer(t.id()); };
  if (!has("data", binary) || !has("format", text)) return "table";
  if (has("width", integer) && has("height", integer) && has("stride", integer) && has("encoding", text)) {
    return "image";
  }
  return "compressed_image";
}

arrow::Result<OrderedJson> CatalogView::SequenceRow(const catalog::SequenceRecord& seq) {
  ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_->ListSessions(seq.name));
  ARROW_ASSIGN_OR_RAISE(auto topics, catalog_->ListTopics(seq.name));
  ARROW_ASSIGN_OR_RAISE(auto notes, catalog_->ListNotifications(seq.name, std::nullopt));
  int64_t rows = 0, bytes = 0;
  std::optional<int64_t> lo, hi;
  // All topics' summaries in one catalog call (PostgreSQL: one round trip per sequence row, not one per topic).
  std::vector<int64_t> ids;
  for (const auto& t : topics) ids.push_back(t.id);
  ARROW_ASSIGN_OR_RAISE(auto summaries, catalog_->SummarizeTopics(ids));
  for (const auto& s : summaries) {
    rows += s.total_rows;
    bytes += s.total_bytes;
    if (s.ts_min) lo = lo ? std::min(*lo, *s.ts_min) : *s.ts_min;
    if (s.ts_max) hi = hi ? std::max(*hi, *s.ts_max) : *s.ts_max;
  }
  bool open = false;
  for (const auto& s : sessions) open = open || !s.locked;
  const char* state = sessions.empty() ? "empty" : (open ? "uploading" : "locked");
  return OrderedJson{{"name", seq.name},
                     {"created_at_ns", seq.created_at_ns},
                     {"user_metadata", UserMetadata(seq.user_metadata_json)},
                     {"state", state},
                     {"sessions", sessions.size()},
                     {"topics", topics.size()},
                     {"rows", rows},
                     {"bytes", bytes},
                     {"ts_min", lo ? OrderedJson(*lo) : OrderedJson(nullptr)},
                     {"ts_max", hi ? OrderedJson(*hi) : OrderedJson(nullptr)},
                     {"notifications", notes.size()}};
}

arrow::Result<OrderedJson> CatalogView::ListSequences(const SequenceFilter& filter, const std::string& after,
                                                      int limit) {
  limit = std::clamp(limit, 1, 500);
  std::vector<catalog::SequenceRecord> page;
  bool more = false;
  if (filter.empty()) {
    ARROW_ASSIGN_OR_RAISE(page, catalog_->ListSequencesPage(after, limit + 1));
  } else {
    arrow::Status st;
    Json body = filter.query_json.empty() ? Json::object() : ParsedOr(filter.query_json, "query", &st);
    ARROW_RETURN_NOT_OK(st);
    if (!body.is_object()) return arrow::Status::Invalid("query: must be a JSON object");
    if (!filter.name_glob.empty()) body["sequence"]["name"] = Json{{"$match", filter.name_glob}};
    if (!filter.user_metadata_json.empty()) {
      Json meta = ParsedOr(filter.user_metadata_json, "user_metadata", &st);
      ARROW_RETURN_NOT_OK(st);
      if (!meta.is_object()) return arrow::Status::Invalid("user_metadata: must be a JSON object of conditions");
      body["sequence"]["user_metadata"] = meta;
    }
    if (!filter.ontology_tag.empty()) body["topic"]["ontology_tag"] = Json{{"$eq", filter.ontology_tag}};
    ARROW_ASSIGN_OR_RAISE(auto hits, engine_->Find(body));  // ordered by sequence name, then topic
    for (size_t i = 0; i < hits.size(); ++i) {
      const std::string& name = hits[i].sequence_name;
      if (i > 0 && name == hits[i - 1].sequence_name) continue;  // one row per sequence
      if (name <= after) continue;
      if (static_cast<int>(page.size()) > limit) break;
      auto seq = catalog_->GetSequence(name);
      if (seq.ok()) page.push_back(std::move(*seq));  // deleted meanwhile: left out
    }
  }
  if (static_cast<int>(page.size()) > limit) {
    more = true;
    page.resize(limit);
  }
  OrderedJson items = OrderedJson::array();
  for (const auto& seq : page) {
    auto row = SequenceRow(seq);
    if (row.status().IsKeyError()) continue;
    ARROW_RETURN_NOT_OK(row.status());
    items.push_back(std::move(*row));
  }
  return OrderedJson{{"items", std::move(items)},
                     {"next", more && !page.empty() ? OrderedJson(page.back().name) : OrderedJson(nullptr)}};
}

arrow::Result<OrderedJson> CatalogView::Sequence(const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(auto seq, catalog_->GetSequence(name));
  ARROW_ASSIGN_OR_RAISE(auto out, SequenceRow(seq));
  ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_->ListSessions(name));
  ARROW_ASSIGN_OR_RAISE(auto topics, catalog_->ListTopics(name));
  ARROW_ASSIGN_OR_RAISE(auto notes, catalog_->ListNotifications(name, std::nullopt));
  OrderedJson js = OrderedJson::array();
  for (const auto& s : sessions) {
    js.push_back({{"key", s.key}, {"locator", s.sequence_name + ":" + s.key}, {"created_at_ns", s.created_at_ns},
                  {"completed_at_ns", s.completed_at_ns ? OrderedJson(*s.completed_at_ns) : OrderedJson(nullptr)},
                  {"locked", s.locked}});
  }
  OrderedJson jt = OrderedJson::array();
  std::vector<std::vector<catalog::ChunkRecord>> chunks;
  std::vector<int64_t> ids;
  for (const auto& t : topics) ids.push_back(t.id);
  ARROW_ASSIGN_OR_RAISE(auto summaries, catalog_->SummarizeTopics(ids));
  for (size_t i = 0; i < topics.size(); ++i) {
    const auto& t = topics[i];
    const auto& s = summaries[i];
    ARROW_ASSIGN_OR_RAISE(auto c, catalog_->ListChunks(t.id, /*with_stats=*/false));
    chunks.push_back(std::move(c));
    jt.push_back({{"name", t.name}, {"session", t.session_key}, {"ontology_tag", t.ontology_tag},
                  {"serialization_format", t.serialization_format}, {"locked", t.locked}, {"rows", s.total_rows},
                  {"bytes", s.total_bytes}, {"chunks", s.total_chunks},
                  {"ts_min", s.ts_min ? OrderedJson(*s.ts_min) : OrderedJson(nullptr)},
                  {"ts_max", s.ts_max ? OrderedJson(*s.ts_max) : OrderedJson(nullptr)}});
  }
  // Timeline: rows per column of the sequence's time range, per topic, from the chunk records.
  OrderedJson timeline{{"start_ns", out["ts_min"]}, {"end_ns", out["ts_max"]}, {"columns", kTimelineColumns}};
  OrderedJson lanes = OrderedJson::array();
  if (!out["ts_min"].is_null()) {
    const int64_t start = out["ts_min"].get<int64_t>();
    const int64_t end = out["ts_max"].get<int64_t>() + 1;
    for (size_t i = 0; i < topics.size(); ++i) {
      MinMaxBuckets b(start, end, kTimelineColumns);
      for (const auto& c : chunks[i]) {
        if (c.row_count > 0) b.AddRange(c.ts_min, c.ts_max, 0, 0, c.row_count);
      }
      auto r = b.Result();
      OrderedJson cols = OrderedJson::array();
      for (size_t k = 0; k < r.ts.size(); ++k) cols.push_back({b.BucketOf(r.ts[k]), r.rows[k]});
      lanes.push_back({{"topic", topics[i].name}, {"bucket_ns", b.bucket_ns()}, {"density", std::move(cols)}});
    }
  }
  timeline["lanes"] = std::move(lanes);
  out["sessions_list"] = std::move(js);
  out["topics_list"] = std::move(jt);
  out["notifications_list"] = Notifications(notes);
  out["timeline"] = std::move(timeline);
  return out;
}

arrow::Result<OrderedJson> CatalogView::Topic(const std::string& sequence, const std::string& topic) {
  ARROW_ASSIGN_OR_RAISE(auto t, catalog_->GetTopic(sequence, topic));
  ARROW_ASSIGN_OR_RAISE(auto s, catalog_->SummarizeTopic(t.id));
  ARROW_ASSIGN_OR_RAISE(auto chunks, catalog_->ListChunks(t.id, /*with_stats=*/true));
  ARROW_ASSIGN_OR_RAISE(auto notes, catalog_->ListNotifications(sequence, topic));
  OrderedJson out{{"sequence", sequence}, {"name", t.name}, {"session", t.session_key},
                  {"ontology_tag", t.ontology_tag}, {"serialization_format", t.serialization_format},
                  {"user_metadata", UserMetadata(t.user_metadata_json)}, {"created_at_ns", t.created_at_ns},
                  {"locked", t.locked}, {"rows", s.total_rows}, {"bytes", s.total_bytes}, {"chunks", s.total_chunks},
                  {"ts_min", s.ts_min ? OrderedJson(*s.ts_min) : OrderedJson(nullptr)},
                  {"ts_max", s.ts_max ? OrderedJson(*s.ts_max) : OrderedJson(nullptr)}};
  OrderedJson schema = OrderedJson::array();
  std::string kind = "table";
  if (t.schema_ipc) {
    ARROW_ASSIGN_OR_RAISE(auto sch, ingest::DeserializeSchema(*t.schema_ipc));
    schema = SchemaTree(*sch);
    kind = TopicKind(*sch);
  }
  out["kind"] = kind;
  out["schema"] = std::move(schema);
  // Per-column statistics merged over the chunks (catalog records: no data read).
  std::map<std::string, catalog::ColumnStats> merged;
  for (const auto& c : chunks) {
    for (const auto& st : c.stats) {
      auto [it, fresh] = merged.emplace(st.column, st);
      if (fresh) continue;
      auto& m = it->second;
      m.null_count += st.null_count;
      auto lo = [](auto& a, const auto& b) { if (b && (!a || *b < *a)) a = b; };
      auto hi = [](auto& a, const auto& b) { if (b && (!a || *b > *a)) a = b; };
      lo(m.min_int, st.min_int); hi(m.max_int, st.max_int);
      lo(m.min_float, st.min_float); hi(m.max_float, st.max_float);
      lo(m.min_str, st.min_str); hi(m.max_str, st.max_str);
    }
  }
  OrderedJson stats = OrderedJson::array();
  for (const auto& [column, st] : merged) {
    stats.push_back({{"column", column}, {"kind", catalog::ColumnStatsKindName(st.kind)},
                     {"min", StatValue(st, true)}, {"max", StatValue(st, false)}, {"null_count", st.null_count}});
  }
  out["column_stats"] = std::move(stats);
  out["notifications_list"] = Notifications(notes);
  return out;
}

}  // namespace mosaico::console
