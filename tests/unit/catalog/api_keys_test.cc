// API keys in the catalog (catalog.h, ApiKeyRecord), on both backends.
#include <map>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::testing {
namespace {

class ApiKeyCatalogTest : public OnEachBackend<CatalogTest> {
 protected:
  static ApiKeyRecord Key(const std::string& fp, int64_t created, uint8_t permissions = 1) {
    ApiKeyRecord k;
    k.fingerprint = fp;
    k.token_hash = std::string(64, 'a');
    k.salt = std::string(32, 'b');
    k.permissions = permissions;
    k.description = "key " + fp;
    k.created_at_ns = created;
    return k;
  }
};

TEST_P(ApiKeyCatalogTest, CreateGetRoundTripsEveryField) {
  ApiKeyRecord k = Key("0123abcd", 100, 5);
  k.expires_at_ns = 5000;
  k.revoked_at_ns = 4000;  // a rebuild restores revoked keys as they were
  k.description = "ünïcode 'quoted' \"desc\"";
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(k));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got, k);

  ApiKeyRecord plain = Key("ffff0000", 200);
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(plain));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got_plain, catalog_->GetApiKey("ffff0000"));
  EXPECT_FALSE(got_plain.expires_at_ns.has_value());
  EXPECT_FALSE(got_plain.revoked_at_ns.has_value());
  EXPECT_EQ(got_plain, plain);
}

TEST_P(ApiKeyCatalogTest, DuplicateFingerprintIsAlreadyExists) {
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0123abcd", 100)));
  auto st = catalog_->CreateApiKey(Key("0123abcd", 200, 2));
  EXPECT_TRUE(st.IsAlreadyExists()) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "0123abcd"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got.permissions, 1);
}

TEST_P(ApiKeyCatalogTest, InvalidRecordsAreRejected) {
  EXPECT_TRUE(catalog_->CreateApiKey(Key("0123abcd", 1, 0)).IsInvalid());
  EXPECT_TRUE(catalog_->CreateApiKey(Key("", 1)).IsInvalid());
  ApiKeyRecord no_hash = Key("0123abcd", 1);
  no_hash.token_hash.clear();
  EXPECT_TRUE(catalog_->CreateApiKey(no_hash).IsInvalid());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto keys, catalog_->ListApiKeys());
  EXPECT_TRUE(keys.empty());
}

TEST_P(ApiKeyCatalogTest, UnknownFingerprintIsNotFound) {
  auto got = catalog_->GetApiKey("deadbeef");
  EXPECT_TRUE(got.status().IsKeyError());
  EXPECT_TRUE(MessageHas(got.status(), "deadbeef"));
  EXPECT_TRUE(catalog_->RevokeApiKey("deadbeef", 5).status().IsKeyError());
  EXPECT_TRUE(catalog_->DeleteApiKey("deadbeef").IsKeyError());
}

TEST_P(ApiKeyCatalogTest, ListIsOrderedByCreationThenFingerprint) {
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("cccccccc", 300)));
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("bbbbbbbb", 100)));
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("aaaaaaaa", 300)));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto keys, catalog_->ListApiKeys());
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].fingerprint, "bbbbbbbb");
  EXPECT_EQ(keys[1].fingerprint, "aaaaaaaa");
  EXPECT_EQ(keys[2].fingerprint, "cccccccc");
}

TEST_P(ApiKeyCatalogTest, RevokeKeepsTheFirstRevocationTime) {
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0123abcd", 100)));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord first, catalog_->RevokeApiKey("0123abcd", 500));
  EXPECT_EQ(first.revoked_at_ns, std::optional<int64_t>(500));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord second, catalog_->RevokeApiKey("0123abcd", 900));
  EXPECT_EQ(second.revoked_at_ns, std::optional<int64_t>(500));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got.revoked_at_ns, std::optional<int64_t>(500));
}

TEST_P(ApiKeyCatalogTest, DeleteRemovesOnlyThatKey) {
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0123abcd", 100)));
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("99999999", 100)));
  MOSAICO_ASSERT_OK(catalog_->DeleteApiKey("0123abcd"));
  EXPECT_TRUE(catalog_->GetApiKey("0123abcd").status().IsKeyError());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto keys, catalog_->ListApiKeys());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].fingerprint, "99999999");
  EXPECT_TRUE(catalog_->DeleteApiKey("0123abcd").IsKeyError());
}

