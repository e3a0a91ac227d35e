// RebuildCatalog on each catalog backend (SQLite file; PostgreSQL database when MOSAICOD_TEST_PG_URL is set): a
// world written through the Lifecycle into catalog + local store is rebuilt from the store alone into an identical
// catalog; a non-empty catalog is refused without force and kept as a backup with it; a failed rebuild leaves the
// old catalog as it was and nothing half-built behind. PostgreSQL only: the schema swap (staging invisible until
// published, one rebuild at a time, stale staging schemas dropped, migrations table of the new catalog).
#include <functional>
#include <set>
#include <sstream>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_migrations.h"
#include "mosaico/catalog/postgres/pg_staging.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/rebuild.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using catalog::testing::Backend;
using catalog::testing::CatalogTest;
using catalog::testing::IsFailedPrecondition;
using catalog::testing::OnEachBackend;

constexpr char kPgSchemaPrefix[] = "postgresql schema ";

class RebuildTest : public OnEachBackend<CatalogTest> {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
  }

  void TearDown() override {
    lc_.reset();
    CatalogTest::TearDown();
  }

  static std::string Schema() {
    return *ingest::SerializeSchema(*arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                                                    arrow::field("value", arrow::float64())}));
  }

  // seq -> a finalized session with topic "imu" (schema, one committed stand-in chunk with stats, notifications),
  // then an open session with topic "late" that has no data.
  void World(const std::string& seq) {
    ASSERT_TRUE(lc_->CreateSequence(seq, R"({"n":[1,2],"site":"lab"})").ok());
    auto session = *lc_->CreateSession(seq);
    auto topic = *lc_->CreateTopic({session.uuid, TopicLocator{seq, "imu"}, "default", "imu", R"({"hz":100})"});
    ASSERT_TRUE(lc_->Notify(seq, std::string("imu"), "error", "topic note").ok());
    ASSERT_TRUE(lc_->Notify(seq, std::nullopt, "error", "sequence note").ok());
    ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema(seq, "imu"), Schema()).ok());
    ASSERT_TRUE(catalog_->SetTopicSchema(topic.id, Schema()).ok());
    ingest::UploadManifest m;
    m.upload_id = NewUlid(NowNs());
    m.topic = "imu";
    m.row_count = 3;
    catalog::ChunkRecord c;
    c.object_key = layout::ChunkObject(seq, "imu", m.upload_id, 0);
    c.row_count = 3;
    c.size_bytes = 5;
    c.ts_min = 10;
    c.ts_max = 30;
    c.checksum = "00000000";
    catalog::ColumnStats stats;
    stats.column = "value";
    stats.kind = catalog::ColumnStats::Kind::kFloat;
    stats.min_float = -1.5;
    stats.max_float = 2.5;
    c.stats.push_back(stats);
    m.chunks.push_back(c);
    ASSERT_TRUE(store_->PutAtomic(c.object_key, "chunk").ok());
    ASSERT_TRUE(store_->PutAtomic(layout::UploadManifest(seq, "imu", m.upload_id), m.Serialize()).ok());
    ASSERT_TRUE(catalog_->CommitTopicData(topic.id, m.upload_id, m.chunks).ok());
    ASSERT_TRUE(lc_->FinalizeSession(session.uuid).ok());
    auto open = *lc_->CreateSession(seq);
    ASSERT_TRUE(lc_->CreateTopic({open.uuid, TopicLocator{seq, "late"}, "default", "gps", "{}"}).ok());
  }

  // Everything a catalog holds about the data, ids left out (a rebuild assigns new ones).
  static std::string Dump(catalog::Catalog& cat) {
    std::ostringstream out;
    auto seqs = cat.ListSequences();
    if (!seqs.ok()) return "error: " + seqs.status().ToString();
    for (const auto& s : *seqs) {
      out << "seq " << s.name << " " << s.user_metadata_json << " " << s.created_at_ns << "\n";
      for (const auto& x : *cat.ListSessions(s.name)) {
        out << " session " << x.key << " " << x.uuid << " " << x.created_at_ns << " "
            << x.completed_at_ns.value_or(-1) << " " << x.locked << "\n";
      }
      for (const auto& t : *cat.ListTopics(s.name)) {
        out << " topic " << t.name << " " << t.uuid << " " << t.session_key << " " << t.ontology_tag << " "
            << t.serialization_format << " " << t.user_metadata_json << " " << t.created_at_ns << " "
            << t.completed_at_ns.value_or(-1) << " " << t.locked << " " << t.schema_ipc.has_value() << " "
            << (t.schema_ipc ? std::hash<std::string>()(*t.schema_ipc) : 0) << " " << t.upload_id.value_or("-") << "\n";
        for (const auto& c : *cat.ListChunks(t.id, /*with_stats=*/true)) {
          out << "  chunk " << c.index << " " << c.object_key << " " << c.row_count << " " << c.size_bytes << " "
              << c.ts_min << " " << c.ts_max << " " << c.checksum;
          for (const auto& st : c.stats) {
            out << " [" << st.column << " " << st.min_float.value_or(0) << " " << st.max_float.value_or(0) << " "
                << st.null_count << "]";
          }
          out << "\n";
        }
        for (const auto& n : *cat.ListNotifications(s.name, t.name)) {
          out << "  note " << n.notification_type << " " << n.msg << " " << n.created_at_ns << "\n";
        }
      }
      for (const auto& n : *cat.ListNotifications(s.name, std::nullopt)) {
        out << " note " << n.topic_name.value_or("-") << " " << n.notification_type << " " << n.msg << " "
            << n.created_at_ns << "\n";
      }
    }
    return out.str();
  }

  // A second handle on the catalog at catalog_url() (what a restarted daemon would open).
  std::shared_ptr<catalog::Catalog> Reopen() {
    auto opened = catalog::OpenCatalog(catalog_url());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? *opened : nullptr;
  }

  // The catalog a report's `backup` names.
  std::shared_ptr<catalog::Catalog> OpenBackup(const std::string& backup) {
    std::string url = "sqlite://" + backup;
    if (backup.rfind(kPgSchemaPrefix, 0) == 0) {
      auto made = catalog::postgres::UrlWithSearchPath(catalog_url(), backup.substr(sizeof(kPgSchemaPrefix) - 1));
      EXPECT_TRUE(made.ok()) << made.status().ToString();
      url = *made;
    }
    auto opened = catalog::OpenCatalog(url);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? *opened : nullptr;
  }

  // Empties the catalog as a lost index would be: SQLite file deleted, PostgreSQL tables dropped.
  void LoseCatalog() {
    catalog_.reset();
    lc_.reset();
    if (backend() == Backend::kSqlite) {
      std::filesystem::remove(db_path());
      return;
    }
    auto conn = *catalog::postgres::PgConnection::Connect(catalog_url());
    ASSERT_TRUE(conn->ExecScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public").ok());
  }

  std::vector<std::string> Schemas(const std::string& prefix) {
    std::vector<std::string> out;
    auto conn = *catalog::postgres::PgConnection::Connect(catalog_url());
    auto res = *conn->Exec("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1",
                           catalog::postgres::PgParams::Of(prefix));
    for (int r = 0; r < res.rows(); ++r) out.push_back(res.Text(r, 0));
    return out;
  }

  // What a failed rebuild may leave: SQLite build files, PostgreSQL staging schemas.
  std::vector<std::string> Leftovers() {
    if (backend() == Backend::kPostgres) return Schemas("mosaico_rebuild_");
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().filename().string().find(".rebuild-") != std::string::npos) out.push_back(e.path().string());
    }
    return out;
  }

  RebuildOptions Options(bool force) {
    RebuildOptions o;
    o.force = force;
    o.progress = [this](const std::string& phase, int64_t, int64_t) { phases_.insert(phase); };
    return o;
  }

  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
  std::set<std::string> phases_;
};

