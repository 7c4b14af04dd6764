# aif promote: registers every candidate, and moves the alias only when every
# gate of the policy passes: a pass, a failure on a threshold, on the
# champion margin, on a per-class regression and on lineage; a champion
# evaluated on other data is evaluated again on the candidate's.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
S="$E2E_TMP/store"
run_expect 0 "$AIF" prepare --out "$D" || finish
for r in a b; do
  width=$([ $r = a ] && echo 16 || echo 64)
  run_expect 0 "$AIF" train --data "$D" --run-dir "$E2E_TMP/$r" --model "mlp 784-$width-10" --steps 300 \
    --batch-size 64 --log-every 100 || finish
  run_expect 0 "$AIF" evaluate --model "$E2E_TMP/$r/model.h5" --data "$D" --out "$E2E_TMP/$r/eval" || finish
done
cat >"$E2E_TMP/policy.ini" <<'INI'
# the gates under test
[thresholds]
min.accuracy = 0.5
max.calibration.ece = 0.5
[champion]
metric = accuracy
min_delta = 0.001
[per_class]
metric = recall
max_drop = 0.5
[lineage]
split = test
dataset = same_or_newer
INI
P=(--store "$S" --name fm --policy "$E2E_TMP/policy.ini")
acc() { json_get "$E2E_TMP/$1/eval/report.json" 'd["accuracy"]'; }
# The smaller model must be the weaker one for the champion checks below.
"$PY" -c "import sys; sys.exit(0 if $(acc a) < $(acc b) else 1)" || fail "model a should be less accurate than b"

