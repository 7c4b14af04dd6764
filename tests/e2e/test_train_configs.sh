# The tuned Fashion-MNIST MLP config reaches its promised test accuracy
# (>= 88.5%) when trained as the quick start trains it: 2 ranks; and so it
# does in mixed precision (--precision bf16, emulated on the CPU). (The CNN
# config takes minutes on 2 cores; its accuracy is recorded in the README.)
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
for precision in fp32 bf16; do
  run_expect 0 mpirun_quiet -np 2 "$AIF" train --config "$AIF_SOURCE_DIR/jobs/configs/fmnist_mlp.ini" --data "$D" \
    --run-dir "$E2E_TMP/mlp-$precision" --precision "$precision" || finish
  grep -q "rank(s) (cpu, $precision, " "$E2E_TMP/out" "$E2E_TMP/err" || fail "the start-up line does not name $precision"
  [ "$(json_get "$E2E_TMP/mlp-$precision/config.json" 'd["precision"]')" = "$precision" ] ||
    fail "config.json does not record --precision $precision"
  acc=$(tail -1 "$E2E_TMP/mlp-$precision/metrics.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["test_accuracy"])')
  echo "MLP test accuracy ($precision): $acc"
  "$PY" -c "import sys; sys.exit(0 if $acc >= 0.885 else 1)" || fail "MLP test accuracy $acc < 0.885 in $precision"
done
[ "$(params_sha "$E2E_TMP/mlp-fp32")" != "$(params_sha "$E2E_TMP/mlp-bf16")" ] ||
  fail "--precision bf16 trained the same parameters as fp32"
run_expect 2 "$AIF" train --config "$AIF_SOURCE_DIR/jobs/configs/fmnist_mlp.ini" --data "$D" \
  --run-dir "$E2E_TMP/bad" --precision fp16 && expect_err "--precision must be fp32 or bf16" && expect_one_error_line
finish