TEST_P(RebuildTest, ALostCatalogIsRebuiltIdenticalFromTheStore) {
  World("alpha");
  World("beta");
  ASSERT_TRUE(lc_->CreateSequence("bare", "{}").ok());
  const std::string before = Dump(*catalog_);
  ASSERT_NE(before.find("chunk 0"), std::string::npos) << before;
  LoseCatalog();
  ASSERT_FALSE(*CatalogExists(catalog_url()));

  auto report = RebuildCatalog(catalog_url(), *store_, Options(/*force=*/false));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->counts.sequences, 3);
  EXPECT_EQ(report->counts.topics, 4);
  EXPECT_EQ(report->counts.chunks, 2);
  EXPECT_TRUE(report->problems.empty());
  EXPECT_FALSE(report->backup.has_value());
  EXPECT_TRUE(phases_.count("restore") && phases_.count("publish"));
  EXPECT_TRUE(*CatalogExists(catalog_url()));
  auto rebuilt = Reopen();
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_EQ(Dump(*rebuilt), before);
  EXPECT_TRUE(Leftovers().empty());
  // The rebuilt catalog is a working one: the open session takes a new topic.
  auto open = (*rebuilt->ListSessions("alpha"))[1];
  lifecycle::Lifecycle lc(rebuilt, store_);
  EXPECT_TRUE(lc.CreateTopic({open.uuid, TopicLocator{"alpha", "later"}, "default", "imu", "{}"}).ok());
}

