// jobs::CompactTopic over a real SQLite catalog and a local store, with topics written by ingest (small chunks) and
// finalized by Lifecycle: answers through the read path stay identical, statistics and time ranges stay right, the
// store and catalog agree (recovery::Check), and every failure or crash window converges on a re-run.
#include "mosaico/jobs/compaction.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "jobs/compaction_test_util.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/core/json.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/topic_upload.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/compaction_request.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/read/topic_reader.h"
#include "mosaico/recovery/check.h"
#include "mosaico/recovery/startup_recovery.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {
namespace {

namespace layout = store::layout;
using catalog::testing::IsFailedPrecondition;
using catalog::testing::TempDir;
using testing::ForwardingCatalog;

#define ASSERT_OK_AND_ASSIGN(lhs, expr) MOSAICO_ASSERT_OK_AND_ASSIGN(lhs, expr)
#define ASSERT_OK(expr) MOSAICO_ASSERT_OK(expr)

constexpr int64_t kIngestChunkBytes = 16 << 10;

class CompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "catalog.db").string());
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    fwd_ = std::make_shared<ForwardingCatalog>(catalog_);
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
    // Ingest writes chunks of 16 KiB of Arrow data (about 13 KB of Parquet); compaction merges those into chunks
    // of 256 KiB of Arrow data (about 55 KB of Parquet), which are no longer small.
    options_.writer.target_chunk_bytes = 256 << 10;
    options_.writer.row_group_rows = 1000;
    options_.min_chunk_bytes = 16 << 10;
    options_.old_data_grace_ns = 600LL * 1000000000;
  }

  // A sequence with one session and topic `topic`, `rows` rows uploaded out of order with ingest's chunk target
  // `chunk_bytes` (many small chunks by default), the session finalized unless told otherwise.
  catalog::TopicRecord Upload(const std::string& seq, const std::string& topic, int64_t rows,
                              int64_t chunk_bytes = kIngestChunkBytes, bool finalize = true) {
    if (!catalog_->GetSequence(seq).ok()) EXPECT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = *lc_->CreateSession(seq);
    UploadInto(session, topic, rows, chunk_bytes);
    if (finalize) EXPECT_TRUE(lc_->FinalizeSession(session.uuid).ok());
    return *catalog_->GetTopic(seq, topic);
  }

  void UploadInto(const catalog::SessionRecord& session, const std::string& topic, int64_t rows,
                  int64_t chunk_bytes) {
    const std::string& seq = session.sequence_name;
    auto record = *lc_->CreateTopic({session.uuid, TopicLocator{seq, topic}, "default", "imu", "{}"});
    ingest::ChunkWriterOptions writer;
    writer.target_chunk_bytes = chunk_bytes;
    writer.row_group_rows = 100;
    auto upload = ingest::TopicUpload::Begin(catalog_, store_, record, testing::TopicSchema(), writer);
    EXPECT_TRUE(upload.ok()) << upload.status().ToString();
    std::mt19937_64 rng(42);
    for (int64_t first = 0; first < rows; first += 250) {
      auto batch = testing::TopicBatch(rng, first, std::min<int64_t>(250, rows - first), rows / 3);
      EXPECT_TRUE((*upload)->Write(batch).ok());
    }
    EXPECT_TRUE((*upload)->Commit().ok());
  }

  // The topic's rows in `window` through the read path, as the catalog lists its chunks now.
  std::shared_ptr<arrow::Table> Read(const std::string& seq, const std::string& topic, TimeWindow window = {}) {
    auto t = *catalog_->GetTopic(seq, topic);
    auto schema = *ingest::DeserializeSchema(*t.schema_ipc);
    auto chunks = *catalog_->ListChunks(t.id, false);
    auto reader = read::OpenTopicReader(store_, schema, chunks, window);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    auto table = (*reader)->ToTable();
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return *table;
  }

  // Full read plus windows cutting through chunks and starting on tied timestamps.
  std::vector<std::shared_ptr<arrow::Table>> Answers(const std::string& seq, const std::string& topic) {
    std::vector<std::shared_ptr<arrow::Table>> out = {Read(seq, topic)};
    auto summary = *catalog_->SummarizeTopic(catalog_->GetTopic(seq, topic)->id);
    const int64_t lo = *summary.ts_min, hi = *summary.ts_max, span = hi - lo;
    for (auto [a, b] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {1, 3}, {7, 8}, {3, 9}}) {
      TimeWindow w;
      w.start_ns = lo + span * a / 10;
      w.end_ns = lo + span * b / 10;
      out.push_back(Read(seq, topic, w));
    }
    TimeWindow tail;
    tail.start_ns = hi;
    out.push_back(Read(seq, topic, tail));
    return out;
  }

  static void ExpectSameAnswers(const std::vector<std::shared_ptr<arrow::Table>>& a,
                                const std::vector<std::shared_ptr<arrow::Table>>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(a[i]->schema()->Equals(*b[i]->schema(), /*check_metadata=*/true)) << "answer " << i;
      EXPECT_EQ(a[i]->num_rows(), b[i]->num_rows()) << "answer " << i;
      EXPECT_TRUE(a[i]->Equals(*b[i], /*check_metadata=*/true)) << "answer " << i;
    }
  }

  std::vector<std::string> UploadIds(const std::string& seq, const std::string& topic) {
    std::set<std::string> ids;
    for (const auto& key : *store_->List(layout::TopicDir(seq, topic))) {
      auto ref = layout::ParseKey(key);
      if (!ref.upload_id.empty()) ids.insert(ref.upload_id);
    }
    return {ids.begin(), ids.end()};
  }

  std::vector<std::string> Findings(bool verify_checksums = false) {
    recovery::CheckOptions options;
    options.verify_checksums = verify_checksums;
    options.min_upload_age_ns = 0;
    auto report = recovery::Check(*catalog_, *store_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    std::vector<std::string> out;
    if (report.ok()) {
      for (const auto& f : report->findings) out.push_back(f.kind + " " + f.subject);
    }
    return out;
  }

  void RepairAndExpectClean() {
    recovery::CheckOptions options;
    options.min_upload_age_ns = 0;
    auto repaired = recovery::Repair(*catalog_, *store_, options);
    ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
    for (const auto& f : repaired->left) ADD_FAILURE() << "left: " << f.kind << " " << f.subject << " " << f.detail;
    EXPECT_EQ(Findings(/*verify_checksums=*/true), std::vector<std::string>{});
  }

  arrow::Result<CompactionReport> Compact(const std::string& seq, const std::string& topic,
                                          catalog::Catalog* catalog = nullptr) {
    return CompactTopic(catalog ? *catalog : *catalog_, store_, seq, topic, options_);
  }

  std::vector<catalog::JobRecord> Jobs(const std::string& kind) {
    std::vector<catalog::JobRecord> out;
    auto jobs = catalog_->ListJobs(std::nullopt, 1000);
    EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
    if (jobs.ok()) {
      for (const auto& j : *jobs) {
        if (j.kind == kind) out.push_back(j);
      }
    }
    return out;
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<ForwardingCatalog> fwd_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
  CompactionOptions options_;
};

TEST_F(CompactionTest, ManySmallChunksBecomeFewWithIdenticalAnswers) {
  auto before_topic = Upload("s", "front/imu", 20000);
  auto before_chunks = *catalog_->ListChunks(before_topic.id, false);
  ASSERT_GE(before_chunks.size(), 20u);
  const auto before = Answers("s", "front/imu");
  const auto summary_before = *catalog_->SummarizeTopic(before_topic.id);

  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "front/imu"));
  EXPECT_TRUE(report.compacted) << report.skipped;
  EXPECT_EQ(report.chunks_before, static_cast<int64_t>(before_chunks.size()));
  EXPECT_GE(report.chunks_after, 2);  // several new chunks: ties across their boundaries must keep their order
  EXPECT_LE(report.chunks_after, report.chunks_before / 4);
  EXPECT_EQ(report.rows, 20000);
  EXPECT_EQ(report.old_upload_id, *before_topic.upload_id);
  EXPECT_GT(report.new_upload_id, report.old_upload_id);  // the store's truth (newest upload) is the new one

  auto after_topic = *catalog_->GetTopic("s", "front/imu");
  EXPECT_EQ(after_topic.upload_id, report.new_upload_id);
  EXPECT_TRUE(after_topic.locked);
  EXPECT_EQ(after_topic.schema_ipc, before_topic.schema_ipc);
  auto after_chunks = *catalog_->ListChunks(after_topic.id, false);
  EXPECT_EQ(static_cast<int64_t>(after_chunks.size()), report.chunks_after);
  for (const auto& c : after_chunks) {
    EXPECT_EQ(layout::ParseKey(c.object_key).upload_id, report.new_upload_id);
  }
  const auto summary_after = *catalog_->SummarizeTopic(after_topic.id);
  EXPECT_EQ(summary_after.total_rows, summary_before.total_rows);
  EXPECT_EQ(summary_after.ts_min, summary_before.ts_min);
  EXPECT_EQ(summary_after.ts_max, summary_before.ts_max);
  EXPECT_EQ(summary_after.total_chunks, report.chunks_after);

  ExpectSameAnswers(before, Answers("s", "front/imu"));

  // The old upload stays for the grace period (readers may stream it): both uploads are in the store.
  EXPECT_EQ(UploadIds("s", "front/imu"), (std::vector<std::string>{report.old_upload_id, report.new_upload_id}));
  auto scan = *recovery::ScanStore(*store_);
  ASSERT_EQ(scan.sequences.size(), 1u);
  EXPECT_EQ(scan.sequences[0].topics[0].record.upload_id, report.new_upload_id);
}

