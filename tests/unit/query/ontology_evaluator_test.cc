// Ontology evaluation over chunks written by ingest::ChunkWriter: same-row semantics, nulls, list specifiers,
// schema differences, what is pruned (proved by deleting the objects that must not be read), and a randomized
// differential check against a naive row-by-row evaluator built on core::Holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <arrow/api.h>

#include "mosaico/query/ontology_evaluator.h"
#include "mosaico/query/ontology_key.h"
#include "mosaico/query/windows.h"
#include "query_test_util.h"

namespace mosaico::query {
namespace {

using testing::BatchFromJson;
using testing::F;
using testing::TempStore;
using testing::WriteTopic;
using I = std::vector<int64_t>;

std::shared_ptr<arrow::Schema> Schema() {
  auto pose = arrow::struct_({F("kind", arrow::utf8()), F("w", arrow::list(arrow::float32()))});
  return arrow::schema({F("timestamp_ns", arrow::int64(), false),
                        F("acc", arrow::struct_({F("x", arrow::float64()), F("y", arrow::float64())})),
                        F("temp", arrow::float32()), F("frame", arrow::utf8()), F("ok", arrow::boolean()),
                        F("cov", arrow::list(arrow::float64())), F("poses", arrow::list(pose)),
                        F("seq", arrow::int32())});
}

OntologyCondition Cond(const std::string& key, PredicateOp op, std::vector<ScalarValue> args) {
  auto parsed = ParseOntologyKey("t." + key);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  OntologyCondition c;
  c.key = "t." + key;
  c.path = parsed->path;
  c.predicate = ScalarPredicate{op, std::move(args)};
  return c;
}

ingest::ChunkWriterOptions OneChunkPerBatch(int64_t row_group_rows) {
  ingest::ChunkWriterOptions o;
  o.target_chunk_bytes = 1;  // every Append flushes a chunk
  o.row_group_rows = row_group_rows;
  return o;
}

class OntologyEvaluatorTest : public ::testing::Test {
 protected:
  arrow::Result<EvalResult> Run(const TopicData& topic, const std::vector<OntologyCondition>& conds,
                                EvalRequest::Output output = EvalRequest::Output::kTimestamps, int64_t dt = 0,
                                std::optional<TsRange> range = std::nullopt) {
    EvalRequest req;
    req.output = output;
    req.clustering_dt_ns = dt;
    req.ts_range = range;
    counters_ = EvalCounters{};
    return EvaluateTopic(*store_.store(), topic, conds, req, &counters_);
  }
  I Matches(const TopicData& topic, const std::vector<OntologyCondition>& conds) {
    auto r = Run(topic, conds);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->timestamps : I{};
  }

  TempStore store_;
  EvalCounters counters_;
};

// Ten rows exercising nulls and lists; timestamps 1..10.
TopicData SmallTopic(const std::shared_ptr<store::ObjectStore>& store) {
  auto schema = Schema();
  auto batch = BatchFromJson(schema, R"([
    {"timestamp_ns": 1, "acc": {"x": 2.0, "y": -1.0}, "temp": 20.5, "frame": "base", "ok": true, "cov": [1, 2], "poses": [{"kind": "a", "w": [1, 2]}], "seq": 1},
    {"timestamp_ns": 2, "acc": {"x": 2.0, "y": 1.0}, "temp": 21.0, "frame": "imu", "ok": false, "cov": [], "poses": [], "seq": 2},
    {"timestamp_ns": 3, "acc": {"x": 0.0, "y": -1.0}, "temp": null, "frame": null, "ok": null, "cov": null, "poses": null, "seq": 3},
    {"timestamp_ns": 4, "acc": null, "temp": 19.0, "frame": "base_link", "ok": true, "cov": [5], "poses": [{"kind": "b", "w": []}, {"kind": "a", "w": [3]}], "seq": 4},
    {"timestamp_ns": 5, "acc": {"x": null, "y": null}, "temp": 18.0, "frame": "", "ok": false, "cov": [null, 3], "poses": [null, {"kind": null, "w": null}], "seq": null},
    {"timestamp_ns": 6, "acc": {"x": 5.0, "y": -5.0}, "temp": 30.0, "frame": "map", "ok": true, "cov": [3, 3, 3], "poses": [{"kind": "c", "w": [0.5]}], "seq": 6}
  ])");
  return WriteTopic(store, "imu", schema, {batch}, OneChunkPerBatch(4));
}

TEST_F(OntologyEvaluatorTest, AllConditionsHoldOnTheSameRow) {
  auto topic = SmallTopic(store_.store());
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kGt, {1.0})}), (I{1, 2, 6}));
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kGt, {1.0}), Cond("acc.y", PredicateOp::kLt, {int64_t{0}})}),
            (I{1, 6}));
  // x > 4 only at 6, y > 0 only at 2: never on the same row.
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kGt, {4.0}), Cond("acc.y", PredicateOp::kGt, {0.0})}), I{});
  EXPECT_EQ(Matches(topic, {}), (I{1, 2, 3, 4, 5, 6}));  // no condition: every row
}

