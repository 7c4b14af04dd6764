# Faults during prepare: a full disk and a kill at arbitrary instants never
# leave a partial file at the output path, and never damage an existing one.
# A dataset damaged afterwards (one flipped bit) is caught by its chunk
# checksums: training and evaluation stop with a data error naming the rows.
. "$(dirname "$0")/lib.sh"
require_fmnist
SRC=$FMNIST_DIR
# Disk full: a 20 MiB tmpfs cannot hold the 55 MiB dataset.
MNT="$E2E_TMP/small"
mkdir -p "$MNT"
if mount -t tmpfs -o size=20m tmpfs "$MNT" 2>/dev/null; then
  echo "old" >"$MNT/fmnist.h5"
  run_expect 4 "$AIF" prepare --out "$MNT/fmnist.h5" --force && expect_one_error_line
  grep -qi "space\|disk full" "$E2E_TMP/err" || fail "disk-full message: $(cat "$E2E_TMP/err")"
  [ "$(cat "$MNT/fmnist.h5")" = old ] || fail "the existing file was damaged"
  [ "$(ls "$MNT")" = fmnist.h5 ] || fail "stray files left: $(ls "$MNT")"
  umount "$MNT"
else
  echo "note: cannot mount tmpfs here (not root?); disk-full case not run"
fi

# kill -9 at several instants: the output is absent or complete and valid.
for delay in 0.1 0.4 0.7 1.0 1.3; do
  out="$E2E_TMP/killed-$delay.h5"
  "$AIF" prepare --out "$out" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -e "$out" ]; then
    run_expect 0 "$AIF" inspect --verify "$out" || fail "killed at ${delay}s: the output is not a valid dataset"
  fi
done
# The next prepare to the same path removes the temporaries of killed ones.
run_expect 0 "$AIF" prepare --out "$E2E_TMP/killed-0.1.h5" --force
shopt -s nullglob
for f in "$E2E_TMP"/killed-0.1.h5.tmp.*; do fail "stale temporary $f was not cleaned up"; done

# One bit of one image's pixels flipped in the file: chunk 0 of train.
D="$E2E_TMP/killed-0.1.h5"
h5dump -d /splits/train/features -s "100,0" -c "1,784" -b LE -o "$E2E_TMP/row.bin" "$D" >/dev/null
cp "$D" "$E2E_TMP/damaged.h5"
"$PY" - "$E2E_TMP/damaged.h5" "$E2E_TMP/row.bin" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
row = open(sys.argv[2], "rb").read()
at = data.find(row)
assert at > 0 and data.find(row, at + 1) < 0, "row 100 not found once"
data[at + 400] ^= 0x01
open(sys.argv[1], "wb").write(bytes(data))
PY
run_expect 3 mpirun_quiet -np 2 "$AIF" train --data "$E2E_TMP/damaged.h5" --run-dir "$E2E_TMP/dmg" \
  --model "mlp 784-16-10" --epochs 1 --batch-size 500 && expect_err "rows 0..1337 (chunk 0): the features do not match"
run_expect 3 "$AIF" inspect --verify "$E2E_TMP/damaged.h5" && expect_err "is damaged"
run_expect 0 "$AIF" inspect --verify "$D"
finish
