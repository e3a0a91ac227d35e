// Permissions of API keys: independent flags, as in the mosaicolabs 0.7.0 protocol. `read`, `write` and `delete`
// each grant only themselves; a key holds any combination of them (`read|write`), stored as a bitmask
// read=1 write=2 delete=4. Which operation needs which flag is decided by the server (server/auth_middleware.h for
// RPCs, ActionSpec::permission for actions); this file defines the flags, their names and their text form.
//
// Text form (CLI, store records, logs): the names joined by '|' in the order read, write, delete ("read|write").
// Parsing accepts any order, repeats and spaces around names; it refuses an empty set and unknown names.
//
// Before the flags there was a ladder read < write < delete < manage (each including the ones below).
// FromLadder maps a ladder name onto the flags it granted: read -> read, write -> read|write,
// delete and manage -> read|write|delete (`manage` guarded the key actions, which are gone: keys are managed by
// `mosaicod api-key` only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico::auth {

enum class Permission : uint8_t { kRead = 1, kWrite = 2, kDelete = 4 };

// "read", "write", "delete".
const char* PermissionName(Permission p);

class Permissions {
 public:
  static constexpr uint8_t kAllBits = 7;

  constexpr Permissions() = default;
  constexpr Permissions(Permission p) : bits_(static_cast<uint8_t>(p)) {}  // NOLINT: a flag is a set of one
  static constexpr Permissions All() { return FromBits(kAllBits); }
  // Bits outside kAllBits are dropped.
  static constexpr Permissions FromBits(uint8_t bits) {
    Permissions p;
    p.bits_ = static_cast<uint8_t>(bits & kAllBits);
    return p;
  }

  constexpr uint8_t bits() const { return bits_; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool Has(Permission p) const { return (bits_ & static_cast<uint8_t>(p)) != 0; }
  // True when every flag of `needed` is in this set (the empty set is needed by anything: any valid key).
  constexpr bool Covers(Permissions needed) const { return (bits_ & needed.bits_) == needed.bits_; }
  constexpr Permissions operator|(Permissions other) const { return FromBits(bits_ | other.bits_); }
  constexpr bool operator==(const Permissions&) const = default;

  // "read|write|delete" order; "none" for the empty set.
  std::string ToString() const;

 private:
  uint8_t bits_ = 0;
};

constexpr Permissions operator|(Permission a, Permission b) { return Permissions(a) | Permissions(b); }

// The text form, or INVALID_ARGUMENT naming `field`, the bad name and the accepted ones.
arrow::Result<Permissions> ParsePermissions(std::string_view text, std::string_view field);
// The flags a ladder-era permission name granted (see above); nullopt for any other text.
std::optional<Permissions> FromLadder(std::string_view ladder_name);

}  // namespace mosaico::auth
