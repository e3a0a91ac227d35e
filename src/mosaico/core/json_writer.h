// Writing JSON text straight into a std::string, for replies too large to build as a JSON DOM first (a `query`
// answer can hold a million topics: nlohmann's DOM costs several allocations per value, and as much again to free).
//
// Contract: every function appends exactly the bytes nlohmann's `dump(-1, ' ', false, error_handler_t::replace)`
// (what the server writes for every other reply; server/flight_service.cc) gives for the same value, so a reply
// written here is byte-for-byte the one a DOM would have given:
//  - strings: '"', '\\' and the control characters escaped as nlohmann does (\b \t \n \f \r, others \u00xx in
//    lowercase hex), other ASCII as is; a string holding any byte >= 0x80 is handed to nlohmann itself (valid
//    UTF-8 copied, invalid bytes replaced by U+FFFD), so the rare non-ASCII name costs a copy, not a difference;
//  - integers in decimal (std::to_chars), like nlohmann's number_integer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mosaico {

// Appends `s` as a JSON string literal (with its quotes).
void AppendJsonString(std::string* out, std::string_view s);
// Appends the JSON string literal of a + b (one string, e.g. a locator "seq" + "/" + "topic").
void AppendJsonString(std::string* out, std::string_view a, std::string_view b, std::string_view c);
void AppendJsonInt(std::string* out, int64_t v);

}  // namespace mosaico
