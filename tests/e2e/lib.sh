# Helpers for the end-to-end tests of the `aif` command. Each test script
# sources this file, runs aif as a user would and checks exit codes, messages
# and files. ctest sets AIF (the binary) and the Open MPI environment.
set -u
: "${AIF:?AIF must point to the aif binary (ctest sets it)}"
E2E_TMP=$(mktemp -d /tmp/aif-e2e.XXXXXX)
trap 'rm -rf "$E2E_TMP"' EXIT
E2E_FAILS=0
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

fail() { echo "FAIL: $*" >&2; E2E_FAILS=$((E2E_FAILS + 1)); }
pass() { echo "ok: $*"; }

# run_expect CODE CMD...: runs CMD, keeps its output in $E2E_TMP/out and
# $E2E_TMP/err, and checks the exit code.
run_expect() {
  local want=$1; shift
  "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "'$*' exited $got, expected $want; stderr: $(tail -c 600 "$E2E_TMP/err")"
    return 1
  fi
  return 0
}

# expect_err TEXT: the last command's stderr contains TEXT.
expect_err() {
  grep -qF -- "$1" "$E2E_TMP/err" || fail "stderr lacks '$1': $(tail -c 600 "$E2E_TMP/err")"
}
expect_out() {
  grep -qF -- "$1" "$E2E_TMP/out" || fail "stdout lacks '$1': $(head -c 600 "$E2E_TMP/out")"
}
# expect_one_error_line: exactly one line of stderr comes from aif (under MPI
# too: the message is printed once).
expect_one_error_line() {
  local n
  n=$(grep -c '^aif[ :]' "$E2E_TMP/err")
  [ "$n" -eq 1 ] || fail "expected one 'aif ...' error line, got $n: $(cat "$E2E_TMP/err")"
}
expect_no_file() { [ ! -e "$1" ] || fail "'$1' exists but should not"; }

# json_get FILE EXPR: evaluates a Python expression over the JSON in FILE (d).
json_get() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# write_price_csv FILE ROWS SEED: a regression table far from unit scale:
# rooms, area, age -> price (about 3e5, noise sd 5000).
write_price_csv() {
  "$PY" - "$@" <<'PY'
import random, sys
path, rows, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(seed)
with open(path, "w") as f:
    f.write("rooms,area,age,price\n")
    for _ in range(rows):
        r, a, g = random.randint(1, 6), random.uniform(30, 250), random.uniform(0, 80)
        f.write(f"{r},{a:.1f},{g:.1f},{50000 + 20000 * r + 1500 * a - 800 * g + random.gauss(0, 5000):.0f}\n")
PY
}

# require_fmnist: skips the test (ctest SKIP_RETURN_CODE 77) without the data.
FMNIST_DIR=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}  # elsewhere on a machine without the package
require_fmnist() {
  if [ ! -e "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    echo "SKIP: $FMNIST_DIR is missing (apt-get install dataset-fashion-mnist)"
    exit 77
  fi
}

mpirun_quiet() { mpirun --quiet --bind-to none "$@"; }

# wait_for_step RUN STEP [SECONDS]: until RUN/metrics.jsonl has a record at
# or past STEP (the run is then at least that far).
wait_for_step() {
  local run=$1 step=$2 limit=${3:-60} waited=0
  while [ "$waited" -lt $((limit * 10)) ]; do
    if [ -f "$run/metrics.jsonl" ] && "$PY" - "$run/metrics.jsonl" "$step" <<'PY' 2>/dev/null; then return 0; fi
import json, sys
steps = [json.loads(l).get("step", 0) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if steps and max(steps) >= int(sys.argv[2]) else 1)
PY
    sleep 0.1
    waited=$((waited + 1))
  done
  fail "$run did not reach step $step within ${limit}s"
  return 1
}

# params_sha RUN: the params_sha256 of RUN/model.h5.
params_sha() { "$AIF" inspect "$1/model.h5" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["params_sha256"])'; }

# same_metrics RUN_A RUN_B [REL]: the loss and val/test metrics of every
# record agree (exactly, or within relative REL).
same_metrics() {
  "$PY" - "$1" "$2" "${3:-0}" <<'PY'
import json, sys
def recs(run):
    out = {}
    for line in open(run + "/metrics.jsonl"):
        r = json.loads(line)
        out[(r["step"], r.get("final", False))] = [r.get(k) for k in ("loss", "val_loss", "val_accuracy", "test_accuracy")]
    return out
a, b, rel = recs(sys.argv[1]), recs(sys.argv[2]), float(sys.argv[3])
assert a.keys() == b.keys(), f"records differ: {sorted(set(a) ^ set(b))[:5]}"
for key in sorted(a):
    for x, y in zip(a[key], b[key]):
        if x is None or y is None:
            assert x is None and y is None, (key, x, y)
        elif rel == 0:
            assert x == y, f"step {key}: {x} != {y}"
        else:
            assert abs(x - y) <= rel * max(abs(x), 1e-12), f"step {key}: {x} vs {y}"
PY
}

finish() {
  if [ "$E2E_FAILS" -ne 0 ]; then
    echo "$E2E_FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
