// Authenticator: turns the token a call presents into the key's fingerprint and permission.
//
//  - Authenticate parses the token (auth/token.h), fetches the key's record by fingerprint, verifies the token
//    against the record's salted hash in constant time (auth/key_hash.h) and checks revocation and expiry at
//    `now_ns`. Every failure is UNAUTHENTICATED with a message naming the fingerprint at most, never the token;
//    a wrong secret and an unknown fingerprint get the same message. A catalog failure is returned as is.
//  - Records are cached for `cache_ttl_ns` (default 5 s) per fingerprint, so most calls cost one HMAC and no
//    catalog round trip. Consequence: a key revoked (or purged) through ANOTHER process (the CLI, another daemon on
//    the same catalog) stops working here within cache_ttl_ns; Forget() makes a revocation through this daemon
//    immediate. Expiry is checked on every call against the cached record, so it is exact. Unknown fingerprints
//    are not cached: a key created elsewhere works on its first call.
//  - Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <arrow/result.h>

#include "mosaico/auth/permission.h"
#include "mosaico/catalog/catalog.h"

namespace mosaico::auth {

struct Principal {
  std::string fingerprint;
  Permissions permissions;  // what the key may do (auth/permission.h)
};

class Authenticator {
 public:
  static constexpr int64_t kDefaultCacheTtlNs = 5LL * 1000 * 1000 * 1000;

  explicit Authenticator(std::shared_ptr<catalog::Catalog> catalog, int64_t cache_ttl_ns = kDefaultCacheTtlNs)
      : catalog_(std::move(catalog)), cache_ttl_ns_(cache_ttl_ns) {}

  arrow::Result<Principal> Authenticate(std::string_view token, int64_t now_ns);
  // Drops the cached record of `fingerprint` (after this daemon revoked or purged it).
  void Forget(const std::string& fingerprint);

 private:
  struct Cached {
    catalog::ApiKeyRecord record;
    int64_t fetched_at_ns = 0;
  };
  arrow::Result<catalog::ApiKeyRecord> Record(const std::string& fingerprint, int64_t now_ns);

  static constexpr size_t kMaxCached = 4096;  // only existing keys are cached; this bounds a pathological catalog

  std::shared_ptr<catalog::Catalog> catalog_;
  const int64_t cache_ttl_ns_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // guarded by mu_
};

}  // namespace mosaico::auth
