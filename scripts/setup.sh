#!/usr/bin/env bash
# Sets up everything mosaicod needs on a fresh Debian 12 machine, then builds it.
#
#   scripts/setup.sh            apt packages (once), .venv with pinned Python deps, CMake build (Release)
#
# Idempotent and fast when nothing changed: apt is skipped when every package is present, pip is skipped
# when requirements.txt has not changed since the last install, and the build is incremental.
# Environment:
#   MOSAICOD_BUILD_DIR   build directory (default: build)
#   MOSAICOD_BUILD_TYPE  CMake build type (default: Release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MOSAICOD_BUILD_DIR:-build}"
BUILD_TYPE="${MOSAICOD_BUILD_TYPE:-Release}"
log() { printf '[setup] %s\n' "$*" >&2; }

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev libpq-dev postgresql libspdlog-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev                 # libcrypto for API keys (src/mosaico/auth/): CSPRNG, HMAC-SHA256, constant-time compare
  clang libclang-rt-14-dev   # fuzz/ harnesses (scripts/fuzz.sh): clang++ with libFuzzer + sanitizers
  python3-venv
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing pinned Python packages (requirements.txt)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  # libarrow.so -> libarrow.so.NNNN links so the linker finds the wheel's libraries by their plain names.
  .venv/bin/python -c "import pyarrow; pyarrow.create_library_symlinks()"
  echo "$want" > "$stamp"
else
  log "Python packages up to date"
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring CMake ($BUILD_TYPE) in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
        -DMOSAICO_PYTHON="$ROOT/.venv/bin/python" >/dev/null
fi
log "building"
cmake --build "$BUILD_DIR" -j "$(nproc)"
log "ready: $BUILD_DIR/mosaicod"