TEST_P(RebuildTest, ANonEmptyCatalogIsReplacedOnlyWithForceAndKeptAsABackup) {
  World("alpha");
  const std::string before = Dump(*catalog_);
  auto refused = RebuildCatalog(catalog_url(), *store_, Options(/*force=*/false));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsFailedPrecondition(refused.status())) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  EXPECT_EQ(Dump(*catalog_), before);
  EXPECT_TRUE(Leftovers().empty());

  // A row only the catalog knows (the store never heard of it) tells the old catalog from the rebuilt one.
  ASSERT_TRUE(catalog_->CreateSequence("catalog_only", "{}", 5).ok());
  const std::string old_catalog = Dump(*catalog_);
  catalog_.reset();
  lc_.reset();
  auto report = RebuildCatalog(catalog_url(), *store_, Options(/*force=*/true));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->backup.has_value());
  auto rebuilt = Reopen();
  ASSERT_NE(rebuilt, nullptr);
  EXPECT_EQ(Dump(*rebuilt), before);
  auto backup = OpenBackup(*report->backup);
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(Dump(*backup), old_catalog);
}

TEST_P(RebuildTest, AFailedRebuildLeavesTheOldCatalogAndNothingHalfBuilt) {
  World("alpha");
  World("beta");
  // A store the restore cannot take: beta's topic manifest now claims alpha's topic uuid (unique in a catalog).
  auto alpha_imu = *catalog_->GetTopic("alpha", "imu");
  auto beta_imu = *catalog_->GetTopic("beta", "imu");
  beta_imu.uuid = alpha_imu.uuid;
  ASSERT_TRUE(store_->PutAtomic(layout::TopicManifest("beta", "imu"), lifecycle::TopicManifestJson(beta_imu)).ok());
  const std::string before = Dump(*catalog_);
  auto report = RebuildCatalog(catalog_url(), *store_, Options(/*force=*/true));
  ASSERT_FALSE(report.ok()) << "the duplicate uuid was restored";
  EXPECT_NE(report.status().ToString().find("restoring sequence 'beta'"), std::string::npos) << report.status();
  EXPECT_EQ(Dump(*catalog_), before);
  auto reopened = Reopen();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Dump(*reopened), before);
  EXPECT_TRUE(Leftovers().empty());
  if (backend() == Backend::kPostgres) EXPECT_TRUE(Schemas("mosaico_backup_").empty());
}

MOSAICO_CATALOG_BACKENDS(RebuildTest);

// ------------------------------------------------------------------------------- PostgreSQL: the schema swap

class PgStagingTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  int64_t ScalarOn(const std::string& url, const std::string& sql) {
    auto conn = *catalog::postgres::PgConnection::Connect(url);
    auto res = conn->Exec(sql);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? res->Int64(0, 0) : -1;
  }
};

