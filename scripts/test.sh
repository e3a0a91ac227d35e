#!/usr/bin/env bash
# Sets up (if needed), builds, and runs the whole test suite:
#   1. GoogleTest unit tests (ctest)
#   2. pytest integration tests: the real daemon binary with the real mosaicolabs SDK and pyarrow.flight clients,
#      twice: on the embedded defaults (SQLite + local directory), then on PostgreSQL + an S3-compatible store
#      (servers started by the tests on 127.0.0.1; see tests/integration/conftest.py). MOSAICOD_TEST_PASSES=local
#      runs only the first.
# Extra arguments go to pytest (e.g. -k roundtrip).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MOSAICOD_BUILD_DIR:-build}"
"$ROOT/scripts/setup.sh" --with-tests

# The PostgreSQL catalog tests need a server: start a throwaway one on 127.0.0.1 (scripts/pg_test_server.sh)
# unless MOSAICOD_TEST_PG_URL already names one. Without the PostgreSQL binaries those tests are skipped.
PG_TEST_DIR=""
if [ -z "${MOSAICOD_TEST_PG_URL:-}" ] && [ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
  PG_TEST_DIR="$(mktemp -d /tmp/mosaicod-pg-test.XXXXXX)"
  trap '"$ROOT/scripts/pg_test_server.sh" stop "$PG_TEST_DIR" || true; rm -rf "$PG_TEST_DIR"' EXIT
  MOSAICOD_TEST_PG_URL="$("$ROOT/scripts/pg_test_server.sh" start "$PG_TEST_DIR")"
  export MOSAICOD_TEST_PG_URL
fi

echo "== unit tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
echo "== fuzz harnesses (scripts/fuzz.sh, ${MOSAICOD_FUZZ_SECONDS:-10} s each; docs/FUZZING.md)"
"$ROOT/scripts/fuzz.sh"
if [ -n "$PG_TEST_DIR" ]; then
  "$ROOT/scripts/pg_test_server.sh" stop "$PG_TEST_DIR" || true
  rm -rf "$PG_TEST_DIR"
  trap - EXIT
  unset MOSAICOD_TEST_PG_URL  # that server is gone; the PostgreSQL pytest pass starts its own
fi

export MOSAICOD_BIN="$ROOT/$BUILD_DIR/mosaicod"
echo "== integration tests (pytest): SQLite catalog + local directory store"
.venv/bin/python -m pytest tests/integration -q "$@"
if [ "${MOSAICOD_TEST_PASSES:-all}" != "local" ]; then
  echo "== integration tests (pytest): PostgreSQL catalog + S3-compatible store"
  MOSAICOD_TEST_CATALOG=postgres MOSAICOD_TEST_STORE=s3 .venv/bin/python -m pytest tests/integration -q "$@"
fi
