# slurm/scaling.sbatch on a real Slurm cluster: the scaling benchmark runs
# every rank count of the allocation (1 and 2 here) through srun, strong and
# weak, and writes the analysis (rows per rank count with samples/s,
# efficiency, the three --comm variants, the hidden share, the model's check
# against the measured points) as JSON; the mpirun fallback works too, and a
# bad option fails the job with the driver's message.
. "$AIF_SOURCE_DIR/tests/e2e/lib.sh"
. "$AIF_SOURCE_DIR/tests/slurm/cluster.sh"
require_fmnist
slurm_up 8
export AIF AIF_SLURM_DIR="$AIF_SOURCE_DIR/slurm"
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
cd "$E2E_TMP"
SMALL=(--steps 24 --warmup 6 --repeats 1 --model "mlp 784-32-10 relu" --strong-batch 64 --weak-batch 32
  --bucket-mb 0.01)

# check_result JSON LAUNCHER: the rows and the model check of a finished run.
check_result() {
  "$PY" - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
launcher = sys.argv[2]
rows = {(r["mode"], r["ranks"]): r for r in d["rows"]}
assert sorted(rows) == [("strong", 1), ("strong", 2), ("weak", 1), ("weak", 2)], sorted(rows)
for (mode, p), r in rows.items():
    assert r["global_batch"] == (64 if mode == "strong" else 32 * p), r
    assert r["samples_per_s"] > 0 and r["efficiency"] > 0, r
    assert all(r["step_ms"][c] > 0 for c in ("overlap", "after-backward", "off")), r
    assert r["steps_per_mode"] == 6, r  # 24 steps, 6 of warm-up, a third per --comm variant
    if p == 1:
        assert r["efficiency"] == 1.0, r
    else:
        assert "hidden_share" in r and r["allreduce_ms"] > 0, r
assert [c["ranks"] for c in d["model"]["check"]] == [2, 2], d["model"]["check"]
assert len(d["model"]["table"]) > 0
assert len(d["runs"]) == 4 and all(launcher in run["command"] for run in d["runs"]), [r["command"] for r in d["runs"]]
PY
}

# srun inside the allocation, one rank count after the other.
id=$(AIF_WORK="$E2E_TMP/w" sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/sc-%j.out" \
  "$AIF_SLURM_DIR/scaling.sbatch" --data "$D" "${SMALL[@]}")
[ -n "$id" ] || { fail "sbatch did not submit"; finish; }
state=$(wait_job "$id" 300)
[ "$state" = COMPLETED ] || { fail "the scaling job ended $state: $(tail -n 30 "$E2E_TMP/sc-$id.out")"; finish; }
grep -q "scaling over ranks: 1 2 (srun" "$E2E_TMP/sc-$id.out" || fail "rank counts: $(cat "$E2E_TMP/sc-$id.out")"
J="$E2E_TMP/w/scaling-$id/scaling_slurm-$id.json"
[ -f "$J" ] || { fail "no result JSON: $(tail -n 30 "$E2E_TMP/sc-$id.out")"; finish; }
check_result "$J" "srun --mpi=pmix" || fail "scaling result (srun)"

# The mpirun fallback, with the results somewhere else.
id=$(AIF_WORK="$E2E_TMP/w2" AIF_RESULTS="$E2E_TMP/res" AIF_LAUNCHER=mpirun sbatch --parsable \
  --ntasks-per-node=2 --output="$E2E_TMP/m-%j.out" "$AIF_SLURM_DIR/scaling.sbatch" --data "$D" "${SMALL[@]}")
state=$(wait_job "$id" 300)
[ "$state" = COMPLETED ] || fail "the mpirun scaling job ended $state: $(tail -n 30 "$E2E_TMP/m-$id.out")"
check_result "$E2E_TMP/res/scaling_slurm-$id.json" "mpirun" || fail "scaling result (mpirun)"

# A bad driver option fails the job and says why.
id=$(AIF_WORK="$E2E_TMP/w3" sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/bad-%j.out" \
  "$AIF_SLURM_DIR/scaling.sbatch" --data "$D" --no-such-option)
state=$(wait_job "$id" 120)
[ "$state" = FAILED ] || fail "a bad option should fail the scaling job, it ended $state"
grep -q "unknown option '--no-such-option'" "$E2E_TMP/bad-$id.out" || fail "the failure is not explained: $(cat "$E2E_TMP/bad-$id.out")"
finish
