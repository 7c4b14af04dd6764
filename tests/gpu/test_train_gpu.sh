# aif on a GPU, end to end (ctest label gpu): a short run's losses follow the
# CPU's; the Fashion-MNIST configs reach the CPU configs' accuracy targets
# with --device cuda (the MLP in fp32 and bf16, the CNN in fp32); evaluate
# and predict score on the GPU with the CPU's results; regression (the
# output transform) follows the CPU; a stopped GPU run
# resumes; two ranks on one GPU are refused; with two GPUs or more, two
# ranks over NCCL follow one GPU and their run resumes on one. Skips (77) without a usable
# GPU, naming the reason, so it never counts as passed there.
. "$AIF_SOURCE_DIR/tests/e2e/lib.sh"
require_fmnist
gpus=$("$AIF" --version | grep '^GPUs:')
case "$gpus" in
  "GPUs: none"*) echo "SKIP: $gpus"; exit 77 ;;
esac
echo "$gpus"
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --input-dir "$FMNIST_DIR" --out "$D" || finish

# The same run on both devices: the same data order, initial weights and
# dropout masks; the GEMMs sum in other orders, so losses agree closely but
# not bit for bit.
SHORT=(--data "$D" --model "mlp 784-256-10 relu dropout=0.1" --steps 60 --batch-size 128 --log-every 10
       --eval-every 30 --seed 3)
run_expect 0 "$AIF" train "${SHORT[@]}" --run-dir "$E2E_TMP/cpu" --device cpu || finish
run_expect 0 "$AIF" train "${SHORT[@]}" --run-dir "$E2E_TMP/gpu" --device cuda || finish
grep -q "rank(s) (cuda, fp32, nccl" "$E2E_TMP/out" "$E2E_TMP/err" || fail "the start-up line does not say cuda and nccl"
same_metrics "$E2E_TMP/cpu" "$E2E_TMP/gpu" 2e-3 || fail "GPU losses do not follow the CPU's"

