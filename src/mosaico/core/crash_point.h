// Crash points: named places in multi-step write protocols where a test can make the daemon die by SIGKILL, to
// prove that every crash window leaves a state the start-up recovery or `mosaicod check --repair` handles
// (tests/integration/test_crash_safety.py).
//
// Contract:
//  - CrashPoint(name) does nothing unless the environment variable MOSAICOD_CRASH_AT was set, when the process
//    started, to "<name>" or "<name>:<n>": then the n-th (default 1st) time the point is reached the process
//    sends itself SIGKILL (no destructors, no flushing: exactly like a crash). Several points may be given,
//    comma-separated; each counts separately.
//  - The variable is read once (first call); when unset a call costs one static-guard check. Thread-safe.
//  - Names are "<operation>.<step>", e.g. "finalize.after_marker"; docs/STORE_LAYOUT.md lists them with the
//    crash window each one opens.
#pragma once

#include <string_view>

namespace mosaico {

void CrashPoint(std::string_view name);

}  // namespace mosaico
