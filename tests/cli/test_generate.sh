# personae generate from the command line: output, JSON, determinism.
source "$(dirname "$0")/lib.sh" "$@"

expect 0 "planted archetype" -- "$PERSONAE" generate --customers 3000 --seed 9 --out "$TMP/a.h5" --quiet
expect 0 '"transaction_rows"' -- "$PERSONAE" generate --customers 3000 --seed 9 --out "$TMP/b.h5" --json --threads 1
check "same seed, same datasets (1 vs all threads)" h5diff "$TMP/a.h5" "$TMP/b.h5"
check "same seed, byte-identical files (1 vs all threads)" cmp "$TMP/a.h5" "$TMP/b.h5"
"$PERSONAE" generate --customers 3000 --seed 10 --out "$TMP/c.h5" --quiet >/dev/null
check "other seed, other data" bash -c "! h5diff -q '$TMP/a.h5' '$TMP/c.h5'"
expect 0 "" -- "$PERSONAE" generate --customers 300 --no-sessions --no-customers --out "$TMP/tx.h5" --quiet
check "--no-sessions writes no /sessions" bash -c "! h5ls '$TMP/tx.h5/sessions' >/dev/null 2>&1"
expect 0 "sessions      none" -- "$PERSONAE" inspect "$TMP/tx.h5"
# Regenerating over an existing result replaces it atomically.
expect 0 "" -- "$PERSONAE" generate --customers 100 --out "$TMP/a.h5" --quiet
expect 0 "100 customers" -- "$PERSONAE" inspect "$TMP/a.h5"
expect 0 "2020-12-31" -- "$PERSONAE" generate --customers 100 --days 365 --end 2021-01-01 --out "$TMP/d.h5"
finish
