#!/bin/bash
# Submits prepare -> train -> evaluate -> promote as a Slurm dependency chain
# (--dependency=afterok), with one directory per pipeline run.
#
#   slurm/pipeline.sh --name NAME --config TRAIN.ini --data D.h5 | --source fashion-mnist | --csv FILE
#                     [--alias production] [--policy P.ini] [--store DIR] [--work DIR]
#                     [--train-sbatch "--nodes=2 --ntasks-per-node=4 --gpus-per-node=4 --time=2:00:00"]
#                     [--step-sbatch "--ntasks=2"] [--train-args "--epochs 5"]
#                     [--prepare-args "--label-column species"] [--wait]
#   slurm/pipeline.sh --status PIPELINE_DIR
#
# The run directory ($AIF_WORK or --work, default ./runs, then
# pipeline-<UTC time>-<pid>/) holds pipeline.json (the job ids and the
# command), logs/ (one file per job), status/<step>.json (how each step
# ended), data.h5 when prepared, train/ (the training run, its checkpoints
# and eval/). A failed step stops the chain: Slurm cancels the steps after it
# (DependencyParameters=kill_invalid_depend, or they stay pending as
# DependencyNeverSatisfied), its status file says "failed" with the exit
# code, and FAILED names it. A candidate rejected by the gates is an outcome,
# not a failure (status "rejected"). --wait follows the chain to its end and
# exits 0 when it completed (promoted or rejected), 1 when a step failed.
# Everything else comes from the environment: AIF, AIF_LAUNCHER, AIF_ENV
# (slurm/common.sh), AIF_STORE.
set -euo pipefail
AIF_SLURM_DIR=$(cd "$(dirname "$0")" && pwd)
export AIF_SLURM_DIR
. "$AIF_SLURM_DIR/common.sh"
STEPS=(prepare train evaluate promote)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# step_state DIR STEP: the state from the status file, else from Slurm.
step_state() {
  local dir=$1 step=$2 id
  if [ -f "$dir/status/$step.json" ]; then
    sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' "$dir/status/$step.json"
    return
  fi
  id=$(sed -n "s/.*\"$step\": \"\([0-9]*\)\".*/\1/p" "$dir/pipeline.json")
  [ -n "$id" ] || { echo skipped; return; }
  local s
  s=$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p; s/.*Reason=\([A-Za-z_]*\).*/ \1/p' | tr -d '\n')
  echo "${s:-unknown: job $id is no longer known to slurmctld}" | tr 'A-Z' 'a-z'
}

print_status() {
  local dir=$1 step
  for step in "${STEPS[@]}"; do printf '  %-9s %s\n' "$step" "$(step_state "$dir" "$step")"; done
}

if [ "${1:-}" = --status ]; then
  [ -f "${2:-}/pipeline.json" ] || { echo "pipeline.sh: '${2:-}' is not a pipeline directory" >&2; exit 2; }
  echo "pipeline $2"
  print_status "$2"
  exit 0
fi

NAME="" CONFIG="" DATA="" SOURCE="" INPUT_DIR=/usr/share/datasets/fashion-mnist CSV="" ALIAS=production POLICY=""
WORK=${AIF_WORK:-runs} TRAIN_SBATCH=${AIF_TRAIN_SBATCH:-} STEP_SBATCH=${AIF_STEP_SBATCH:-} TRAIN_ARGS="" PREPARE_ARGS="" WAIT=0
STORE=${AIF_STORE:-aif-store}
while [ $# -gt 0 ]; do
  case $1 in
    --name) NAME=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --input-dir) INPUT_DIR=$2; shift 2 ;;
    --csv) CSV=$2; shift 2 ;;
    --alias) ALIAS=$2; shift 2 ;;
    --policy) POLICY=$2; shift 2 ;;
    --store) STORE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --train-sbatch) TRAIN_SBATCH=$2; shift 2 ;;
    --step-sbatch) STEP_SBATCH=$2; shift 2 ;;
    --train-args) TRAIN_ARGS=$2; shift 2 ;;
    --prepare-args) PREPARE_ARGS=$2; shift 2 ;;
    --wait) WAIT=1; shift ;;
    -h | --help) usage ;;
    *) echo "pipeline.sh: unknown option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
[ -n "$NAME" ] && [ -n "$CONFIG" ] || { echo "pipeline.sh: --name and --config are required" >&2; exit 2; }
[ $(( ${DATA:+1} + ${SOURCE:+1} + ${CSV:+1} )) -eq 1 ] ||
  { echo "pipeline.sh: give exactly one of --data, --source, --csv" >&2; exit 2; }
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
CONFIG=$(abs "$CONFIG")
[ -f "$CONFIG" ] || { echo "pipeline.sh: the config '$CONFIG' does not exist" >&2; exit 2; }
[ -z "$POLICY" ] || { POLICY=$(abs "$POLICY"); [ -f "$POLICY" ] || { echo "pipeline.sh: the policy '$POLICY' does not exist" >&2; exit 2; }; }
[ -z "$DATA" ] || { DATA=$(abs "$DATA"); [ -f "$DATA" ] || { echo "pipeline.sh: the dataset '$DATA' does not exist" >&2; exit 2; }; }
[ -z "$CSV" ] || CSV=$(abs "$CSV")
STORE=$(abs "$STORE")
AIF=$(abs "$AIF")
export AIF AIF_STORE=$STORE

