#include "mosaico/core/ids.h"

#include <array>
#include <mutex>
#include <random>

namespace mosaico {
namespace {

void RandomBytes(uint8_t* out, size_t n) {
  static std::mutex mu;
  static std::random_device rd;
  std::lock_guard<std::mutex> lock(mu);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = rd();
    for (size_t j = 0; j < 4 && i + j < n; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
}

}  // namespace

std::string NewUuid() {
  std::array<uint8_t, 16> b{};
  RandomBytes(b.data(), b.size());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string NewUlid(int64_t now_ns) {
  static const char* alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t ms = static_cast<uint64_t>(now_ns / 1000000);
  std::array<uint8_t, 16> b{};
  for (int i = 5; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(ms & 0xff);
    ms >>= 8;
  }
  RandomBytes(b.data() + 6, 10);
  // 128 bits -> 26 base32 characters (the first carries 3 bits).
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  for (int i = 25; i >= 0; --i) {
    out[i] = alphabet[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

std::optional<int64_t> UlidTimeNs(const std::string& ulid) {
  static const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  if (ulid.size() != 26) return std::nullopt;
  // The first 10 characters carry the 48-bit millisecond time (the first one only 3 bits).
  uint64_t ms = 0;
  for (int i = 0; i < 10; ++i) {
    const auto pos = alphabet.find(ulid[i]);
    if (pos == std::string::npos || (i == 0 && pos > 7)) return std::nullopt;
    ms = (ms << 5) | pos;
  }
  for (size_t i = 10; i < ulid.size(); ++i) {
    if (alphabet.find(ulid[i]) == std::string::npos) return std::nullopt;
  }
  return static_cast<int64_t>(ms) * 1000000;
}

}  // namespace mosaico
