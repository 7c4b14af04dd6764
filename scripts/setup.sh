#!/usr/bin/env bash
# Installs what aif needs from Debian packages (only what is missing), then
# configures and builds aif into build/ (Release). Idempotent: a second run
# with everything in place only rebuilds what changed.
#
#   ./scripts/setup.sh                 # build with CUDA when nvcc exists (AIF_CUDA=AUTO)
#   AIF_CUDA=OFF ./scripts/setup.sh    # CPU-only build
#   AIF_BUILD_DIR=build-x ./scripts/setup.sh
#   AIF_SETUP_FOR_TESTS=1 ./scripts/setup.sh   # also what the tests need (chromium, Slurm, munge)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${AIF_BUILD_DIR:-$ROOT/build}
AIF_CUDA=${AIF_CUDA:-AUTO}
JOBS=${AIF_BUILD_JOBS:-$(nproc)}

PACKAGES=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libboost-program-options-dev libgtest-dev libbenchmark-dev libopenblas-dev
  nlohmann-json3-dev libssl-dev zlib1g-dev python3 procps
  dataset-fashion-mnist
)

# The test suite also renders report.html in a real headless browser.
if [ -n "${AIF_SETUP_FOR_TESTS:-}" ]; then
  PACKAGES+=(chromium slurm-wlm slurmctld slurmd slurm-client munge)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "[setup] error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "[setup] packages installed in ${SECONDS} s"
fi
if dpkg-query -W -f='${Status}' libhdf5-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "[setup] warning: the serial libhdf5-dev is installed beside the parallel one; CMake is told to prefer" \
       "the parallel (openmpi) flavour" >&2
fi

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || ! grep -q "^AIF_CUDA:STRING=$AIF_CUDA$" "$BUILD_DIR/CMakeCache.txt"; then
  echo "[setup] configuring $BUILD_DIR (AIF_CUDA=$AIF_CUDA)"
  mkdir -p "$BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAIF_CUDA="$AIF_CUDA" >"$BUILD_DIR/setup-configure.log" 2>&1 \
    || { cat "$BUILD_DIR/setup-configure.log" >&2; exit 1; }
fi
echo "[setup] building $BUILD_DIR with $JOBS jobs"
build_start=$SECONDS
cmake --build "$BUILD_DIR" -j "$JOBS" >"$BUILD_DIR/setup-build.log" 2>&1 || { tail -50 "$BUILD_DIR/setup-build.log" >&2; exit 1; }
echo "[setup] ready in $((SECONDS - build_start)) s: $BUILD_DIR/aif ($("$BUILD_DIR/aif" --version | head -1))"