TEST_F(CompactionTest, NewChunksCarryExactStatisticsAndRanges) {
  auto topic = Upload("s", "imu", 12000);
  auto old_chunks = *catalog_->ListChunks(topic.id, true);
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu"));
  ASSERT_TRUE(report.compacted);
  auto new_chunks = *catalog_->ListChunks(topic.id, true);

  // Per chunk: rows, time range and statistics are those of the rows the chunk holds.
  auto schema = *ingest::DeserializeSchema(*topic.schema_ipc);
  int64_t rows = 0;
  for (const auto& c : new_chunks) {
    auto reader = *read::OpenTopicReader(store_, schema, {c}, TimeWindow{});
    auto table = *reader->ToTable();
    EXPECT_EQ(table->num_rows(), c.row_count);
    rows += c.row_count;
    auto ts = *arrow::Concatenate(table->GetColumnByName("timestamp_ns")->chunks());
    auto& ts64 = static_cast<const arrow::Int64Array&>(*ts);
    EXPECT_EQ(ts64.Value(0), c.ts_min);
    EXPECT_EQ(ts64.Value(ts64.length() - 1), c.ts_max);
    std::set<std::string> columns;
    for (const auto& s : c.stats) columns.insert(s.column);
    EXPECT_TRUE(columns.count("value") && columns.count("pos.x") && columns.count("label")) << c.object_key;
  }
  EXPECT_EQ(rows, 12000);

  // Over the topic: min, max and null counts of every column are unchanged.
  auto aggregate = [](const std::vector<catalog::ChunkRecord>& chunks) {
    std::map<std::string, catalog::ColumnStats> out;
    for (const auto& c : chunks) {
      for (const auto& s : c.stats) {
        auto [it, fresh] = out.emplace(s.column, s);
        if (fresh) continue;
        auto& a = it->second;
        a.null_count += s.null_count;
        auto lo = [](auto& x, const auto& y) { if (y && (!x || *y < *x)) x = y; };
        auto hi = [](auto& x, const auto& y) { if (y && (!x || *y > *x)) x = y; };
        lo(a.min_int, s.min_int), hi(a.max_int, s.max_int);
        lo(a.min_float, s.min_float), hi(a.max_float, s.max_float);
        lo(a.min_str, s.min_str), hi(a.max_str, s.max_str);
      }
    }
    return out;
  };
  EXPECT_EQ(aggregate(old_chunks), aggregate(new_chunks));

  // upload.json of the new upload lists exactly the catalog's chunks.
  auto text = (*store_->Get(layout::UploadManifest("s", "imu", report.new_upload_id)))->ToString();
  ASSERT_OK_AND_ASSIGN(auto manifest, ingest::UploadManifest::Parse(text));
  EXPECT_EQ(manifest.row_count, 12000);
  EXPECT_EQ(manifest.chunks.size(), new_chunks.size());
}

