// Fixtures of the compaction tests: a Catalog that forwards to a real one but lets a test intercept the calls
// compaction makes (to simulate a concurrent change, a crash between steps, a catalog without a queue), and a
// generator of topic data with nested columns, nulls, field metadata and timestamp ties across chunks.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <arrow/api.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::jobs::testing {

class ForwardingCatalog : public catalog::Catalog {
 public:
  using ChunkRecord = catalog::ChunkRecord;
  explicit ForwardingCatalog(std::shared_ptr<catalog::Catalog> inner) : inner_(std::move(inner)) {}

  // Hooks; unset -> forward.
  std::function<arrow::Status(int64_t, const std::string&, const std::string&, const std::vector<ChunkRecord>&)>
      on_replace;
  std::function<arrow::Result<catalog::JobRecord>(const std::string&, const std::string&, const std::string&, int64_t,
                                                  int64_t)>
      on_enqueue;
  std::function<arrow::Result<std::vector<catalog::TopicDataSummary>>(const std::vector<int64_t>&)>
      on_summarize_topics;
  int summarize_topic_calls = 0;  // SummarizeTopic (one topic) calls forwarded
  bool fail_get_topic = false;  // GetTopic fails with IOError (a catalog that cannot answer)

  catalog::Catalog& inner() { return *inner_; }

  arrow::Result<catalog::SequenceRecord> CreateSequence(const std::string& n, const std::string& m,
                                                        int64_t t) override {
    return inner_->CreateSequence(n, m, t);
  }
  arrow::Result<catalog::SequenceRecord> GetSequence(const std::string& n) override { return inner_->GetSequence(n); }
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override { return inner_->ListSequences(); }
  arrow::Status DeleteSequence(const std::string& n) override { return inner_->DeleteSequence(n); }
  arrow::Result<catalog::SessionRecord> CreateSession(const std::string& s, const std::string& k,
                                                      const std::string& u, int64_t t) override {
    return inner_->CreateSession(s, k, u, t);
  }
  arrow::Result<catalog::SessionRecord> GetSessionByUuid(const std::string& u) override {
    return inner_->GetSessionByUuid(u);
  }
  arrow::Result<catalog::SessionRecord> GetSession(const std::string& s, const std::string& k) override {
    return inner_->GetSession(s, k);
  }
  arrow::Result<std::vector<catalog::SessionRecord>> ListSessions(const std::string& s) override {
    return inner_->ListSessions(s);
  }
  arrow::Status LockSession(int64_t id, int64_t t) override { return inner_->LockSession(id, t); }
  arrow::Status DeleteSession(int64_t id) override { return inner_->DeleteSession(id); }
  arrow::Result<catalog::TopicRecord> CreateTopic(const catalog::TopicRecord& t) override {
    return inner_->CreateTopic(t);
  }
  arrow::Result<catalog::TopicRecord> GetTopic(const std::string& s, const std::string& t) override {
    if (fail_get_topic) return arrow::Status::IOError("simulated: catalog unreachable");
    return inner_->GetTopic(s, t);
  }
  arrow::Result<catalog::TopicRecord> GetTopicByUuid(const std::string& u) override {
    return inner_->GetTopicByUuid(u);
  }
  arrow::Result<std::vector<catalog::TopicRecord>> ListTopics(const std::string& s) override {
    return inner_->ListTopics(s);
  }
  arrow::Status DeleteTopic(int64_t id) override { return inner_->DeleteTopic(id); }
  arrow::Status SetTopicSchema(int64_t id, const std::string& ipc) override { return inner_->SetTopicSchema(id, ipc); }
  arrow::Status CommitTopicData(int64_t id, const std::string& u, const std::vector<ChunkRecord>& c) override {
    return inner_->CommitTopicData(id, u, c);
  }
  arrow::Result<std::vector<ChunkRecord>> ListChunks(int64_t id, bool stats) override {
    return inner_->ListChunks(id, stats);
  }
  arrow::Result<catalog::TopicDataSummary> SummarizeTopic(int64_t id) override {
    ++summarize_topic_calls;
    return inner_->SummarizeTopic(id);
  }
  arrow::Result<std::vector<catalog::TopicDataSummary>> SummarizeTopics(const std::vector<int64_t>& ids) override {
    if (on_summarize_topics) return on_summarize_topics(ids);
    return inner_->SummarizeTopics(ids);
  }
  arrow::Result<std::vector<catalog::TopicMatch>> FindTopics(const catalog::TopicFilter& f) override {
    return inner_->FindTopics(f);
  }
  arrow::Result<std::vector<std::string>> SchemasOfOntologyTag(const std::string& t) override {
    return inner_->SchemasOfOntologyTag(t);
  }
  arrow::Status ReplaceTopicData(int64_t id, const std::string& expected, const std::string& next,
                                 const std::vector<ChunkRecord>& c) override {
    if (on_replace) return on_replace(id, expected, next, c);
    return inner_->ReplaceTopicData(id, expected, next, c);
  }
  arrow::Result<catalog::JobRecord> EnqueueJob(const std::string& kind, const std::string& payload,
                                               const std::string& dedup, int64_t run_after, int64_t now) override {
    if (on_enqueue) return on_enqueue(kind, payload, dedup, run_after, now);
    return inner_->EnqueueJob(kind, payload, dedup, run_after, now);
  }
  arrow::Result<std::optional<catalog::JobRecord>> ClaimJob(const std::string& o, int64_t now, int64_t lease) override {
    return inner_->ClaimJob(o, now, lease);
  }
  arrow::Status CompleteJob(int64_t id, const std::string& o, int64_t now) override {
    return inner_->CompleteJob(id, o, now);
  }
  arrow::Status FailJob(int64_t id, const std::string& o, const std::string& e, int64_t retry, bool give_up,
                        int64_t now) override {
    return inner_->FailJob(id, o, e, retry, give_up, now);
  }
  arrow::Status RenewJobLease(int64_t id, const std::string& o, int64_t until, int64_t now) override {
    return inner_->RenewJobLease(id, o, until, now);
  }
  arrow::Result<std::vector<catalog::JobRecord>> ListJobs(std::optional<catalog::JobRecord::State> s,
                                                          int64_t limit) override {
    return inner_->ListJobs(s, limit);
  }
  arrow::Result<int64_t> PruneJobs(int64_t before) override { return inner_->PruneJobs(before); }
  arrow::Result<catalog::NotificationRecord> AddNotification(const catalog::NotificationRecord& n) override {
    return inner_->AddNotification(n);
  }
  arrow::Result<std::vector<catalog::NotificationRecord>> ListNotifications(
      const std::string& s, const std::optional<std::string>& t) override {
    return inner_->ListNotifications(s, t);
  }
  arrow::Status PurgeNotifications(const std::string& s, const std::optional<std::string>& t) override {
    return inner_->PurgeNotifications(s, t);
  }
  arrow::Result<std::vector<catalog::NotificationRecord>> ListSequenceNotifications(const std::string& s) override {
    return inner_->ListSequenceNotifications(s);
  }

