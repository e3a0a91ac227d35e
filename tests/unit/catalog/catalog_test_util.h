// Shared fixtures for the catalog tests: a fresh catalog per test (a SQLite file in a temporary directory, or a
// fresh PostgreSQL database) and builders for the records the tests insert.
//
// Backends: CatalogTest is SQLite. OnEachBackend<Fixture> makes a fixture value-parameterized over Backend; its
// suites are instantiated with MOSAICO_CATALOG_BACKENDS(Suite). The PostgreSQL variant needs a server: set
// MOSAICOD_TEST_PG_URL to a maintenance URL (scripts/pg_test_server.sh start DIR prints one); without it those
// tests are skipped. Each PostgreSQL test creates its own database and drops it afterwards.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/postgres/pg_admin.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog::testing {

// Unwraps an arrow::Result inside a test, failing it with the status message.
#define MOSAICO_ASSERT_OK_AND_ASSIGN(lhs, expr)                        \
  auto MOSAICO_CONCAT(_res_, __LINE__) = (expr);                       \
  ASSERT_TRUE(MOSAICO_CONCAT(_res_, __LINE__).ok())                    \
      << MOSAICO_CONCAT(_res_, __LINE__).status().ToString();          \
  lhs = std::move(MOSAICO_CONCAT(_res_, __LINE__)).ValueUnsafe()
#define MOSAICO_CONCAT_INNER(a, b) a##b
#define MOSAICO_CONCAT(a, b) MOSAICO_CONCAT_INNER(a, b)
#define MOSAICO_ASSERT_OK(expr)                       \
  do {                                                \
    arrow::Status _st = (expr);                       \
    ASSERT_TRUE(_st.ok()) << _st.ToString();          \
  } while (false)

inline bool IsFailedPrecondition(const arrow::Status& st) {
  ErrorKind kind;
  return GetErrorKind(st, &kind) && kind == ErrorKind::kFailedPrecondition;
}

inline bool MessageHas(const arrow::Status& st, const std::string& needle) {
  return st.message().find(needle) != std::string::npos;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-catalog-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// The PostgreSQL maintenance URL for tests, or "" when none is configured.
inline std::string TestPgAdminUrl() {
  const char* url = std::getenv("MOSAICOD_TEST_PG_URL");
  return url != nullptr ? url : "";
}

class CatalogTest : public ::testing::Test {
 protected:
  virtual Backend backend() const { return Backend::kSqlite; }

  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    std::string url = db_path();
    if (backend() == Backend::kPostgres) {
      pg_admin_url_ = TestPgAdminUrl();
      if (pg_admin_url_.empty()) GTEST_SKIP() << "MOSAICOD_TEST_PG_URL not set (scripts/pg_test_server.sh)";
      static std::atomic<int> counter{0};
      pg_database_ = "mosaico_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      arrow::Status created = postgres::CreateDatabase(pg_admin_url_, pg_database_);
      ASSERT_TRUE(created.ok()) << created.ToString();
      auto made = postgres::UrlWithDatabase(pg_admin_url_, pg_database_);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      url = *made;
    }
    catalog_url_ = url;
    auto opened = OpenCatalog(url);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = *opened;
  }

  void TearDown() override {
    catalog_.reset();  // closes the pool before the database is dropped
    if (!pg_database_.empty()) {
      arrow::Status dropped = postgres::DropDatabase(pg_admin_url_, pg_database_);
      EXPECT_TRUE(dropped.ok()) << dropped.ToString();
    }
  }

  // The URL the catalog was opened with (a file path for SQLite).
  const std::string& catalog_url() const { return catalog_url_; }

  std::string db_path() const { return (dir_.path() / "catalog.db").string(); }

  SequenceRecord MustCreateSequence(const std::string& name, int64_t ts = 100) {
    auto r = catalog_->CreateSequence(name, R"({"k":1})", ts);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SequenceRecord{};
  }

  SessionRecord MustCreateSession(const std::string& sequence, const std::string& key, int64_t ts = 200) {
    auto r = catalog_->CreateSession(sequence, key, "uuid-" + sequence + "-" + key, ts);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SessionRecord{};
  }

  static TopicRecord TopicFor(const SessionRecord& session, const std::string& name) {
    TopicRecord t;
    t.sequence_id = session.sequence_id;
    t.session_id = session.id;
    t.name = name;
    t.uuid = "tuuid-" + session.sequence_name + "-" + name;
    t.ontology_tag = "imu";
    t.serialization_format = "default";
    t.user_metadata_json = R"({"sensor":"x"})";
    t.created_at_ns = 300;
    return t;
  }

  TopicRecord MustCreateTopic(const SessionRecord& session, const std::string& name) {
    auto r = catalog_->CreateTopic(TopicFor(session, name));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TopicRecord{};
  }

  static ChunkRecord Chunk(int32_t index, int64_t ts_min, int64_t ts_max, int64_t rows = 10) {
    ChunkRecord c;
    c.index = index;
    c.object_key = "seq/topic/data/" + std::to_string(index) + ".parquet";
    c.row_count = rows;
    c.size_bytes = 1000 + index;
    c.ts_min = ts_min;
    c.ts_max = ts_max;
    c.checksum = "abc" + std::to_string(index);
    return c;
  }

  TempDir dir_;
  std::shared_ptr<Catalog> catalog_;
  std::string catalog_url_;
  std::string pg_admin_url_, pg_database_;  // set for the PostgreSQL backend
};

// `Fixture` (a CatalogTest) run once per backend: use TEST_P and MOSAICO_CATALOG_BACKENDS(Suite).
template <typename Fixture>
class OnEachBackend : public Fixture, public ::testing::WithParamInterface<Backend> {
 protected:
  Backend backend() const override { return this->GetParam(); }
};

#define MOSAICO_CATALOG_BACKENDS(suite)                                                                    \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                               \
                           ::testing::Values(::mosaico::catalog::testing::Backend::kSqlite,               \
                                             ::mosaico::catalog::testing::Backend::kPostgres),            \
                           ::mosaico::catalog::testing::BackendName)

}  // namespace mosaico::catalog::testing
