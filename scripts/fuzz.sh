#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, docs/FUZZING.md) with clang++ in their own build dir and runs each one
# for a bounded time, starting from its checked-in seed corpus fuzz/corpus/<target>/. Fails on any crash,
# sanitizer report or broken invariant (the reproducer is left in the work dir, named in the output).
#
#   MOSAICOD_FUZZ_SECONDS   seconds per harness (default 10)
#   MOSAICOD_FUZZ_BUILD_DIR build dir (default build-fuzz)
#   MOSAICOD_FUZZ_TARGETS   space-separated subset, e.g. "fuzz_locator fuzz_query" (default: every fuzz/fuzz_*.cc)
#   MOSAICOD_FUZZ_WORK_DIR  where new corpus entries and crash files go (default: a fresh temp dir; the checked-in
#                           corpus is never modified)
# Extra arguments go to every libFuzzer run (e.g. -jobs=2 -workers=2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${MOSAICOD_FUZZ_SECONDS:-10}"
BUILD_DIR="${MOSAICOD_FUZZ_BUILD_DIR:-build-fuzz}"
WORK="${MOSAICOD_FUZZ_WORK_DIR:-$(mktemp -d /tmp/mosaicod-fuzz.XXXXXX)}"
log() { printf '[fuzz] %s\n' "$*" >&2; }

if ! command -v clang++ >/dev/null; then
  log "clang++ not found (scripts/setup.sh installs it)"; exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DMOSAICO_FUZZ=ON -DMOSAICO_PYTHON="$ROOT/.venv/bin/python" "${launcher[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"

targets="${MOSAICOD_FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.cc | sed 's/\.cc$//' | tr '\n' ' ')}"
failed=()
for t in $targets; do
  seeds="$ROOT/fuzz/corpus/${t#fuzz_}"
  mkdir -p "$WORK/$t/corpus" "$WORK/$t/artifacts"
  log "$t: ${SECONDS_EACH}s from $(ls "$seeds" | wc -l) seeds"
  # New inputs go to the work corpus; the seeds are read only. -error_exitcode / -timeout_exitcode make any
  # finding a failure; ASan's leak check is off (Arrow's global pools are not leaks).
  if ! ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      "$ROOT/$BUILD_DIR/fuzz/$t" "$WORK/$t/corpus" "$seeds" -max_total_time="$SECONDS_EACH" -max_len=65536 \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$WORK/$t/artifacts/" -print_final_stats=1 "$@" \
      >"$WORK/$t/log.txt" 2>&1; then
    log "$t: FAILED (log $WORK/$t/log.txt, reproducer in $WORK/$t/artifacts/)"
    grep -E "ERROR|invariant|runtime error|SUMMARY" "$WORK/$t/log.txt" | head -20 >&2 || true
    failed+=("$t")
  else
    log "$t: ok ($(grep -E '^stat::number_of_executed_units' "$WORK/$t/log.txt" | awk '{print $2}') runs)"
  fi
done
if ((${#failed[@]})); then
  log "failed: ${failed[*]}"
  exit 1
fi
[ -z "${MOSAICOD_FUZZ_WORK_DIR:-}" ] && rm -rf "$WORK"
log "all harnesses ran ${SECONDS_EACH}s without a finding"
