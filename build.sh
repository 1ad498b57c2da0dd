#!/usr/bin/env bash
# personae's front door: installs what is missing (Debian packages only),
# builds, and runs the demo, the tests or the benchmarks.
#
#   ./build.sh demo       set up, build (Release), run the pipeline on the bundled sample
#   ./build.sh test       set up, build (Release), run every test (CUnit + CLI)
#   ./build.sh sanitize   the tests again under AddressSanitizer + UBSan (build-asan/)
#   ./build.sh bench      set up the peers (scikit-learn, FAISS, pandas) and build the benchmarks
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(cmake make gcc libc6-dev pkg-config zlib1g-dev libhdf5-dev hdf5-tools
  libopenblas-dev libcunit1-dev libcsv-dev libjansson-dev libdeflate-dev libisal-dev)
TEST_PACKAGES=(python3 python3-numpy python3-h5py python3-pandas python3-pil chromium)
BENCH_PACKAGES=(python3-numpy python3-h5py python3-pandas python3-sklearn python3-faiss)

log() { printf '==> %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "build.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake args...]
  local dir=$1
  shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  fi
  cmake --build "$dir" -j"$(nproc)" >/dev/null || cmake --build "$dir" -j1
}

jobs_for_tests() { nproc; }

case "${1:-}" in
  demo)
    install_missing "${BUILD_PACKAGES[@]}"
    build build
    mkdir -p sample
    if [ ! -f sample/shop.h5 ]; then
      log "generating the sample marketplace (20,000 customers, seed 42) into sample/shop.h5"
      ./build/personae generate --customers 20000 --seed 42 --out sample/shop.h5 --quiet >/dev/null
    fi
    ./build/personae inspect sample/shop.h5
    echo
    ./build/personae run sample/shop.h5 --html sample/report.html
    log "results in sample/shop.personae.h5; the report is sample/report.html"
    ;;
  test)
    install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build build
    cd build && ctest --output-on-failure -j"$(jobs_for_tests)"
    ;;
  sanitize)
    install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERSONAE_SANITIZE=ON
    cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --output-on-failure -j"$(jobs_for_tests)"
    ;;
  bench)
    install_missing "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    build build
    log "benchmarks built in build/bench; see README, 'Benchmarks'"
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 1
    ;;
esac
