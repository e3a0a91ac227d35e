#include "mosaico/auth/token.h"

#include <openssl/rand.h>

#include "mosaico/core/errors.h"
#include "mosaico/store/checksum.h"

namespace mosaico::auth {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
constexpr int kAlphabetSize = 36;
// Bytes at or above this would bias `byte % 36`; they are drawn again.
constexpr int kUnbiasedLimit = 256 - 256 % kAlphabetSize;  // 252

bool IsPayloadChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsHexChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

arrow::Status Malformed(const std::string& why) {
  return Unauthenticated("malformed API key (" + why + "); expected msco_<32 lowercase letters/digits>_<8 hex digits>");
}

}  // namespace

std::string ApiKeyToken::text() const { return std::string(kTokenPrefix) + payload + "_" + fingerprint; }

arrow::Result<ApiKeyToken> GenerateToken() {
  ApiKeyToken token;
  token.payload.reserve(kPayloadChars);
  unsigned char buf[64];
  while (token.payload.size() < kPayloadChars) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) return arrow::Status::IOError("the CSPRNG (OpenSSL RAND_bytes) failed");
    for (unsigned char b : buf) {
      if (b >= kUnbiasedLimit) continue;
      token.payload += kAlphabet[b % kAlphabetSize];
      if (token.payload.size() == kPayloadChars) break;
    }
  }
  token.fingerprint = FingerprintOf(token.payload);
  return token;
}

std::string FingerprintOf(std::string_view payload) {
  return store::Crc32ToHex(store::Crc32Update(0, payload.data(), static_cast<int64_t>(payload.size())));
}

bool IsFingerprint(std::string_view fp) {
  if (fp.size() != kFingerprintChars) return false;
  for (char c : fp) {
    if (!IsHexChar(c)) return false;
  }
  return true;
}

arrow::Status CheckFingerprint(std::string_view fp, std::string_view field) {
  if (IsFingerprint(fp)) return arrow::Status::OK();
  return InvalidArgument("'" + std::string(field) + "' must be an API key fingerprint: 8 lowercase hex digits (got '" +
                         std::string(fp.substr(0, 40)) + "')");
}

arrow::Result<ApiKeyToken> ParseToken(std::string_view text) {
  if (text.empty()) return Malformed("empty");
  if (text.substr(0, kTokenPrefix.size()) != kTokenPrefix) return Malformed("wrong prefix");
  if (text.size() != kTokenChars) return Malformed("length " + std::to_string(text.size()) + ", want 46");
  std::string_view payload = text.substr(kTokenPrefix.size(), kPayloadChars);
  if (text[kTokenPrefix.size() + kPayloadChars] != '_') return Malformed("no '_' after the payload");
  std::string_view fp = text.substr(kTokenPrefix.size() + kPayloadChars + 1);
  for (char c : payload) {
    if (!IsPayloadChar(c)) return Malformed("payload has a character outside [a-z0-9]");
  }
  if (!IsFingerprint(fp)) return Malformed("fingerprint is not 8 lowercase hex digits");
  ApiKeyToken token{std::string(payload), std::string(fp)};
  if (FingerprintOf(payload) != token.fingerprint) return Malformed("fingerprint does not match the payload");
  return token;
}

}  // namespace mosaico::auth
