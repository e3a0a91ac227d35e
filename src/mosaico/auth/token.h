// API key tokens: generation and format.
//
// A token is "msco_<payload>_<fingerprint>" (46 characters), the format the Mosaico SDK sends in the
// `mosaico-api-key-token` header:
//   payload      32 characters of [a-z0-9], drawn uniformly from a CSPRNG (OpenSSL RAND_bytes, rejection sampling):
//                about 165 bits of entropy.
//   fingerprint  8 lowercase hex digits: the CRC32 (zlib/IEEE polynomial, as store/checksum.h) of the payload's 32
//                ASCII bytes. It is the key's public name (list/status/revoke take it, logs show it) and a
//                checksum that rejects mistyped tokens before any lookup. It is NOT a secret and proves nothing:
//                the server verifies the whole token against its salted hash (key_hash.h).
// The SDK's own example token (msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e) follows this definition.
// Error messages never contain the token text.
#pragma once

#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico::auth {

inline constexpr std::string_view kTokenPrefix = "msco_";
inline constexpr size_t kPayloadChars = 32;
inline constexpr size_t kFingerprintChars = 8;
inline constexpr size_t kTokenChars = kTokenPrefix.size() + kPayloadChars + 1 + kFingerprintChars;

struct ApiKeyToken {
  std::string payload;
  std::string fingerprint;
  std::string text() const;  // the whole token
};

// A fresh random token. IOError if the CSPRNG fails.
arrow::Result<ApiKeyToken> GenerateToken();
// The fingerprint of a payload (8 lowercase hex digits).
std::string FingerprintOf(std::string_view payload);
// Parses and checks a presented token: prefix, lengths, alphabets and that the fingerprint matches the payload.
// UNAUTHENTICATED ("malformed API key: ...") otherwise; the message never repeats the token.
arrow::Result<ApiKeyToken> ParseToken(std::string_view text);
// True when `fp` is 8 lowercase hex digits.
bool IsFingerprint(std::string_view fp);
// IsFingerprint or INVALID_ARGUMENT naming `field`.
arrow::Status CheckFingerprint(std::string_view fp, std::string_view field);

}  // namespace mosaico::auth
