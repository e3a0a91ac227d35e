#!/usr/bin/env bash
# Sets up what mosaicod needs on a fresh Debian 12 machine, then builds it.
#
#   scripts/setup.sh               building and running (scripts/run.sh, scripts/package.sh): apt packages (once),
#                                  .venv with pyarrow (requirements.txt), CMake build (Release) of the daemon
#   scripts/setup.sh --with-tests  also what the tests need (scripts/test.sh): PostgreSQL server, GoogleTest, clang +
#                                  libFuzzer, the SDK/pytest/moto (requirements-test.txt); builds everything
#
# Idempotent and fast when nothing changed: apt is skipped when every package is present, pip is skipped
# when the requirements files have not changed since the last install, and the build is incremental.
# Environment:
#   MOSAICOD_BUILD_DIR   build directory (default: build)
#   MOSAICOD_BUILD_TYPE  CMake build type (default: Release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MOSAICOD_BUILD_DIR:-build}"
BUILD_TYPE="${MOSAICOD_BUILD_TYPE:-Release}"
log() { printf '[setup] %s\n' "$*" >&2; }
WITH_TESTS=0
case "${1:-}" in
  --with-tests) WITH_TESTS=1 ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--with-tests]" >&2; exit 2 ;;
esac

# Building, packaging and running the daemon.
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libsqlite3-dev libpq-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libtomlplusplus-dev        # toml++ (header-only here): the config file (apps/mosaicod/config_file.cc)
  libssl-dev                 # libcrypto for API keys (src/mosaico/auth/): CSPRNG, HMAC-SHA256, constant-time compare
  libisal-dev                # ISA-L: the CRC32 of every stored object (src/mosaico/store/checksum.cc)
  libcpp-httplib-dev         # cpp-httplib: the monitoring listener (src/mosaico/http/: /healthz, /readyz, /metrics)
  libjemalloc-dev            # jemalloc 5.3: the daemon's malloc (src/mosaico/server/process_memory.h; issue 12 ingest)
  python3-venv               # .venv holding the pyarrow wheel, which supplies Arrow C++
  dpkg-dev file              # scripts/package.sh: dpkg-shlibdeps computes the .deb's dependencies (file: CPack's ELF check)
)
# The test suite only (scripts/test.sh).
APT_TEST_PACKAGES=(
  postgresql                 # PostgreSQL catalog tests: throwaway servers (scripts/pg_test_server.sh), psql
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev   # fuzz/ harnesses (scripts/fuzz.sh): clang++ with libFuzzer + sanitizers
  prometheus                 # tests/integration/test_metrics.py scrapes the daemon with a real Prometheus server
  chromium                   # tests/integration/test_console.py drives the web console in it with Playwright
)
if ((WITH_TESTS)); then APT_PACKAGES+=("${APT_TEST_PACKAGES[@]}"); fi
# npm (web/console: the console's plotting library, embedded at build time); a Node.js from elsewhere brings its own.
if ! command -v npm >/dev/null; then APT_PACKAGES+=(nodejs npm); fi

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
# requirements.txt: what the build needs (pyarrow); requirements-test.txt: that plus the test tools. One stamp each,
# so a test setup also satisfies a later plain one.
req=requirements.txt
stamp=.venv/.requirements.sha256
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if ((WITH_TESTS)); then
  req=requirements-test.txt
  stamp=.venv/.requirements-test.sha256
  want="$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing pinned Python packages ($req)"
  .venv/bin/pip install -q --disable-pip-version-check -r "$req"
  # libarrow.so -> libarrow.so.NNNN links so the linker finds the wheel's libraries by their plain names.
  .venv/bin/python -c "import pyarrow; pyarrow.create_library_symlinks()"
  echo "$want" > "$stamp"
  if ((WITH_TESTS)); then sha256sum requirements.txt | cut -d' ' -f1 > .venv/.requirements.sha256; fi
else
  log "Python packages up to date"
fi

# The web console's front-end dependencies, pinned by web/console/package-lock.json (docs/CONSOLE.md), installed
# before CMake runs: the build embeds them in the binary.
lock_sum="$(sha256sum web/console/package-lock.json | cut -d' ' -f1)"
if [ "$(cat web/console/node_modules/.lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  log "installing the console's npm packages (npm ci in web/console)"
  (cd web/console && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$lock_sum" > web/console/node_modules/.lock.sha256
else
  log "console npm packages up to date"
fi

# Unit tests (GoogleTest) are configured only with --with-tests: a plain setup has no libgtest-dev.
testing=OFF
if ((WITH_TESTS)); then testing=ON; fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring CMake ($BUILD_TYPE, BUILD_TESTING=$testing) in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DBUILD_TESTING="$testing" \
        -DMOSAICO_PYTHON="$ROOT/.venv/bin/python" >/dev/null
elif ((WITH_TESTS)) && grep -q '^BUILD_TESTING:BOOL=OFF$' "$BUILD_DIR/CMakeCache.txt"; then
  log "enabling the unit tests in $BUILD_DIR (BUILD_TESTING=ON)"
  cmake -B "$BUILD_DIR" -DBUILD_TESTING=ON >/dev/null
fi
if ((WITH_TESTS)); then
  log "building"
  cmake --build "$BUILD_DIR" -j "$(nproc)"
else
  log "building the daemon"
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target mosaicod
fi
log "ready: $BUILD_DIR/mosaicod"