DIR=$(abs "$WORK")/pipeline-$(date -u +%Y%m%d-%H%M%S)-$$
mkdir -p "$DIR/logs" "$DIR/status"
cd "$DIR"  # jobs start here
# shellcheck disable=SC2086
submit() {  # submit STEP DEPENDENCY SBATCH_ARGS SCRIPT ARGS...
  local step=$1 dep=$2 extra=$3
  shift 3
  sbatch --parsable --job-name="aif-$step" --output="$DIR/logs/$step-%j.out" --open-mode=append \
    ${dep:+--dependency=afterok:$dep} --kill-on-invalid-dep=yes $extra "$@"
}
declare -A JOB
prev=""
if [ -z "$DATA" ]; then
  DATA=$DIR/data.h5
  if [ -n "$CSV" ]; then
    prep=(prepare --source csv --input "$CSV" --out "$DATA")
  else
    prep=(prepare --source "$SOURCE" --input-dir "$INPUT_DIR" --out "$DATA")
  fi
  # shellcheck disable=SC2206
  prep+=($PREPARE_ARGS)
  JOB[prepare]=$(submit prepare "" "$STEP_SBATCH" "$AIF_SLURM_DIR/step.sbatch" "$DIR/status/prepare.json" prepare "${prep[@]}")
  prev=${JOB[prepare]}
fi
# shellcheck disable=SC2086
JOB[train]=$(AIF_STEP_STATUS=$DIR/status/train.json submit train "$prev" "$TRAIN_SBATCH" "$AIF_SLURM_DIR/train.sbatch" \
  "$DIR/train" --config "$CONFIG" --data "$DATA" $TRAIN_ARGS)
JOB[evaluate]=$(submit evaluate "${JOB[train]}" "$STEP_SBATCH" "$AIF_SLURM_DIR/step.sbatch" "$DIR/status/evaluate.json" \
  evaluate evaluate --model "$DIR/train/model.h5" --data "$DATA" --split test --out "$DIR/train/eval")
promote=(promote --store "$STORE" --name "$NAME" --candidate "$DIR/train" --alias "$ALIAS")
[ -z "$POLICY" ] || promote+=(--policy "$POLICY")
JOB[promote]=$(submit promote "${JOB[evaluate]}" "--ntasks=1" "$AIF_SLURM_DIR/step.sbatch" "$DIR/status/promote.json" \
  promote "${promote[@]}")

{
  echo "{"
  echo "  \"created_utc\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"name\": \"$NAME\", \"alias\": \"$ALIAS\", \"store\": \"$STORE\", \"data\": \"$DATA\", \"config\": \"$CONFIG\","
  echo "  \"jobs\": {$(for s in "${STEPS[@]}"; do [ -n "${JOB[$s]:-}" ] && printf '"%s": "%s", ' "$s" "${JOB[$s]}"; done | sed 's/, $//')}"
  echo "}"
} >"$DIR/pipeline.json"
echo "pipeline $DIR"
for s in "${STEPS[@]}"; do [ -n "${JOB[$s]:-}" ] && echo "  $s: job ${JOB[$s]}"; done

[ "$WAIT" = 1 ] || exit 0
while :; do
  done_all=1 failed=""
  for s in "${STEPS[@]}"; do
    [ -n "${JOB[$s]:-}" ] || continue
    st=$(step_state "$DIR" "$s")
    case $st in
      ok | rejected | drift) ;;
      failed | cancelled* | timeout* | node_fail* | out_of_memory*) failed=$s ;;
      pending*dependencynever*) failed=${failed:-$s} ;;
      completed*) [ "$s" = train ] || done_all=0 ;;  # its status file is written just before the job ends
      *) done_all=0 ;;
    esac
  done
  if [ -n "$failed" ]; then
    for s in "${STEPS[@]}"; do [ -f "$DIR/status/$s.json" ] && grep -q '"failed"' "$DIR/status/$s.json" && failed=$s && break; done
    echo "$failed" >"$DIR/FAILED"
    scancel ${JOB[*]} 2>/dev/null || true
    echo "pipeline FAILED at step '$failed' (log: $(ls "$DIR"/logs/"$failed"-*.out 2>/dev/null | tail -1))"
    print_status "$DIR"
    exit 1
  fi
  if [ "$done_all" = 1 ] && [ -f "$DIR/status/promote.json" ]; then
    echo "pipeline completed: promote $(step_state "$DIR" promote)"
    print_status "$DIR"
    exit 0
  fi
  sleep 2
done
