#!/usr/bin/env bash
# Builds the Debian package of mosaicod: build/mosaicod_<version>_amd64.deb (cmake/Packaging.cmake: layout,
# dependencies from dpkg-shlibdeps, systemd unit and maintainer scripts from packaging/).
#
#   scripts/package.sh            setup + build (scripts/setup.sh), then cpack; prints the .deb's path
#
# Environment:
#   MOSAICOD_BUILD_DIR        build directory (default: build)
#   MOSAICOD_PACKAGE_DIR      where the .deb goes (default: the build directory)
#   MOSAICOD_DEB_COMPRESSION  zstd (default: fast, readable by Debian 12's dpkg), xz (smaller, ~10x slower), gzip
#   MOSAICOD_PACKAGE_NO_BUILD 1: package the build directory as it is (no setup, no build; the tests use this)
# Install it with `apt install ./build/mosaicod_<version>_amd64.deb` (apt fetches the dependencies).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MOSAICOD_BUILD_DIR:-build}"
OUT_DIR="${MOSAICOD_PACKAGE_DIR:-$BUILD_DIR}"
[ "${MOSAICOD_PACKAGE_NO_BUILD:-0}" = 1 ] || "$ROOT/scripts/setup.sh"
mkdir -p "$OUT_DIR"
args=()
if [ -n "${MOSAICOD_DEB_COMPRESSION:-}" ]; then args+=(-D "CPACK_DEBIAN_COMPRESSION_TYPE=$MOSAICOD_DEB_COMPRESSION"); fi
cpack --config "$BUILD_DIR/CPackConfig.cmake" -B "$(cd "$OUT_DIR" && pwd)" "${args[@]}" >&2
rm -rf "$OUT_DIR/_CPack_Packages"  # the staging tree (~140 MB)
version="$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD_DIR/CPackConfig.cmake")"
deb="$OUT_DIR/mosaicod_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "[package] cpack did not produce $deb" >&2; exit 1; }
echo "$deb"
