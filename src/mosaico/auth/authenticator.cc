#include "mosaico/auth/authenticator.h"

#include "mosaico/auth/key_hash.h"
#include "mosaico/auth/key_record.h"
#include "mosaico/auth/token.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"

namespace mosaico::auth {

arrow::Result<catalog::ApiKeyRecord> Authenticator::Record(const std::string& fingerprint, int64_t now_ns) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(fingerprint);
    if (it != cache_.end() && now_ns - it->second.fetched_at_ns < cache_ttl_ns_ &&
        now_ns >= it->second.fetched_at_ns) {
      return it->second.record;
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto record, catalog_->GetApiKey(fingerprint));  // KeyError when unknown
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[fingerprint] = Cached{record, now_ns};
  return record;
}

void Authenticator::Forget(const std::string& fingerprint) {
  std::lock_guard lock(mu_);
  cache_.erase(fingerprint);
}

arrow::Result<Principal> Authenticator::Authenticate(std::string_view token, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(ApiKeyToken parsed, ParseToken(token));
  const std::string unknown = "unknown API key '" + parsed.fingerprint + "'";
  auto record = Record(parsed.fingerprint, now_ns);
  if (!record.ok()) {
    if (record.status().IsKeyError()) return Unauthenticated(unknown);
    return record.status();
  }
  if (!VerifyToken(token, record->salt, record->token_hash)) return Unauthenticated(unknown);
  switch (StateOf(*record, now_ns)) {
    case KeyState::kRevoked:
      return Unauthenticated("API key '" + parsed.fingerprint + "' was revoked at " +
                             FormatUtc(*record->revoked_at_ns));
    case KeyState::kExpired:
      return Unauthenticated("API key '" + parsed.fingerprint + "' expired at " + FormatUtc(*record->expires_at_ns));
    case KeyState::kActive:
      break;
  }
  return Principal{parsed.fingerprint, Permissions::FromBits(record->permissions)};
}

}  // namespace mosaico::auth
