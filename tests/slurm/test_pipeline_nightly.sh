# The pipeline and the nightly job through sbatch on a real Slurm cluster:
# the chain completes and promotes; a failing step stops the chain and says
# so; the nightly job resubmits itself for later, finds no drift in
# unchanged data (and does not retrain), and on shifted data retrains and
# promotes through the gates; CSV data with a categorical column keeps the
# production model's schema from night to night.
. "$AIF_SOURCE_DIR/tests/e2e/lib.sh"
. "$AIF_SOURCE_DIR/tests/slurm/cluster.sh"
require_fmnist
slurm_up 8
SL="$AIF_SOURCE_DIR/slurm"
export AIF AIF_SLURM_DIR="$SL"
S="$E2E_TMP/store" W="$E2E_TMP/work" D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
printf '[train]\nmodel = mlp 784-32-10\nsteps = 400\nbatch-size = 64\nlr = 0.05\nnormalization = standardize\nlog-every = 100\n' >"$E2E_TMP/tiny.ini"
printf '[thresholds]\nmin.accuracy = 0.5\n[champion]\nmetric = accuracy\nmin_delta = 0\n[lineage]\nsplit = test\ndataset = same_or_newer\n' \
  >"$E2E_TMP/policy.ini"
cd "$E2E_TMP"
P=(--name fm --store "$S" --work "$W" --policy "$E2E_TMP/policy.ini" --train-sbatch "--ntasks-per-node=2"
   --step-sbatch "--ntasks=2")

# The chain completes and promotes.
run_expect 0 "$SL/pipeline.sh" "${P[@]}" --config "$E2E_TMP/tiny.ini" --data "$D" --wait &&
  expect_out "pipeline completed: promote ok"
PIPE=$(sed -n 's/^pipeline //p' "$E2E_TMP/out" | head -1)
for step in train evaluate promote; do
  [ "$(json_get "$PIPE/status/$step.json" 'd["state"]')" = ok ] || fail "$step did not end ok: $(cat "$PIPE"/logs/*)"
done
[ -f "$PIPE/train/eval/report.html" ] || fail "the pipeline wrote no report"
[ "$(json_get "$S/fm/aliases/production.json" 'd["version"]')" = 1 ] || fail "the pipeline did not promote"
[ "$(json_get "$PIPE/pipeline.json" 'sorted(d["jobs"])')" = "['evaluate', 'promote', 'train']" ] || fail "pipeline.json"

# A failing step (a model spec that does not parse) stops the chain.
printf '[train]\nmodel = nonsense\n' >"$E2E_TMP/bad.ini"
run_expect 1 "$SL/pipeline.sh" "${P[@]}" --config "$E2E_TMP/bad.ini" --data "$D" --wait &&
  expect_out "pipeline FAILED at step 'train'"
BAD=$(sed -n 's/^pipeline //p' "$E2E_TMP/out" | head -1)
[ "$(cat "$BAD/FAILED")" = train ] || fail "FAILED should name train"
[ "$(json_get "$BAD/status/train.json" 'd["exit_code"]')" = 2 ] || fail "the train status records exit 2"
[ ! -e "$BAD/status/evaluate.json" ] && [ ! -e "$BAD/status/promote.json" ] || fail "steps after the failure ran"
[ ! -e "$S/fm/versions/2" ] || fail "a failed chain registered a version"
run_expect 0 "$SL/pipeline.sh" --status "$BAD" && expect_out "train     failed"

# Nightly on unchanged data: no drift, no retraining; the next run is queued for later.
export AIF_NAME=fm AIF_STORE="$S" AIF_WORK="$W" AIF_TRAIN_CONFIG="$E2E_TMP/tiny.ini" AIF_POLICY="$E2E_TMP/policy.ini"
export AIF_RETRAIN_EVERY_DAYS=0 AIF_NIGHTLY_BEGIN="now + 1 day" AIF_TRAIN_SBATCH="--ntasks-per-node=2"
id=$(AIF_NEW_DATA="$D" sbatch --parsable --output="$E2E_TMP/n1-%j.out" "$SL/nightly.sbatch")
state=$(wait_job "$id" 120)
[ "$state" = COMPLETED ] || fail "nightly ended $state: $(cat "$E2E_TMP"/n1-*.out)"
N1=$(ls -d "$W"/nightly/2*/ | head -1)
[ "$(json_get "$N1/decision.json" 'd["drift"], d["retrain"]')" = "no_drift False" ] ||
  fail "unchanged data: $(cat "$N1/decision.json")"
next=$(cat "$W/nightly/next_job")
scontrol show job "$next" | grep -q "Reason=BeginTime" || fail "the next nightly run is not waiting for its begin time"
scancel "$next"

# Shifted data (every pixel brighter, the same schema): drift, so the nightly
# job retrains on it and the candidate replaces production through the gates.
mkdir -p "$E2E_TMP/bright"
"$PY" - "$FMNIST_DIR" "$E2E_TMP/bright" <<'PY'
import gzip, os, sys
src, dst = sys.argv[1], sys.argv[2]
table = bytes(min(255, v + 90) for v in range(256))
for name in os.listdir(src):
    data = gzip.open(os.path.join(src, name)).read()
    if "images" in name:
        data = data[:16] + data[16:].translate(table)
    with gzip.open(os.path.join(dst, name), "wb", compresslevel=1) as f:
        f.write(data)