# Accuracy targets of the tuned configs (jobs/configs/*.ini), on one GPU.
train_to_target() {  # NAME CONFIG TARGET EXTRA...
  local name=$1 config=$2 target=$3
  shift 3
  run_expect 0 "$AIF" train --config "$AIF_SOURCE_DIR/jobs/configs/$config" --data "$D" \
    --run-dir "$E2E_TMP/$name" --device cuda "$@" || return 1
  local acc
  acc=$(tail -1 "$E2E_TMP/$name/metrics.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])')
  echo "$name test accuracy: $acc ($(tail -1 "$E2E_TMP/$name/metrics.jsonl" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r.get("elapsed_s", "?"), "s")'))"
  "$PY" -c "import sys; sys.exit(0 if $acc >= $target else 1)" || fail "$name test accuracy $acc < $target"
}
train_to_target mlp-fp32 fmnist_mlp.ini 0.885
train_to_target mlp-bf16 fmnist_mlp.ini 0.885 --precision bf16
train_to_target cnn-fp32 fmnist_cnn.ini 0.91

# Scoring on the GPU gives the CPU's report and predictions.
M="$E2E_TMP/mlp-fp32/model.h5"
run_expect 0 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/ev-cpu" --device cpu
run_expect 0 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/ev-gpu" --device cuda
"$PY" - "$E2E_TMP" <<'PY' || fail "evaluate on the GPU differs from the CPU"
import json, sys
a, b = (json.load(open(f"{sys.argv[1]}/{d}/report.json")) for d in ("ev-cpu", "ev-gpu"))
assert abs(a["accuracy"] - b["accuracy"]) <= 2e-4, (a["accuracy"], b["accuracy"])
PY
run_expect 0 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/p-cpu.csv" --device cpu
run_expect 0 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/p-gpu.csv" --device cuda
# The GEMMs sum in other orders: the same classes (but near-ties) and
# probabilities within 1e-4 (the CSV's %.6g text differs in the last digits).
"$PY" - "$E2E_TMP/p-cpu.csv" "$E2E_TMP/p-gpu.csv" <<'PY' || fail "predict on the GPU differs from the CPU"
import csv, sys
a, b = (list(csv.reader(open(p))) for p in sys.argv[1:])
assert len(a) == len(b) and a[0] == b[0], (len(a), len(b))
flips = sum(x[1] != y[1] for x, y in zip(a[1:], b[1:]))
assert flips <= len(a) // 1000, f"{flips} of {len(a)} predicted classes differ"
worst = max(abs(float(u) - float(v)) for x, y in zip(a[1:], b[1:]) for u, v in zip(x[3:], y[3:]))
assert worst <= 1e-4, f"probabilities differ by up to {worst}"
PY

# Regression on the GPU: the output transform (standardised targets, prices
# around 3e5) gives the CPU's losses and the CPU's report.
write_price_csv "$E2E_TMP/price.csv" 3000 5
run_expect 0 "$AIF" prepare --source csv --input "$E2E_TMP/price.csv" --label-column price --task regression \
  --out "$E2E_TMP/price.h5" || finish
PRICE=(--data "$E2E_TMP/price.h5" --model "mlp 3-64-64-1" --epochs 10 --log-every 20 --seed 4)
run_expect 0 "$AIF" train "${PRICE[@]}" --run-dir "$E2E_TMP/price-cpu" --device cpu || finish
run_expect 0 "$AIF" train "${PRICE[@]}" --run-dir "$E2E_TMP/price-gpu" --device cuda || finish
same_metrics "$E2E_TMP/price-cpu" "$E2E_TMP/price-gpu" 2e-3 || fail "GPU regression losses do not follow the CPU's"
for dev in cpu gpu; do
  run_expect 0 "$AIF" evaluate --model "$E2E_TMP/price-$dev/model.h5" --data "$E2E_TMP/price.h5" \
    --out "$E2E_TMP/price-ev-$dev" --device "${dev/gpu/cuda}"
done
"$PY" - "$E2E_TMP" <<'PY' || fail "the GPU-trained price model scores differently from the CPU's"
import json, sys
a, b = (json.load(open(f"{sys.argv[1]}/price-ev-{d}/report.json")) for d in ("cpu", "gpu"))
assert a["r2"] > 0.95 and abs(a["rmse"] - b["rmse"]) <= 1e-2 * a["rmse"], (a["r2"], a["rmse"], b["rmse"])
PY

# A GPU run stopped by a signal checkpoints (exit 75) and, started again,
# resumes from that checkpoint and finishes.
LONG=(--data "$D" --model "mlp 784-256-10 relu" --steps 20000 --batch-size 64 --log-every 50 --device cuda)
"$AIF" train "${LONG[@]}" --run-dir "$E2E_TMP/stop" >"$E2E_TMP/out" 2>"$E2E_TMP/err" &
pid=$!
wait_for_step "$E2E_TMP/stop" 100 120
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 75 ] || fail "SIGTERM on a GPU run exited $rc, expected 75: $(tail -3 "$E2E_TMP/err")"
run_expect 0 "$AIF" train "${LONG[@]}" --run-dir "$E2E_TMP/stop" && expect_out "resuming from"
[ -s "$E2E_TMP/stop/model.h5" ] || fail "the resumed GPU run wrote no model"

# Two ranks on one GPU are an error naming the shared GPU (with one GPU only).
ngpus=$(nvidia-smi -L 2>/dev/null | wc -l)
if [ "$ngpus" = 1 ]; then
  run_expect 2 mpirun_quiet -np 2 "$AIF" train "${SHORT[@]}" --run-dir "$E2E_TMP/two" --device cuda &&
    expect_err "share the GPU"
fi

# With two or more GPUs: data parallel over NCCL follows the one-GPU run
# (the same global batches; sums in other orders), every rank holds the same
# parameters (the consistency check runs every 10 steps), and a run stopped
# on two GPUs resumes on one.
if [ "$ngpus" -ge 2 ]; then
  run_expect 0 mpirun_quiet -np 2 "$AIF" train "${SHORT[@]}" --run-dir "$E2E_TMP/nccl2" --device cuda \
    --check-every 10 --bucket-mb 0.25 || finish
  grep -q "on 2 rank(s) (cuda, fp32, nccl" "$E2E_TMP/out" || fail "the two-GPU run does not say cuda and nccl"
  same_metrics "$E2E_TMP/gpu" "$E2E_TMP/nccl2" 2e-3 || fail "two GPUs do not follow one"
  TWO=(--data "$D" --model "mlp 784-256-10 relu" --batch-size 64 --log-every 50 --device cuda --checkpoint-every 200)
  run_expect 0 mpirun_quiet -np 2 "$AIF" train "${TWO[@]}" --steps 400 --run-dir "$E2E_TMP/grow" || finish
  run_expect 0 "$AIF" train "${TWO[@]}" --steps 600 --run-dir "$E2E_TMP/grow" && expect_out "resuming from"
  expect_out "saved on 2 rank(s)"
else
  echo "SKIP (part): data parallel over NCCL needs two GPUs; this machine has $ngpus"
fi
finish