TEST_F(CompactionTest, OldUploadIsDeletedByAGraceJobAndTheStoreChecksClean) {
  Upload("s", "imu", 8000);
  const int64_t t0 = NowNs();
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu"));
  ASSERT_TRUE(report.compacted);

  // One delete_upload job for the old upload, due after the grace period.
  auto jobs = Jobs(kDeleteUploadJob);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].dedup_key, "delete_upload:s/imu/" + report.old_upload_id);
  auto payload = Json::parse(jobs[0].payload_json);
  EXPECT_EQ(payload, Json({{"sequence", "s"}, {"topic", "imu"}, {"upload_id", report.old_upload_id}}));
  EXPECT_GE(jobs[0].run_after_ns, t0 + options_.old_data_grace_ns);
  EXPECT_LE(jobs[0].run_after_ns, NowNs() + options_.old_data_grace_ns);

  // Until then the old upload is a superseded one (not referenced by the catalog); the rest agrees.
  EXPECT_EQ(Findings(), std::vector<std::string>{"superseded_upload " +
                                                 layout::UploadDir("s", "imu", report.old_upload_id)});
  ASSERT_OK(store_->DeletePrefix(layout::UploadDir("s", "imu", report.old_upload_id)));
  EXPECT_EQ(Findings(/*verify_checksums=*/true), std::vector<std::string>{});
}

