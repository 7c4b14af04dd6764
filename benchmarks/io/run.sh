#!/usr/bin/env bash
# Runs the reader I/O benchmark on 1, 2 and 4 ranks (4 is oversubscribed on a
# 2-core machine), cold and warm cache, and writes
# benchmarks/results/io_np{N}.{json,txt}, then the throughput plot. The
# dataset is Fashion-MNIST prepared by aif when DATA does not exist yet.
# Each rank count waits for a quiet machine first (wait_for_quiet.sh).
# Extra arguments go to the program.
#   BUILD_DIR=build DATA=/tmp/fmnist.h5 RANKS="1 2 4" benchmarks/io/run.sh [--repeats 9]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
bin=$build/benchmarks/aif_reader_io_bench
data=${DATA:-/tmp/fmnist.h5}
results=$root/benchmarks/results
if [[ ! -x $bin ]]; then
  echo "run.sh: $bin not found; build it with: cmake --build $build --target aif_reader_io_bench" >&2
  exit 1
fi
if [[ ! -f $data ]]; then
  "$build/aif" prepare --source fashion-mnist --input-dir /usr/share/datasets/fashion-mnist --out "$data"
fi
source "$root/scripts/env.sh"
mkdir -p "$results"
for n in ${RANKS:-1 2 4}; do
  "$root/benchmarks/wait_for_quiet.sh"
  stages=()
  [[ $n == 1 ]] && stages=(--stages)
  mpirun --quiet --bind-to none -np "$n" "$bin" --data "$data" "${stages[@]}" --json "$results/io_np$n.json" "$@" \
    | tee "$results/io_np$n.txt"
done
"$root/benchmarks/plot_results.sh" io