TEST_F(OntologyEvaluatorTest, NullsSatisfyOnlyNex) {
  auto topic = SmallTopic(store_.store());
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kNotExists, {})}), (I{4, 5}));  // null struct, null leaf
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kExists, {})}), (I{1, 2, 3, 6}));
  EXPECT_EQ(Matches(topic, {Cond("acc.x", PredicateOp::kNeq, {2.0})}), (I{3, 6}));
  EXPECT_EQ(Matches(topic, {Cond("frame", PredicateOp::kNeq, {std::string("base")})}), (I{2, 4, 5, 6}));
  EXPECT_EQ(Matches(topic, {Cond("frame", PredicateOp::kMatch, {std::string("base*")})}), (I{1, 4}));
  EXPECT_EQ(Matches(topic, {Cond("ok", PredicateOp::kEq, {false})}), (I{2, 5}));
  EXPECT_EQ(Matches(topic, {Cond("seq", PredicateOp::kNotExists, {})}), (I{5}));
  EXPECT_EQ(Matches(topic, {Cond("temp", PredicateOp::kBetween, {int64_t{19}, 21.0})}), (I{1, 2, 4}));
}

TEST_F(OntologyEvaluatorTest, ListSpecifiers) {
  auto topic = SmallTopic(store_.store());
  EXPECT_EQ(Matches(topic, {Cond("cov[0]", PredicateOp::kGeq, {int64_t{1}})}), (I{1, 4, 6}));
  EXPECT_EQ(Matches(topic, {Cond("cov[1]", PredicateOp::kEq, {int64_t{3}})}), (I{5, 6}));
  EXPECT_EQ(Matches(topic, {Cond("cov[5]", PredicateOp::kNotExists, {})}), I{});  // out of range: no match
  EXPECT_EQ(Matches(topic, {Cond("cov[0]", PredicateOp::kNotExists, {})}), (I{5}));  // a null element
  EXPECT_EQ(Matches(topic, {Cond("cov[?]", PredicateOp::kEq, {int64_t{3}})}), (I{5, 6}));
  EXPECT_EQ(Matches(topic, {Cond("cov[!]", PredicateOp::kEq, {int64_t{3}})}), (I{6}));  // empty/null lists: false
  EXPECT_EQ(Matches(topic, {Cond("cov[!]", PredicateOp::kExists, {})}), (I{1, 4, 6}));
  EXPECT_EQ(Matches(topic, {Cond("poses[?].kind", PredicateOp::kEq, {std::string("a")})}), (I{1, 4}));
  EXPECT_EQ(Matches(topic, {Cond("poses[1].kind", PredicateOp::kEq, {std::string("a")})}), (I{4}));
  EXPECT_EQ(Matches(topic, {Cond("poses[!].kind", PredicateOp::kMatch, {std::string("?")})}), (I{1, 4, 6}));
  EXPECT_EQ(Matches(topic, {Cond("poses[?].kind", PredicateOp::kNotExists, {})}), (I{5}));  // null element, null kind
  EXPECT_EQ(Matches(topic, {Cond("poses[?].w[?]", PredicateOp::kGt, {int64_t{2}})}), (I{4}));
  EXPECT_EQ(Matches(topic, {Cond("poses[?].w[?]", PredicateOp::kGeq, {int64_t{2}})}), (I{1, 4}));
  EXPECT_EQ(Matches(topic, {Cond("poses[!].w[!]", PredicateOp::kLt, {int64_t{1}})}), (I{6}));
  EXPECT_EQ(Matches(topic, {Cond("poses[0].w[0]", PredicateOp::kEq, {int64_t{1}}),
                            Cond("cov[1]", PredicateOp::kEq, {int64_t{2}})}),
            (I{1}));
}

