# The model store under concurrency and faults: 8 promotions at once leave
# every version present and unique, the audit log complete and the alias
# valid; rollback; verify detects a tampered file and predict refuses it;
# bad names are refused; a promote killed at any stage leaves the store
# consistent, and the next writer cleans up and catches the audit log up.
. "$(dirname "$0")/lib.sh"
require_fmnist
D="$E2E_TMP/f.h5"
S="$E2E_TMP/store"
run_expect 0 "$AIF" prepare --out "$D" || finish
run_expect 0 "$AIF" train --data "$D" --run-dir "$E2E_TMP/run" --model "mlp 784-16-10" --steps 100 --batch-size 64 || finish
run_expect 0 "$AIF" evaluate --model "$E2E_TMP/run/model.h5" --data "$D" --out "$E2E_TMP/run/eval" || finish
printf '[champion]\nmetric = accuracy\nmin_delta = 0\n' >"$E2E_TMP/policy.ini"
alias_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$S/$1/aliases/$2.json"; }

# 8 concurrent promotions of the same model name.
pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$AIF" promote --store "$S" --name many --candidate "$E2E_TMP/run" --policy "$E2E_TMP/policy.ini" \
    >"$E2E_TMP/p$i.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p"
  code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 10 ] || fail "a concurrent promote exited $code: $(cat "$E2E_TMP"/p*.out)"
done
"$PY" - "$S/many" <<'PY' || fail "concurrent promotions lost, duplicated or half-wrote a version"
import json, os, sys
d = sys.argv[1]
versions = sorted(int(v) for v in os.listdir(d + "/versions"))
assert versions == list(range(1, 9)), versions
recs = [json.loads(l) for l in open(d + "/audit.jsonl")]
registered = [r["version"] for r in recs if r["event"] == "register"]
assert sorted(registered) == versions, registered
decided = [r["version"] for r in recs if r["event"] in ("promote", "reject")]
assert sorted(decided) == versions, decided
alias = json.load(open(d + "/aliases/production.json"))["version"]
last_promote = [r["version"] for r in recs if r["event"] == "promote"][-1]
assert alias == last_promote, (alias, last_promote)
assert not os.listdir(d + "/.staging"), os.listdir(d + "/.staging")
PY
run_expect 0 "$AIF" registry verify --store "$S" && expect_out "OK: 8 version(s) checked, 0 problem(s)"
run_expect 0 "$AIF" registry list --store "$S" --json
[ "$(json_get "$E2E_TMP/out" 'len(d["models"][0]["versions"])')" = 8 ] || fail "list --json should show 8 versions"

# Rollback: back to the version before, then to an explicit one; audited.
run_expect 0 "$AIF" registry alias --store "$S" --name many --alias production --version 3
run_expect 0 "$AIF" registry alias --store "$S" --name many --alias production --version 5
run_expect 0 "$AIF" registry rollback --store "$S" --name many --alias production && expect_out "now names version 3 (was 5)"
[ "$(alias_of many production)" = 3 ] || fail "rollback should go back to version 3"
run_expect 0 "$AIF" registry rollback --store "$S" --name many --alias production --to 1
[ "$(alias_of many production)" = 1 ] || fail "rollback --to 1"
[ "$(grep -c '"event":"rollback"' "$S/many/audit.jsonl")" = 2 ] || fail "rollbacks are audited"
run_expect 0 "$AIF" registry show --store "$S" --name many --alias production --json
[ "$(json_get "$E2E_TMP/out" 'd["version"]')" = 1 ] || fail "show follows the alias"
[ "$(json_get "$E2E_TMP/out" 'd["lineage"]["training"]["job"]')" = train ] || fail "show gives the training lineage"

# Predict from the store; then tamper with the stored model.
run_expect 0 "$AIF" predict --store "$S" --name many --alias production --data "$D" --out "$E2E_TMP/p.csv"
[ "$(json_get "$E2E_TMP/p.csv.lineage.json" 'd["model"]["store"]["version"], d["rows"]')" = "1 10000" ] ||
  fail "the predictions' lineage names the store version: $(cat "$E2E_TMP/p.csv.lineage.json")"
V1="$S/many/versions/1"
chmod u+w "$V1/model.h5" && printf 'X' | dd of="$V1/model.h5" bs=1 seek=4000 conv=notrunc 2>/dev/null
run_expect 3 "$AIF" registry verify --store "$S" && expect_out "TAMPERED many: '$V1/model.h5'"
run_expect 3 "$AIF" predict --store "$S" --name many --alias production --data "$D" --out "$E2E_TMP/p2.csv" &&
  expect_err "does not verify"