TEST_F(CompactionTest, NothingToDo) {
  auto big = Upload("s", "big", 4000, /*chunk_bytes=*/64 << 20);  // one chunk
  Upload("s", "open", 4000, kIngestChunkBytes, /*finalize=*/false);
  Upload("s", "imu", 4000);
  const auto objects = *store_->List(layout::SequencesRoot());

  auto expect_skip = [&](const std::string& topic, const std::string& why) {
    auto report = Compact("s", topic);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_FALSE(report->compacted) << topic;
    EXPECT_EQ(report->skipped, why) << topic;
  };
  expect_skip("big", "fewer than 2 small chunks");
  expect_skip("open", "not finalized");
  expect_skip("missing", "topic gone");
  options_.min_chunk_bytes = 1;  // every chunk is large
  expect_skip("imu", "fewer than 2 small chunks");
  options_.min_chunk_bytes = 0;
  expect_skip("imu", "compaction disabled");

  // A finalized topic without data.
  auto session = *lc_->CreateSession("s");
  ASSERT_TRUE(lc_->CreateTopic({session.uuid, TopicLocator{"s", "empty"}, "default", "imu", "{}"}).ok());
  ASSERT_OK(lc_->FinalizeSession(session.uuid));
  options_.min_chunk_bytes = 16 << 10;
  expect_skip("empty", "no committed data");

  auto after = *store_->List(layout::SequencesRoot());
  after.erase(std::remove_if(after.begin(), after.end(),
                             [](const std::string& k) { return k.find("/empty/") != std::string::npos ||
                                                               k.find("/sessions/") != std::string::npos; }),
              after.end());
  auto expected = objects;
  expected.erase(std::remove_if(expected.begin(), expected.end(),
                                [](const std::string& k) { return k.find("/sessions/") != std::string::npos; }),
                 expected.end());
  EXPECT_EQ(after, expected);  // nothing written, nothing deleted
  EXPECT_EQ(catalog_->GetTopic("s", "big")->upload_id, big.upload_id);
}

