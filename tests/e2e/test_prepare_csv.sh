# CSV conversion through the CLI: a good table, and every bad input with a
# clear message, exit code 3 (data) or 4 (I/O), and no output file.
. "$(dirname "$0")/lib.sh"
T=$E2E_TMP
{
  echo 'sepal length,sepal width,"petal, length",species'
  for i in $(seq 1 90); do
    case $((i % 3)) in 0) s=setosa ;; 1) s=versicolor ;; 2) s=virginica ;; esac
    echo "$((i % 7)).$((i % 10)),3.$((i % 5)),$((i % 4)).1,$s"
  done
} >"$T/iris.csv"
run_expect 0 "$AIF" prepare --source csv --input "$T/iris.csv" --label-column species --out "$T/iris.h5" --seed 1 \
  && expect_out "train 72, val 9, test 9"
run_expect 0 "$AIF" inspect "$T/iris.h5"
[ "$(json_get "$T/out" 'd["schema"]["class_names"]')" = "['setosa', 'versicolor', 'virginica']" ] || fail "classes"
[ "$(json_get "$T/out" 'd["schema"]["feature_names"][2]')" = "petal, length" ] || fail "quoted header"
[ "$(json_get "$T/out" 'd["schema"]["feature_type"]')" = "float32" ] || fail "feature type"

bad() {  # bad CODE NAME CONTENT NEEDLE...
  local code=$1 name=$2 content=$3; shift 3
  printf '%b' "$content" >"$T/$name.csv"
  run_expect "$code" "$AIF" prepare --source csv --input "$T/$name.csv" --label-column y --out "$T/$name.h5" || return
  for needle in "$@"; do expect_err "$needle"; done
  expect_one_error_line
  expect_no_file "$T/$name.h5"
}
bad 3 empty '' "empty"
bad 3 header_only 'a,b,y\n' "no data rows"
bad 3 no_label 'a,b,c\n1,2,3\n' "no column named 'y'"
bad 3 missing 'a,b,y\n1,2,x\n1,,x\n' "missing.csv:3:" "column 'b'" "missing value"
bad 3 infinite 'a,b,y\n1,2,x\n1,inf,x\n' "infinite.csv:3:" "column 'b'" "'inf' is not a finite number"
bad 3 ragged 'a,b,y\n1,2,x\n1,2\n' "ragged.csv:3:" "2 fields"
run_expect 4 "$AIF" prepare --source csv --input "$T/none.csv" --label-column y --out "$T/none.h5" \
  && expect_err "does not exist" && expect_no_file "$T/none.h5"
run_expect 2 "$AIF" prepare --source csv --input "$T/iris.csv" --label-column species --out "$T/x.h5" \
  --val-fraction 1.5 && expect_err "--val-fraction"

# Regression targets.
{ echo "x1,x2,target"; for i in $(seq 1 40); do echo "$i,$((i * 2)),$i.5"; done; } >"$T/reg.csv"
run_expect 0 "$AIF" prepare --source csv --input "$T/reg.csv" --label-column target --out "$T/reg.h5"
run_expect 0 "$AIF" inspect "$T/reg.h5"
[ "$(json_get "$T/out" 'd["schema"]["task"]')" = regression ] || fail "regression not detected"

# A semicolon-separated export with an id and a text column: the separator is
# detected, --ignore-columns drops the two, and a wrong --delimiter says so.
{ echo "id;note;x1;x2;label"; for i in $(seq 1 40); do echo "$((500 + i));\"n $i\";$i;$((i * 3));c$((i % 3))"; done; } \
  >"$T/semi.csv"
run_expect 0 "$AIF" prepare --source csv --input "$T/semi.csv" --label-column label --ignore-columns id,note \
  --out "$T/semi.h5"
run_expect 0 "$AIF" inspect "$T/semi.h5"
[ "$(json_get "$T/out" 'd["schema"]["feature_names"]')" = "['x1', 'x2']" ] || fail "ignored columns kept"
run_expect 3 "$AIF" prepare --source csv --input "$T/semi.csv" --label-column label --out "$T/semi2.h5" \
  && expect_err "--ignore-columns"