TEST_F(OntologyEvaluatorTest, FieldsMissingFromTheTopicSchemaAreNull) {
  auto topic = SmallTopic(store_.store());
  // The tag's newer schema has acc.z and `extra`; this topic's does not.
  EXPECT_EQ(Matches(topic, {Cond("acc.z", PredicateOp::kNotExists, {})}), (I{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Matches(topic, {Cond("extra", PredicateOp::kNotExists, {}), Cond("seq", PredicateOp::kLeq, {2.0})}),
            (I{1, 2}));
  EXPECT_EQ(Matches(topic, {Cond("acc.z", PredicateOp::kEq, {int64_t{1}})}), I{});
  EXPECT_EQ(counters_.topics_decided_by_schema, 1);
  EXPECT_EQ(counters_.chunks_read, 0);
  EXPECT_EQ(Matches(topic, {Cond("extra[?]", PredicateOp::kNotExists, {})}), I{});  // no element under null
  EXPECT_EQ(counters_.chunks_read, 0);
  // Missing inside list elements: decided row by row.
  EXPECT_EQ(Matches(topic, {Cond("poses[?].nope", PredicateOp::kNotExists, {})}), (I{1, 4, 5, 6}));
  // A leaf of another kind (frame is a string here): only $ex / $nex can hold.
  EXPECT_EQ(Matches(topic, {Cond("frame", PredicateOp::kGt, {int64_t{1}})}), I{});
  EXPECT_EQ(counters_.chunks_read, 0);
  EXPECT_EQ(Matches(topic, {Cond("acc", PredicateOp::kExists, {})}), (I{1, 2, 3, 5, 6}));
  // A topic without a schema (no data) matches nothing.
  TopicData empty;
  empty.locator = "seq/none";
  EXPECT_EQ(Matches(empty, {Cond("acc", PredicateOp::kNotExists, {})}), I{});
}

// 10 chunks of 100 rows (seq = timestamp = 0..999), row groups of 10 rows.
TopicData SeqTopic(const std::shared_ptr<store::ObjectStore>& store) {
  auto schema = arrow::schema({F("timestamp_ns", arrow::int64(), false), F("seq", arrow::int32()),
                               F("label", arrow::utf8())});
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int c = 0; c < 10; ++c) {
    std::string rows = "[";
    for (int i = 0; i < 100; ++i) {
      const int v = c * 100 + i;
      rows += (i ? "," : "") + std::string("{\"timestamp_ns\": ") + std::to_string(v) + ", \"seq\": " +
              std::to_string(v) + ", \"label\": \"L" + std::to_string(c) + "\"}";
    }
    batches.push_back(BatchFromJson(schema, rows + "]"));
  }
  return WriteTopic(store, "seq", schema, batches, OneChunkPerBatch(10));
}

// Deletes the objects of the chunks that must not be read: reading one would fail.
void DeleteChunks(store::ObjectStore& store, const TopicData& topic, const std::vector<int>& keep) {
  for (size_t i = 0; i < topic.chunks.size(); ++i) {
    if (std::find(keep.begin(), keep.end(), static_cast<int>(i)) == keep.end()) {
      ASSERT_TRUE(store.Delete(topic.chunks[i].object_key).ok());
    }
  }
}

TEST_F(OntologyEvaluatorTest, ChunksAndRowGroupsArePrunedByStatistics) {
  auto topic = SeqTopic(store_.store());
  ASSERT_EQ(topic.chunks.size(), 10u);
  DeleteChunks(*store_.store(), topic, {5});
  QASSERT_OK_AND_ASSIGN(auto r, Run(topic, {Cond("seq", PredicateOp::kEq, {int64_t{555}})}));
  EXPECT_EQ(r.timestamps, (I{555}));
  EXPECT_EQ(counters_.chunks_total, 10);
  EXPECT_EQ(counters_.chunks_pruned_by_stats, 9);
  EXPECT_EQ(counters_.chunks_read, 1);
  EXPECT_EQ(counters_.row_groups_total, 10);
  EXPECT_EQ(counters_.row_groups_pruned, 9);
  EXPECT_EQ(counters_.row_groups_read, 1);
  EXPECT_EQ(counters_.rows_evaluated, 10);
  EXPECT_EQ(counters_.rows_matched, 1);
  // Strings ($match by literal prefix, $in) and several conditions.
  QASSERT_OK_AND_ASSIGN(auto m, Run(topic, {Cond("label", PredicateOp::kMatch, {std::string("L5*")}),
                                            Cond("seq", PredicateOp::kIn, {int64_t{501}, int64_t{1}})}));
  EXPECT_EQ(m.timestamps, (I{501}));
  EXPECT_EQ(counters_.chunks_read, 1);
  EXPECT_EQ(counters_.row_groups_read, 1);
  // The timestamp column itself, and $outside.
  QASSERT_OK_AND_ASSIGN(auto t, Run(topic, {Cond("timestamp_ns", PredicateOp::kBetween, {int64_t{540}, 542.5}),
                                            Cond("seq", PredicateOp::kOutside, {int64_t{0}, int64_t{540}})}));
  EXPECT_EQ(t.timestamps, (I{541, 542}));
  EXPECT_EQ(counters_.chunks_read, 1);
  EXPECT_EQ(counters_.row_groups_read, 1);
}

TEST_F(OntologyEvaluatorTest, UnsoundPruningIsNotDone) {
  auto topic = SeqTopic(store_.store());
  // $neq, $nex and $outside matching everywhere must read every chunk.
  QASSERT_OK_AND_ASSIGN(auto r, Run(topic, {Cond("seq", PredicateOp::kNeq, {int64_t{5}})}));
  EXPECT_EQ(r.timestamps.size(), 999u);
  EXPECT_EQ(counters_.chunks_read, 10);
  QASSERT_OK_AND_ASSIGN(auto n, Run(topic, {Cond("seq", PredicateOp::kNotExists, {})}));
  EXPECT_TRUE(n.timestamps.empty());
  EXPECT_EQ(counters_.chunks_pruned_by_stats, 10);  // null_count 0 everywhere: proven
}

TEST_F(OntologyEvaluatorTest, RangeReadsOnlyWhatCanMoveMinOrMax) {
  auto topic = SeqTopic(store_.store());
  DeleteChunks(*store_.store(), topic, {0, 9});
  QASSERT_OK_AND_ASSIGN(auto r, Run(topic, {Cond("seq", PredicateOp::kGeq, {int64_t{5}})}, EvalRequest::Output::kRange));
  ASSERT_TRUE(r.range.has_value());
  EXPECT_EQ(*r.range, (Window{5, 999}));
  EXPECT_EQ(counters_.chunks_read, 2);
  EXPECT_EQ(counters_.chunks_not_needed, 8);
  EXPECT_EQ(counters_.row_groups_read, 2 + 2);       // first and last matching row group of each
  EXPECT_EQ(counters_.row_groups_not_needed, 8 + 8);
  // No condition and no time range: the catalog's [ts_min, ts_max] answers, nothing is read.
  QASSERT_OK_AND_ASSIGN(auto all, Run(topic, {}, EvalRequest::Output::kRange));
  EXPECT_EQ(*all.range, (Window{0, 999}));
  EXPECT_EQ(counters_.chunks_read, 0);
  EXPECT_EQ(counters_.chunks_from_catalog, 2);
}

TEST_F(OntologyEvaluatorTest, TimeRangeIsInclusiveAndPrunes) {
  auto topic = SeqTopic(store_.store());
  DeleteChunks(*store_.store(), topic, {3, 4});
  const TsRange range{350, 420};
  QASSERT_OK_AND_ASSIGN(auto r, Run(topic, {Cond("seq", PredicateOp::kLt, {int64_t{405}})},
                                    EvalRequest::Output::kTimestamps, 0, range));
  ASSERT_EQ(r.timestamps.size(), 55u);
  EXPECT_EQ(r.timestamps.front(), 350);
  EXPECT_EQ(r.timestamps.back(), 404);
  EXPECT_EQ(counters_.chunks_pruned_by_time, 8);
  // Kept: rows 350..399 and 400..409 (410.. are outside the range or have seq >= 405).
  EXPECT_EQ(counters_.row_groups_pruned, 5 + 9);
  EXPECT_EQ(counters_.row_groups_read, 6);
  QASSERT_OK_AND_ASSIGN(auto w, Run(topic, {}, EvalRequest::Output::kWindows, 0, range));
  EXPECT_EQ(w.windows, (std::vector<Window>{{350, 420}}));
  QASSERT_OK_AND_ASSIGN(auto e, Run(topic, {}, EvalRequest::Output::kWindows, 5, TsRange{420, 420}));
  EXPECT_EQ(e.windows, (std::vector<Window>{{420, 420}}));
}

TEST_F(OntologyEvaluatorTest, CancellationStopsTheScan) {
  auto topic = SeqTopic(store_.store());
  EvalRequest req;
  req.output = EvalRequest::Output::kTimestamps;
  int polls = 0;
  req.cancelled = [&polls] { return ++polls > 3; };
  EvalCounters counters;
  auto r = EvaluateTopic(*store_.store(), topic, {Cond("seq", PredicateOp::kGeq, {int64_t{0}})}, req, &counters);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCancelled()) << r.status().ToString();
  EXPECT_LE(counters.row_groups_read, 3);
}

