#include "mosaico/auth/key_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <optional>
#include <vector>

#include "mosaico/core/errors.h"

namespace mosaico::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kDigestBytes = 32;  // SHA-256

std::string ToHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::vector<unsigned char>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<unsigned char> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

bool Hmac(const std::vector<unsigned char>& key, std::string_view msg, unsigned char (&out)[kDigestBytes]) {
  unsigned int len = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                 reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  return ok != nullptr && len == kDigestBytes;
}

}  // namespace

arrow::Result<std::string> GenerateSalt() {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof(salt)) != 1) return arrow::Status::IOError("the CSPRNG (OpenSSL RAND_bytes) failed");
  return ToHex(salt, sizeof(salt));
}

arrow::Result<std::string> HashToken(std::string_view token, std::string_view salt_hex) {
  auto salt = FromHex(salt_hex);
  if (!salt || salt->empty()) return InvalidArgument("API key salt is not lowercase hex");
  unsigned char digest[kDigestBytes];
  if (!Hmac(*salt, token, digest)) return arrow::Status::IOError("HMAC-SHA256 (OpenSSL) failed");
  return ToHex(digest, sizeof(digest));
}

bool VerifyToken(std::string_view token, std::string_view salt_hex, std::string_view hash_hex) {
  auto salt = FromHex(salt_hex);
  auto expected = FromHex(hash_hex);
  if (!salt || salt->empty() || !expected || expected->size() != kDigestBytes) return false;
  unsigned char digest[kDigestBytes];
  if (!Hmac(*salt, token, digest)) return false;
  return CRYPTO_memcmp(digest, expected->data(), kDigestBytes) == 0;
}

}  // namespace mosaico::auth
