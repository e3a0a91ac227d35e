// Shared helpers of the libFuzzer harnesses (docs/FUZZING.md). A harness aborts (a finding) when an invariant
// of the code under test breaks; refusing an input with an error status is the normal, expected outcome.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <arrow/status.h>

namespace mosaico::fuzz {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

// Client input may only ever be refused as a client error: INVALID_ARGUMENT (or NOT_FOUND for lookups).
inline void ExpectClientError(const arrow::Status& st, std::string_view where) {
  if (st.ok() || st.IsInvalid() || st.IsKeyError()) return;
  Fail(std::string(where) + " returned a non-client error: " + st.ToString());
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace mosaico::fuzz
