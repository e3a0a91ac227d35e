// API key records, ApiKeyManager and Authenticator over a real SQLite catalog and a local store.
#include <filesystem>

#include <unistd.h>

#include <gtest/gtest.h>

#include "mosaico/auth/authenticator.h"
#include "mosaico/auth/key_hash.h"
#include "mosaico/auth/key_manager.h"
#include "mosaico/auth/key_record.h"
#include "mosaico/auth/token.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"

namespace mosaico::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;

bool IsUnauthenticated(const arrow::Status& st) {
  ErrorKind kind;
  return GetErrorKind(st, &kind) && kind == ErrorKind::kUnauthenticated;
}

class KeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mosaico-auth-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto catalog = catalog::OpenCatalog(dir_ + "/catalog.db");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = *catalog;
    auto store = store::ObjectStore::Open(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *store;
    manager_ = std::make_unique<ApiKeyManager>(catalog_, store_);
  }
  void TearDown() override {
    manager_.reset();
    catalog_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  CreatedKey MustCreate(Permissions p, std::optional<int64_t> expires = std::nullopt) {
    auto created = manager_->Create(p, "test key", expires, kNow);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : CreatedKey{};
  }

  std::string dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<ApiKeyManager> manager_;
};

TEST_F(KeyManagerTest, CreateStoresOnlyTheHashInCatalogAndStore) {
  CreatedKey k = MustCreate(Permission::kWrite);
  auto parsed = ParseToken(k.token);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->fingerprint, k.record.fingerprint);
  EXPECT_EQ(k.record.permissions, 2);  // write only: flags are independent
  EXPECT_TRUE(VerifyToken(k.token, k.record.salt, k.record.token_hash));

  auto in_catalog = catalog_->GetApiKey(k.record.fingerprint);
  ASSERT_TRUE(in_catalog.ok()) << in_catalog.status().ToString();
  EXPECT_EQ(*in_catalog, k.record);

  auto object = store_->Get(store::layout::ApiKeyObject(k.record.fingerprint));
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  const std::string text = object.ValueOrDie()->ToString();
  EXPECT_EQ(text.find(parsed->payload), std::string::npos) << "the store must never hold the token";
  auto from_store = KeyRecordFromStoreJson(text, "object");
  ASSERT_TRUE(from_store.ok()) << from_store.status().ToString();
  EXPECT_EQ(*from_store, k.record);
}

TEST_F(KeyManagerTest, CreateRejectsPastExpiryAndHugeDescription) {
  EXPECT_TRUE(manager_->Create(Permission::kRead, "", kNow, kNow).status().IsInvalid());
  EXPECT_TRUE(manager_->Create(Permission::kRead, std::string(kMaxDescriptionBytes + 1, 'x'), std::nullopt, kNow)
                  .status()
                  .IsInvalid());
  auto keys = manager_->List();
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

TEST_F(KeyManagerTest, AuthenticateReturnsFingerprintAndPermission) {
  CreatedKey k = MustCreate(Permission::kDelete);
  Authenticator auth(catalog_);
  auto who = auth.Authenticate(k.token, kNow);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->fingerprint, k.record.fingerprint);
  EXPECT_EQ(who->permissions, Permissions(Permission::kDelete));
  EXPECT_FALSE(who->permissions.Has(Permission::kRead));
}

TEST_F(KeyManagerTest, UnknownKeyAndWrongSecretAreUnauthenticated) {
  Authenticator auth(catalog_);
  auto stranger = GenerateToken();
  ASSERT_TRUE(stranger.ok());
  auto st = auth.Authenticate(stranger->text(), kNow).status();
  EXPECT_TRUE(IsUnauthenticated(st)) << st.ToString();

  // A record under the stranger's fingerprint whose hash belongs to another secret.
  catalog::ApiKeyRecord r;
  r.fingerprint = stranger->fingerprint;
  r.salt = *GenerateSalt();
  r.token_hash = *HashToken("msco_something_else", r.salt);
  r.permissions = 7;
  r.created_at_ns = kNow;
  ASSERT_TRUE(catalog_->CreateApiKey(r).ok());
  auto wrong = auth.Authenticate(stranger->text(), kNow);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(IsUnauthenticated(wrong.status()));
  EXPECT_EQ(wrong.status().message().find(stranger->payload), std::string::npos);
  EXPECT_TRUE(IsUnauthenticated(auth.Authenticate("not-a-token", kNow).status()));
}