// --- differential check against a naive row-by-row evaluator ----------------------------------------------------

ScalarValue ToValue(const arrow::Scalar& s) {
  switch (s.type->id()) {
    case arrow::Type::INT32: return int64_t{static_cast<const arrow::Int32Scalar&>(s).value};
    case arrow::Type::INT64: return static_cast<const arrow::Int64Scalar&>(s).value;
    case arrow::Type::FLOAT: return double{static_cast<const arrow::FloatScalar&>(s).value};
    case arrow::Type::DOUBLE: return static_cast<const arrow::DoubleScalar&>(s).value;
    case arrow::Type::STRING: return std::string(static_cast<const arrow::StringScalar&>(s).view());
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanScalar&>(s).value;
    default: return std::monostate{};
  }
}

bool NaiveHolds(const std::shared_ptr<arrow::Scalar>& v, const OntologyCondition& c, size_t step) {
  const auto& p = c.predicate;
  const bool valid = v && v->is_valid;
  if (step == c.path.size()) {
    if (!valid) return Holds(p, std::monostate{});
    if (v->type->id() == arrow::Type::STRUCT || v->type->id() == arrow::Type::LIST) {
      return p.op == PredicateOp::kExists;  // present, not a scalar
    }
    return Holds(p, ToValue(*v));
  }
  const PathStep& s = c.path[step];
  if (s.kind == PathStep::Kind::kField) {
    std::shared_ptr<arrow::Scalar> child;
    if (valid && v->type->id() == arrow::Type::STRUCT) {
      auto f = static_cast<const arrow::StructScalar&>(*v).field(s.name);
      if (f.ok()) child = *f;
    }
    return NaiveHolds(child, c, step + 1);
  }
  if (!valid || v->type->id() != arrow::Type::LIST) return false;
  const auto& list = *static_cast<const arrow::BaseListScalar&>(*v).value;
  const int64_t n = list.length();
  auto element = [&](int64_t k) { return NaiveHolds(list.GetScalar(k).ValueOrDie(), c, step + 1); };
  switch (s.kind) {
    case PathStep::Kind::kIndex: return s.index < n && element(s.index);
    case PathStep::Kind::kAny:
      for (int64_t k = 0; k < n; ++k) if (element(k)) return true;
      return false;
    case PathStep::Kind::kAll:
      if (n == 0) return false;
      for (int64_t k = 0; k < n; ++k) if (!element(k)) return false;
      return true;
    default: return false;
  }
}

