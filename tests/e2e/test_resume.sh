# Exact and elastic resume after real signals: a run stopped by SIGUSR1 or
# SIGTERM and started again ends with the same parameters, bit for bit, and
# the same metrics as the run that was never interrupted (same rank count);
# resumed on another rank count it follows the same trajectory up to
# summation order; likewise in mixed precision, and across a change of
# precision at a checkpoint.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
ARGS=(--data "$D" --model "mlp 784-64-10 relu dropout=0.2" --steps 3000 --batch-size 60 --lr 0.05
      --log-every 50 --eval-every 1000 --checkpoint-every 700 --check-every 100)

# interrupt RUN STEP SIGNAL CMD...: starts CMD (a program, not a shell function,
# so the signal reaches it), signals it once the run has
# logged STEP, and expects the clean-stop exit code 75.
interrupt() {
  local run=$1 step=$2 sig=$3; shift 3
  "$@" --run-dir "$run" >"$E2E_TMP/bg.out" 2>"$E2E_TMP/bg.err" &
  local pid=$!
  wait_for_step "$run" "$step"
  kill -"$sig" "$pid" 2>/dev/null
  # A second signal while the first one's checkpoint is being written.
  [ -n "${TWICE:-}" ] && sleep 0.05 && kill -"$sig" "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [ "$rc" -eq 75 ] || fail "stopped run exited $rc, expected 75: $(tail -3 "$E2E_TMP/bg.err")"
  grep -q "stopped cleanly on SIG$sig" "$E2E_TMP/bg.out" || fail "no clean-stop message: $(tail -2 "$E2E_TMP/bg.out")"
}

# One rank: the reference, then a run stopped twice (SIGUSR1, SIGTERM) at different steps.
run_expect 0 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/ref1" || finish
interrupt "$E2E_TMP/r1" 400 USR1 "$AIF" train "${ARGS[@]}"
TWICE=1 interrupt "$E2E_TMP/r1" 1700 TERM "$AIF" train "${ARGS[@]}"
run_expect 0 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/r1" && expect_out "resuming from"
[ "$(params_sha "$E2E_TMP/r1")" = "$(params_sha "$E2E_TMP/ref1")" ] || fail "1 rank: resumed parameters differ"
same_metrics "$E2E_TMP/ref1" "$E2E_TMP/r1" || fail "1 rank: resumed metrics differ"

# Mixed precision resumes exactly too; and a run may change precision at a
# checkpoint (the checkpoint holds f32 master weights): it then continues
# from the same point, on another trajectory than fp32 throughout.
run_expect 0 "$AIF" train "${ARGS[@]}" --precision bf16 --run-dir "$E2E_TMP/ref16" || finish
interrupt "$E2E_TMP/r16" 1000 TERM "$AIF" train "${ARGS[@]}" --precision bf16
run_expect 0 "$AIF" train "${ARGS[@]}" --precision bf16 --run-dir "$E2E_TMP/r16" && expect_out "resuming from"
[ "$(params_sha "$E2E_TMP/r16")" = "$(params_sha "$E2E_TMP/ref16")" ] || fail "bf16: resumed parameters differ"
same_metrics "$E2E_TMP/ref16" "$E2E_TMP/r16" || fail "bf16: resumed metrics differ"
interrupt "$E2E_TMP/sw" 1000 TERM "$AIF" train "${ARGS[@]}"
run_expect 0 "$AIF" train "${ARGS[@]}" --precision bf16 --run-dir "$E2E_TMP/sw" && expect_out "resuming from"
[ "$(params_sha "$E2E_TMP/sw")" != "$(params_sha "$E2E_TMP/ref1")" ] || fail "fp32 -> bf16 resume trained in fp32"
same_metrics "$E2E_TMP/ref1" "$E2E_TMP/sw" 0.1 || fail "fp32 -> bf16 resume left the trajectory"

# Two ranks, SIGUSR1 through mpirun (which forwards it to every rank).
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/ref2" || finish
interrupt "$E2E_TMP/r2" 1100 USR1 mpirun --quiet --bind-to none -np 2 "$AIF" train "${ARGS[@]}"
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/r2"
[ "$(params_sha "$E2E_TMP/r2")" = "$(params_sha "$E2E_TMP/ref2")" ] || fail "2 ranks: resumed parameters differ"
same_metrics "$E2E_TMP/ref2" "$E2E_TMP/r2" || fail "2 ranks: resumed metrics differ"

# Elastic: 2 -> 3 ranks and 4 -> 2 ranks continue the same trajectory.
interrupt "$E2E_TMP/e23" 900 USR1 mpirun --quiet --bind-to none -np 2 "$AIF" train "${ARGS[@]}"
run_expect 0 mpirun_quiet -np 3 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/e23" && expect_out "saved on 2 rank(s)"
same_metrics "$E2E_TMP/ref2" "$E2E_TMP/e23" 1e-3 || fail "2 -> 3 ranks: another trajectory"
interrupt "$E2E_TMP/e42" 1300 USR1 mpirun --quiet --bind-to none -np 4 "$AIF" train "${ARGS[@]}"
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${ARGS[@]}" --run-dir "$E2E_TMP/e42" && expect_out "saved on 4 rank(s)"
same_metrics "$E2E_TMP/ref2" "$E2E_TMP/e42" 1e-3 || fail "4 -> 2 ranks: another trajectory"
finish
