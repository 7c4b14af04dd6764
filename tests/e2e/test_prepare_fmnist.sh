# Fashion-MNIST from the Debian package: the round trip the README promises.
. "$(dirname "$0")/lib.sh"
require_fmnist
SRC=$FMNIST_DIR
D="$E2E_TMP/fmnist.h5"
run_expect 0 mpirun_quiet -np 2 "$AIF" prepare --source fashion-mnist --input-dir "$SRC" --out "$D" \
  && expect_out "train 54000, val 6000, test 10000"
run_expect 0 "$AIF" inspect --verify "$D"
cp "$E2E_TMP/out" "$E2E_TMP/inspect.json"
j() { json_get "$E2E_TMP/inspect.json" "$1"; }
[ "$(j '[(s["name"], s["rows"]) for s in d["splits"]]')" = "[('train', 54000), ('val', 6000), ('test', 10000)]" ] \
  || fail "split sizes: $(j 'd["splits"]')"
[ "$(j 'd["schema"]["sample_shape"]')" = "[1, 28, 28]" ] || fail "sample shape"
[ "$(j 'len(d["schema"]["class_names"])')" = 10 ] || fail "class count"
[ "$(j 'd["schema"]["class_names"][9]')" = "Ankle boot" ] || fail "class names"
[ "$(j 'sum(d["stats"]["label_counts"])')" = 54000 ] || fail "label counts do not cover train"
[ "$(j 'all(5000 < c < 5800 for c in d["stats"]["label_counts"])')" = True ] || fail "classes are not balanced"
[ "$(j 'd["stats"]["min"] == 0 and d["stats"]["max"] == 255')" = True ] || fail "pixel range"
[ "$(j 'd["verified"]')" = True ] || fail "checksums"
[ "$(j 'len(d["lineage"]["sources"]) == 4 and all(len(s["sha256"]) == 64 for s in d["lineage"]["sources"])')" = True ] \
  || fail "lineage sources"
# Mean pixel intensity of Fashion-MNIST is about 72.9 (0.286 * 255).
run_expect 0 "$AIF" inspect --full "$D"
m=$(json_get "$E2E_TMP/out" 'round(sum(d["stats"]["mean"]) / len(d["stats"]["mean"]), 1)')
"$PY" -c "import sys; sys.exit(0 if 71 < $m < 75 else 1)" || fail "mean pixel $m is implausible"

# Deterministic: the same seed gives the same fingerprint, another seed not.
run_expect 0 "$AIF" prepare --out "$E2E_TMP/again.h5"
run_expect 0 "$AIF" inspect "$E2E_TMP/again.h5"
[ "$(json_get "$E2E_TMP/out" 'd["fingerprint"]')" = "$(j 'd["fingerprint"]')" ] || fail "fingerprint differs on rerun"
run_expect 0 "$AIF" prepare --out "$E2E_TMP/seed7.h5" --seed 7 --val-fraction 0.2 && expect_out "train 48000, val 12000"

# An existing output is kept unless --force.
before=$(sha256sum "$D" | cut -d' ' -f1)
run_expect 2 "$AIF" prepare --out "$D" && expect_err "--force"
[ "$(sha256sum "$D" | cut -d' ' -f1)" = "$before" ] || fail "the existing dataset was modified"
run_expect 0 "$AIF" prepare --out "$D" --force
finish
