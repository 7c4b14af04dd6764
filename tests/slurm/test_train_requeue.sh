# slurm/train.sbatch on a real Slurm cluster: a job requeued mid-training
# (scontrol requeue), or told by USR1 that its time limit is near, checkpoints, comes back with SLURM_RESTART_COUNT=1,
# resumes and ends with the same parameters as an uninterrupted run; the
# srun --mpi=pmix launch and the mpirun fallback both work.
. "$AIF_SOURCE_DIR/tests/e2e/lib.sh"
. "$AIF_SOURCE_DIR/tests/slurm/cluster.sh"
require_fmnist
slurm_up 8
export AIF AIF_SLURM_DIR="$AIF_SOURCE_DIR/slurm"
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
ARGS=(--data "$D" --model "mlp 784-64-10" --steps 1500 --batch-size 64 --checkpoint-every 100 --log-every 50)
# The reference, without Slurm.
run_expect 0 mpirun_quiet -np 2 "$AIF" train --run-dir "$E2E_TMP/ref" "${ARGS[@]}" || finish

cd "$E2E_TMP"
id=$(sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/train-%j.out" "$AIF_SLURM_DIR/train.sbatch" \
  "$E2E_TMP/run" "${ARGS[@]}")
[ -n "$id" ] || { fail "sbatch did not submit"; finish; }
wait_for_step "$E2E_TMP/run" 300 120 || finish
scontrol requeue "$id" || fail "scontrol requeue $id"
state=$(wait_job "$id" 400)
[ "$state" = COMPLETED ] || fail "the requeued job ended $state: $(tail -n 20 "$E2E_TMP"/train-*.out)"
grep -q "restart 1\] training in .*resuming" "$E2E_TMP"/train-"$id".out || fail "the job did not restart: $(cat "$E2E_TMP"/train-"$id".out)"
grep -q "resuming from .*ckpt-" "$E2E_TMP"/train-"$id".out ||
  fail "no resume in the log: $(tail -n 30 "$E2E_TMP"/train-"$id".out)"
[ "$(params_sha "$E2E_TMP/run")" = "$(params_sha "$E2E_TMP/ref")" ] ||
  fail "requeued run and uninterrupted run differ: $(tail -n 30 "$E2E_TMP"/train-"$id".out)"

# The time-limit path: USR1 to the batch shell (what --signal=B:USR1@lead
# delivers before the limit) makes the job checkpoint and requeue itself.
id=$(sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/usr1-%j.out" "$AIF_SLURM_DIR/train.sbatch" \
  "$E2E_TMP/run_usr1" "${ARGS[@]}")
wait_for_step "$E2E_TMP/run_usr1" 300 120 || finish
scancel --signal=USR1 --batch "$id" || fail "scancel --signal=USR1 --batch $id"
state=$(wait_job "$id" 400)
[ "$state" = COMPLETED ] || fail "the self-requeued job ended $state: $(tail -n 20 "$E2E_TMP"/usr1-*.out)"
grep -q "requeueing job $id to resume" "$E2E_TMP/usr1-$id.out" || fail "no self-requeue: $(cat "$E2E_TMP/usr1-$id.out")"
grep -q "restart 1\] training finished" "$E2E_TMP/usr1-$id.out" || fail "no finished restart: $(tail -n 20 "$E2E_TMP/usr1-$id.out")"
[ "$(params_sha "$E2E_TMP/run_usr1")" = "$(params_sha "$E2E_TMP/ref")" ] || fail "the self-requeued run differs"

# The mpirun fallback inside the allocation, with a usage error reported as a failed job.
id2=$(AIF_LAUNCHER=mpirun sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/m-%j.out" \
  "$AIF_SLURM_DIR/train.sbatch" "$E2E_TMP/run2" --data "$D" --model "mlp 784-16-10" --steps 50)
state=$(wait_job "$id2" 120)
[ "$state" = COMPLETED ] || fail "mpirun fallback ended $state: $(cat "$E2E_TMP"/m-*.out)"
[ -f "$E2E_TMP/run2/model.h5" ] || fail "mpirun fallback wrote no model"
id3=$(sbatch --parsable --ntasks-per-node=2 --output="$E2E_TMP/bad-%j.out" "$AIF_SLURM_DIR/train.sbatch" \
  "$E2E_TMP/run3" --data "$D" --model "nonsense")
state=$(wait_job "$id3" 120)
[ "$state" = FAILED ] || fail "a bad model spec should fail the job, it ended $state"
grep -q "aif train failed with exit code 2" "$E2E_TMP"/bad-*.out || fail "the failure is not reported: $(cat "$E2E_TMP"/bad-*.out)"
finish