TEST_F(CompactionTest, ARewriteThatDoesNotReduceTheChunkCountIsDropped) {
  auto topic = Upload("s", "imu", 8000);
  options_.writer.target_chunk_bytes = kIngestChunkBytes;  // the same chunking as ingest
  options_.min_chunk_bytes = 1LL << 30;                      // every chunk counts as small
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu"));
  EXPECT_FALSE(report.compacted);
  EXPECT_EQ(report.skipped, "no gain");
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, topic.upload_id);
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{*topic.upload_id});
}

TEST_F(CompactionTest, TopicChangedMeanwhileLeavesItAlone) {
  auto topic = Upload("s", "imu", 8000);
  const auto before = Answers("s", "imu");
  auto old_chunks = *catalog_->ListChunks(topic.id, true);
  const std::string other = "0ZZZZZZZZZZZZZZZZZZZZZZZZZ";  // another compaction won the race
  fwd_->on_replace = [&](int64_t id, const std::string& expected, const std::string& next,
                         const std::vector<catalog::ChunkRecord>& chunks) {
    EXPECT_TRUE(fwd_->inner().ReplaceTopicData(id, expected, other, old_chunks).ok());
    return fwd_->inner().ReplaceTopicData(id, expected, next, chunks);
  };
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu", fwd_.get()));
  EXPECT_FALSE(report.compacted);
  EXPECT_EQ(report.skipped, "changed meanwhile");
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, other);
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{*topic.upload_id});  // ours was removed again
  EXPECT_TRUE(Jobs(kDeleteUploadJob).empty());
  (void)before;
}

TEST_F(CompactionTest, SequenceDeletedMeanwhileLeavesNothingBehind) {
  Upload("s", "imu", 8000);
  fwd_->on_replace = [&](int64_t id, const std::string& expected, const std::string& next,
                         const std::vector<catalog::ChunkRecord>& chunks) {
    EXPECT_TRUE(lc_->DeleteSequence("s").ok());
    return fwd_->inner().ReplaceTopicData(id, expected, next, chunks);
  };
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu", fwd_.get()));
  EXPECT_FALSE(report.compacted);
  EXPECT_EQ(report.skipped, "changed meanwhile");
  EXPECT_EQ(*store_->List(layout::SequencesRoot()), std::vector<std::string>{});
  EXPECT_EQ(Findings(), std::vector<std::string>{});
}

TEST_F(CompactionTest, AnEarlierAttemptThatSwappedFirstCountsAsDone) {
  Upload("s", "imu", 8000);
  fwd_->on_replace = [&](int64_t id, const std::string& expected, const std::string& next,
                         const std::vector<catalog::ChunkRecord>& chunks) {
    EXPECT_TRUE(fwd_->inner().ReplaceTopicData(id, expected, next, chunks).ok());
    return fwd_->inner().ReplaceTopicData(id, expected, next, chunks);  // refused: no longer `expected`
  };
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu", fwd_.get()));
  EXPECT_TRUE(report.compacted);
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, report.new_upload_id);
  EXPECT_TRUE(*store_->Exists(layout::UploadManifest("s", "imu", report.new_upload_id)));
}