run_expect 3 "$AIF" prepare --source csv --input "$T/semi.csv" --label-column label --delimiter , --out "$T/semi2.h5" \
  && expect_err "--delimiter"
run_expect 2 "$AIF" prepare --source csv --input "$T/semi.csv" --label-column label --delimiter :: --out "$T/semi2.h5" \
  && expect_err "--delimiter"
expect_no_file "$T/semi2.h5"
# Missing values: an error that names the way out, dropped rows, counted, or
# values filled with the train split's means.
{ echo "a,b,y"; for i in $(seq 1 40); do [ $((i % 8)) = 0 ] && echo "$i,NA,x" || echo "$i,$i,x$((i % 2))"; done; } \
  >"$T/holes.csv"
run_expect 3 "$AIF" prepare --source csv --input "$T/holes.csv" --label-column y --out "$T/holes.h5" \
  && expect_err "holes.csv:9:" && expect_err "--missing drop"
run_expect 0 "$AIF" prepare --source csv --input "$T/holes.csv" --label-column y --out "$T/holes.h5" --missing drop \
  && expect_err "dropped 5 of 40"
run_expect 0 "$AIF" inspect "$T/holes.h5"
[ "$(json_get "$T/out" 'sum(s["rows"] for s in d["splits"])')" = 35 ] || fail "--missing drop kept the wrong rows"
run_expect 2 "$AIF" prepare --source csv --input "$T/holes.csv" --label-column y --out "$T/x.h5" --missing fill \
  && expect_err "--missing must be error, drop or mean"
# --missing mean keeps every row, fills b with its train mean, and the model
# scores a later CSV with gaps the same way (a model without it refuses them).
run_expect 0 "$AIF" prepare --source csv --input "$T/holes.csv" --label-column y --out "$T/filled.h5" --missing mean \
  && expect_out "filled 5 missing values in 1 column(s) with the train split's means"
run_expect 0 "$AIF" inspect "$T/filled.h5"
[ "$(json_get "$T/out" 'sum(s["rows"] for s in d["splits"])')" = 40 ] || fail "--missing mean dropped rows"
[ "$(json_get "$T/out" '18 < d["schema"]["impute_values"][1] < 23 and d["lineage"]["values_imputed"] == 5')" = True ] \
  || fail "--missing mean: impute values $(json_get "$T/out" 'd["schema"].get("impute_values")')"
printf 'b,a\nNA,3\n4,\n5,6\n' >"$T/gaps.csv"
for data_classes in filled:3 holes:2; do  # the rows dropped from holes held the only class 'x'
  data=${data_classes%:*}
  run_expect 0 "$AIF" train --data "$T/$data.h5" --model "mlp 2-4-${data_classes#*:}" --steps 3 --batch-size 8 \
    --run-dir "$T/run-$data"
done
run_expect 0 "$AIF" predict --model "$T/run-filled/model.h5" --data "$T/gaps.csv" --out "$T/gaps-pred.csv" \
  && expect_err "2 missing values took the model's train means"
[ "$(wc -l <"$T/gaps-pred.csv")" = 4 ] || fail "predict on a CSV with gaps did not score 3 rows"
run_expect 3 "$AIF" predict --model "$T/run-holes/model.h5" --data "$T/gaps.csv" --out "$T/gaps-pred2.csv" \
  && expect_err "column 'b': missing value"

# Pixel columns as images: --sample-shape lets a CNN train on a CSV.
{ printf 'y'; for i in $(seq 0 63); do printf ',p%d' "$i"; done; echo
  for r in $(seq 1 60); do printf '%d' $((r % 2)); for i in $(seq 0 63); do printf ',%d' $(((r * i) % 17)); done; echo; done
} >"$T/pixels.csv"
run_expect 0 "$AIF" prepare --source csv --input "$T/pixels.csv" --label-column y --sample-shape 1,8,8 \
  --out "$T/pixels.h5"