 private:
  std::shared_ptr<catalog::Catalog> inner_;
};

// timestamp_ns, a nullable double, a string, and a struct whose children carry field metadata.
inline std::shared_ptr<arrow::Schema> TopicSchema() {
  auto unit = arrow::key_value_metadata({"unit"}, {"m"});
  auto pos = arrow::struct_(
      {arrow::field("x", arrow::float64(), true, unit), arrow::field("y", arrow::float64(), true, unit)});
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), /*nullable=*/false),
                        arrow::field("seq", arrow::int64(), false),
                        arrow::field("value", arrow::float64()),
                        arrow::field("label", arrow::utf8()),
                        arrow::field("pos", pos, true, arrow::key_value_metadata({"frame"}, {"base_link"}))});
}

// `rows` rows starting at row number `first`: timestamps drawn from a narrow range so that ties are frequent (and
// span chunks), arriving out of order; `seq` is the arrival number, which makes every row distinguishable.
inline std::shared_ptr<arrow::RecordBatch> TopicBatch(std::mt19937_64& rng, int64_t first, int64_t rows,
                                                      int64_t ts_range) {
  arrow::Int64Builder ts, seq;
  arrow::DoubleBuilder value, x, y;
  arrow::StringBuilder label;
  std::uniform_int_distribution<int64_t> ts_dist(0, ts_range - 1);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t n = first + i;
    (void)ts.Append(1'000'000'000 + ts_dist(rng) * 1000);
    (void)seq.Append(n);
    if (n % 7 == 0) {
      (void)value.AppendNull();
    } else {
      (void)value.Append(static_cast<double>(n % 1000) / 8.0 - 60.0);
    }
    (void)label.Append("label-" + std::to_string(n % 13));
    (void)x.Append(static_cast<double>(n) * 0.5);
    (void)y.Append(-static_cast<double>(n));
  }
  auto schema = TopicSchema();
  std::shared_ptr<arrow::Array> ts_a, seq_a, value_a, label_a, x_a, y_a;
  (void)ts.Finish(&ts_a);
  (void)seq.Finish(&seq_a);
  (void)value.Finish(&value_a);
  (void)label.Finish(&label_a);
  (void)x.Finish(&x_a);
  (void)y.Finish(&y_a);
  auto pos = std::make_shared<arrow::StructArray>(schema->field(4)->type(), rows,
                                                  std::vector<std::shared_ptr<arrow::Array>>{x_a, y_a});
  return arrow::RecordBatch::Make(schema, rows, {ts_a, seq_a, value_a, label_a, pos});
}

}  // namespace mosaico::jobs::testing
