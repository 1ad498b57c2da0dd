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
rewrite_column() { # rewrite_column NAME DATASET PYTHON-STATEMENTS (on a, the dataset's values)
  break_file "$1" "a = f['$2'][:]; $3; del f['$2']; f['$2'] = a"
}
inspect_rejects() { # inspect_rejects NAME MESSAGE: a data error (exit 2) on the broken file NAME
  expect 2 "$2" -- "$PERSONAE" inspect "$TMP/$1.h5"
}
break_file missing "del f['transactions/amount']"
inspect_rejects missing "/transactions/amount is missing"
break_file nogroup "del f['transactions']"
inspect_rejects nogroup "group /transactions is missing"
rewrite_column dtype transactions/customer_id "a = a.astype(np.float64)"
inspect_rejects dtype "/transactions/customer_id has dtype float64, expected int64"
rewrite_column strings transactions/amount "a = np.array(['x'] * len(a), dtype='S3')"
inspect_rejects strings "/transactions/amount has an unsupported dtype"
rewrite_column lengths transactions/timestamp "a = a[:-7]"
inspect_rejects lengths "mismatched column lengths"
rewrite_column sessions sessions/pageviews "a = a[:10]"
inspect_rejects sessions "/sessions/pageviews has 10 rows"
break_file empty "
for k in list(f['transactions']):
    dt = f['transactions'][k].dtype
    del f['transactions'][k]
    f['transactions'].create_dataset(k, shape=(0,), dtype=dt)"
inspect_rejects empty "/transactions is empty"
rewrite_column nan transactions/amount "a[5] = np.nan"
inspect_rejects nan "/transactions/amount: row 5 is NaN"
rewrite_column twod transactions/amount "a = a.reshape(-1, 1)"
inspect_rejects twod "has 2 dimensions"
rewrite_column discount transactions/discount "a[3] = 5.0"
inspect_rejects discount "/transactions/discount: row 3 is 5, expected a fraction in [0, 1]"
expect 2 "/transactions/discount: row 3 is 5, expected a fraction in [0, 1]" -- "$PERSONAE" run "$TMP/discount.h5" --quiet --out "$TMP/discount.run.h5"
rewrite_column huge_amount transactions/amount "a[6] = 1.7e308"
inspect_rejects huge_amount "/transactions/amount: row 6 is 1.7e+308, beyond +-1e15"
for step in rfm features run; do
  expect 2 "/transactions/amount: row 6 is 1.7e+308, beyond +-1e15" -- "$PERSONAE" $step "$TMP/huge_amount.h5" --quiet --out "$TMP/huge_amount.$step.h5"
done
rewrite_column far_tx transactions/timestamp "a[3] = 2**62"
inspect_rejects far_tx "/transactions/timestamp: row 3 is 4611686018427387904, outside years 1..9999"
rewrite_column far_session sessions/timestamp "a[4] = -2**40"
inspect_rejects far_session "/sessions: row 4: timestamp is outside years 1..9999"
rewrite_column pages sessions/pageviews "a[2] = -1"
inspect_rejects pages "/sessions: row 2: pageviews is negative"
rewrite_column duration sessions/duration_s "a[4] = np.nan"
inspect_rejects duration "/sessions: row 4: duration_s is not a finite number"
rewrite_column purchased sessions/purchased "a[0] = 7"
inspect_rejects purchased "/sessions: row 0: purchased is neither 0 nor 1"
# A /sessions that is there but broken is an error for every step, not a
# missing table (features and run used to drop it, rfm its customers).
rewrite_column sess_dtype sessions/customer_id "a = a.astype(np.float64)"
for step in features rfm run; do
  expect 2 "/sessions/customer_id has dtype float64, expected int64" -- "$PERSONAE" $step "$TMP/sess_dtype.h5" --quiet --out "$TMP/sess_dtype.$step.h5"
done
break_file sess_missing "del f['sessions/customer_id']"
for step in features rfm run; do
  expect 2 "/sessions/customer_id is missing" -- "$PERSONAE" $step "$TMP/sess_missing.h5" --quiet --out "$TMP/sess_missing.$step.h5"
done
check "no results from the broken files" test -z "$(find "$TMP" -name 'sess_*.*.h5')"
# Narrower integer and float types are accepted (they widen losslessly).
rewrite_column narrow transactions/customer_id "a = (a % 30000).astype(np.int32)"
expect 0 "transactions" -- "$PERSONAE" inspect "$TMP/narrow.h5"

# Outputs: never over an input, never over a non-HDF5 file, atomic.
sum_before=$(md5sum <"$TMP/text.h5")
expect 3 "not an HDF5 file; not overwriting" -- "$PERSONAE" generate --customers 10 --out "$TMP/text.h5"
check "non-HDF5 file untouched" test "$(md5sum <"$TMP/text.h5")" = "$sum_before"
check "no temporary files left" test -z "$(find "$TMP" -name '.*tmp-*')"
expect 3 "cannot create a temporary file" -- "$PERSONAE" generate --customers 10 --out "$TMP/no/such/dir/x.h5"

# A file cut short is damaged data (exit 2), not an I/O failure.
"$PERSONAE" generate --customers 300 --out "$TMP/cut.h5" --quiet >/dev/null
truncate -s $(($(stat -c %s "$TMP/cut.h5") / 2)) "$TMP/cut.h5"
expect 2 "damaged HDF5 file (truncated or corrupt" -- "$PERSONAE" rfm "$TMP/cut.h5" --quiet --out "$TMP/cut.r.h5"
expect 2 "damaged HDF5 file (truncated or corrupt" -- "$PERSONAE" inspect "$TMP/cut.h5"

# Bad options: exit 1 and one line that names the option (getopt's own
# message is kept quiet).
one_line_usage() {
  local text=$1
  shift
  local out rc
  out=$("$@" 2>&1 >/dev/null) && rc=0 || rc=$?
  check "'$*' exits 1" test "$rc" -eq 1
  check "'$*' says '$text'" grep -qF -- "$text" <<<"$out"
  check "'$*' prints one line" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
}
one_line_usage "unknown option '--bogus'" "$PERSONAE" cluster "$TMP/text.h5" -d /x -k 3 --bogus
one_line_usage "option '--bins' needs a value" "$PERSONAE" rfm "$TMP/text.h5" --bins
one_line_usage "option '-k' needs a value" "$PERSONAE" cluster "$TMP/text.h5" -d /x -k
one_line_usage "unknown option '--as-of'" "$PERSONAE" run "$TMP/text.h5" --as-of 2024-01-01
one_line_usage "unknown option '-x'" "$PERSONAE" describe "$TMP/text.h5" -x
one_line_usage "option '-o' needs a value" "$PERSONAE" features "$TMP/text.h5" -o
one_line_usage "option takes no value: '--quiet'" "$PERSONAE" rfm "$TMP/text.h5" --quiet=3
one_line_usage "unknown option '--bog'" "$PERSONAE" rfm "$TMP/text.h5" --bog=1

finish