TEST_F(CompactionTest, CrashBeforeTheSwapThenReRunConverges) {
  auto topic = Upload("s", "imu", 8000);
  const auto before = Answers("s", "imu");
  // The swap never happens and nobody can tell the compaction whether it did: it leaves its upload in place,
  // exactly the state of a crash at "compaction.after_write".
  fwd_->on_replace = [&](int64_t, const std::string&, const std::string&, const std::vector<catalog::ChunkRecord>&) {
    fwd_->fail_get_topic = true;
    return arrow::Status::IOError("simulated: connection lost");
  };
  auto failed = Compact("s", "imu", fwd_.get());
  ASSERT_FALSE(failed.ok());
  auto ids = UploadIds("s", "imu");
  ASSERT_EQ(ids.size(), 2u);
  const std::string crashed = ids[1];
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, topic.upload_id);  // the catalog still serves the old data
  ExpectSameAnswers(before, Answers("s", "imu"));

  // The re-run (the job claimed again) compacts once more, into an upload newer than the leftover one.
  ASSERT_OK_AND_ASSIGN(auto report, Compact("s", "imu"));
  ASSERT_TRUE(report.compacted);
  EXPECT_GT(report.new_upload_id, crashed);
  ExpectSameAnswers(before, Answers("s", "imu"));
  auto scan = *recovery::ScanStore(*store_);
  EXPECT_EQ(scan.sequences[0].topics[0].record.upload_id, report.new_upload_id);
  // Both older uploads are superseded garbage: repair (or the GC) removes them and the store checks clean.
  RepairAndExpectClean();
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{report.new_upload_id});
  ExpectSameAnswers(before, Answers("s", "imu"));
}

// The same crash window, then a daemon restart: start-up recovery swaps the catalog to the compacted upload (the
// store's truth), the re-run job finds nothing to do, and repair removes the replaced upload.
TEST_F(CompactionTest, CrashBeforeTheSwapIsRolledForwardAtStartUp) {
  auto topic = Upload("s", "imu", 8000);
  const auto before = Answers("s", "imu");
  fwd_->on_replace = [&](int64_t, const std::string&, const std::string&, const std::vector<catalog::ChunkRecord>&) {
    fwd_->fail_get_topic = true;
    return arrow::Status::IOError("simulated: crash");
  };
  ASSERT_FALSE(Compact("s", "imu", fwd_.get()).ok());
  const std::string crashed = UploadIds("s", "imu").back();
  const std::string old_dir = layout::UploadDir("s", "imu", *topic.upload_id);
  EXPECT_EQ(Findings(), (std::vector<std::string>{"unadopted_upload s/imu", "superseded_upload " + old_dir}));

  ASSERT_OK_AND_ASSIGN(auto recovered, recovery::RecoverAtStartup(*catalog_, *store_));
  ASSERT_EQ(recovered.done.size(), 1u);
  EXPECT_EQ(recovered.done[0].action, recovery::RepairAction::kAdoptUpload);
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, crashed);
  ExpectSameAnswers(before, Answers("s", "imu"));
  ASSERT_OK_AND_ASSIGN(auto again, Compact("s", "imu"));
  EXPECT_FALSE(again.compacted);
  RepairAndExpectClean();
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{crashed});
  ExpectSameAnswers(before, Answers("s", "imu"));
}

// A newer committed upload that does not hold the catalog's rows is not adopted: reported, never swapped in.
TEST_F(CompactionTest, ANewerUploadWithOtherRowsIsNotAdopted) {
  auto topic = Upload("s", "imu", 8000);
  auto chunks = *catalog_->ListChunks(topic.id, true);
  ingest::UploadManifest m;
  m.upload_id = NewUlid(NowNs() + 1000000000);
  m.topic = "imu";
  m.chunks = {chunks[0]};
  m.chunks[0].object_key = layout::ChunkObject("s", "imu", m.upload_id, 0);
  m.row_count = m.chunks[0].row_count;
  auto bytes = *store_->Get(chunks[0].object_key);
  ASSERT_OK(store_->PutAtomic(m.chunks[0].object_key, bytes));
  ASSERT_OK(store_->PutAtomic(layout::UploadManifest("s", "imu", m.upload_id), m.Serialize()));
  auto findings = Findings();
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].rfind("field_mismatch s/imu", 0), 0u) << findings[0];
  ASSERT_OK_AND_ASSIGN(auto recovered, recovery::RecoverAtStartup(*catalog_, *store_));
  EXPECT_TRUE(recovered.done.empty());
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, topic.upload_id);
}

