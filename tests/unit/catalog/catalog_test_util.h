// Shared fixtures for the catalog tests: a fresh temporary directory per test, a SQLite catalog inside it, and
// builders for the records the tests insert.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mosaico/catalog/catalog.h"
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

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    auto opened = OpenCatalog(db_path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = *opened;
  }

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
};

}  // namespace mosaico::catalog::testing
