// Identifiers minted by the server.
//   NewUuid(): random RFC 4122 v4 UUID (36 chars), used as session and topic write tokens.
//   NewUlid(): 26-char Crockford base32 ULID (48-bit ms time + 80 random bits), used as session ids;
//              lexicographic order follows creation time.
// Randomness comes from the OS (std::random_device, /dev/urandom on Linux).
#pragma once

#include <cstdint>
#include <string>

namespace mosaico {

std::string NewUuid();
std::string NewUlid(int64_t now_ns);

}  // namespace mosaico