TEST_F(CompactionTest, ReRunAfterTheSwapIsANoOpAndALostDeleteJobIsRepaired) {
  Upload("s", "imu", 8000);
  const auto before = Answers("s", "imu");
  // The delete job cannot be enqueued (a crash at "compaction.after_swap" has the same outcome).
  fwd_->on_enqueue = [](const std::string&, const std::string&, const std::string&, int64_t,
                        int64_t) -> arrow::Result<catalog::JobRecord> {
    return arrow::Status::IOError("simulated: queue unavailable");
  };
  ASSERT_OK_AND_ASSIGN(auto first, Compact("s", "imu", fwd_.get()));
  ASSERT_TRUE(first.compacted);
  ASSERT_OK_AND_ASSIGN(auto again, Compact("s", "imu"));
  EXPECT_FALSE(again.compacted);
  EXPECT_EQ(again.skipped, "fewer than 2 small chunks");
  EXPECT_TRUE(Jobs(kDeleteUploadJob).empty());
  RepairAndExpectClean();  // the superseded old upload is garbage for repair / the GC
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{first.new_upload_id});
  ExpectSameAnswers(before, Answers("s", "imu"));
}

TEST_F(CompactionTest, ACancelledRewriteLeavesNothingBehind) {
  auto topic = Upload("s", "imu", 8000);
  int polls = 0;
  options_.cancelled = [&polls] { return ++polls > 3; };  // a shutdown arrives part-way through the rewrite
  auto report = Compact("s", "imu");
  EXPECT_TRUE(report.status().IsCancelled()) << report.status().ToString();
  EXPECT_EQ(UploadIds("s", "imu"), std::vector<std::string>{*topic.upload_id});
  EXPECT_EQ(catalog_->GetTopic("s", "imu")->upload_id, topic.upload_id);
  EXPECT_EQ(Findings(), std::vector<std::string>{});
}

TEST_F(CompactionTest, JobHandlerParsesItsPayload) {
  Upload("s", "imu", 8000);
  catalog::JobRecord job;
  job.kind = lifecycle::kCompactTopicJob;
  job.payload_json = R"({"sequence":"s"})";
  auto st = RunCompactionJob(job, *catalog_, store_, options_);
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("topic"), std::string::npos) << st.ToString();
  job.payload_json = "not json";
  EXPECT_TRUE(RunCompactionJob(job, *catalog_, store_, options_).IsInvalid());

  job.payload_json = lifecycle::CompactTopicPayload("s", "imu");
  ASSERT_OK(RunCompactionJob(job, *catalog_, store_, options_));
  EXPECT_EQ(UploadIds("s", "imu").size(), 2u);
  job.payload_json = lifecycle::CompactTopicPayload("s", "gone");
  ASSERT_OK(RunCompactionJob(job, *catalog_, store_, options_));  // nothing to do is success
}

TEST_F(CompactionTest, FinalizeEnqueuesOneJobPerTopicWithSeveralChunks) {
  ASSERT_TRUE(lc_->CreateSequence("s", "{}").ok());
  auto session = *lc_->CreateSession("s");
  UploadInto(session, "many", 8000, kIngestChunkBytes);
  UploadInto(session, "one", 2000, 64 << 20);
  ASSERT_TRUE(lc_->CreateTopic({session.uuid, TopicLocator{"s", "nodata"}, "default", "imu", "{}"}).ok());
  Upload("s", "elsewhere", 8000, kIngestChunkBytes, /*finalize=*/false);  // another session: not finalized
  ASSERT_OK(lc_->FinalizeSession(session.uuid));
  auto jobs = Jobs(lifecycle::kCompactTopicJob);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].dedup_key, "compact_topic:s/many");
  EXPECT_EQ(Json::parse(jobs[0].payload_json), Json({{"sequence", "s"}, {"topic", "many"}}));
  EXPECT_EQ(jobs[0].state, catalog::JobRecord::State::kPending);
  EXPECT_LE(jobs[0].run_after_ns, NowNs());
}