# First promotion: no champion, thresholds pass.
run_expect 0 "$AIF" promote "${P[@]}" --candidate "$E2E_TMP/a" && expect_out "PROMOTED fm version 1 to 'production'"
expect_out "no champion yet"
# A better model passes every gate.
run_expect 0 "$AIF" promote "${P[@]}" --candidate "$E2E_TMP/b" && expect_out "PROMOTED fm version 2"
expect_out "PASS champion"
# The same model again does not beat the champion by 0.001: rejected, exit 10, still registered.
run_expect 10 "$AIF" promote "${P[@]}" --candidate "$E2E_TMP/b" && expect_out "FAIL champion"
expect_out "REJECTED fm version 3"
[ "$(cat "$S/fm/aliases/production.json" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 2 ] ||
  fail "production should still name version 2"
[ -f "$S/fm/versions/3/manifest.json" ] || fail "a rejected candidate stays registered"
# A threshold it cannot meet.
sed 's/min.accuracy = 0.5/min.accuracy = 0.999/; s/min_delta = 0.001/min_delta = -1/' "$E2E_TMP/policy.ini" >"$E2E_TMP/strict.ini"
run_expect 10 "$AIF" promote --store "$S" --name fm --policy "$E2E_TMP/strict.ini" --candidate "$E2E_TMP/b" &&
  expect_out "FAIL thresholds accuracy >= 0.999"
# A per-class regression: the report of b, with one class's recall lowered by 0.6.
"$PY" - "$E2E_TMP/b/eval/report.json" "$E2E_TMP/b2" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
r["accuracy"] += 0.01
r["per_class"][3]["recall"] -= 0.6
os.makedirs(sys.argv[2], exist_ok=True)
json.dump(r, open(sys.argv[2] + "/report.json", "w"))
PY
run_expect 10 "$AIF" promote "${P[@]}" --model "$E2E_TMP/b/model.h5" --report "$E2E_TMP/b2/report.json" &&
  expect_out "FAIL per_class"
expect_out "in class 'Dress'"
expect_out "PASS champion"
# A report of another model is refused outright (exit 3), nothing registered.
run_expect 3 "$AIF" promote "${P[@]}" --model "$E2E_TMP/a/model.h5" --report "$E2E_TMP/b/eval/report.json" &&
  expect_err "describes another model"
[ ! -e "$S/fm/versions/6" ] || fail "a refused candidate was registered"
# A run that was never evaluated: a usage error that says what to do.
mkdir -p "$E2E_TMP/c" && cp "$E2E_TMP/a/model.h5" "$E2E_TMP/c/"
run_expect 2 "$AIF" promote "${P[@]}" --candidate "$E2E_TMP/c" && expect_err "aif evaluate"
expect_one_error_line

# New data: the champion's report is on the old dataset, so promote evaluates
# the champion again on the candidate's dataset and split (here on 2 ranks).
D2="$E2E_TMP/f2.h5"
sleep 1  # a later creation time than D
run_expect 0 "$AIF" prepare --out "$D2" --seed 7 || finish
run_expect 0 "$AIF" evaluate --model "$E2E_TMP/b/model.h5" --data "$D2" --out "$E2E_TMP/b/eval2" || finish
run_expect 10 mpirun_quiet -np 2 "$AIF" promote "${P[@]}" --model "$E2E_TMP/b/model.h5" --report "$E2E_TMP/b/eval2/report.json" &&
  expect_out "evaluating it on $D2"
expect_out "PASS lineage    evaluated on the champion's dataset or a newer one"
expect_out "improvement +0 "  # the same model as the champion, now on the same data
tail -n 1 "$S/fm/audit.jsonl" | grep -q '"champion_reevaluated":true' || fail "the audit should record the re-evaluation"
# Lineage: a policy that requires the champion's own dataset refuses it.
sed 's/dataset = same_or_newer/dataset = same/; s/min_delta = 0.001/min_delta = -1/' "$E2E_TMP/policy.ini" >"$E2E_TMP/same.ini"
run_expect 10 "$AIF" promote --store "$S" --name fm --policy "$E2E_TMP/same.ini" --model "$E2E_TMP/b/model.h5" \
  --report "$E2E_TMP/b/eval2/report.json" && expect_out "FAIL lineage"
# Without a policy there are no gates.
run_expect 0 "$AIF" promote --store "$S" --name fm --alias staging --candidate "$E2E_TMP/a" && expect_out "no gates"
# A champion that takes other inputs cannot be compared: one clear data error,
# and neither the alias nor the store changes.
for k in 2 3; do
  { for i in $(seq 1 $k); do printf 'x%d,' "$i"; done; echo y
    for r in $(seq 1 60); do for i in $(seq 1 $k); do printf '%d,' $(((r * i) % 7)); done; echo $((r % 2)); done
  } >"$E2E_TMP/w$k.csv"
  run_expect 0 "$AIF" prepare --source csv --input "$E2E_TMP/w$k.csv" --label-column y --out "$E2E_TMP/w$k.h5" || finish
  run_expect 0 "$AIF" train --data "$E2E_TMP/w$k.h5" --run-dir "$E2E_TMP/w$k" --model "mlp $k-4-2" --steps 5 \
    --batch-size 8 || finish
  run_expect 0 "$AIF" evaluate --model "$E2E_TMP/w$k/model.h5" --data "$E2E_TMP/w$k.h5" --out "$E2E_TMP/w$k/eval" || finish
done
run_expect 0 "$AIF" promote --store "$S" --name wide --candidate "$E2E_TMP/w2"
run_expect 3 "$AIF" promote --store "$S" --name wide --candidate "$E2E_TMP/w3" --policy "$E2E_TMP/policy.ini" \
  && expect_err "cannot be compared" && expect_err "[2]" && expect_one_error_line
[ "$(ls "$S/wide/versions")" = 1 ] || fail "a candidate that could not be compared was registered"
[ "$(json_get "$S/wide/aliases/production.json" 'd["version"]')" = 1 ] || fail "the alias moved"

# The audit log has every registration and every decision, with the gates' numbers.
"$PY" - "$S/fm/audit.jsonl" <<'PY' || fail "audit log incomplete"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
events = [r["event"] for r in recs]
assert events.count("register") == 8, events
assert events.count("promote") == 3 and events.count("reject") == 5, events
for r in recs:
    assert r["user"] and r["host"] and r["time"] and r["model"] == "fm", r
    if r["event"] in ("promote", "reject"):
        assert r["decision"] in ("promoted", "rejected") and all("detail" in g for g in r["gates"]), r
PY
finish