TEST_F(PgStagingTest, TheStagedCatalogIsInvisibleUntilPublishedAndCarriesTheMigrations) {
  ASSERT_TRUE(catalog_->CreateSequence("old", "{}", 1).ok());
  auto staged = catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_EQ((*staged)->target().schema, "public");
  EXPECT_TRUE((*staged)->target().has_catalog);
  EXPECT_EQ((*staged)->target().sequences, 1);
  ASSERT_TRUE((*staged)->catalog()->CreateSequence("new", "{}", 2).ok());
  // Readers of the live catalog, old connections and new ones, see the old catalog only.
  EXPECT_EQ((*catalog_->ListSequences())[0].name, "old");
  auto fresh_reader = *catalog::OpenCatalog(catalog_url());
  ASSERT_EQ(fresh_reader->ListSequences()->size(), 1u);
  EXPECT_EQ((*fresh_reader->ListSequences())[0].name, "old");

  // One rebuild at a time.
  auto second = catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(IsFailedPrecondition(second.status())) << second.status().ToString();

  auto backup = (*staged)->Publish(/*keep_backup=*/true);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  ASSERT_TRUE(backup->has_value());
  // The same pooled connections now see the new catalog.
  ASSERT_EQ(catalog_->ListSequences()->size(), 1u);
  EXPECT_EQ((*catalog_->ListSequences())[0].name, "new");
  EXPECT_EQ((*fresh_reader->ListSequences())[0].name, "new");
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT max(version) FROM schema_migrations"),
            catalog::postgres::PgLatestSchemaVersion());
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(catalog::postgres::PgLatestSchemaVersion()));
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, "
                                    "'mosaico_rebuild_')"),
            0);
  // The backup schema holds the old catalog, complete (the JSONB helper function moved with it).
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM \"" + **backup + "\".sequences WHERE name = 'old'"), 1);
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                                    "WHERE n.nspname = '" + **backup + "' AND p.proname = 'mosaico_try_jsonb'"),
            1);
  // Extended statistics (CREATE STATISTICS, PostgreSQL migration 7) have a schema of their own: the staged ones
  // moved into the live schema, the old ones into the backup, none stayed behind in the dropped staging schema.
  const std::string statistics_in = "SELECT count(*) FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = "
                                    "s.stxnamespace WHERE n.nspname = ";
  EXPECT_EQ(ScalarOn(catalog_url(), statistics_in + "'public'"), 2);
  EXPECT_EQ(ScalarOn(catalog_url(), statistics_in + "'" + **backup + "'"), 2);
  // Metadata queries still work on the swapped-in catalog (generated JSONB column, its function).
  ASSERT_TRUE(catalog_->CreateSequence("after", R"({"k":1})", 3).ok());
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM sequences WHERE metadata_jsonb @> '{\"k\":1}'"), 1);
  staged->reset();
  auto next = catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  EXPECT_TRUE(next.ok()) << "the lock was not released: " << next.status().ToString();
}

TEST_F(PgStagingTest, AnAbandonedStagingSchemaIsDroppedByTheNextRebuild) {
  {
    auto conn = *catalog::postgres::PgConnection::Connect(catalog_url());
    ASSERT_TRUE(conn->ExecScript("CREATE SCHEMA mosaico_rebuild_1_1; CREATE TABLE mosaico_rebuild_1_1.t (x int)").ok());
  }
  auto staged = catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'mosaico_rebuild_1_1'"), 0);
  const std::string name = (*staged)->staging_schema();
  staged->reset();  // not published: its own staging schema goes too
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_namespace WHERE nspname = '" + name + "'"), 0);
  EXPECT_EQ(catalog_->ListSequences()->size(), 0u);
}

TEST_F(PgStagingTest, WithoutBackupAnEmptyCatalogIsDroppedButOneThatGainedDataIsNotReplaced) {
  auto staged = *catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_TRUE(staged->catalog()->CreateSequence("new", "{}", 2).ok());
  ASSERT_TRUE(catalog_->CreateSequence("written_meanwhile", "{}", 1).ok());
  auto refused = staged->Publish(/*keep_backup=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsFailedPrecondition(refused.status())) << refused.status().ToString();
  EXPECT_EQ((*catalog_->ListSequences())[0].name, "written_meanwhile");
  staged.reset();
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'mosaico_')"), 0);

  ASSERT_TRUE(catalog_->DeleteSequence("written_meanwhile").ok());
  auto again = *catalog::postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_TRUE(again->catalog()->CreateSequence("new", "{}", 2).ok());
  auto published = again->Publish(/*keep_backup=*/false);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_FALSE(published->has_value());
  EXPECT_EQ((*catalog_->ListSequences())[0].name, "new");
  EXPECT_EQ(ScalarOn(catalog_url(), "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'mosaico_')"), 0);
}

TEST(UrlWithSearchPathTest, AddsOrExtendsTheOptionsParameter) {
  using catalog::postgres::UrlWithSearchPath;
  EXPECT_EQ(*UrlWithSearchPath("postgresql://u@h:5/db", "s1"), "postgresql://u@h:5/db?options=-c%20search_path%3Ds1");
  EXPECT_EQ(*UrlWithSearchPath("postgresql://u@h/db?sslmode=disable", "s"),
            "postgresql://u@h/db?sslmode=disable&options=-c%20search_path%3Ds");
  EXPECT_EQ(*UrlWithSearchPath("postgresql://u@h/db?options=-c%20x%3D1&a=b", "s"),
            "postgresql://u@h/db?options=-c%20x%3D1%20-c%20search_path%3Ds&a=b");
  EXPECT_FALSE(UrlWithSearchPath("postgresql://u@h/db", "Bad;Name").ok());
}

}  // namespace
}  // namespace mosaico::recovery