bool NaiveRow(const arrow::RecordBatch& b, int64_t row, const std::vector<OntologyCondition>& conds) {
  for (const auto& c : conds) {
    auto col = b.GetColumnByName(c.path[0].name);
    std::shared_ptr<arrow::Scalar> v = col ? col->GetScalar(row).ValueOrDie() : nullptr;
    if (!NaiveHolds(v, c, 1)) return false;
  }
  return true;
}

TEST_F(OntologyEvaluatorTest, AgreesWithANaiveEvaluatorOnRandomData) {
  std::mt19937_64 rng(2024);
  auto schema = Schema();
  const std::vector<std::string> frames = {"base", "base_link", "imu", "map", "", "a1", "Z"};
  auto maybe = [&](Json v) { return rng() % 6 == 0 ? Json() : v; };
  auto num = [&]() { return Json(static_cast<double>(static_cast<int>(rng() % 21) - 10) / 2); };
  auto list_of = [&](auto make) {
    if (rng() % 6 == 0) return Json();
    Json l = Json::array();
    for (int k = rng() % 4; k > 0; --k) l.push_back(maybe(make()));
    return l;
  };
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::vector<std::shared_ptr<arrow::RecordBatch>> all;
  for (int b = 0; b < 6; ++b) {
    Json rows = Json::array();
    for (int i = 0; i < 40; ++i) {
      Json r;
      r["timestamp_ns"] = static_cast<int64_t>(rng() % 400) * 10;
      r["acc"] = rng() % 7 == 0 ? Json() : Json{{"x", maybe(num())}, {"y", maybe(num())}};
      r["temp"] = maybe(num());
      r["frame"] = maybe(frames[rng() % frames.size()]);
      r["ok"] = maybe(Json(static_cast<bool>(rng() % 2)));
      r["cov"] = list_of(num);
      r["poses"] = list_of([&]() {
        return Json{{"kind", maybe(frames[rng() % frames.size()])}, {"w", list_of(num)}};
      });
      r["seq"] = maybe(Json(static_cast<int>(rng() % 50)));
      rows.push_back(r);
    }
    batches.push_back(BatchFromJson(schema, rows.dump()));
  }
  auto topic = WriteTopic(store_.store(), "rand", schema, batches, OneChunkPerBatch(7));
  ASSERT_EQ(topic.chunks.size(), 6u);

  struct KeyKind {
    std::string key;
    int kind;  // 0 number, 1 string, 2 bool
  };
  const std::vector<KeyKind> keys = {{"acc.x", 0}, {"acc.y", 0}, {"temp", 0}, {"seq", 0}, {"timestamp_ns", 0},
                                     {"frame", 1}, {"ok", 2}, {"cov[0]", 0}, {"cov[?]", 0}, {"cov[!]", 0},
                                     {"cov[2]", 0}, {"poses[?].kind", 1}, {"poses[!].kind", 1}, {"poses[1].kind", 1},
                                     {"poses[?].w[!]", 0}, {"poses[!].w[?]", 0}, {"acc.nope", 0}, {"nope", 1}};
  auto arg = [&](int kind) -> ScalarValue {
    if (kind == 1) return frames[rng() % frames.size()];
    if (kind == 2) return static_cast<bool>(rng() % 2);
    if (rng() % 2) return static_cast<int64_t>(rng() % 21) - 10;
    return static_cast<double>(static_cast<int>(rng() % 41) - 20) / 4;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<OntologyCondition> conds;
    for (int k = 1 + rng() % 2; k > 0; --k) {
      const auto& kk = keys[rng() % keys.size()];
      std::vector<PredicateOp> ops = {PredicateOp::kEq, PredicateOp::kNeq, PredicateOp::kIn, PredicateOp::kExists,
                                      PredicateOp::kNotExists};
      if (kk.kind != 2) {
        ops.insert(ops.end(), {PredicateOp::kLt, PredicateOp::kLeq, PredicateOp::kGt, PredicateOp::kGeq,
                               PredicateOp::kBetween, PredicateOp::kOutside});
      }
      if (kk.kind == 1) ops.push_back(PredicateOp::kMatch);
      const PredicateOp op = ops[rng() % ops.size()];
      std::vector<ScalarValue> args;
      if (op == PredicateOp::kBetween || op == PredicateOp::kOutside) {
        args = {arg(kk.kind), arg(kk.kind)};
      } else if (op == PredicateOp::kIn) {
        for (int n = rng() % 4; n > 0; --n) args.push_back(arg(kk.kind));
      } else if (op == PredicateOp::kMatch) {
        args = {std::string(rng() % 2 ? "base*" : "?")};
      } else if (op != PredicateOp::kExists && op != PredicateOp::kNotExists) {
        args = {arg(kk.kind)};
      }
      conds.push_back(Cond(kk.key, op, args));
    }
    std::optional<TsRange> range;
    if (rng() % 3 == 0) {
      const int64_t a = static_cast<int64_t>(rng() % 4000), b = static_cast<int64_t>(rng() % 4000);
      range = TsRange{std::min(a, b), std::max(a, b)};
    }
    I want;
    for (const auto& b : batches) {
      const auto& ts = static_cast<const arrow::Int64Array&>(*b->GetColumnByName("timestamp_ns"));
      for (int64_t row = 0; row < b->num_rows(); ++row) {
        if (range && !range->Contains(ts.Value(row))) continue;
        if (NaiveRow(*b, row, conds)) want.push_back(ts.Value(row));
      }
    }
    std::sort(want.begin(), want.end());
    std::string what = "round " + std::to_string(round) + ":";
    for (const auto& c : conds) what += " " + c.key + " " + PredicateOpName(c.predicate.op);
    QASSERT_OK_AND_ASSIGN(auto got, Run(topic, conds, EvalRequest::Output::kTimestamps, 0, range));
    ASSERT_EQ(got.timestamps, want) << what;
    QASSERT_OK_AND_ASSIGN(auto rng_result, Run(topic, conds, EvalRequest::Output::kRange, 0, range));
    if (want.empty()) {
      EXPECT_FALSE(rng_result.range.has_value()) << what;
    } else {
      ASSERT_TRUE(rng_result.range.has_value()) << what;
      EXPECT_EQ(*rng_result.range, (Window{want.front(), want.back()})) << what;
    }
    const int64_t dt = static_cast<int64_t>(rng() % 40);
    QASSERT_OK_AND_ASSIGN(auto windows, Run(topic, conds, EvalRequest::Output::kWindows, dt, range));
    EXPECT_EQ(windows.windows, ClusterTimestamps(want, dt)) << what << " dt " << dt;
  }
}

}  // namespace
}  // namespace mosaico::query
