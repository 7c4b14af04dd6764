#!/usr/bin/env bash
# Runs aif's GPU tests and benchmarks on a GPU machine that has CUDA but not
# Debian's packages, from what scripts/gpu_pack.sh packed into .gpu-carry/,
# and writes what passed and what was measured to RESULTS_DIR (default $OUT,
# the device tool's output folder, else /tmp/aif-gpu-results): at most 8
# files, so the device tool brings them all back.
#
#   bash scripts/gpu_run.sh                      # every stage
#   STAGES="tests e2e" bash scripts/gpu_run.sh   # some: env tests e2e kernels train allreduce compare
#   QUICK=1 ...                                  # short benchmarks (a smoke test, not a measurement)
#
# Each stage runs under a time limit (STAGE_TIMEOUT, 540 s) so that one call
# of the device tool (10 minutes) ends with its results; run the slow stages
# (e2e, compare) in calls of their own. summary.md gets one line per step:
# PASS, FAIL (with the exit status), or SKIP.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=$ROOT/.gpu-carry
RES=${RESULTS_DIR:-${OUT:-/tmp/aif-gpu-results}}
STAGES=${STAGES:-env tests e2e kernels train}
LIMIT=${STAGE_TIMEOUT:-540}
RT=/tmp/aif-runtime
mkdir -p "$RES"
SUMMARY=$RES/summary.md

note() { echo "$*" | tee -a "$SUMMARY"; }
# step NAME LOG COMMAND...: runs COMMAND under the time limit into LOG (appended).
step() {
  local name=$1 log=$2
  shift 2
  echo "== $name: $*" >>"$log"
  timeout "$LIMIT" "$@" >>"$log" 2>&1
  local rc=$?
  case $rc in
    0) note "- PASS $name" ;;
    77) note "- SKIP $name (no usable GPU, or missing input: see $(basename "$log"))" ;;
    124) note "- FAIL $name (timed out after ${LIMIT}s)" ;;
    *) note "- FAIL $name (exit $rc)" ;;
  esac
  return $rc
}

if [ ! -f "$CARRY/runtime.tar.xz" ]; then
  echo "gpu_run: $CARRY/runtime.tar.xz is missing: run scripts/gpu_pack.sh here first and carry .gpu-carry" >&2
  exit 2
fi
if [ ! -d "$RT" ]; then
  mkdir -p "$RT" && tar -C "$RT" -xJf "$CARRY/runtime.tar.xz" || exit 2
fi
# CUDA's libraries from the image: the toolkit's, and the Python wheels'
# (cuDNN and NCCL often come only with PyTorch's).
cuda_dirs=$(find /usr/local /opt /usr/lib -maxdepth 8 \( -name 'libcudart.so.1*' -o -name 'libcublasLt.so.1*' \
              -o -name 'libcudnn.so.9*' -o -name 'libnccl.so.2*' \) 2>/dev/null | xargs -r -n1 dirname | sort -u |
            tr '\n' ':')
export LD_LIBRARY_PATH="$RT/lib:$RT/usr/lib/x86_64-linux-gnu/openmpi/lib:${cuda_dirs}${LD_LIBRARY_PATH:-}"
export OPAL_PREFIX=$RT/usr PMIX_INSTALL_PREFIX=$RT/usr/lib/x86_64-linux-gnu/pmix2
export PATH=$RT/usr/bin:$PATH
. scripts/env.sh
export BUILD_DIR=$CARRY/build AIF=$CARRY/build/aif AIF_SOURCE_DIR=$ROOT FMNIST_DIR=$CARRY/data
# The image's python3 (with CUDA PyTorch) must not load the packed Debian
# libraries: the benchmarks start it through a wrapper that drops them.
if [ -z "${PYTHON:-}" ]; then
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$cuda_dirs" "$(command -v python3)" >"$RT/python3"
  chmod +x "$RT/python3"
  export PYTHON=$RT/python3
fi

{
  echo "# aif on a GPU: $(date -u +%Y-%m-%dT%H:%M:%SZ), stages: $STAGES"
  echo
  echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo none)"
} >>"$SUMMARY"
missing=$(ldd "$AIF" "$CARRY/build/tests/aif_gpu_tests" | grep 'not found' | sort -u)
if [ -n "$missing" ]; then
  note "- FAIL libraries not found: $(echo "$missing" | awk '{print $1}' | tr '\n' ' ')"
  exit 2
fi

for stage in $STAGES; do
  case $stage in
    env)
      log=$RES/env.log
      { nvidia-smi; "$AIF" --version; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; ldd "$AIF"; } >>"$log" 2>&1
      note "- $("$AIF" --version 2>/dev/null | grep '^GPUs:')"
      step "mpirun starts 2 ranks" "$log" mpirun --quiet --bind-to none -np 2 "$AIF" --version
      ;;
    tests)  # one suite per process: a device fault is sticky and would fail every later test
      log=$RES/gpu_tests.log
      for suite in $("$CARRY/build/tests/aif_gpu_tests" --gtest_list_tests | grep -E '^[A-Za-z_][A-Za-z0-9_/]*\.$' |
                     tr -d '.'); do
        step "aif_gpu_tests $suite" "$log" "$CARRY/build/tests/aif_gpu_tests" --gtest_filter="$suite.*"
      done
      ;;
    e2e)
      step "gpu_e2e_train (tests/gpu/test_train_gpu.sh)" "$RES/gpu_e2e.log" bash tests/gpu/test_train_gpu.sh
      ;;
    kernels)
      quick=()
      [ -n "${QUICK:-}" ] && quick=(--quick)
      step "aif_kernel_bench ${quick[*]}" "$RES/kernel_bench.txt" "$CARRY/build/benchmarks/aif_kernel_bench" \
        "${quick[@]}" --json "$RES/kernel_bench.json"
      ;;
    train)  # aif alone on the GPU (no PyTorch peer): every model and precision
      steps=()
      [ -n "${QUICK:-}" ] && steps=(--steps 50 --repeats 2)
      for model in mlp wide cnn; do
        for precision in fp32 bf16; do
          step "train_mlp_bench $model $precision" "$RES/train_bench.txt" "$CARRY/build/benchmarks/train_mlp_bench" \
            --device cuda --model "$model" --precision "$precision" --no-torch "${steps[@]}"
        done
      done
      ;;
    allreduce)  # aif's Communicator with NCCL next to MPI (one GPU: one rank; a ring needs several)
      step "aif_allreduce_bench (1 rank)" "$RES/allreduce.txt" mpirun --quiet --bind-to none -np 1 \
        "$CARRY/build/benchmarks/aif_allreduce_bench" --max-bytes 256M --json "$RES/allreduce.json"
      ;;
    compare)  # against PyTorch eager and torch.compile (the image's CUDA PyTorch)
      step "gpu_compare.sh (PYTHON=$PYTHON)" "$RES/train_compare.txt" bash benchmarks/train/gpu_compare.sh
      cp benchmarks/results/train_gpu_*.json "$RES/" 2>/dev/null
      ;;
    *)
      note "- unknown stage '$stage' (env tests e2e kernels train allreduce compare)"
      ;;
  esac
done
echo "gpu_run: results in $RES"
