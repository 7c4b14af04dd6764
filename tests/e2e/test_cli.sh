# The aif command line: help, version, unknown commands and options, config
# files, exit codes.
. "$(dirname "$0")/lib.sh"

run_expect 0 "$AIF" --help && expect_out "prepare" && expect_out "Exit codes"
run_expect 2 "$AIF" && expect_err "Usage: aif"
run_expect 0 "$AIF" --version && expect_out "(git " && expect_out "MPI Open MPI" && expect_out "HDF5 1."
run_expect 2 "$AIF" trian && expect_err "unknown command 'trian'" && expect_one_error_line
run_expect 0 "$AIF" prepare --help && expect_out "--val-fraction" && expect_out "--config"
run_expect 0 "$AIF" inspect --help && expect_out "--verify"

run_expect 2 "$AIF" prepare && expect_err "--out is required" && expect_one_error_line
run_expect 2 "$AIF" prepare --out x.h5 --bogus && expect_err "'--bogus'"
run_expect 2 "$AIF" prepare --out x.h5 --seed abc && expect_err "--seed"
run_expect 2 "$AIF" prepare --out x.h5 --source parquet && expect_err "--source must be"
run_expect 2 "$AIF" prepare --source csv --out x.h5 && expect_err "--input"
run_expect 2 "$AIF" prepare --out x.h5 --test-fraction 0.2 && expect_err "t10k"
run_expect 2 "$AIF" prepare --out x.h5 --log-level loud && expect_err "--log-level"

# Config files: the same names as the flags, job sections, flags win.
cat >"$E2E_TMP/bad.ini" <<'INI'
source = csv
unknown-thing = 1
INI
run_expect 2 "$AIF" prepare --config "$E2E_TMP/bad.ini" && expect_err "unknown option 'unknown-thing'"
cat >"$E2E_TMP/t.csv" <<'CSV'
a,b,kind
1,2,x
2,3,y
3,4,x
4,5,y
5,6,x
6,7,y
7,8,x
8,9,y
9,10,x
10,11,y
CSV
cat >"$E2E_TMP/good.ini" <<INI
# one file for several jobs
source = csv
[prepare]
input = $E2E_TMP/t.csv
label-column = kind
out = $E2E_TMP/from-config.h5
val-fraction = 0.2
[train]
steps = 10
INI
run_expect 0 "$AIF" prepare --config "$E2E_TMP/good.ini" --seed 3 && pass "config file with sections"
run_expect 0 "$AIF" inspect "$E2E_TMP/from-config.h5"
[ "$(json_get "$E2E_TMP/out" 'd["lineage"]["config"]["seed"]')" = 3 ] || fail "flag did not override the config"
[ "$(json_get "$E2E_TMP/out" '[s["rows"] for s in d["splits"]]')" = "[7, 2, 1]" ] || fail "splits $(json_get "$E2E_TMP/out" 'd["splits"]')"

# inspect on things that are not aif files.
run_expect 4 "$AIF" inspect "$E2E_TMP/nope.h5" && expect_err "does not exist"
run_expect 3 "$AIF" inspect "$E2E_TMP/t.csv" && expect_err "not an HDF5 file"
run_expect 2 "$AIF" inspect && expect_err "which file"
finish
