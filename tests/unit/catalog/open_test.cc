// Opening: URL forms, migrations (idempotent, versioned), persistence across reopen, concurrent use.
#include <sqlite3.h>

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/catalog/sqlite/migrations.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::testing {
namespace {

using OpenTest = CatalogTest;

int64_t SchemaVersionOf(const std::string& path) {
  auto conn = sqlite::Connection::Open(path);
  if (!conn.ok()) return -1;
  auto version = sqlite::CurrentSchemaVersion(conn->get());
  return version.ok() ? *version : -1;
}

TEST_F(OpenTest, AcceptsSqliteUrlsAndPlainPaths) {
  std::string abs = (dir_.path() / "nested" / "deeper" / "a.db").string();
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto by_url, OpenCatalog("sqlite://" + abs));  // sqlite:///abs/...
  EXPECT_TRUE(std::filesystem::exists(abs));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto by_path, OpenCatalog((dir_.path() / "plain" / "b.db").string()));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "plain" / "b.db"));

  // sqlite://relative.db is relative to the working directory.
  std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  auto relative = OpenCatalog("sqlite://rel/c.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(relative.ok()) << relative.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "rel" / "c.db"));
}

TEST_F(OpenTest, RejectsOtherSchemes) {
  for (const char* url : {"s3://bucket/x", "sqlite://", ""}) {
    auto r = OpenCatalog(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_TRUE(r.status().IsInvalid()) << url << ": " << r.status().ToString();
  }
  EXPECT_TRUE(MessageHas(OpenCatalog("s3://h/db").status(), "unsupported catalog URL"));
}

TEST_F(OpenTest, PostgresUrlsAreServerBackends) {
  for (const char* url : {"postgresql://user@127.0.0.1:1/db", "postgres://127.0.0.1:1/db"}) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto file, CatalogFileOfUrl(url));
    EXPECT_FALSE(file.has_value()) << url;
  }
  // Port 1 on loopback: nothing listens, so the connection is refused at once (IOError, not InvalidArgument).
  auto r = OpenCatalog("postgresql://user@127.0.0.1:1/db?connect_timeout=2");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
}

TEST_F(OpenTest, OpenTwiceIsIdempotentAndPersists) {
  SequenceRecord seq = MustCreateSequence("kept");
  SessionRecord session = MustCreateSession("kept", "K");
  TopicRecord topic = MustCreateTopic(session, "imu");
  ChunkRecord c = Chunk(0, 5, 9);
  c.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kFloat, .min_float = 0.5, .max_float = 2.5});
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic.id, "up", {c}));
  MOSAICO_ASSERT_OK(catalog_->LockSession(session.id, 99));

  // A second catalog on the same file while the first is open, then a fresh one after closing both.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog("sqlite://" + db_path()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(SequenceRecord seen, second->GetSequence("kept"));
  EXPECT_EQ(seen.id, seq.id);
  second.reset();
  catalog_.reset();
  EXPECT_EQ(SchemaVersionOf(db_path()), sqlite::LatestSchemaVersion());

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto reopened, OpenCatalog(db_path()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, reopened->GetTopic("kept", "imu"));
  EXPECT_TRUE(t.locked);
  EXPECT_EQ(t.completed_at_ns, std::optional<int64_t>(99));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("up"));
  EXPECT_EQ(t.session_key, "K");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto chunks, reopened->ListChunks(t.id, true));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].stats, c.stats);
  EXPECT_EQ(SchemaVersionOf(db_path()), sqlite::LatestSchemaVersion());
}

TEST_F(OpenTest, UsesWalAndForeignKeys) {
  auto conn = sqlite::Connection::Open(db_path());
  ASSERT_TRUE(conn.ok());
  MOSAICO_ASSERT_OK_AND_ASSIGN(std::string mode, (*conn)->QueryText("PRAGMA journal_mode"));
  EXPECT_EQ(mode, "wal");  // persistent property of the file
  MOSAICO_ASSERT_OK_AND_ASSIGN(std::string count, (*conn)->QueryText("SELECT count(*) FROM schema_migrations"));
  EXPECT_EQ(count, std::to_string(sqlite::LatestSchemaVersion()));
}

TEST_F(OpenTest, RefusesNewerSchema) {
  catalog_.reset();
  {
    auto conn = sqlite::Connection::Open(db_path());
    ASSERT_TRUE(conn.ok());
    MOSAICO_ASSERT_OK((*conn)->Exec(
        "INSERT INTO schema_migrations (version, description, applied_at_ns) VALUES (1000, 'future', 0)"));
  }
  auto r = OpenCatalog(db_path());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsFailedPrecondition(r.status())) << r.status().ToString();
  EXPECT_TRUE(MessageHas(r.status(), "1000"));
}

TEST_F(OpenTest, ConcurrentWritersAndReaders) {
  MustCreateSequence("seq");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<SessionRecord> sessions;
  for (int i = 0; i < kThreads; ++i) sessions.push_back(MustCreateSession("seq", "K" + std::to_string(i)));

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        TopicRecord t = TopicFor(sessions[i], "t" + std::to_string(i) + "/" + std::to_string(j));
        auto created = catalog_->CreateTopic(t);
        if (!created.ok()) {
          ++failures;
          continue;
        }
        if (!catalog_->CommitTopicData(created->id, "u", {Chunk(0, j, j + 1)}).ok()) ++failures;
        if (!catalog_->ListTopics("seq").ok()) ++failures;
        if (!catalog_->SummarizeTopic(created->id).ok()) ++failures;
      }
      // Every thread also races for one shared name: exactly one must win.
      TopicRecord shared = TopicFor(sessions[i], "shared");
      shared.uuid += std::to_string(i);
      auto r = catalog_->CreateTopic(shared);
      if (!r.ok() && !r.status().IsAlreadyExists()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto topics, catalog_->ListTopics("seq"));
  EXPECT_EQ(topics.size(), static_cast<size_t>(kThreads * kPerThread + 1));
}

TEST_F(OpenTest, TwoCatalogsOnOneFileSerializeWrites) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto other, OpenCatalog(db_path()));
  std::atomic<int> failures{0};
  auto writer = [&](std::shared_ptr<Catalog> cat, const std::string& prefix) {
    for (int j = 0; j < 30; ++j) {
      if (!cat->CreateSequence(prefix + std::to_string(j), "{}", j).ok()) ++failures;
    }
  };
  std::thread a(writer, catalog_, "a");
  std::thread b(writer, other, "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  EXPECT_EQ(all.size(), 60u);
}

}  // namespace
}  // namespace mosaico::catalog::testing
