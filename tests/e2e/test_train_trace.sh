# aif train --trace: a valid Chrome-trace/Perfetto file merged from 2 ranks
# (every phase present, bounded by --trace-steps, buckets on the comm lanes,
# clocks aligned), tracing leaves the result unchanged, and the benchmark
# modes of --comm (after-backward: no overlap; off: a warning with >1 rank).
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
# 784-64-10: 50,890 parameters, 203,560 gradient bytes: 4 buckets of 64 KiB.
RUN=(--data "$D" --model "mlp 784-64-10 relu" --steps 14 --batch-size 64 --log-every 5 --eval-every 7
  --checkpoint-every 7 --bucket-mb 0.0625)

# check_trace FILE RANKS STEPS MODE: the trace's structure (MODE: overlap,
# after-backward, off or cycle: the three in turn, step by step).
check_trace() {
  "$PY" - "$@" <<'PY'
import json, sys, collections
path, ranks, steps, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
d = json.load(open(path))
ev = d["traceEvents"]
assert d["otherData"]["world_size"] == ranks, d["otherData"]
meta = [e for e in ev if e["ph"] == "M"]
procs = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
assert sorted(procs) == list(range(ranks)), procs
assert all(procs[r].startswith(f"rank {r} (") for r in procs), procs
threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in meta if e["name"] == "thread_name"}
x = [e for e in ev if e["ph"] == "X"]
assert all(isinstance(e["ts"], (int, float)) and e["dur"] >= 0 and e["pid"] in procs for e in x)
names = {e["name"] for e in x}
want = {"step", "data wait", "forward", "backward", "optimizer", "step sums", "validation", "checkpoint",
        "test evaluation"}
if mode != "off":
    want |= {"all-reduce", "all-reduce wait"}
assert want <= names, f"missing {want - names}"
if mode == "off":
    assert "all-reduce" not in names and "all-reduce wait" not in names
for r in range(ranks):
    mine = [e for e in x if e["pid"] == r]
    st = {e["args"]["step"]: e for e in mine if e["name"] == "step"}
    assert sorted(st) == list(range(1, steps + 1)), (r, sorted(st))  # bounded by --trace-steps
    turns = ["overlap", "after-backward", "off"]
    step_mode = {s: turns[(s - 1) % 3] if mode == "cycle" else mode for s in st}
    assert all(st[s]["args"]["comm"] == step_mode[s] for s in st), [e["args"] for e in st.values()]
    for e in mine:
        lane = threads[(r, e["tid"])]
        if e["name"] == "all-reduce":
            assert lane.startswith("comm") and {"bucket", "bytes", "step"} <= set(e["args"]), e
        else:
            assert lane == "main", e
        if e["name"] in ("data wait", "forward", "backward", "all-reduce wait", "optimizer", "step sums"):
            s = st[e["args"]["step"]]  # nested inside its step
            assert s["ts"] <= e["ts"] + 1e-3 and e["ts"] + e["dur"] <= s["ts"] + s["dur"] + 1e-3, (e, s)
    ar = [e for e in mine if e["name"] == "all-reduce"]
    per_step = collections.defaultdict(list)
    for e in ar:
        per_step[e["args"]["step"]].append(e)
    assert sorted(per_step) == [s for s in st if step_mode[s] != "off"], (mode, sorted(per_step))
    for s, bs in per_step.items():
        assert sorted(b["args"]["bucket"] for b in bs) == [0, 1, 2, 3], bs
        assert sum(b["args"]["bytes"] for b in bs) == 50890 * 4, bs
        bw = next(e for e in mine if e["name"] == "backward" and e["args"]["step"] == s)
        first = min(b["ts"] for b in bs)
        if step_mode[s] == "after-backward":
            assert first >= bw["ts"] + bw["dur"] - 1e-3, (first, bw)
    # bucket lanes hold properly nested (here: disjoint) slices
    for tid in {e["tid"] for e in ar}:
        lane = sorted((e for e in ar if e["tid"] == tid), key=lambda e: e["ts"])
        assert all(a["ts"] + a["dur"] <= b["ts"] + 1e-3 for a, b in zip(lane, lane[1:])), tid
# Clocks aligned: no rank leaves a step's loss all-reduce before every rank entered it,
# so the same step's "step sums" events of all ranks overlap (50 ms slack: on a loaded, oversubscribed VM the barrier that aligns the clocks releases ranks milliseconds apart).
if ranks > 1:
    sums = collections.defaultdict(list)
    for e in x:
        if e["name"] == "step sums":
            sums[e["args"]["step"]].append(e)
    for s, es in sums.items():
        assert max(e["ts"] for e in es) <= min(e["ts"] + e["dur"] for e in es) + 50000, (s, es)
PY
}

# Two ranks, overlapped buckets (the default), 10 of the 14 steps traced.
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/a" --trace "$E2E_TMP/t/a.json" \
  --trace-steps 10 && expect_out "trace $E2E_TMP/t/a.json"
check_trace "$E2E_TMP/t/a.json" 2 10 overlap || fail "trace of 2 ranks (overlap)"
[ "$(ls "$E2E_TMP/t")" = a.json ] || fail "the trace directory holds more than the trace: $(ls "$E2E_TMP/t")"

# Buckets after backward: the same parameters as overlapped (the same sums
# in the same order), every bucket starts after backward.
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/b" --trace "$E2E_TMP/b.json" \
  --comm after-backward
check_trace "$E2E_TMP/b.json" 2 14 after-backward || fail "trace of 2 ranks (after-backward)"
[ "$(params_sha "$E2E_TMP/a")" = "$(params_sha "$E2E_TMP/b")" ] || fail "--comm after-backward changed the result"

# --comm off (and cycle) on 2 ranks: allowed for benchmarks, with one warning line.
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/c" --trace "$E2E_TMP/c.json" \
  --comm off && expect_err "--comm off: gradients are not all-reduced"
[ "$(grep -c -- '--comm off' "$E2E_TMP/err")" -eq 1 ] || fail "the --comm off warning is not printed once"
check_trace "$E2E_TMP/c.json" 2 14 off || fail "trace of 2 ranks (comm off)"
run_expect 0 mpirun_quiet -np 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/cy" --trace "$E2E_TMP/cy.json" \
  --comm cycle && expect_err "--comm cycle: gradients are not all-reduced"
check_trace "$E2E_TMP/cy.json" 2 14 cycle || fail "trace of 2 ranks (comm cycle)"

# One rank without MPI: tracing does not change the parameters.
run_expect 0 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/d" --trace "$E2E_TMP/d.json"
check_trace "$E2E_TMP/d.json" 1 14 overlap || fail "trace of 1 rank"
run_expect 0 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/e"
[ "$(params_sha "$E2E_TMP/d")" = "$(params_sha "$E2E_TMP/e")" ] || fail "--trace changed the result"

run_expect 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/x" --comm sometimes && expect_err "--comm must be"
run_expect 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/x" --trace "$E2E_TMP/x.json" --trace-steps -1 \
  && expect_err "--trace-steps"
# A trace path that cannot be written fails before training, not after it.
run_expect 4 mpirun_quiet -np 2 "$AIF" train "${RUN[@]}" --run-dir "$E2E_TMP/y" --trace /proc/aif-none/t.json \
  && expect_err "/proc/aif-none"
expect_no_file "$E2E_TMP/y/model.h5"
finish
