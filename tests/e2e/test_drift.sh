# aif drift: unchanged data shows no drift (exit 0), shifted and noisy data
# show drift (exit 20); 1 and 2 ranks give the same numbers; the train split
# reproduces the model's reference histograms exactly; CSV input with and
# without labels, label shift; drift.html is self-contained; bad input fails
# with the usual codes.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
run_expect 0 "$AIF" train --data "$D" --run-dir "$E2E_TMP/run" --model "mlp 784-32-10 relu" --steps 300 \
  --batch-size 64 --log-every 100 || finish
M="$E2E_TMP/run/model.h5"

# The test split against the train split's reference: no drift, on 1 and 2 ranks alike.
run_expect 0 "$AIF" drift --model "$M" --data "$D" --out "$E2E_TMP/d1" && expect_out "no drift"
run_expect 0 mpirun_quiet -np 2 "$AIF" drift --model "$M" --data "$D" --out "$E2E_TMP/d2"
"$PY" - "$E2E_TMP" <<'PY' || fail "1 and 2 ranks disagree, or the unchanged test split looks drifted"
import json, sys
t = sys.argv[1]
a, b = (json.load(open(f"{t}/{d}/drift.json")) for d in ("d1", "d2"))
assert a["format"] == "aif.drift" and a["format_version"] == 1
assert a["verdict"] == "no_drift" and a["drift"] is False and a["rows"] == 10000 and a["reference_rows"] == 54000
s = a["summary"]
assert s["features"] == 784 and s["drifted"] == 0 and not s["dataset_drift"], s
assert a["predictions"]["kind"] == "classes" and not a["predictions"]["drifted"] and a["predictions"]["count"] == 10000
assert a["labels"]["psi"] < 0.01 and not a["labels"]["drifted"], a["labels"]
for key in ("thresholds", "histograms", "model", "data", "lineage", "timing", "created_utc", "warnings"):
    assert key in a, key
assert a["thresholds"]["psi_drift"] == 0.2 and a["data"]["split"] == "test" and len(a["model"]["params_sha256"]) == 64
# Everything computed from all-reduced counts is identical; moments of uint8 pixels are exact too.
for key in ("summary", "features", "histograms", "predictions", "labels", "verdict", "rows"):
    assert a[key] == b[key], f"{key} differs between 1 and 2 ranks"
assert b["lineage"]["world_size"] == 2, b["lineage"].get("world_size")
PY
grep -q "<svg" "$E2E_TMP/d1/drift.html" || fail "drift.html has no charts"
if grep -qi "<script\|https\?://" "$E2E_TMP/d1/drift.html"; then fail "drift.html is not self-contained"; fi
"$PY" "$AIF_SOURCE_DIR/tests/e2e/report_html_chromium.py" "$E2E_TMP/d1/drift.html" "$E2E_TMP/shot.png"
case $? in
  0) pass "drift.html renders in headless Chromium" ;;
  77) echo "note: chromium is not installed; browser check skipped" ;;
  *) fail "drift.html does not render cleanly in headless Chromium" ;;
esac

# The train split is the reference itself: every histogram matches exactly.
run_expect 0 "$AIF" drift --model "$M" --data "$D" --split train --out "$E2E_TMP/dtrain"
[ "$(json_get "$E2E_TMP/dtrain/drift.json" 'max(max(f["psi"], f["ks"]) for f in d["features"])')" = "0.0" ] \
  || fail "the train split does not reproduce the reference histograms"

# CSVs of the first 2000 test images: unchanged, brighter, noisy, one class only (with labels).
"$PY" - "$E2E_TMP" <<'PY'
import random, subprocess, sys
t = sys.argv[1]
def dump(path, count):
    out = subprocess.run(["h5dump", "-d", path, "-s", "0" + (",0" if count[1] else ""), "-c",
                          f"{count[0]}" + (f",{count[1]}" if count[1] else ""), "-y", "-w", "0", f"{t}/f.h5"],
                         capture_output=True, text=True, check=True).stdout
    return [int(v) for v in out.split("DATA {")[1].split("}")[0].replace(",", " ").split()]
n = 2000
pixels = dump("/splits/test/features", (n, 784))
labels = dump("/splits/test/labels", (n, 0))
names = subprocess.run(["h5dump", "-d", "/schema/class_names", "-y", "-w", "0", f"{t}/f.h5"],
                       capture_output=True, text=True, check=True).stdout
names = [s for s in names.split("DATA {")[1].split("}")[0].split('"')[1::2]]
assert len(names) == 10, names
header = ["id"] + [f"pixel_{i // 28}_{i % 28}" for i in range(784)]
rng = random.Random(7)
def write(name, transform, label_column=None, rows=range(n)):
    with open(f"{t}/{name}.csv", "w") as f:
        f.write(",".join(header + ([label_column] if label_column else [])) + "\n")
        for r in rows:
            row = [transform(v) for v in pixels[r * 784:(r + 1) * 784]]
            cells = [f"img{r}"] + [str(v) for v in row] + ([f'"{names[labels[r]]}"'] if label_column else [])
            f.write(",".join(cells) + "\n")
write("same", lambda v: v, label_column="class")  # the dataset's label name
write("bright", lambda v: min(255, v + 60))
write("noisy", lambda v: min(255, max(0, round(v + rng.gauss(0, 40)))))
write("one_class", lambda v: v, label_column="kind", rows=[r for r in range(n) if labels[r] == 1])
PY
run_expect 0 "$AIF" drift --model "$M" --data "$E2E_TMP/same.csv" --out "$E2E_TMP/csame"
[ "$(json_get "$E2E_TMP/csame/drift.json" 'd["data"]["format"] == "csv" and d["rows"] == 2000 and not d["labels"]["drifted"]')" = True ] \
  || fail "unchanged CSV: $(head -c 400 "$E2E_TMP/csame/drift.json")"