TEST_P(ApiKeyCatalogTest, KeysSurviveReopen) {
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0123abcd", 100, 2)));
  catalog_.reset();
  auto reopened = OpenCatalog(catalog_url());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  catalog_ = *reopened;
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got.permissions, 2);
}

TEST_P(ApiKeyCatalogTest, RecordsOutsideTheFlagsAreRefused) {
  EXPECT_TRUE(catalog_->CreateApiKey(Key("0123abcd", 100, 0)).IsInvalid());
  EXPECT_TRUE(catalog_->CreateApiKey(Key("0123abcd", 100, 8)).IsInvalid());
  for (uint8_t flags = 1; flags <= 7; ++flags) {
    const std::string fp = "0000000" + std::to_string(flags);
    MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key(fp, 100, flags)));
    MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey(fp));
    EXPECT_EQ(got.permissions, flags);
  }
}

// A catalog written while permissions were a ladder (SQLite schema 4, PostgreSQL schema 2: a `permission` text
// column) is migrated on open: read -> read, write -> read|write, delete and manage -> read|write|delete.
TEST_P(ApiKeyCatalogTest, LadderKeysAreMigratedToFlags) {
  catalog_.reset();
  const char* ladder_rows =
      "INSERT INTO api_keys (fingerprint, token_hash, salt, permission, description, created_at_ns) VALUES "
      "('0000000a', 'h', 's', 'read', 'r', 1), ('0000000b', 'h', 's', 'write', 'w', 2), "
      "('0000000c', 'h', 's', 'delete', 'd', 3), ('0000000d', 'h', 's', 'manage', 'm', 4);";
  if (backend() == Backend::kSqlite) {
    auto conn = sqlite::Connection::Open(db_path());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    MOSAICO_ASSERT_OK((*conn)->Exec(
        "DROP TABLE api_keys; DELETE FROM schema_migrations WHERE version >= 5; "
        "CREATE TABLE api_keys (fingerprint TEXT PRIMARY KEY, token_hash TEXT NOT NULL, salt TEXT NOT NULL, "
        "permission TEXT NOT NULL CHECK (permission IN ('read', 'write', 'delete', 'manage')), "
        "description TEXT NOT NULL DEFAULT '', created_at_ns INTEGER NOT NULL, expires_at_ns INTEGER, "
        "revoked_at_ns INTEGER);"));
    MOSAICO_ASSERT_OK((*conn)->Exec(ladder_rows));
  } else {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    MOSAICO_ASSERT_OK((*conn)->ExecScript(
        "DROP TABLE api_keys; DELETE FROM schema_migrations WHERE version >= 3; "
        "CREATE TABLE api_keys (fingerprint TEXT PRIMARY KEY, token_hash TEXT NOT NULL, salt TEXT NOT NULL, "
        "permission TEXT NOT NULL CHECK (permission IN ('read', 'write', 'delete', 'manage')), "
        "description TEXT NOT NULL DEFAULT '', created_at_ns BIGINT NOT NULL, expires_at_ns BIGINT, "
        "revoked_at_ns BIGINT);"));
    MOSAICO_ASSERT_OK((*conn)->ExecScript(ladder_rows));
  }
  auto reopened = OpenCatalog(catalog_url());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  catalog_ = *reopened;
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto keys, catalog_->ListApiKeys());
  ASSERT_EQ(keys.size(), 4u);
  const std::map<std::string, int> want = {{"0000000a", 1}, {"0000000b", 3}, {"0000000c", 7}, {"0000000d", 7}};
  for (const auto& k : keys) {
    EXPECT_EQ(int(k.permissions), want.at(k.fingerprint)) << k.fingerprint;
  }
  // The migrated catalog takes new flag combinations.
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0000000e", 5, 2)));
}

MOSAICO_CATALOG_BACKENDS(ApiKeyCatalogTest);

}  // namespace
}  // namespace mosaico::catalog::testing
