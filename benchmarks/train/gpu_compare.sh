#!/bin/bash
# Training throughput on one GPU, aif against PyTorch eager and torch.compile,
# for every model (mlp, wide, cnn) and precision (fp32, bf16): one
# `train_mlp_bench --device cuda` per combination (it checks correctness, runs
# the PyTorch peers itself and measures the cuBLAS GEMM peak in the same run).
# Writes benchmarks/results/train_gpu_<date>.json (every run's JSON, its exit
# status and the GPU) and .txt (what the runs printed).
#
#   benchmarks/train/gpu_compare.sh [more train_mlp_bench options]
#
# Environment: BUILD_DIR (default build), PYTHON (the interpreter with a CUDA
# build of torch, default /usr/bin/python3), MODELS (default "mlp wide cnn"),
# PRECISIONS (default "fp32 bf16"), STEPS (default per model: mlp 1000, cnn
# 500, wide 200), REPEATS (default 5), DATE (default today).
# Exit status: 0, 77 when there is no usable GPU, else the first failing run's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build}
bench=$build/benchmarks/train_mlp_bench
python=${PYTHON:-/usr/bin/python3}
models=${MODELS:-mlp wide cnn}
precisions=${PRECISIONS:-fp32 bf16}
repeats=${REPEATS:-5}
date=${DATE:-$(date +%Y-%m-%d)}
out=$root/benchmarks/results/train_gpu_$date

if [ ! -x "$bench" ]; then
  echo "gpu_compare.sh: $bench not found; build it: cmake --build $build --target train_mlp_bench" >&2
  exit 2
fi
steps_for() {
  if [ -n "${STEPS:-}" ]; then echo "$STEPS"; return; fi
  case $1 in mlp) echo 1000 ;; cnn) echo 500 ;; *) echo 200 ;; esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log.txt
status=0
for model in $models; do
  for precision in $precisions; do
    echo "=== $model $precision ===" | tee -a "$log"
    set +e
    "$bench" --device cuda --model "$model" --precision "$precision" --python "$python" \
      --steps "$(steps_for "$model")" --repeats "$repeats" --json "$tmp/$model-$precision.json" "$@" 2>&1 |
      tee -a "$log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "$rc" > "$tmp/$model-$precision.rc"
    echo | tee -a "$log"
    if [ "$rc" = 77 ]; then
      echo "gpu_compare.sh: skipped, no usable GPU (see above); nothing written"
      exit 77
    fi
    if [ "$rc" != 0 ] && [ "$status" = 0 ]; then status=$rc; fi
  done
done

smi=""
if command -v nvidia-smi > /dev/null; then
  smi=$(nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem,power.limit,temperature.gpu \
        --format=csv 2>&1 || true)
fi
mkdir -p "$(dirname "$out")"
cp "$log" "$out.txt"
TMP="$tmp" OUT="$out.json" MODELS="$models" PRECISIONS="$precisions" SMI="$smi" CMD="$0 $*" /usr/bin/python3 - <<'EOF'
import json, os, socket
runs = []
for model in os.environ["MODELS"].split():
    for precision in os.environ["PRECISIONS"].split():
        base = os.path.join(os.environ["TMP"], f"{model}-{precision}")
        rc = int(open(base + ".rc").read())
        try:
            result = json.load(open(base + ".json"))
        except (OSError, ValueError):
            result = None  # the run stopped before writing (a mismatch, an error)
        runs.append({"model": model, "precision": precision, "exit_status": rc, "result": result})
doc = {"host": socket.gethostname(), "command": os.environ["CMD"], "nvidia_smi": os.environ["SMI"], "runs": runs}
with open(os.environ["OUT"], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
def rate(r, key):
    v = (r.get(key) or {}).get("samples_per_s")
    return f"{v:,.0f}" if v else "-"
print(f"{'model':6} {'prec':5} {'aif samples/s':>14} {'eager':>12} {'compiled':>12} {'of peak':>8}  targets")
for run in runs:
    r = run["result"] or {}
    peak = (r.get("aif") or {}).get("fraction_of_gemm_peak")
    met = {True: "met", False: "missed", None: f"exit {run['exit_status']}"}[r.get("targets_met")]
    print(f"{run['model']:6} {run['precision']:5} {rate(r, 'aif'):>14} {rate(r, 'torch'):>12} "
          f"{rate(r, 'torch_compiled'):>12} {f'{100 * peak:.1f}%' if peak else '-':>8}  {met}")
print(f"wrote {os.environ['OUT']} and {os.environ['OUT'][:-5]}.txt")
EOF
exit "$status"
