// Wall-clock time in nanoseconds since the Unix epoch, and its human-readable rendering.
#pragma once

#include <cstdint>
#include <string>

namespace mosaico {

int64_t NowNs();

// "2026-11-25 12:40:35.123456 UTC" (microsecond precision), the format notification replies use.
std::string FormatUtc(int64_t ns);

}  // namespace mosaico
