// API keys in the catalog (catalog.h, ApiKeyRecord), on both backends.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class ApiKeyCatalogTest : public OnEachBackend<CatalogTest> {
 protected:
  static ApiKeyRecord Key(const std::string& fp, int64_t created, const std::string& permission = "read") {
    ApiKeyRecord k;
    k.fingerprint = fp;
    k.token_hash = std::string(64, 'a');
    k.salt = std::string(32, 'b');
    k.permission = permission;
    k.description = "key " + fp;
    k.created_at_ns = created;
    return k;
  }
};

TEST_P(ApiKeyCatalogTest, CreateGetRoundTripsEveryField) {
  ApiKeyRecord k = Key("0123abcd", 100, "manage");
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
  auto st = catalog_->CreateApiKey(Key("0123abcd", 200, "write"));
  EXPECT_TRUE(st.IsAlreadyExists()) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "0123abcd"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got.permission, "read");
}

TEST_P(ApiKeyCatalogTest, InvalidRecordsAreRejected) {
  EXPECT_TRUE(catalog_->CreateApiKey(Key("0123abcd", 1, "admin")).IsInvalid());
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
  MOSAICO_ASSERT_OK(catalog_->CreateApiKey(Key("0123abcd", 100, "write")));
  catalog_.reset();
  auto reopened = OpenCatalog(catalog_url());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  catalog_ = *reopened;
  MOSAICO_ASSERT_OK_AND_ASSIGN(ApiKeyRecord got, catalog_->GetApiKey("0123abcd"));
  EXPECT_EQ(got.permission, "write");
}

MOSAICO_CATALOG_BACKENDS(ApiKeyCatalogTest);

}  // namespace
}  // namespace mosaico::catalog::testing