run_expect 0 "$AIF" train --data "$T/pixels.h5" --run-dir "$T/cnn" --model "conv(4,3,pad=1) relu pool(2) flatten linear(2)" \
  --steps 5 --batch-size 8
run_expect 0 "$AIF" predict --model "$T/cnn/model.h5" --data "$T/pixels.csv" --out "$T/cnn.csv"
[ "$(wc -l <"$T/cnn.csv")" = 61 ] || fail "the CNN did not score every CSV row"
run_expect 2 "$AIF" prepare --source csv --input "$T/pixels.csv" --label-column y --sample-shape 1x8x9 --out "$T/p2.h5" \
  && expect_err "holds 72 values, but"
# Pixels named otherwise, with an id: --schema-from takes them by position.
{ printf 'id,lab'; for i in $(seq 0 63); do printf ',q%d' "$i"; done; echo
  for r in $(seq 1 30); do printf '%d,%d' $((100 + r)) $((r % 2)); for i in $(seq 0 63); do printf ',%d' $(((r + i) % 11)); done; echo; done
} >"$T/pixels2.csv"
run_expect 3 "$AIF" prepare --source csv --input "$T/pixels2.csv" --label-column lab --schema-from "$T/cnn/model.h5" \
  --out "$T/px2.h5" && expect_err "65 feature columns, but the images of --schema-from" && expect_err "--ignore-columns"
run_expect 0 "$AIF" prepare --source csv --input "$T/pixels2.csv" --label-column lab --ignore-columns id \
  --schema-from "$T/cnn/model.h5" --out "$T/px2.h5"
run_expect 0 "$AIF" evaluate --model "$T/cnn/model.h5" --data "$T/px2.h5" --out "$T/px2_eval"
# Scoring such a CSV directly: pixels by position, as long as the columns
# other than the label and id columns are as many as the model's pixels.
run_expect 3 "$AIF" predict --model "$T/cnn/model.h5" --data "$T/pixels2.csv" --out "$T/px2.csv" \
  && expect_err "no column 'p0', which the model needs" && expect_err "the 65 columns besides the label and id columns"
cut -d, -f2- "$T/pixels2.csv" >"$T/pixels3.csv"   # lab,q0..q63
run_expect 0 "$AIF" evaluate --model "$T/cnn/model.h5" --data "$T/pixels3.csv" --label-column lab --out "$T/px3_eval" \
  && expect_err "its pixels are taken by position"
run_expect 0 "$AIF" prepare --source csv --input "$T/pixels3.csv" --label-column lab --schema-from "$T/cnn/model.h5" \
  --val-fraction 0 --test-fraction 0 --out "$T/px3.h5"
run_expect 0 "$AIF" evaluate --model "$T/cnn/model.h5" --data "$T/px3.h5" --split train --out "$T/px3_h5_eval"
confusion() { json_get "$1/report.json" 'd["confusion_matrix"]'; }
[ "$(confusion "$T/px3_eval")" = "$(confusion "$T/px3_h5_eval")" ] \
  || fail "evaluating the pixel CSV by position differs from evaluating its dataset"
# A column named 'label' is the label when the model's label name is absent.
sed '1s/^lab,/label,/' "$T/pixels3.csv" >"$T/pixels5.csv"
run_expect 0 "$AIF" evaluate --model "$T/cnn/model.h5" --data "$T/pixels5.csv" --out "$T/px5_eval"
[ "$(confusion "$T/px5_eval")" = "$(confusion "$T/px3_eval")" ] &&
  [ "$(json_get "$T/px5_eval/report.json" 'd["dataset"]["label_column"]')" = label ] \
  || fail "evaluate did not take the 'label' column as the label"
cut -d, -f1,3- "$T/pixels2.csv" >"$T/pixels4.csv"  # id,q0..q63
run_expect 0 "$AIF" predict --model "$T/cnn/model.h5" --data "$T/pixels4.csv" --id-column id --out "$T/px4.csv" \
  && expect_err "its pixels are taken by position"
