#!/usr/bin/env bash
# Data-parallel scaling of `aif train` on Fashion-MNIST: strong scaling (a
# fixed global batch split over the ranks) and weak scaling (a fixed batch per
# rank). Every run uses --comm cycle: step by step in turn, the gradient
# all-reduce overlapped with backward (what training does), started after
# backward (the all-reduce alone) and skipped (the step without
# communication), so the three are timed within milliseconds of each other and
# the VM's drift (its speed varied 2x between runs here) hits all alike; the
# rank counts and repeats are interleaved for the same reason. Every run
# writes a --trace timeline; analyze_scaling.py turns them into samples/s,
# parallel efficiency, the data-wait share and the share of the all-reduce
# hidden by overlap, checks the scaling model (scaling_model.py) and draws
# the plot. Reproduction and results: benchmarks/README.md, "Scaling".
#
#   benchmarks/scaling/run_scaling.sh [--ranks "1 2 4"] [--steps 330] [--warmup 30] [--repeats 5]
#       [--model 'mlp 784-512-256-10 relu'] [--strong-batch 512] [--weak-batch 256] [--bucket-mb 0.5]
#       [--data FILE.h5] [--work DIR] [--tag NAME] [--results DIR] [--launcher "mpirun --quiet --bind-to none"]
#       [--no-wait] [-- extra aif train options]
#
# Environment: AIF (the binary; default <repo>/build/aif); QUIET_TIMEOUT and
# QUIET_BUSY_PCT for benchmarks/wait_for_quiet.sh, run before each run unless
# --no-wait; for mpirun as root scripts/env.sh is sourced. The launcher gets
# `-n P` appended, so `--launcher "srun --mpi=pmix --kill-on-bad-exit=1"` runs
# inside a Slurm allocation (slurm/scaling.sbatch). Results: RESULTS/scaling_TAG.json and
# scaling_TAG.svg; the runs (traces, metrics) stay in WORK/runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ranks="1 2 4" steps=330 warmup=30 repeats=5 model="mlp 784-512-256-10 relu"
strong_batch=512 weak_batch=256 bucket_mb=0.5 data="" work=/tmp/aif-scaling tag=$(hostname -s)
results=$root/benchmarks/results launcher="mpirun --quiet --bind-to none" wait_quiet=1
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --ranks) ranks=$2; shift ;;
    --steps) steps=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --repeats) repeats=$2; shift ;;
    --model) model=$2; shift ;;
    --strong-batch) strong_batch=$2; shift ;;
    --weak-batch) weak_batch=$2; shift ;;
    --bucket-mb) bucket_mb=$2; shift ;;
    --data) data=$2; shift ;;
    --work) work=$2; shift ;;
    --tag) tag=$2; shift ;;
    --results) results=$2; shift ;;
    --launcher) launcher=$2; shift ;;
    --no-wait) wait_quiet=0 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "run_scaling.sh: unknown option '$1'" >&2; usage ;;
  esac
  shift
done
extra=("$@")
AIF=${AIF:-$root/build/aif}
[ -x "$AIF" ] || { echo "run_scaling.sh: no aif binary at '$AIF'; build it or set AIF" >&2; exit 2; }
if [[ $launcher == mpirun* ]]; then source "$root/scripts/env.sh"; fi
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$work/runs" "$results"
manifest=$work/runs.jsonl
: >"$manifest"

if [ -z "$data" ]; then
  data=$work/fmnist.h5
  [ -f "$data" ] || "$AIF" prepare --out "$data" >/dev/null
fi

# record KEY VALUE ...: one JSON line of the manifest.
record() { python3 -c 'import json,sys; a=sys.argv[1:]; print(json.dumps(dict(zip(a[::2], a[1::2]))))' "$@" >>"$manifest"; }

# The steps are timed from the trace; validation runs once, at the end, and
# checkpoints only at the end (both outside the steps).
common=(--data "$data" --model "$model" --steps "$steps" --log-every "$steps" --eval-every $((steps + 1))
  --check-every 0 --checkpoint-seconds 0 --bucket-mb "$bucket_mb" --trace-steps "$steps" "${extra[@]}")
for rep in $(seq 1 "$repeats"); do
  for mode in strong weak; do
    for p in $ranks; do
      if [ "$mode" = strong ]; then batch=$strong_batch; else batch=$((weak_batch * p)); fi
      if [ "$wait_quiet" -eq 1 ] && [ -x "$root/benchmarks/wait_for_quiet.sh" ]; then
        "$root/benchmarks/wait_for_quiet.sh" >&2
      fi
      run=$work/runs/$mode-p$p-r$rep
      rm -rf "$run"
      cmd=($launcher -n "$p" "$AIF" train "${common[@]}" --batch-size "$batch" --comm cycle --run-dir "$run"
        --trace "$run/trace.json")
      echo "[scaling] $mode p=$p batch=$batch repeat $rep" >&2
      start=$(date +%s.%N) load_start=$(cut -d' ' -f1 /proc/loadavg)
      rc=0
      "${cmd[@]}" >"$run.log" 2>&1 || rc=$?
      wall=$(python3 -c "print(round($(date +%s.%N) - $start, 3))")
      if [ "$rc" -ne 0 ]; then
        echo "run_scaling.sh: run failed (exit $rc): ${cmd[*]}; see $run.log" >&2
        tail -5 "$run.log" >&2
        exit 1
      fi
      record mode "$mode" ranks "$p" comm cycle repeat "$rep" global_batch "$batch" run_dir "$run" \
        trace "$run/trace.json" wall_s "$wall" load_start "$load_start" load_end "$(cut -d' ' -f1 /proc/loadavg)" \
        command "$(printf '%q ' "${cmd[@]}")"
    done
  done
done

python3 "$here/analyze_scaling.py" --manifest "$manifest" --warmup "$warmup" --aif "$AIF" \
  --json "$results/scaling_$tag.json" --svg "$results/scaling_$tag.svg" \
  --driver-command "$(printf '%q ' "$0" --ranks "$ranks" --steps "$steps" --warmup "$warmup" --repeats "$repeats" \
    --model "$model" --strong-batch "$strong_batch" --weak-batch "$weak_batch" --bucket-mb "$bucket_mb")" \
  --launcher "$launcher"
