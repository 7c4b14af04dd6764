#!/usr/bin/env bash
# The main job end to end on this machine: sets up if needed, then runs every
# stage that exists so far with mpirun on 2 ranks, on Fashion-MNIST from the
# Debian package dataset-fashion-mnist, with the model store in ./aif-store.
#
#   ./scripts/quickstart.sh
#   AIF_RANKS=4 AIF_WORK=/scratch/aif ./scripts/quickstart.sh
#
# Stages: prepare, train (the tuned MLP), evaluate, promote (gated by
# jobs/configs/promotion_policy.ini) and predict with the production model.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${AIF_BUILD_DIR:-$ROOT/build}
WORK=${AIF_WORK:-$ROOT/runs/quickstart}
RANKS=${AIF_RANKS:-2}
export AIF_STORE=${AIF_STORE:-$ROOT/aif-store}
. "$ROOT/scripts/env.sh"

AIF_BUILD_DIR=$BUILD_DIR "$ROOT/scripts/setup.sh"  # quick when everything is in place
AIF="$BUILD_DIR/aif"
MPIRUN=(mpirun --quiet --bind-to none -np "$RANKS")
mkdir -p "$WORK"
DATA="$WORK/fmnist.h5"

echo "[quickstart] 1/5 prepare: Fashion-MNIST -> $DATA"
if [ -f "$DATA" ] && "$AIF" inspect "$DATA" >/dev/null 2>&1; then
  echo "[quickstart] reusing $DATA (delete it to prepare again)"
else
  "${MPIRUN[@]}" "$AIF" prepare --source fashion-mnist --input-dir /usr/share/datasets/fashion-mnist \
    --out "$DATA" --force
fi
"$AIF" inspect "$DATA" >"$WORK/dataset.json"

RUN="$WORK/train-$(date +%Y%m%d-%H%M%S)"
echo "[quickstart] 2/5 train: jobs/configs/fmnist_mlp.ini on $RANKS ranks -> $RUN"
"${MPIRUN[@]}" "$AIF" train --config "$ROOT/jobs/configs/fmnist_mlp.ini" --data "$DATA" --run-dir "$RUN"
"$AIF" inspect "$RUN/model.h5" >"$RUN/model.json"

echo "[quickstart] 3/5 evaluate: test split on $RANKS ranks -> $RUN/eval"
"${MPIRUN[@]}" "$AIF" evaluate --model "$RUN/model.h5" --data "$DATA" --split test --out "$RUN/eval"

echo "[quickstart] 4/5 promote: $RUN -> model 'fmnist' in $AIF_STORE, alias production"
set +e
"$AIF" promote --name fmnist --candidate "$RUN" --alias production --policy "$ROOT/jobs/configs/promotion_policy.ini"
PROMOTE_CODE=$?
set -e
case $PROMOTE_CODE in
  0) PROMOTED="promoted" ;;
  10) PROMOTED="rejected by the gates (production is unchanged)" ;;
  *) echo "[quickstart] promote failed with exit code $PROMOTE_CODE" >&2; exit "$PROMOTE_CODE" ;;
esac
if ! VERSION=$("$AIF" registry show --name fmnist --alias production --json 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' 2>/dev/null); then
  echo "[quickstart] no fmnist model is in production yet (see the gates above); stopping before predict" >&2
  exit 10
fi

echo "[quickstart] 5/5 predict: test split with fmnist@production (version $VERSION) on $RANKS ranks"
"${MPIRUN[@]}" "$AIF" predict --name fmnist --alias production --data "$DATA" --split test --out "$RUN/predictions.csv"

echo
echo "[quickstart] done. Results:"
echo "  dataset:          $DATA"
echo "  dataset summary:  $WORK/dataset.json   (aif inspect $DATA)"
echo "  training run:     $RUN"
echo "    metrics:        $RUN/metrics.jsonl"
echo "    model:          $RUN/model.h5   (summary: $RUN/model.json)"
echo "    report:         $RUN/eval/report.html   (and report.json)"
echo "  candidate:        $PROMOTED"
echo "  model store:      $AIF_STORE: fmnist production = version $VERSION   (aif registry list)"
echo "  predictions:      $RUN/predictions.csv"
