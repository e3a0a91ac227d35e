// Helpers shared by the ingest unit tests: status macros, a temp-dir store, a robotics-like schema with nested
// types and field metadata, deterministic batches, a Parquet reader (and AsTopic, to compare what it reads with the
// topic's schema), and a fake Catalog.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/layout.h"
#include "mosaico/store/object_store.h"

#define MOSAICO_CONCAT_INNER(a, b) a##b
#define MOSAICO_CONCAT(a, b) MOSAICO_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    ::arrow::Status _st = ::arrow::ToStatus(expr);        \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

#define EXPECT_OK(expr)                                   \
  do {                                                    \
    ::arrow::Status _st = ::arrow::ToStatus(expr);        \
    EXPECT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

#define ASSERT_OK_AND_ASSIGN_IMPL(res, lhs, rexpr)                           \
  auto res = (rexpr);                                                        \
  ASSERT_TRUE(res.ok()) << #rexpr << ": " << res.status().ToString();        \
  lhs = std::move(res).ValueUnsafe()

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(MOSAICO_CONCAT(_res_, __COUNTER__), lhs, rexpr)

namespace mosaico::catalog {
// Readable ColumnStats in gtest failure messages.
inline void PrintTo(const ColumnStats& s, std::ostream* os) {
  static const char* kinds[] = {"int", "float", "string", "bool"};
  auto opt = [](const auto& v) {
    std::ostringstream o;
    if (v) {
      o << *v;
    } else {
      o << "unset";
    }
    return o.str();
  };
  *os << "{" << s.column << " " << kinds[static_cast<int>(s.kind)] << " int[" << opt(s.min_int) << ","
      << opt(s.max_int) << "] float[" << opt(s.min_float) << "," << opt(s.max_float) << "] str[" << opt(s.min_str)
      << "," << opt(s.max_str) << "] nulls=" << s.null_count << "}";
}
}  // namespace mosaico::catalog

namespace mosaico::ingest::testing {

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A fresh directory under the system temp dir, removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-ingest-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::shared_ptr<arrow::KeyValueMetadata> Meta(std::vector<std::string> keys, std::vector<std::string> values) {
  return arrow::key_value_metadata(std::move(keys), std::move(values));
}

inline std::shared_ptr<arrow::DataType> AccelerationType() {
  return arrow::struct_({arrow::field("x", arrow::float64(), true, Meta({"unit"}, {"m/s2"})),
                         arrow::field("y", arrow::float64()), arrow::field("z", arrow::float64())});
}

inline std::shared_ptr<arrow::DataType> PoseType() {
  return arrow::struct_({arrow::field(
      "position", arrow::struct_({arrow::field("x", arrow::float64()), arrow::field("y", arrow::int32())}))});
}

// timestamp_ns, acceleration{x,y,z}, pose{position{x,y}}, frame_id, valid, ranges list<float>,
// labels map<string,int32>, image large_binary, seq int64 (arrival order, to check stable sorting).
inline std::shared_ptr<arrow::Schema> RobotSchema() {
  return arrow::schema(
      {arrow::field("timestamp_ns", arrow::int64(), false, Meta({"doc"}, {"ns since epoch"})),
       arrow::field("acceleration", AccelerationType(), true, Meta({"ros_type"}, {"geometry_msgs/Vector3"})),
       arrow::field("pose", PoseType()), arrow::field("frame_id", arrow::utf8()),
       arrow::field("valid", arrow::boolean()), arrow::field("ranges", arrow::list(arrow::float32())),
       arrow::field("labels", arrow::map(arrow::utf8(), arrow::field("value", arrow::int32(), true,
                                                                         Meta({"unit"}, {"count"})))),
       arrow::field("image", arrow::large_binary()), arrow::field("seq", arrow::int64())},
      Meta({"schema_level"}, {"ignored by comparisons"}));
}

inline std::shared_ptr<arrow::Array> ArrayOf(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// Rows of RobotSchema whose values derive from their timestamp (so a row can be recognized after sorting);
// seq numbers start at `seq0`.
inline std::shared_ptr<arrow::RecordBatch> RobotBatch(const std::vector<int64_t>& ts, int64_t seq0 = 0) {
  std::string t = "[", acc = "[", pose = "[", frame = "[", valid = "[", ranges = "[", labels = "[", image = "[",
              seq = "[";
  for (size_t i = 0; i < ts.size(); ++i) {
    const std::string sep = i ? "," : "";
    const std::string v = std::to_string(ts[i]);
    t += sep + v;
    acc += sep + "{\"x\":" + v + ".5,\"y\":-1.25,\"z\":" + (ts[i] % 3 == 0 ? "null" : v) + "}";
    pose += sep + (ts[i] % 5 == 0 ? std::string("null") : "{\"position\":{\"x\":" + v + ",\"y\":" + v + "}}");
    frame += sep + "\"frame_" + v + "\"";
    valid += sep + (ts[i] % 2 == 0 ? "true" : "false");
    ranges += sep + "[" + v + ", 1.5]";
    labels += sep + "[[\"k" + v + "\", " + std::to_string(ts[i] % 7) + "]]";
    image += sep + "\"img-" + v + "\"";
    seq += sep + std::to_string(seq0 + static_cast<int64_t>(i));
  }
  auto s = RobotSchema();
  std::vector<std::string> cols = {t + "]",      acc + "]",    pose + "]",  frame + "]", valid + "]",
                                   ranges + "]", labels + "]", image + "]", seq + "]"};
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (int i = 0; i < s->num_fields(); ++i) arrays.push_back(ArrayOf(s->field(i)->type(), cols[i]));
  return arrow::RecordBatch::Make(s, static_cast<int64_t>(ts.size()), arrays);
}

// Reads a whole Parquet object of the store.
inline arrow::Result<std::shared_ptr<arrow::Table>> ReadParquet(store::ObjectStore& store, const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(auto file, store.OpenRead(key));
  ARROW_ASSIGN_OR_RAISE(auto reader, parquet::arrow::OpenFile(file, arrow::default_memory_pool()));
  return reader->ReadTable();
}

// Whether chunk field `c` may stand for topic field `t`: equal (the metadata of top-level fields and struct children
// included), except that `c` may be required where `t` is nullable, at the top level and in struct children
// (ingest/chunk_nullability.h).
inline bool StricterOrEqual(const arrow::Field& c, const arrow::Field& t) {
  if (c.name() != t.name() || (c.nullable() && !t.nullable())) return false;
  const bool same_metadata = c.metadata() == nullptr || t.metadata() == nullptr
                                 ? (c.metadata() == nullptr) == (t.metadata() == nullptr)
                                 : c.metadata()->Equals(*t.metadata());
  if (!same_metadata) return false;
  if (c.type()->id() != arrow::Type::STRUCT || t.type()->id() != arrow::Type::STRUCT) {
    // As read/schema_conform compares them: a map's entries field is named after its column by the Parquet reader.
    return c.type()->Equals(*t.type(), /*check_metadata=*/false);
  }
  if (c.type()->num_fields() != t.type()->num_fields()) return false;
  for (int i = 0; i < t.type()->num_fields(); ++i) {
    if (!StricterOrEqual(*c.type()->field(i), *t.type()->field(i))) return false;
  }
  return true;
}

inline std::shared_ptr<arrow::ArrayData> RetypeAs(const std::shared_ptr<arrow::ArrayData>& data,
                                                  const std::shared_ptr<arrow::DataType>& type) {
  auto out = data->Copy();
  out->type = type;
  if (type->id() == arrow::Type::STRUCT) {
    for (int i = 0; i < type->num_fields(); ++i) out->child_data[i] = RetypeAs(data->child_data[i], type->field(i)->type());
  }
  return out;
}

// A table read back from a chunk, under the topic's schema `topic`: fails unless each of its fields is
// StricterOrEqual to the topic's (a chunk stores null-free fields required); the data is shared.
inline arrow::Result<std::shared_ptr<arrow::Table>> AsTopic(const std::shared_ptr<arrow::Table>& chunk,
                                                           const std::shared_ptr<arrow::Schema>& topic) {
  if (chunk->num_columns() != topic->num_fields()) return arrow::Status::Invalid("column count differs");
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  for (int i = 0; i < topic->num_fields(); ++i) {
    if (!StricterOrEqual(*chunk->schema()->field(i), *topic->field(i))) {
      return arrow::Status::Invalid("chunk field ", chunk->schema()->field(i)->ToString(true),
                                    " does not stand for topic field ", topic->field(i)->ToString(true));
    }
    std::vector<std::shared_ptr<arrow::Array>> pieces;
    for (const auto& piece : chunk->column(i)->chunks()) {
      pieces.push_back(arrow::MakeArray(RetypeAs(piece->data(), topic->field(i)->type())));
    }
    ARROW_ASSIGN_OR_RAISE(auto column, arrow::ChunkedArray::Make(std::move(pieces), topic->field(i)->type()));
    columns.push_back(std::move(column));
  }
  return arrow::Table::Make(topic, std::move(columns), chunk->num_rows());
}

// In-memory Catalog with just what TopicUpload uses; everything else is NotImplemented. Records the order of
// calls and whether the store already held the objects when the catalog was told about them.
class FakeCatalog : public catalog::Catalog {
 public:
  explicit FakeCatalog(std::shared_ptr<store::ObjectStore> store) : store_(std::move(store)) {}

  catalog::TopicRecord AddTopic(const std::string& seq, const std::string& name) {
    catalog::TopicRecord t;
    t.id = next_id_++;
    t.sequence_id = 1;
    t.session_id = 1;
    t.sequence_name = seq;
    t.session_key = "01SESSION";
    t.name = name;
    t.uuid = "uuid-" + name;
    topics_[t.id] = t;
    return t;
  }
  catalog::TopicRecord topic(int64_t id) { return topics_.at(id); }
  void set_topic(const catalog::TopicRecord& t) { topics_[t.id] = t; }

  // Next CommitTopicData fails with this status when set.
  arrow::Status refuse_commit = arrow::Status::OK();
  std::vector<std::string> calls;
  bool schema_in_store_at_set = false;
  bool manifest_in_store_at_commit = false;
  std::map<int64_t, std::vector<catalog::ChunkRecord>> committed;

  arrow::Status SetTopicSchema(int64_t topic_id, const std::string& schema_ipc) override {
    calls.push_back("SetTopicSchema");
    auto it = topics_.find(topic_id);
    if (it == topics_.end()) return arrow::Status::KeyError("no topic ", topic_id);
    auto& t = it->second;
    schema_in_store_at_set = store_->Exists(TopicSchemaKey(t)).ValueOr(false);
    t.schema_ipc = schema_ipc;
    return arrow::Status::OK();
  }
  arrow::Status CommitTopicData(int64_t topic_id, const std::string& upload_id,
                                const std::vector<catalog::ChunkRecord>& chunks) override {
    calls.push_back("CommitTopicData");
    if (!refuse_commit.ok()) return refuse_commit;
    auto& t = topics_.at(topic_id);
    if (t.upload_id) return arrow::Status::Invalid("topic already has data");
    manifest_in_store_at_commit = store_->Exists(ManifestKey(t, upload_id)).ValueOr(false);
    t.upload_id = upload_id;
    committed[topic_id] = chunks;
    return arrow::Status::OK();
  }
  arrow::Result<catalog::TopicRecord> GetTopic(const std::string& seq, const std::string& name) override {
    calls.push_back("GetTopic");
    for (const auto& [id, t] : topics_) {
      if (t.sequence_name == seq && t.name == name) return t;
    }
    return arrow::Status::KeyError("topic '", seq, "/", name, "' not found");
  }

  static std::string TopicSchemaKey(const catalog::TopicRecord& t) {
    return store::layout::TopicSchema(t.sequence_name, t.name);
  }
  static std::string ManifestKey(const catalog::TopicRecord& t, const std::string& upload_id) {
    return store::layout::UploadManifest(t.sequence_name, t.name, upload_id);
  }

  // --- not used by ingest ---
  arrow::Result<catalog::SequenceRecord> CreateSequence(const std::string&, const std::string&, int64_t) override {
    return NotImpl();
  }
  arrow::Result<catalog::SequenceRecord> GetSequence(const std::string&) override { return NotImpl(); }
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override { return NotImpl(); }
  arrow::Status DeleteSequence(const std::string&) override { return NotImpl(); }
  arrow::Result<catalog::SessionRecord> CreateSession(const std::string&, const std::string&, const std::string&,
                                                      int64_t) override {
    return NotImpl();
  }
  arrow::Result<catalog::SessionRecord> GetSessionByUuid(const std::string&) override { return NotImpl(); }
  arrow::Result<catalog::SessionRecord> GetSession(const std::string&, const std::string&) override {
    return NotImpl();
  }
  arrow::Result<std::vector<catalog::SessionRecord>> ListSessions(const std::string&) override { return NotImpl(); }
  arrow::Status LockSession(int64_t, int64_t) override { return NotImpl(); }
  arrow::Status DeleteSession(int64_t) override { return NotImpl(); }
  arrow::Result<catalog::TopicRecord> CreateTopic(const catalog::TopicRecord&) override { return NotImpl(); }
  arrow::Result<catalog::TopicRecord> GetTopicByUuid(const std::string&) override { return NotImpl(); }
  arrow::Result<std::vector<catalog::TopicRecord>> ListTopics(const std::string&) override { return NotImpl(); }
  arrow::Status DeleteTopic(int64_t) override { return NotImpl(); }
  arrow::Result<std::vector<catalog::ChunkRecord>> ListChunks(int64_t, bool) override { return NotImpl(); }
  arrow::Result<catalog::TopicDataSummary> SummarizeTopic(int64_t) override { return NotImpl(); }
  arrow::Result<std::vector<catalog::TopicMatch>> FindTopics(const catalog::TopicFilter&) override { return NotImpl(); }
  arrow::Result<std::vector<std::string>> SchemasOfOntologyTag(const std::string&) override { return NotImpl(); }
  arrow::Status ReplaceTopicData(int64_t, const std::string&, const std::string&,
                                 const std::vector<catalog::ChunkRecord>&) override {
    return NotImpl();
  }
  arrow::Result<catalog::JobRecord> EnqueueJob(const std::string&, const std::string&, const std::string&, int64_t,
                                               int64_t) override {
    return NotImpl();
  }
  arrow::Result<std::optional<catalog::JobRecord>> ClaimJob(const std::string&, int64_t, int64_t) override {
    return NotImpl();
  }
  arrow::Status CompleteJob(int64_t, const std::string&, int64_t) override { return NotImpl(); }
  arrow::Status FailJob(int64_t, const std::string&, const std::string&, int64_t, bool, int64_t) override {
    return NotImpl();
  }
  arrow::Status RenewJobLease(int64_t, const std::string&, int64_t, int64_t) override { return NotImpl(); }
  arrow::Result<std::vector<catalog::JobRecord>> ListJobs(std::optional<catalog::JobRecord::State>,
                                                          int64_t) override {
    return NotImpl();
  }
  arrow::Result<int64_t> PruneJobs(int64_t) override { return NotImpl(); }
  arrow::Result<catalog::NotificationRecord> AddNotification(const catalog::NotificationRecord&) override {
    return NotImpl();
  }
  arrow::Result<std::vector<catalog::NotificationRecord>> ListNotifications(
      const std::string&, const std::optional<std::string>&) override {
    return NotImpl();
  }
  arrow::Status PurgeNotifications(const std::string&, const std::optional<std::string>&) override {
    return NotImpl();
  }

 private:
  static arrow::Status NotImpl() { return arrow::Status::NotImplemented("FakeCatalog"); }

  std::shared_ptr<store::ObjectStore> store_;
  std::map<int64_t, catalog::TopicRecord> topics_;
  int64_t next_id_ = 1;
};

}  // namespace mosaico::ingest::testing