PY
sleep 1
run_expect 0 "$AIF" prepare --input-dir "$E2E_TMP/bright" --out "$E2E_TMP/inbox/bright.h5" || finish
id=$(AIF_INBOX="$E2E_TMP/inbox" AIF_NIGHTLY_RESUBMIT=0 sbatch --parsable --output="$E2E_TMP/n2-%j.out" "$SL/nightly.sbatch")
state=$(wait_job "$id" 120)
[ "$state" = COMPLETED ] || fail "nightly ended $state: $(cat "$E2E_TMP"/n2-*.out)"
N2=$(ls -td "$W"/nightly/2*/ | head -1)
[ "$(json_get "$N2/decision.json" 'd["drift"], d["retrain"]')" = "drift True" ] ||
  fail "shifted data: $(cat "$N2/decision.json")"
PIPE2=$(json_get "$N2/decision.json" 'd["pipeline"]')
for _ in $(seq 240); do [ -f "$PIPE2/status/promote.json" ] && break; sleep 0.5; done
[ "$(json_get "$PIPE2/status/promote.json" 'd["state"]')" = ok ] || fail "retrained model not promoted: $(tail -n 15 "$PIPE2"/logs/*.out)"
grep -q "evaluating it on" "$PIPE2"/logs/promote-*.out || fail "the champion was not evaluated on the new data"
[ "$(json_get "$S/fm/aliases/production.json" 'd["version"]')" = 2 ] || fail "production should be version 2"
# CSV data with a categorical column: the first night trains on the CSV's own
# schema; a later CSV (columns reordered, a category missing, one never seen,
# larger sizes) is prepared with the production model's schema, so drift and
# the champion's evaluation read it instead of failing on other features.
mkdir -p "$E2E_TMP/inbox_csv"
make_csv() {  # make_csv FILE COLORS SIZE_SHIFT
  "$PY" - "$@" <<'PY'
import random, sys
path, colors, shift = sys.argv[1], sys.argv[2].split(","), float(sys.argv[3])
rng = random.Random(len(path))
with open(path, "w") as f:
    f.write("size,id,y,color\n" if shift else "id,color,size,y\n")
    for i in range(400):
        c, size = rng.choice(colors), rng.uniform(0, 10) + shift
        y = int(c == "red" or size > 8)
        f.write(f"{size:.3f},{i},{y},{c}\n" if shift else f"{i},{c},{size:.3f},{y}\n")
PY
}
make_csv "$E2E_TMP/inbox_csv/night1.csv" red,green,blue 0
printf '[train]\nmodel = mlp 4-16-2\nsteps = 300\nbatch-size = 32\nlr = 0.05\nnormalization = standardize\n' >"$E2E_TMP/csv.ini"
export AIF_NAME=csvm AIF_INBOX="$E2E_TMP/inbox_csv" AIF_NIGHTLY_RESUBMIT=0 AIF_TRAIN_CONFIG="$E2E_TMP/csv.ini"
export AIF_PREPARE_ARGS="--label-column y --ignore-columns id"
wait_promoted() {  # wait_promoted NIGHT_DIR: the exit code of the pipeline's promote step
  local pipe
  pipe=$(json_get "$1/decision.json" 'd["pipeline"]')
  for _ in $(seq 240); do [ -f "$pipe/status/promote.json" ] && break; sleep 0.5; done
  json_get "$pipe/status/promote.json" 'd["exit_code"]' 2>/dev/null || echo "none: $(tail -n 15 "$pipe"/logs/*.out)"
}
id=$(sbatch --parsable --output="$E2E_TMP/c1-%j.out" "$SL/nightly.sbatch")
state=$(wait_job "$id" 120)
[ "$state" = COMPLETED ] || fail "csv nightly ended $state: $(cat "$E2E_TMP"/c1-*.out)"
C1=$(ls -td "$W"/nightly/2*/ | head -1)
[ "$(wait_promoted "$C1")" = 0 ] || fail "the first CSV model was not promoted"
grep -q "column 'color' is categorical: 3 values" "$E2E_TMP"/c1-*.out || fail "color was not one-hot encoded"
sleep 1
make_csv "$E2E_TMP/inbox_csv/night2.csv" red,green,purple 4
id=$(sbatch --parsable --output="$E2E_TMP/c2-%j.out" "$SL/nightly.sbatch")
state=$(wait_job "$id" 120)
[ "$state" = COMPLETED ] || fail "second csv nightly ended $state: $(cat "$E2E_TMP"/c2-*.out)"
C2=$(ls -td "$W"/nightly/2*/ | head -1)
grep -q "column 'color': .* rows hold a value the model was not trained on (first: 'purple'" "$E2E_TMP"/c2-*.out ||
  fail "the unseen category was not reported: $(cat "$E2E_TMP"/c2-*.out)"
[ "$(json_get "$C2/decision.json" 'd["drift"]')" = drift ] || fail "shifted CSV: $(cat "$C2/decision.json")"
case $(wait_promoted "$C2") in 0 | 10) ;; *) fail "the champion could not be compared on the new CSV" ;; esac

run_expect 0 "$AIF" registry verify --store "$S"
finish
