#!/usr/bin/env bash
# Sets up (if needed), builds, and runs the whole test suite:
#   1. GoogleTest unit tests (ctest)
#   2. pytest integration tests: the real daemon binary with the real mosaicolabs SDK and pyarrow.flight clients
# Extra arguments go to pytest (e.g. -k roundtrip).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MOSAICOD_BUILD_DIR:-build}"
"$ROOT/scripts/setup.sh"

echo "== unit tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"

echo "== integration tests (pytest)"
export MOSAICOD_BIN="$ROOT/$BUILD_DIR/mosaicod"
exec .venv/bin/python -m pytest tests/integration -q "$@"
