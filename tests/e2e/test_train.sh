# aif train end to end on Fashion-MNIST: outputs, determinism, model files,
# and clear errors for bad configurations.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
SMALL=(--data "$D" --model "mlp 784-64-10 relu dropout=0.2" --steps 30 --batch-size 64 --log-every 10 --eval-every 15)

run_expect 0 "$AIF" train "${SMALL[@]}" --run-dir "$E2E_TMP/a" && expect_out "step 30/30"
for f in config.json metrics.jsonl model.h5; do [ -s "$E2E_TMP/a/$f" ] || fail "run dir lacks $f"; done
n=$(grep -c '"step"' "$E2E_TMP/a/metrics.jsonl")
[ "$n" -ge 4 ] || fail "metrics.jsonl has $n records"
"$PY" - "$E2E_TMP/a/metrics.jsonl" <<'PY' || fail "metrics records lack fields"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
need = {"step", "epoch", "loss", "lr", "grad_norm", "samples_per_s", "data_wait_ms", "comm_ms"}
steps = [r for r in recs if not r.get("final")]
assert all(need <= set(r) for r in steps), steps[0]
assert any("val_accuracy" in r for r in steps)
assert recs[-1]["final"] and 0 < recs[-1]["test_accuracy"] <= 1
assert steps[-1]["loss"] < steps[0]["loss"], "loss did not decrease"
PY
run_expect 0 "$AIF" inspect "$E2E_TMP/a/model.h5"
cp "$E2E_TMP/out" "$E2E_TMP/model.json"
sha=$(json_get "$E2E_TMP/model.json" 'd["params_sha256"]')
[ ${#sha} -eq 64 ] || fail "params_sha256 '$sha'"
[ "$(json_get "$E2E_TMP/model.json" 'd["format"]')" = aif.model ] || fail "model format"
[ "$(json_get "$E2E_TMP/model.json" 'd["dataset_fingerprint"] != ""')" = True ] || fail "model lineage"

# Determinism: the same config and seed give the same parameters, bit for bit.
run_expect 0 "$AIF" train "${SMALL[@]}" --run-dir "$E2E_TMP/b"
run_expect 0 "$AIF" inspect "$E2E_TMP/b/model.h5"
[ "$(json_get "$E2E_TMP/out" 'd["params_sha256"]')" = "$sha" ] || fail "a rerun gave other parameters"
run_expect 0 "$AIF" train "${SMALL[@]}" --run-dir "$E2E_TMP/c" --seed 9
run_expect 0 "$AIF" inspect "$E2E_TMP/c/model.h5"
[ "$(json_get "$E2E_TMP/out" 'd["params_sha256"]')" != "$sha" ] || fail "another seed gave the same parameters"

# Gradient clipping: with a tiny --clip-norm the parameters barely move, so the
# loss stays at its start while the same run without clipping learns.
CLIP=(--data "$D" --model "mlp 784-64-10 relu" --steps 40 --batch-size 64 --log-every 1 --eval-every 1000)
run_expect 0 "$AIF" train "${CLIP[@]}" --run-dir "$E2E_TMP/clip" --clip-norm 1e-6
run_expect 0 "$AIF" train "${CLIP[@]}" --run-dir "$E2E_TMP/noclip"
"$PY" - "$E2E_TMP" <<'PY' || fail "--clip-norm has no effect"
import json, sys
def losses(run):
    return [r["loss"] for r in map(json.loads, open(f"{sys.argv[1]}/{run}/metrics.jsonl")) if not r.get("final")]
clip, free = losses("clip"), losses("noclip")
assert abs(clip[-1] - clip[0]) < 0.05 * clip[0], (clip[0], clip[-1])
assert free[-1] < 0.8 * free[0], (free[0], free[-1])
PY

# Bad configurations: one clear line, the usage exit code.
# A finished run started again is a no-op that keeps its model; --resume never refuses it.
run_expect 0 "$AIF" train "${SMALL[@]}" --run-dir "$E2E_TMP/a" && expect_out "resuming from"
run_expect 0 "$AIF" inspect "$E2E_TMP/a/model.h5"
[ "$(json_get "$E2E_TMP/out" 'd["params_sha256"]')" = "$sha" ] || fail "restarting a finished run changed its model"
run_expect 2 "$AIF" train "${SMALL[@]}" --run-dir "$E2E_TMP/a" --resume never && expect_err "already holds a run"
run_expect 2 "$AIF" train --data "$D" --run-dir "$E2E_TMP/x" --model "conv(8,3) relu pol(2) flatten linear(10)" \
  --steps 5 && expect_err "token 3 'pol(2)'" && expect_one_error_line
run_expect 2 "$AIF" train --data "$D" --run-dir "$E2E_TMP/x" --model "mlp 100-10" --steps 5 && expect_err "784 features"
run_expect 2 "$AIF" train --data "$D" --run-dir "$E2E_TMP/x" --model "mlp 784-10" --steps 5 --epochs 1 \
  && expect_err "exactly one of --steps and --epochs"
run_expect 2 mpirun_quiet -np 3 "$AIF" train --data "$D" --run-dir "$E2E_TMP/x" --model "mlp 784-10" --steps 5 \
  --batch-size 2 && expect_err "smaller than the number of ranks" && expect_one_error_line
# Options that only the data can refute are refused before training, once
# (not once per rank), with what to use instead.
refused_once() {  # needle, run dir, extra options...
  local needle=$1 run=$2
  shift 2
  run_expect 2 mpirun_quiet -np 2 "$AIF" train --data "$D" --run-dir "$run" --model "mlp 784-10" --steps 5 "$@" \
    && expect_err "$needle" && expect_one_error_line
}
refused_once "at most 54000" "$E2E_TMP/x" --batch-size 60000
refused_once "use at most 54000" "$E2E_TMP/x" --batch-size 54002 --micro-batches 2
refused_once "--momentum" "$E2E_TMP/x" --momentum 1.5
refused_once "--shuffle-window" "$E2E_TMP/x" --shuffle-window 0
refused_once "--reader-memory" "$E2E_TMP/x" --reader-memory 8K
refused_once "another model spec" "$E2E_TMP/a"
expect_no_file "$E2E_TMP/x"
run_expect 4 "$AIF" train --data "$E2E_TMP/none.h5" --run-dir "$E2E_TMP/x" --model "mlp 784-10" --steps 5 \
  && expect_err "does not exist"
# A diverging run stops with the step named, on every rank, once.
run_expect 3 mpirun_quiet -np 2 "$AIF" train --data "$D" --run-dir "$E2E_TMP/nan" --model "mlp 784-64-10" \
  --steps 50 --lr 1e30 --momentum 0 && expect_err "at step" && expect_one_error_line
# --device: auto says what it chose; cuda without a usable GPU is a usage
# error that says why (on a machine with a GPU, tests/gpu covers the GPU).
TINY=(--data "$D" --model "mlp 784-16-10" --steps 2 --batch-size 64)
run_expect 0 "$AIF" train "${TINY[@]}" --run-dir "$E2E_TMP/dev" --device auto || finish
if grep -q "device cpu (--device auto)" "$E2E_TMP/out" "$E2E_TMP/err"; then
  run_expect 2 "$AIF" train "${TINY[@]}" --run-dir "$E2E_TMP/dev2" --device cuda &&
    expect_err "--device cuda:" && expect_err "use --device cpu"
  [ -e "$E2E_TMP/dev2/model.h5" ] && fail "--device cuda without a GPU wrote a model"
  run_expect 2 mpirun_quiet -np 2 "$AIF" train "${TINY[@]}" --run-dir "$E2E_TMP/dev3" --device cuda &&
    expect_err "use --device cpu"
  # The scoring jobs take --device too, with the same error.
  M="$E2E_TMP/dev/model.h5"
  run_expect 2 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/ev" --device cuda && expect_err "use --device cpu"
  run_expect 2 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/p.csv" --device cuda && expect_err "use --device cpu"
  run_expect 2 "$AIF" drift --model "$M" --data "$D" --out "$E2E_TMP/dr" --device cuda && expect_err "use --device cpu"
  [ -e "$E2E_TMP/p.csv" ] && fail "predict --device cuda without a GPU wrote predictions"
  run_expect 0 mpirun_quiet -np 2 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/ev" --device auto &&
    expect_out "device cpu (--device auto)"
else
  grep -q "device cuda (--device auto)" "$E2E_TMP/out" "$E2E_TMP/err" || fail "--device auto did not say what it chose"
fi
run_expect 2 "$AIF" train "${TINY[@]}" --run-dir "$E2E_TMP/dev4" --device tpu && expect_err "--device must be auto, cpu or cuda"

# A small table trains with the default options: the default global batch
# (128) shrinks to the train split's 48 rows; a batch that is asked for and
# does not fit is still an error.
{ echo "a,b,label"; for i in $(seq 1 60); do echo "$((i % 7)),$((i % 4)),c$((i % 3))"; done; } >"$E2E_TMP/small.csv"
run_expect 0 "$AIF" prepare --source csv --input "$E2E_TMP/small.csv" --label-column label --out "$E2E_TMP/small.h5"
run_expect 0 mpirun_quiet -np 2 "$AIF" train --data "$E2E_TMP/small.h5" --model "mlp 2-8-3" --epochs 2 \
  --run-dir "$E2E_TMP/small" && expect_out "--batch-size defaults to 48"
[ "$(json_get "$E2E_TMP/small/config.json" 'd["batch-size"]')" = 48 ] || fail "config.json does not record batch 48"
run_expect 2 "$AIF" train --data "$E2E_TMP/small.h5" --model "mlp 2-8-3" --epochs 2 --batch-size 64 \
  --run-dir "$E2E_TMP/small64" && expect_err "exceeds the 48 samples"

finish