TEST_F(KeyManagerTest, ExpiryIsExact) {
  CreatedKey k = MustCreate(Permission::kRead, kNow + 10 * kSecond);
  Authenticator auth(catalog_);
  EXPECT_TRUE(auth.Authenticate(k.token, kNow + 10 * kSecond - 1).ok());
  auto expired = auth.Authenticate(k.token, kNow + 10 * kSecond);  // cached record, expiry still applies
  ASSERT_FALSE(expired.ok());
  EXPECT_TRUE(IsUnauthenticated(expired.status()));
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(StateOf(k.record, kNow + 10 * kSecond), KeyState::kExpired);
  EXPECT_EQ(StateOf(k.record, kNow), KeyState::kActive);
}

TEST_F(KeyManagerTest, RevokeIsIdempotentAndTakesEffectAfterForgetOrTtl) {
  CreatedKey k = MustCreate(Permissions::All());
  Authenticator auth(catalog_, /*cache_ttl_ns=*/5 * kSecond);
  ASSERT_TRUE(auth.Authenticate(k.token, kNow).ok());

  auto revoked = manager_->Revoke(k.record.fingerprint, kNow + kSecond);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->revoked_at_ns, std::optional<int64_t>(kNow + kSecond));
  auto again = manager_->Revoke(k.record.fingerprint, kNow + 2 * kSecond);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revoked_at_ns, std::optional<int64_t>(kNow + kSecond));  // the first revocation time stays

  // The store object says revoked too (a rebuild keeps the key revoked).
  auto object = store_->Get(store::layout::ApiKeyObject(k.record.fingerprint));
  ASSERT_TRUE(object.ok());
  auto from_store = KeyRecordFromStoreJson(object.ValueOrDie()->ToString(), "object");
  ASSERT_TRUE(from_store.ok());
  EXPECT_EQ(from_store->revoked_at_ns, std::optional<int64_t>(kNow + kSecond));

  // Within the TTL the cached record still admits the key; past the TTL (or after Forget) it does not.
  EXPECT_TRUE(auth.Authenticate(k.token, kNow + 2 * kSecond).ok());
  EXPECT_TRUE(IsUnauthenticated(auth.Authenticate(k.token, kNow + 6 * kSecond).status()));
  Authenticator fresh(catalog_);
  ASSERT_FALSE(fresh.Authenticate(k.token, kNow + 2 * kSecond).ok());

  Authenticator forgetful(catalog_, 100 * kSecond);
  CreatedKey k2 = MustCreate(Permission::kRead);
  ASSERT_TRUE(forgetful.Authenticate(k2.token, kNow).ok());
  ASSERT_TRUE(manager_->Revoke(k2.record.fingerprint, kNow).ok());
  forgetful.Forget(k2.record.fingerprint);
  auto st = forgetful.Authenticate(k2.token, kNow).status();
  EXPECT_TRUE(IsUnauthenticated(st));
  EXPECT_NE(st.message().find("revoked"), std::string::npos);

  EXPECT_TRUE(manager_->Revoke("00000000", kNow).status().IsKeyError());
  EXPECT_TRUE(manager_->Revoke("bogus", kNow).status().IsInvalid());
}

TEST_F(KeyManagerTest, PurgeRemovesRevokedAndExpiredOnly) {
  CreatedKey active = MustCreate(Permission::kRead);
  CreatedKey revoked = MustCreate(Permission::kWrite);
  CreatedKey expired = MustCreate(Permission::kRead, kNow + kSecond);
  ASSERT_TRUE(manager_->Revoke(revoked.record.fingerprint, kNow).ok());

  auto count = manager_->CountActive(kNow + 2 * kSecond);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);

  auto purged = manager_->Purge(kNow + 2 * kSecond);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  ASSERT_EQ(purged->size(), 2u);
  auto left = manager_->List();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].fingerprint, active.record.fingerprint);
  for (const auto* gone : {&revoked, &expired}) {
    EXPECT_FALSE(*store_->Exists(store::layout::ApiKeyObject(gone->record.fingerprint)));
    EXPECT_TRUE(catalog_->GetApiKey(gone->record.fingerprint).status().IsKeyError());
  }
  EXPECT_TRUE(*store_->Exists(store::layout::ApiKeyObject(active.record.fingerprint)));
}

TEST_F(KeyManagerTest, CreateRefusesAnEmptyPermissionSet) {
  EXPECT_TRUE(manager_->Create(Permissions(), "", std::nullopt, kNow).status().IsInvalid());
}

