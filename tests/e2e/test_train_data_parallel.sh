# Data parallelism is invisible in the maths: 1, 2 and 4 ranks with the same
# global batch follow the same trajectory (losses within 1e-4 relative for
# 50 steps), with dropout on; so does gradient accumulation over 2
# micro-batches on 2 ranks.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
ARGS=(--data "$D" --model "mlp 784-128-64-10 relu dropout=0.2" --steps 50 --batch-size 60 --lr 0.05
      --log-every 1 --eval-every 1000 --bucket-mb 0.05 --check-every 10)
for np in 1 2 4; do
  run_expect 0 mpirun_quiet -np $np "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/np$np" || finish
done
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${ARGS[@]}" --micro-batches 2 --run-dir "$E2E_TMP/npmicro" || finish
"$PY" - "$E2E_TMP" <<'PY' || fail "trajectories differ between rank counts"
import json, sys
def losses(np):
    recs = [json.loads(l) for l in open(f"{sys.argv[1]}/np{np}/metrics.jsonl")]
    return [r["loss"] for r in recs if not r.get("final")]
ref = losses(1)
assert len(ref) == 50, len(ref)
worst = 0.0
for np in (2, 4, "micro"):
    other = losses(np)
    assert len(other) == 50
    for step, (a, b) in enumerate(zip(ref, other)):
        rel = abs(a - b) / max(abs(a), 1e-12)
        worst = max(worst, rel)
        assert rel <= 1e-4, f"np={np} step {step + 1}: {a} vs {b} (relative {rel:.2e})"
print(f"max relative loss difference over 50 steps: {worst:.2e}")
PY
finish