expect_one_error_line
expect_no_file "$E2E_TMP/p2.csv"
echo '{}' >"$S/many/versions/2/extra.json"
run_expect 3 "$AIF" registry verify --store "$S" --name many --json
[ "$(json_get "$E2E_TMP/out" 'd["problems"]')" = 2 ] || fail "verify should find the tampered and the added file"
run_expect 2 "$AIF" registry rollback --store "$S" --name many --alias production --to 9 && expect_err "no version 9"

# A mistyped store or model name is an error, and creates nothing.
for cmd in "list" "verify" "show --name many --version 1" "alias --name many --alias a --version 1" \
           "rollback --name many --alias production"; do
  # shellcheck disable=SC2086
  run_expect 4 "$AIF" registry $cmd --store "$E2E_TMP/no-such-store" && expect_err "does not exist"
  expect_one_error_line
done
expect_no_file "$E2E_TMP/no-such-store"
for cmd in "list" "verify" "alias --alias a --version 1" "rollback --alias production"; do
  # shellcheck disable=SC2086
  run_expect 2 "$AIF" registry $cmd --store "$S" --name manny && expect_err "has no model 'manny' (it has: "
done
expect_no_file "$S/manny"

# Bad names.
for bad in "../up" "a/b" "" ".hidden" "-x" "$(printf 'n%.0s' {1..65})"; do
  run_expect 2 "$AIF" promote --store "$S" --name "$bad" --candidate "$E2E_TMP/run" || continue
  expect_one_error_line
done
run_expect 2 "$AIF" predict --store "$S" --name many --alias "x/../y" --data "$D" --out "$E2E_TMP/p3.csv"
[ ! -e "$E2E_TMP/up" ] || fail "a bad name escaped the store"

# A promote killed at each stage (test hook) leaves a consistent store.
n=0
for stage in staged registered aliased; do
  n=$((n + 1))
  AIF_TEST_STORE_PAUSE="$stage:30" "$AIF" promote --store "$S" --name kill --candidate "$E2E_TMP/run" \
    >"$E2E_TMP/k.out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    case $stage in
      staged) [ -n "$(ls -A "$S/kill/.staging" 2>/dev/null)" ] && [ -f "$(ls -d "$S"/kill/.staging/*/ | head -1)manifest.json" ] && break ;;
      registered) [ -d "$S/kill/versions/$n" ] && break ;;
      aliased) [ -f "$S/kill/aliases/production.json" ] && [ "$(alias_of kill production)" = "$n" ] && break ;;
    esac
    sleep 0.1
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null
  run_expect 0 "$AIF" registry verify --store "$S" --name kill || fail "store inconsistent after a kill at '$stage'"
  if [ $stage = staged ]; then
    expect_out "unfinished registrations"
    [ ! -e "$S/kill/versions/$n" ] || fail "a version killed before publishing is visible"
    n=$((n - 1))
  fi
done
# The next writer removes the staging leftovers and audits what the dead ones did.
run_expect 0 "$AIF" promote --store "$S" --name kill --candidate "$E2E_TMP/run" && expect_out "registered kill version 3"
"$PY" - "$S/kill" <<'PY' || fail "recovery after killed promotes"
import json, os, sys
d = sys.argv[1]
assert sorted(os.listdir(d + "/versions")) == ["1", "2", "3"], os.listdir(d + "/versions")
assert not os.listdir(d + "/.staging")
recs = [json.loads(l) for l in open(d + "/audit.jsonl")]
rec = [(r["what"], r["version"]) for r in recs if r["event"] == "recover"]
assert ("register", 1) in rec and ("alias", 2) in rec, rec
PY
run_expect 0 "$AIF" registry verify --store "$S" --name kill

# A writer waiting for the lock gives up with a message naming the holder.
AIF_TEST_STORE_PAUSE="staged:20" "$AIF" promote --store "$S" --name kill --candidate "$E2E_TMP/run" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -n "$(ls -A "$S/kill/.staging" 2>/dev/null)" ] && break; sleep 0.1; done
run_expect 4 "$AIF" promote --store "$S" --name kill --candidate "$E2E_TMP/run" --lock-timeout 0.5 &&
  expect_err "pid $pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null
finish
