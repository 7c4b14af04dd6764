# aif predict: scores a dataset split or a CSV on any number of ranks with the
# same result, writes CSV or HDF5, refuses a tampered model and data that
# does not fit it.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
run_expect 0 "$AIF" prepare --out "$D" || finish
run_expect 0 "$AIF" train --data "$D" --run-dir "$E2E_TMP/run" --model "mlp 784-32-10 relu" --steps 200 \
  --batch-size 64 --log-every 100 || finish
M="$E2E_TMP/run/model.h5"
run_expect 0 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/p1.csv" && expect_out "scored 10000 rows"
run_expect 0 mpirun_quiet -np 3 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/p3.csv"
cmp -s "$E2E_TMP/p1.csv" "$E2E_TMP/p3.csv" || fail "1 and 3 ranks give different predictions"
run_expect 0 "$AIF" evaluate --model "$M" --data "$D" --out "$E2E_TMP/eval"
"$PY" - "$E2E_TMP" <<'PY' || fail "predictions disagree with the evaluation"
import csv, json, sys
t = sys.argv[1]
rows = list(csv.DictReader(open(f"{t}/p1.csv")))
assert len(rows) == 10000 and [int(r["id"]) for r in rows] == list(range(10000))
assert rows[0]["predicted_name"] and abs(sum(float(v) for k, v in rows[0].items() if k.startswith("prob_")) - 1) < 1e-4
report = json.load(open(f"{t}/eval/report.json"))
predicted = [sum(1 for r in rows if int(r["predicted"]) == c) for c in range(10)]
column_sums = [sum(row[c] for row in report["confusion_matrix"]) for c in range(10)]
assert predicted == column_sums, (predicted, column_sums)
PY
run_expect 0 mpirun_quiet -np 2 "$AIF" predict --model "$M" --data "$D" --split val --out "$E2E_TMP/p.h5"
run_expect 0 h5dump -H "$E2E_TMP/p.h5" && expect_out "probabilities"
# aif inspect describes the predictions file: its rows and per-class counts.
run_expect 0 "$AIF" inspect "$E2E_TMP/p.h5"
[ "$(json_get "$E2E_TMP/out" 'd["format"], d["task"], d["rows"], sum(d["predicted_counts"].values())')" \
  = "aif.predictions classification 6000 6000" ] || fail "inspect of the predictions: $(head -c 300 "$E2E_TMP/out")"

# A CSV with the model's feature columns (and others) scores like the dataset rows.
"$PY" - "$E2E_TMP" <<'PY'
import subprocess, sys
t = sys.argv[1]
out = subprocess.run(["h5dump", "-d", "/splits/test/features", "-s", "0,0", "-c", "5,784", "-y", "-w", "0",
                      f"{t}/f.h5"], capture_output=True, text=True, check=True).stdout
values = [int(v) for v in out.split("DATA {")[1].split("}")[0].replace(",", " ").split()]
with open(f"{t}/five.csv", "w") as f:
    f.write("row_name," + ",".join(f"pixel_{i // 28}_{i % 28}" for i in range(784)) + "\n")
    for r in range(5):
        f.write(f"image{r}," + ",".join(str(v) for v in values[r * 784:(r + 1) * 784]) + "\n")
PY
run_expect 0 "$AIF" predict --model "$M" --data "$E2E_TMP/five.csv" --out "$E2E_TMP/five_pred.csv"
[ "$(cut -d, -f2 "$E2E_TMP/five_pred.csv" | tail -5)" = "$(cut -d, -f2 "$E2E_TMP/p1.csv" | sed -n 2,6p)" ] \
  || fail "CSV rows are not predicted like the same dataset rows"
# --id-column carries a CSV column into the output instead of the row index,
# on any number of ranks, in CSV (quoted where needed) and HDF5.
sed '2s/^image0,/"image 0, first",/' "$E2E_TMP/five.csv" >"$E2E_TMP/five_named.csv"
run_expect 0 mpirun_quiet -np 2 "$AIF" predict --model "$M" --data "$E2E_TMP/five_named.csv" --id-column row_name \
  --out "$E2E_TMP/named.csv"
"$PY" - "$E2E_TMP" <<'PY' || fail "--id-column: keys or predictions wrong in the CSV"
import csv, sys
t = sys.argv[1]
named = list(csv.DictReader(open(f"{t}/named.csv")))
plain = list(csv.DictReader(open(f"{t}/five_pred.csv")))
assert [r["row_name"] for r in named] == ["image 0, first", "image1", "image2", "image3", "image4"], named
assert [r["predicted"] for r in named] == [r["predicted"] for r in plain]
PY
run_expect 0 mpirun_quiet -np 3 "$AIF" predict --model "$M" --data "$E2E_TMP/five_named.csv" --id-column row_name \
  --out "$E2E_TMP/named.h5"
run_expect 0 "$AIF" inspect "$E2E_TMP/named.h5"
[ "$(json_get "$E2E_TMP/out" 'd["key_column"]')" = row_name ] || fail "--id-column not recorded in the HDF5 output"
h5dump -d /key "$E2E_TMP/named.h5" | grep -q '"image 0, first"' || fail "the HDF5 output lacks the keys"
run_expect 3 "$AIF" predict --model "$M" --data "$E2E_TMP/five.csv" --id-column name --out "$E2E_TMP/x.csv" \
  && expect_err "no column 'name' for --id-column"
run_expect 2 "$AIF" predict --model "$M" --data "$D" --id-column row_name --out "$E2E_TMP/x.csv" \
  && expect_err "applies to CSV data"
expect_no_file "$E2E_TMP/x.csv"
head -2 "$E2E_TMP/five.csv" | cut -d, -f1-100 >"$E2E_TMP/narrow.csv"
run_expect 3 "$AIF" predict --model "$M" --data "$E2E_TMP/narrow.csv" --out "$E2E_TMP/x.csv" && expect_err "no column"

# A tampered model is refused; so is an output of unknown type.
cp "$M" "$E2E_TMP/tampered.h5"
h5dump -d /params/layer1.weight -b LE -o "$E2E_TMP/w.bin" "$M" >/dev/null
"$PY" - "$E2E_TMP/tampered.h5" "$E2E_TMP/w.bin" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
weights = open(sys.argv[2], "rb").read()
at = data.find(weights[4000:4032])  # a run of weights, located in the file
assert at > 0
data[at + 5] ^= 0x40
open(sys.argv[1], "wb").write(bytes(data))
PY
run_expect 3 "$AIF" predict --model "$E2E_TMP/tampered.h5" --data "$D" --out "$E2E_TMP/x.csv" && expect_err "checksum"
expect_no_file "$E2E_TMP/x.csv"
# So is one whose normalisation constants were altered (content_sha256).
cp "$M" "$E2E_TMP/tampered2.h5"
h5dump -d /normalization/scale -b LE -o "$E2E_TMP/s.bin" "$M" >/dev/null
"$PY" - "$E2E_TMP/tampered2.h5" "$E2E_TMP/s.bin" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
scale = open(sys.argv[2], "rb").read()
at = data.find(scale[:64])
assert at > 0
data[at + 1] ^= 0x10
open(sys.argv[1], "wb").write(bytes(data))
PY
run_expect 3 "$AIF" predict --model "$E2E_TMP/tampered2.h5" --data "$D" --out "$E2E_TMP/x.csv" &&
  expect_err "normalisation constants"
run_expect 2 "$AIF" predict --model "$M" --data "$D" --out "$E2E_TMP/x.txt" && expect_err ".csv or .h5"
finish
