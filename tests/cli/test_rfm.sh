# personae rfm end to end: generate -> rfm, the output group, JSON, options,
# determinism across threads, the pandas recipe as an independent oracle,
# and every error path with its exit code.
source "$(dirname "$0")/lib.sh" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS="$HERE/../../bench/peers_rfm.py"

"$PERSONAE" generate --customers 3000 --seed 5 --out "$TMP/shop.h5" --quiet >/dev/null ||
  { echo "FAIL: generate"; exit 1; }

expect 0 "Champions" -- "$PERSONAE" rfm "$TMP/shop.h5" --quiet
check "default result file holds /rfm" $PY -c "
import h5py, sys
g = h5py.File('$TMP/shop.personae.h5', 'r')['rfm']
n = g['customer_id'].shape[0]
assert n == 3000, n
for k in ('has_purchase','recency_days','frequency','monetary','first_purchase','last_purchase',
          'tenure_days','aov','orders_returned','r','f','m','rfm_code','segment'):
    assert g[k].shape == (n,), k
names = [s.decode() if isinstance(s, bytes) else s for s in g['segment_names'][:]]
assert names[0] == 'No Purchase' and 'Champions' in names, names
ids = g['customer_id'][:]
assert (ids[1:] > ids[:-1]).all()
assert g['bounds_monetary'].shape == (5, 3)
"

expect 0 '"segments"' -- "$PERSONAE" rfm "$TMP/shop.h5" --json --out "$TMP/j.h5"
"$PERSONAE" rfm "$TMP/shop.h5" --json --out "$TMP/j.h5" >"$TMP/out.json" 2>/dev/null
check "JSON: segment customers and revenue add up" $PY -c "
import json
d = json.load(open('$TMP/out.json'))
assert sum(s['customers'] for s in d['segments']) == d['customers'] == 3000
assert abs(sum(s['revenue'] for s in d['segments']) - d['revenue']) < 1e-6 * abs(d['revenue'])
assert len(d['cut_points']['monetary']) == 5
assert sum(c['customers'] for c in d['cut_points']['frequency']) == d['customers_scored']
"
check "JSON: time per step, inside the total" $PY -c "
import json
d = json.load(open('$TMP/out.json'))
s = d['steps']
assert set(s) == {'read', 'check', 'group', 'aggregate', 'resolve', 'sort', 'fill', 'score', 'write'}, s
assert all(v >= 0 for v in s.values()) and s['read'] > 0 and s['aggregate'] > 0 and s['write'] > 0
assert sum(s.values()) <= d['seconds'] + 1e-6, (sum(s.values()), d['seconds'])
"

# The pandas recipe on the same file gives the same customers and scores.
check "matches pandas groupby + qcut (default)" $PY "$PEERS" "$TMP/shop.h5" --compare "$TMP/shop.personae.h5"
"$PERSONAE" rfm "$TMP/shop.h5" --quiet --as-of 2025-06-01 --bins 4 --out "$TMP/b4.h5" >/dev/null
check "matches pandas (--as-of, --bins 4)" $PY "$PEERS" "$TMP/shop.h5" --as-of 2025-06-01 --bins 4 --compare "$TMP/b4.h5"

"$PERSONAE" rfm "$TMP/shop.h5" --quiet --threads 1 --out "$TMP/t1.h5" >/dev/null
"$PERSONAE" rfm "$TMP/shop.h5" --quiet --threads 2 --out "$TMP/t2.h5" >/dev/null
check "1 and 2 threads give identical /rfm" $PY -c "
import h5py, numpy as np
a = h5py.File('$TMP/t1.h5', 'r')['rfm']; b = h5py.File('$TMP/t2.h5', 'r')['rfm']
for k in a:
    assert np.array_equal(a[k][:], b[k][:]), k
"

# Other steps' groups in the result file are carried over.
check "rfm keeps other groups of the result file" $PY -c "
import h5py
with h5py.File('$TMP/keep.h5', 'w') as f: f.create_dataset('features/x', data=[1, 2, 3])
"
"$PERSONAE" rfm "$TMP/shop.h5" --quiet --out "$TMP/keep.h5" >/dev/null
check "…and /features is still there" $PY -c "
import h5py
f = h5py.File('$TMP/keep.h5', 'r'); assert list(f['features/x'][:]) == [1, 2, 3]; assert 'rfm' in f
"

# Segment rules: gaps and shadowed rules are warnings, not errors.
printf 'Best: r=5 f=5\nAlso best: r=5 f=5\nRest: r=1-4\n' >"$TMP/rules.txt"
expect 0 "cells reached by no rule go to \"Others\": 511 512" -- "$PERSONAE" rfm "$TMP/shop.h5" --segments "$TMP/rules.txt" --out "$TMP/s.h5"
expect 0 'segment "Also best" is reached by no cell' -- "$PERSONAE" rfm "$TMP/shop.h5" --segments "$TMP/rules.txt" --out "$TMP/s.h5"
printf 'Best: r=5 f=6\n' >"$TMP/bad_rules.txt"
expect 1 "bad_rules.txt:1: 'f=6'" -- "$PERSONAE" rfm "$TMP/shop.h5" --segments "$TMP/bad_rules.txt"
expect 3 "cannot open" -- "$PERSONAE" rfm "$TMP/shop.h5" --segments "$TMP/none.txt"

# Usage errors.
expect 1 "missing input file" -- "$PERSONAE" rfm
expect 1 "--as-of: '2025-13-01' is not a date" -- "$PERSONAE" rfm "$TMP/shop.h5" --as-of 2025-13-01
expect 1 "--as-of: '0000-01-01' is not a date" -- "$PERSONAE" rfm "$TMP/shop.h5" --as-of 0000-01-01
expect 1 "--bins" -- "$PERSONAE" rfm "$TMP/shop.h5" --bins 1
expect 1 "refusing to write results into the input file" -- "$PERSONAE" rfm "$TMP/shop.h5" --out "$TMP/shop.h5"
expect 0 "usage: personae rfm" -- "$PERSONAE" rfm --help

# Data errors: exit 2, message names file, dataset and row; no output written.
expect 3 "cannot open" -- "$PERSONAE" rfm "$TMP/absent.h5"
$PY -c "
import h5py, numpy as np
with h5py.File('$TMP/nan.h5', 'w') as f:
    t = f.create_group('transactions')
    t['customer_id'] = np.arange(5, dtype='i8'); t['order_id'] = np.arange(5, dtype='i8')
    t['timestamp'] = np.full(5, 1700000000, dtype='i8')
    t['amount'] = np.array([1, 2, np.nan, 4, 5], dtype='f8')
with h5py.File('$TMP/noamount.h5', 'w') as f:
    t = f.create_group('transactions')
    for k in ('customer_id', 'order_id', 'timestamp'): t[k] = np.arange(5, dtype='i8')
"
expect 2 "nan.h5: /transactions/amount: row 2 is NaN" -- "$PERSONAE" rfm "$TMP/nan.h5" --out "$TMP/nan_out.h5"
check "no result file after a data error" test ! -e "$TMP/nan_out.h5"
expect 2 "/transactions/amount is missing" -- "$PERSONAE" rfm "$TMP/noamount.h5"

finish
