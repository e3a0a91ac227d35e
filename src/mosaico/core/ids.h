// Identifiers minted by the server.
//   NewUuid(): random RFC 4122 v4 UUID (36 chars), used as session and topic write tokens.
//   NewUlid(): 26-char Crockford base32 ULID (48-bit ms time + 80 random bits), used as session ids;
//              lexicographic order follows creation time.
// Randomness comes from the OS (std::random_device, /dev/urandom on Linux).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mosaico {

std::string NewUuid();
std::string NewUlid(int64_t now_ns);
// The creation time (ns, millisecond precision) encoded in a ULID; nullopt when `ulid` is not one.
std::optional<int64_t> UlidTimeNs(const std::string& ulid);

}  // namespace mosaico
