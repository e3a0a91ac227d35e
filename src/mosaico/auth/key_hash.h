// What the server keeps instead of a token: a random salt and a salted hash, compared in constant time.
//
//   salt  16 bytes from the CSPRNG (OpenSSL RAND_bytes), stored as 32 lowercase hex digits, one per key.
//   hash  HMAC-SHA256 keyed with the salt over the whole token text ("msco_..._<fp>"), 64 lowercase hex digits.
// A token carries ~165 random bits, so a fast keyed hash is enough: there is nothing for a slow password KDF to
// protect against (no dictionary of likely tokens exists). The salt makes equal tokens hash differently and
// keeps precomputed tables useless. Verification recomputes the HMAC and compares the 32 digest bytes with
// CRYPTO_memcmp (time independent of where they differ).
#pragma once

#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico::auth {

// A fresh salt (hex). IOError if the CSPRNG fails.
arrow::Result<std::string> GenerateSalt();
// HMAC-SHA256(key = salt bytes, message = token) as hex. InvalidArgument if `salt_hex` is not hex.
arrow::Result<std::string> HashToken(std::string_view token, std::string_view salt_hex);
// True when `token` hashes to `hash_hex` under `salt_hex`. False (never an error) for malformed salt or hash.
bool VerifyToken(std::string_view token, std::string_view salt_hex, std::string_view hash_hex);

}  // namespace mosaico::auth
