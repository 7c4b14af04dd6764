#!/usr/bin/env bash
# Sets up if needed, then runs the whole test suite with ctest. Arguments go
# to ctest, e.g. ./scripts/test.sh -L unit   or   ./scripts/test.sh -R reader
# Labels: unit, mpi, e2e, slurm (a real Slurm cluster per test), gpu (skipped without a GPU).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${AIF_BUILD_DIR:-$ROOT/build}
. "$ROOT/scripts/env.sh"
AIF_SETUP_FOR_TESTS=1 "$ROOT/scripts/setup.sh"
cd "$BUILD_DIR"
exec ctest --output-on-failure -j "${AIF_TEST_JOBS:-2}" "$@"