for kind in bright noisy; do
  run_expect 20 "$AIF" drift --model "$M" --data "$E2E_TMP/$kind.csv" --out "$E2E_TMP/c$kind" && expect_out "DRIFT"
  [ "$(json_get "$E2E_TMP/c$kind/drift.json" 'd["verdict"] == "drift" and d["summary"]["dataset_drift"] and d["summary"]["share"] >= 0.3 and d["labels"] is None')" = True ] \
    || fail "$kind CSV: $(head -c 600 "$E2E_TMP/c$kind/drift.json")"
done
# The production model of a store, as the nightly job uses it; a tampered one is refused.
S="$E2E_TMP/store"
run_expect 0 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/run/eval" || finish
run_expect 0 "$AIF" promote --store "$S" --name fm --candidate "$E2E_TMP/run" || finish
run_expect 20 "$AIF" drift --store "$S" --name fm --alias production --data "$E2E_TMP/bright.csv" --out "$E2E_TMP/cstore"
[ "$(json_get "$E2E_TMP/cstore/drift.json" 'd["model"]["store"]["version"]')" = 1 ] || fail "drift.json names the store version"
cmp -s <(json_get "$E2E_TMP/cstore/drift.json" 'd["features"]') <(json_get "$E2E_TMP/cbright/drift.json" 'd["features"]') ||
  fail "the stored model and its file give different drift numbers"
chmod u+w "$S/fm/versions/1/model.h5" && printf 'X' | dd of="$S/fm/versions/1/model.h5" bs=1 seek=3000 conv=notrunc 2>/dev/null
run_expect 3 "$AIF" drift --store "$S" --name fm --alias production --data "$D" --out "$E2E_TMP/ctampered" &&
  expect_err "does not verify"
# Every rank reaches the verdict, so the job exits 20 under mpirun too, with the same numbers.
run_expect 20 mpirun_quiet -np 2 "$AIF" drift --model "$M" --data "$E2E_TMP/noisy.csv" --out "$E2E_TMP/cnoisy2"
"$PY" - "$E2E_TMP" <<'PY' || fail "a CSV on 1 and 2 ranks gives different numbers"
import json, sys
t = sys.argv[1]
a, b = (json.load(open(f"{t}/{d}/drift.json")) for d in ("cnoisy", "cnoisy2"))
for key in ("summary", "histograms", "predictions", "verdict"):
    assert a[key] == b[key], key
for x, y in zip(a["features"], b["features"]):
    for k in ("psi", "ks", "level", "below_range", "above_range", "min", "max"):
        assert x[k] == y[k], (x["name"], k, x[k], y[k])
    assert abs(x["mean"] - y["mean"]) <= 1e-9 * max(1, abs(x["mean"])), (x["name"], x["mean"], y["mean"])
PY
# One class only: the features hardly move, the labels and predictions do.
run_expect 20 "$AIF" drift --model "$M" --data "$E2E_TMP/one_class.csv" --label-column kind --out "$E2E_TMP/cone" \
  && expect_err "rows: PSI between two samples"
[ "$(json_get "$E2E_TMP/cone/drift.json" 'd["labels"]["drifted"] and d["labels"]["total_variation"] > 0.8 and d["predictions"]["drifted"]')" = True ] \
  || fail "label shift not found: $(head -c 600 "$E2E_TMP/cone/drift.json")"
# Thresholds are options: strict enough, sampling noise alone is drift.
run_expect 20 "$AIF" drift --model "$M" --data "$E2E_TMP/same.csv" --out "$E2E_TMP/strict" --psi-drift 0.001 \
  --psi-moderate 0.0005 --drift-share 0.01
[ "$(json_get "$E2E_TMP/strict/drift.json" 'd["thresholds"]["psi_drift"] == 0.001 and d["thresholds"]["drift_share"] == 0.01')" = True ] \
  || fail "thresholds are not recorded"

# Errors: usage (2), data that does not fit (3), a missing file (4); nothing is written.
run_expect 2 "$AIF" drift --model "$M" --data "$D" && expect_err "--out" && expect_one_error_line
run_expect 2 "$AIF" drift --model "$M" --data "$D" --out "$E2E_TMP/e" --psi-moderate 0.5 && expect_err "--psi-moderate"
run_expect 2 "$AIF" drift --model "$M" --data "$D" --out "$E2E_TMP/e" --split holdout && expect_err "has no split 'holdout'"
{ echo "a,b,y"; for i in $(seq 1 60); do echo "$i,$((i % 7)),$((i % 3))"; done; } >"$E2E_TMP/t.csv"
run_expect 0 "$AIF" prepare --source csv --input "$E2E_TMP/t.csv" --label-column y --out "$E2E_TMP/t.h5"
run_expect 3 mpirun_quiet -np 2 "$AIF" drift --model "$M" --data "$E2E_TMP/t.h5" --out "$E2E_TMP/e" \
  && expect_err "does not match the model's features" && expect_one_error_line
run_expect 3 "$AIF" drift --model "$M" --data "$E2E_TMP/t.csv" --out "$E2E_TMP/e" && expect_err "no column"
run_expect 4 "$AIF" drift --model "$E2E_TMP/nope.h5" --data "$D" --out "$E2E_TMP/e"
expect_no_file "$E2E_TMP/e"
finish
