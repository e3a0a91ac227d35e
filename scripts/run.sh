#!/usr/bin/env bash
# Sets up (if needed), builds and starts mosaicod on its embedded default:
# SQLite catalog + local directory store under ./data, listening on 127.0.0.1:6726.
# Extra arguments go to `mosaicod run` (e.g. --port 7000 --data-dir /srv/mosaico).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
exec "$ROOT/${MOSAICOD_BUILD_DIR:-build}/mosaicod" run --data-dir "${MOSAICOD_DATA_DIR:-$ROOT/data}" "$@"