// Objects written while permissions were a ladder (version 1) are read with the flags they granted, and
// UpgradeStoreRecords rewrites them in the current version once (a rebuild then restores the same flags).
TEST_F(KeyManagerTest, LadderStoreRecordsAreReadAndUpgraded) {
  const std::pair<const char*, uint8_t> cases[] = {{"read", 1}, {"write", 3}, {"delete", 7}, {"manage", 7}};
  int i = 0;
  for (const auto& [ladder, flags] : cases) {
    const std::string fp = "0000000" + std::to_string(i++);
    const std::string v1 = std::string(R"({"v":1,"fingerprint":")") + fp + R"(","token_hash":")" +
                           std::string(64, 'b') + R"(","salt":")" + std::string(32, 'a') + R"(","permission":")" +
                           ladder + R"(","description":"old","created_at_ns":5,"expires_at_ns":null,)" +
                           R"("revoked_at_ns":null})";
    auto parsed = KeyRecordFromStoreJson(v1, "v1");
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->permissions, flags) << ladder;
    ASSERT_TRUE(store_->PutAtomic(store::layout::ApiKeyObject(fp), v1).ok());
  }
  EXPECT_FALSE(KeyRecordFromStoreJson(R"({"v":1,"fingerprint":"00000000","token_hash":")" + std::string(64, 'b') +
                                          R"(","salt":"aa","permission":"admin","description":"","created_at_ns":5})",
                                      "bad")
                   .ok());
  auto upgraded = manager_->UpgradeStoreRecords();
  ASSERT_TRUE(upgraded.ok()) << upgraded.status().ToString();
  EXPECT_EQ(*upgraded, 4);
  for (int k = 0; k < 4; ++k) {
    auto text = store_->Get(store::layout::ApiKeyObject("0000000" + std::to_string(k)));
    ASSERT_TRUE(text.ok());
    auto j = nlohmann::json::parse(text.ValueOrDie()->ToString());
    EXPECT_EQ(j["v"], 2);
    EXPECT_EQ(j["permissions"], k == 0 ? "read" : (k == 1 ? "read|write" : "read|write|delete"));
    EXPECT_FALSE(j.contains("permission"));
  }
  auto again = manager_->UpgradeStoreRecords();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST(KeyRecordTest, StoreKeysRoundTrip) {
  EXPECT_EQ(store::layout::ApiKeyObject("0123abcd"), "api_keys/0123abcd.json");
  EXPECT_EQ(store::layout::ParseApiKeyObject("api_keys/0123abcd.json"), "0123abcd");
  for (const char* other : {"api_keys/x/y.json", "api_keys/.json", "api_keys/0123abcd.tmp", "sequences/a/b.json",
                            "api_keys/0123abcd.json/"}) {
    EXPECT_EQ(store::layout::ParseApiKeyObject(other), "") << other;
  }
}

TEST(KeyRecordTest, StoreJsonRejectsBadFields) {
  catalog::ApiKeyRecord r;
  r.fingerprint = "0123abcd";
  r.salt = std::string(32, 'a');
  r.token_hash = std::string(64, 'b');
  r.permissions = 5;
  r.description = "ci \"uploader\"";
  r.created_at_ns = 5;
  r.expires_at_ns = 9;
  auto back = KeyRecordFromStoreJson(KeyRecordToStoreJson(r), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);

  EXPECT_FALSE(KeyRecordFromStoreJson("{}", "x").ok());
  EXPECT_FALSE(KeyRecordFromStoreJson("not json", "x").ok());
  auto with = [&](const std::string& field, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(KeyRecordToStoreJson(r));
    j[field] = value;
    return KeyRecordFromStoreJson(j.dump(), "obj").status();
  };
  EXPECT_TRUE(with("permissions", "admin").IsInvalid());
  EXPECT_TRUE(with("permissions", "manage").IsInvalid());
  EXPECT_TRUE(with("permissions", "").IsInvalid());
  EXPECT_TRUE(with("permissions", "write|read").ok());
  EXPECT_TRUE(with("fingerprint", "XYZ").IsInvalid());
  EXPECT_TRUE(with("token_hash", "abc").IsInvalid());
  EXPECT_TRUE(with("v", 3).IsInvalid());
  EXPECT_TRUE(with("created_at_ns", "soon").IsInvalid());
  EXPECT_TRUE(with("revoked_at_ns", nullptr).ok());

  OrderedJson pub = KeyRecordPublicJson(r, 10);
  EXPECT_EQ(pub["status"], "expired");
  EXPECT_FALSE(pub.contains("token_hash"));
  EXPECT_FALSE(pub.contains("salt"));
}

}  // namespace
}  // namespace mosaico::auth