[ "$(wc -l <"$T/px4.csv")" = 31 ] && [ "$(sed -n 2p "$T/px4.csv" | cut -d, -f1)" = 101 ] \
  || fail "predict by position did not score every row under its id: $(head -2 "$T/px4.csv")"

# Text columns are categorical: one-hot features a model trains on, scored
# from a CSV with the columns in another order and a value never seen.
{ echo "id,color,size,y"; for i in $(seq 1 90); do c=(red green blue); echo "c$i,${c[$((i % 3))]},$((i % 7)),$((i % 3 == 0))"; done; } \
  >"$T/colors.csv"
run_expect 3 "$AIF" prepare --source csv --input "$T/colors.csv" --label-column y --out "$T/colors.h5" --max-categories 50 \
  && expect_err "column 'id' has 90 distinct values, more than --max-categories 50" && expect_one_error_line
run_expect 3 "$AIF" prepare --source csv --input "$T/colors.csv" --label-column y --out "$T/colors.h5" \
  && expect_err "column 'id' holds text (first: 'c1' on line 2) with 90 distinct values in 90 rows" \
  && expect_err "--ignore-columns"
run_expect 0 "$AIF" prepare --source csv --input "$T/colors.csv" --label-column y --ignore-columns id \
  --categorical-columns size --out "$T/colors.h5" && expect_out "column 'color' is categorical: 3 values"
run_expect 0 "$AIF" inspect "$T/colors.h5"
[ "$(json_get "$T/out" 'd["schema"]["feature_names"]')" = \
  "['color=blue', 'color=green', 'color=red', 'size=0', 'size=1', 'size=2', 'size=3', 'size=4', 'size=5', 'size=6']" ] ||
  fail "one-hot features: $(cat "$T/out")"
run_expect 0 "$AIF" train --data "$T/colors.h5" --run-dir "$T/colors" --model "mlp 10-8-2" --steps 5 --batch-size 8
printf 'size;color;id\n3;red;a\n4;purple;b\n' >"$T/new_colors.csv"
run_expect 0 "$AIF" predict --model "$T/colors/model.h5" --data "$T/new_colors.csv" --id-column id --out "$T/nc.csv" \
  && expect_err "column 'color': 1 of 2 rows hold a value the model was not trained on (first: 'purple' on line 3)"
[ "$(cut -d, -f1 "$T/nc.csv" | tr '\n' ' ')" = "id a b " ] || fail "predictions of new_colors.csv: $(cat "$T/nc.csv")"
# --schema-from: another CSV prepared with the model's features, so the
# model evaluates on it; labels outside its classes are refused.
{ echo "y,size,color"; for i in $(seq 1 40); do echo "$((i % 2)),$((i % 5)),red"; done; } >"$T/later.csv"
run_expect 0 "$AIF" prepare --source csv --input "$T/later.csv" --schema-from "$T/colors/model.h5" --out "$T/later.h5"
run_expect 0 "$AIF" evaluate --model "$T/colors/model.h5" --data "$T/later.h5" --out "$T/later_eval"
echo "2,1,red" >>"$T/later.csv"
run_expect 3 "$AIF" prepare --source csv --input "$T/later.csv" --schema-from "$T/colors/model.h5" --out "$T/l2.h5" \
  && expect_err "later.csv:42: column 'y': '2' is not a class of --schema-from" && expect_no_file "$T/l2.h5"
run_expect 2 "$AIF" prepare --source csv --input "$T/later.csv" --schema-from "$T/colors/model.h5" --task regression \
  --out "$T/l2.h5" && expect_err "is a classification task"

# Under mpirun a bad input is reported once, with the data exit code.
run_expect 3 mpirun_quiet -np 2 "$AIF" prepare --source csv --input "$T/infinite.csv" --label-column y --out "$T/m.h5" \
  && expect_one_error_line
expect_no_file "$T/m.h5"
finish
