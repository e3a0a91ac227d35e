#!/bin/sh
# The throughput regression guard (bench/README.md): mosaicod against its ceilings and, when given, the binary
# before your change, in one run of under ~2 minutes. Not a test, not in CI.
#
#   cp build/mosaicod /tmp/me/mosaicod       # measure a private copy: others may rebuild build/ meanwhile
#   MOSAICOD_BIN=/tmp/me/mosaicod MOSAICOD_BASELINE_BIN=/tmp/me/mosaicod-before bench/quick.sh [more options]
#
# Extra options go to bench/flight_throughput.py (e.g. --workloads imu, --repeat 5, --markdown).
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/flight_throughput.py --quick "$@"