TEST_F(CompactionTest, FinalizeSummarizesItsTopicsInOneCatalogCall) {
  lifecycle::Lifecycle lc(fwd_, store_);
  ASSERT_TRUE(lc.CreateSequence("s", "{}").ok());
  auto session = *lc.CreateSession("s");
  std::vector<std::vector<int64_t>> batches;
  fwd_->on_summarize_topics = [&](const std::vector<int64_t>& ids) {
    batches.push_back(ids);
    return fwd_->inner().SummarizeTopics(ids);
  };
  for (const char* name : {"a", "b", "c"}) {
    auto topic = *lc.CreateTopic({session.uuid, TopicLocator{"s", name}, "default", "imu", "{}"});
    catalog::ChunkRecord c0, c1;
    c0.index = 0, c1.index = 1;
    c0.object_key = std::string(name) + "0", c1.object_key = std::string(name) + "1";
    ASSERT_OK(catalog_->CommitTopicData(topic.id, "u", {c0, c1}));
  }
  const int single_before = fwd_->summarize_topic_calls;
  ASSERT_OK(lc.FinalizeSession(session.uuid));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].size(), 3u);
  EXPECT_EQ(fwd_->summarize_topic_calls, single_before);  // no per-topic calls
  EXPECT_EQ(Jobs(lifecycle::kCompactTopicJob).size(), 3u);
}

TEST_F(CompactionTest, FinalizeFallsBackToOneTopicAtATimeWhenTheBatchSummaryFails) {
  lifecycle::Lifecycle lc(fwd_, store_);
  ASSERT_TRUE(lc.CreateSequence("s", "{}").ok());
  auto session = *lc.CreateSession("s");
  fwd_->on_summarize_topics = [](const std::vector<int64_t>&) -> arrow::Result<std::vector<catalog::TopicDataSummary>> {
    return arrow::Status::KeyError("topic 7 not found");  // e.g. deleted between the listing and the summary
  };
  auto topic = *lc.CreateTopic({session.uuid, TopicLocator{"s", "imu"}, "default", "imu", "{}"});
  catalog::ChunkRecord c0, c1;
  c0.index = 0, c1.index = 1;
  c0.object_key = "x0", c1.object_key = "x1";
  ASSERT_OK(catalog_->CommitTopicData(topic.id, "u", {c0, c1}));
  ASSERT_OK(lc.FinalizeSession(session.uuid));
  auto jobs = Jobs(lifecycle::kCompactTopicJob);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].dedup_key, "compact_topic:s/imu");
}

TEST_F(CompactionTest, FinalizeSucceedsWhenTheQueueFails) {
  lifecycle::Lifecycle lc(fwd_, store_);
  for (auto failure : {arrow::Status::NotImplemented("event queue"), arrow::Status::IOError("disk full")}) {
    fwd_->on_enqueue = [failure](const std::string&, const std::string&, const std::string&, int64_t,
                                 int64_t) -> arrow::Result<catalog::JobRecord> { return failure; };
    const std::string seq = failure.IsNotImplemented() ? "a" : "b";
    ASSERT_TRUE(lc.CreateSequence(seq, "{}").ok());
    auto session = *lc.CreateSession(seq);
    auto topic = *lc.CreateTopic({session.uuid, TopicLocator{seq, "imu"}, "default", "imu", "{}"});
    catalog::ChunkRecord c0, c1;
    c0.index = 0, c1.index = 1;
    c0.object_key = "x0", c1.object_key = "x1";
    ASSERT_OK(catalog_->CommitTopicData(topic.id, "u", {c0, c1}));
    ASSERT_OK(lc.FinalizeSession(session.uuid));
    EXPECT_TRUE(catalog_->GetSession(seq, session.key)->locked);
  }
  EXPECT_TRUE(Jobs(lifecycle::kCompactTopicJob).empty());
}

}  // namespace
}  // namespace mosaico::jobs
