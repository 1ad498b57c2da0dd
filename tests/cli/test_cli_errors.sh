# Every CLI error path gets its exit code and a one-line message naming the
# file, the dataset and the problem; inputs are never touched.
source "$(dirname "$0")/lib.sh" "$@"
[ -x "$PY" ] && "$PY" -c "import h5py" 2>/dev/null || { echo "SKIPPED: needs /usr/bin/python3 with h5py"; exit 77; }

# Usage errors: exit 1.
expect 1 "unknown command" -- "$PERSONAE" frobnicate
expect 1 "usage:" -- "$PERSONAE"
expect 1 "--customers" -- "$PERSONAE" generate --out "$TMP/x.h5"
expect 1 "--out" -- "$PERSONAE" generate --customers 10
expect 1 "customers" -- "$PERSONAE" generate --customers abc --out "$TMP/x.h5"
expect 1 "days" -- "$PERSONAE" generate --customers 10 --days 5 --out "$TMP/x.h5"
expect 1 "--end" -- "$PERSONAE" generate --customers 10 --end 2025-02-30 --out "$TMP/x.h5"
expect 1 "threads" -- "$PERSONAE" generate --customers 10 --threads -3 --out "$TMP/x.h5"
expect 1 "expected one input file" -- "$PERSONAE" inspect
check "no output left by failed runs" test ! -e "$TMP/x.h5"

# Help and version: exit 0 for every command.
for cmd in generate import inspect rfm features cluster predict describe run info; do
  expect 0 "" -- "$PERSONAE" "$cmd" --help
done
expect 0 "personae" -- "$PERSONAE" --version
expect 0 "commands:" -- "$PERSONAE" --help

# A good file to break in different ways.
"$PERSONAE" generate --customers 500 --seed 3 --out "$TMP/good.h5" --quiet >/dev/null
expect 0 "transactions" -- "$PERSONAE" inspect "$TMP/good.h5"
expect 0 '"customers"' -- "$PERSONAE" inspect --json "$TMP/good.h5"

# Missing file: I/O error, exit 3.
expect 3 "$TMP/none.h5" -- "$PERSONAE" inspect "$TMP/none.h5"
# Not HDF5: exit 2.
echo "customer_id,amount" >"$TMP/text.h5"
expect 2 "not an HDF5 file" -- "$PERSONAE" inspect "$TMP/text.h5"

break_file() { # break_file NAME PYTHON-STATEMENTS (f is the open h5py file)
  cp "$TMP/good.h5" "$TMP/$1.h5"
  "$PY" -c "import h5py, numpy as np
f = h5py.File('$TMP/$1.h5', 'r+')
$2
f.close()"
}
break_file missing "del f['transactions/amount']"
expect 2 "/transactions/amount is missing" -- "$PERSONAE" inspect "$TMP/missing.h5"
break_file nogroup "del f['transactions']"
expect 2 "group /transactions is missing" -- "$PERSONAE" inspect "$TMP/nogroup.h5"
break_file dtype "a = f['transactions/customer_id'][:]; del f['transactions/customer_id']; f['transactions/customer_id'] = a.astype(np.float64)"
expect 2 "/transactions/customer_id has dtype float64, expected int64" -- "$PERSONAE" inspect "$TMP/dtype.h5"
break_file strings "n = len(f['transactions/amount']); del f['transactions/amount']; f['transactions/amount'] = np.array(['x'] * n, dtype='S3')"
expect 2 "/transactions/amount has an unsupported dtype" -- "$PERSONAE" inspect "$TMP/strings.h5"
break_file lengths "a = f['transactions/timestamp'][:]; del f['transactions/timestamp']; f['transactions/timestamp'] = a[:-7]"
expect 2 "mismatched column lengths" -- "$PERSONAE" inspect "$TMP/lengths.h5"
break_file sessions "a = f['sessions/pageviews'][:]; del f['sessions/pageviews']; f['sessions/pageviews'] = a[:10]"
expect 2 "/sessions/pageviews has 10 rows" -- "$PERSONAE" inspect "$TMP/sessions.h5"
break_file empty "
for k in list(f['transactions']):
    dt = f['transactions'][k].dtype
    del f['transactions'][k]
    f['transactions'].create_dataset(k, shape=(0,), dtype=dt)"
expect 2 "/transactions is empty" -- "$PERSONAE" inspect "$TMP/empty.h5"
break_file nan "a = f['transactions/amount'][:]; a[5] = np.nan; del f['transactions/amount']; f['transactions/amount'] = a"
expect 2 "/transactions/amount: row 5 is NaN" -- "$PERSONAE" inspect "$TMP/nan.h5"
break_file twod "a = f['transactions/amount'][:]; del f['transactions/amount']; f['transactions/amount'] = a.reshape(-1, 1)"
expect 2 "has 2 dimensions" -- "$PERSONAE" inspect "$TMP/twod.h5"
break_file discount "a = f['transactions/discount'][:]; a[3] = 5.0; del f['transactions/discount']; f['transactions/discount'] = a"
expect 2 "/transactions/discount: row 3 is 5, expected a fraction in [0, 1]" -- "$PERSONAE" inspect "$TMP/discount.h5"
break_file pages "a = f['sessions/pageviews'][:]; a[2] = -1; del f['sessions/pageviews']; f['sessions/pageviews'] = a"
expect 2 "/sessions: row 2: pageviews is negative" -- "$PERSONAE" inspect "$TMP/pages.h5"
break_file duration "a = f['sessions/duration_s'][:]; a[4] = np.nan; del f['sessions/duration_s']; f['sessions/duration_s'] = a"
expect 2 "/sessions: row 4: duration_s is not a finite number" -- "$PERSONAE" inspect "$TMP/duration.h5"
break_file purchased "a = f['sessions/purchased'][:]; a[0] = 7; del f['sessions/purchased']; f['sessions/purchased'] = a"
expect 2 "/sessions: row 0: purchased is neither 0 nor 1" -- "$PERSONAE" inspect "$TMP/purchased.h5"
# Narrower integer and float types are accepted (they widen losslessly).
break_file narrow "a = f['transactions/customer_id'][:]; del f['transactions/customer_id']; f['transactions/customer_id'] = (a % 30000).astype(np.int32)"
expect 0 "transactions" -- "$PERSONAE" inspect "$TMP/narrow.h5"

# Outputs: never over an input, never over a non-HDF5 file, atomic.
sum_before=$(md5sum <"$TMP/text.h5")
expect 3 "not an HDF5 file; not overwriting" -- "$PERSONAE" generate --customers 10 --out "$TMP/text.h5"
check "non-HDF5 file untouched" test "$(md5sum <"$TMP/text.h5")" = "$sum_before"
check "no temporary files left" test -z "$(find "$TMP" -name '.*tmp-*')"
expect 3 "cannot create a temporary file" -- "$PERSONAE" generate --customers 10 --out "$TMP/no/such/dir/x.h5"

finish
