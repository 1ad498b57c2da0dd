#!/bin/bash
# End-to-end: personae run on generated data (with and without sessions):
# Markdown, --json with the stable keys, the results file groups, /personas
# joinable on customer_id, -k auto with its K curve, determinism across
# thread counts, and bad input.
# usage: test_run.sh PERSONAE_BINARY SHARED_DATASETS_DIR
source "$(dirname "$0")/lib.sh" "$@"
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-h5py is needed to read the results"
  exit 77
fi
shop=$TMP/shop.h5
"$PERSONAE" generate --customers 4000 --out "$shop" --seed 3 --quiet >/dev/null
"$PERSONAE" generate --customers 4000 --out "$TMP/tx.h5" --seed 4 --no-sessions --quiet >/dev/null
before=$(sha256sum "$shop")

expect 0 "## " -- "$PERSONAE" run "$shop" -k 10 --quiet --threads 2
check "input untouched" test "$before" = "$(sha256sum "$shop")"

# Under an address-space or data limit (ulimit -v, ulimit -d) the group-by
# tables live on the heap instead of in reserved address space: the same
# personas. (Not under
# AddressSanitizer, whose shadow memory needs more address space than any
# useful limit.)
if ldd "$PERSONAE" 2>/dev/null | grep -q libasan; then
  echo "skip: ulimit -v run (AddressSanitizer build)"
else
  "$PERSONAE" run "$shop" -k 10 --quiet --threads 2 -o "$TMP/unlimited.h5" >"$TMP/unlimited.md"
  (ulimit -v 2000000 && "$PERSONAE" run "$shop" -k 10 --quiet --threads 2 -o "$TMP/limited.h5" \
    >"$TMP/limited.md")
  check "run under ulimit -v 2 GB succeeds" test -s "$TMP/limited.md"
  check "and prints the same personas" cmp -s "$TMP/unlimited.md" "$TMP/limited.md"
  (ulimit -d 1000000 && "$PERSONAE" run "$shop" -k 10 --quiet --threads 2 -o "$TMP/limited_d.h5" \
    >"$TMP/limited_d.md")
  check "and under ulimit -d 1 GB" cmp -s "$TMP/unlimited.md" "$TMP/limited_d.md"
fi
check "results file has every step" $PY - "$TMP/shop.personae.h5" <<'PY'
import sys, h5py, numpy as np
r = h5py.File(sys.argv[1], "r")
for g in ("rfm", "features", "kmeans", "personas"):
    assert g in r, g
p = r["personas"]
assert len(p["persona"]) == len(r["features/customer_id"]) == 4000
assert (p["customer_id"][:] == r["features/customer_id"][:]).all()
assert p["persona"][:].min() >= 0 and p["persona"][:].max() < 10
assert len(p["name"]) == 10 and len(p["archetype"]) == 10
counts = np.bincount(p["persona"][:], minlength=10)
assert (counts == p["customers"][:]).all(), (counts, p["customers"][:])
PY

"$PERSONAE" run "$shop" -k 10 --json --quiet --threads 1 -o "$TMP/j1.h5" > "$TMP/j1.json"
check "--json exits 0" test $? -eq 0
check "--json has the stable keys" $PY - "$TMP/j1.json" <<'PY'
import sys, json
j = json.load(open(sys.argv[1]))
keys = {"id", "archetype", "name", "description", "customers", "share_customers", "revenue",
        "share_revenue", "traits", "actions", "focus"}
assert len(j["personas"]) == 10
for p in j["personas"]:
    assert keys <= set(p), keys - set(p)
    assert 3 <= len(p["traits"]) <= 5 and len(p["actions"]) >= 3
assert abs(sum(p["share_customers"] for p in j["personas"]) - 1) < 1e-9
focus = [p for p in j["personas"] if p["focus"]]
assert sum(p["share_revenue"] for p in focus) >= 0.8
s = j["seconds"]
assert set(s) >= {"rfm", "features", "cluster", "describe", "write", "total"}
fs, ws = s["features_steps"], s["write_steps"]
assert set(fs) == {"transactions", "sessions", "customers", "assemble", "scaling",
                   "transactions_read", "transactions_group", "transactions_aggregate",
                   "sessions_read", "sessions_group", "sessions_aggregate"}
for p in ("transactions", "sessions"):
    assert sum(fs[p + q] for q in ("_read", "_group", "_aggregate")) <= fs[p] + 1e-6
    assert fs[p + "_read"] > 0 and fs[p + "_aggregate"] > 0
assert set(ws) == {"rfm", "features", "kmeans_personas", "commit"}
assert all(v >= 0 for v in list(fs.values()) + list(ws.values()))
# The parts are measured inside their steps: they cannot add up to more.
top = ("transactions", "sessions", "customers", "assemble", "scaling")
assert sum(fs[k] for k in top) <= s["features"] + 1e-6 and sum(ws.values()) <= s["write"] + 1e-6
assert fs["transactions"] > 0 and fs["sessions"] > 0 and ws["commit"] > 0
PY
"$PERSONAE" run "$shop" -k 10 --json --quiet --threads 2 -o "$TMP/j2.h5" > "$TMP/j2.json"
check "same personas for 1 and 2 threads" $PY - "$TMP/j1.h5" "$TMP/j2.h5" <<'PY'
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert (a["personas/persona"][:] == b["personas/persona"][:]).all()
assert list(a["personas/name"].asstr()[:]) == list(b["personas/name"].asstr()[:])
PY

expect 0 "Chose K =" -- "$PERSONAE" run "$shop" -k auto --k-range 3..6 --sample 3000 --quiet -o "$TMP/auto.h5"

# Transaction-only data: no session-based archetype is offered.
"$PERSONAE" run "$TMP/tx.h5" -k 6 --json --quiet > "$TMP/tx.json"
check "transaction-only run exits 0" test $? -eq 0
check "no session archetypes without sessions" $PY - "$TMP/tx.json" <<'PY'
import sys, json
j = json.load(open(sys.argv[1]))
assert not j["has_sessions"]
session = {"bouncer", "passive_browser", "cart_abandoner", "impulse_buyer"}
assert not session & {p["archetype"] for p in j["personas"]}
PY

expect 3 "no_such.h5" -- "$PERSONAE" run "$TMP/no_such.h5" --quiet
expect 1 "k-range" -- "$PERSONAE" run "$shop" --k-range 5..3
"$PERSONAE" generate --customers 40 --out "$TMP/tiny.h5" --quiet >/dev/null
# Demographics only where measured: /customers matching no customer gives
# none; ages outside 1..120 are unknown (null), not averaged.
cp "$shop" "$TMP/foreign.h5"
$PY -c "import h5py; f = h5py.File('$TMP/foreign.h5', 'a'); a = f['customers/customer_id'][:] + 10**12; f['customers/customer_id'][:] = a"
"$PERSONAE" run "$TMP/foreign.h5" -k 4 --json --quiet --out "$TMP/foreign.r.h5" >"$TMP/foreign.json"
check "no demographics without a /customers match" $PY -c "import json; j = json.load(open('$TMP/foreign.json')); assert not any('demographics' in p for p in j['personas'])"
cp "$shop" "$TMP/ages.h5"
$PY -c "import h5py, numpy as np; f = h5py.File('$TMP/ages.h5', 'a'); a = f['customers/age'][:]; a[:] = 32767; f['customers/age'][:] = a"
"$PERSONAE" run "$TMP/ages.h5" -k 4 --json --quiet --out "$TMP/ages.r.h5" >"$TMP/ages.json"
check "ages outside 1..120 are unknown" $PY -c "
import json; j = json.load(open('$TMP/ages.json'))
d = [p['demographics'] for p in j['personas']]
assert all(x['mean_age'] is None and x['age_bands'] is None and x['median_income'] is not None for x in d), d[0]"
# -k auto on a small input: at most one persona per ten customers, not one each.
"$PERSONAE" run "$TMP/tiny.h5" --json --quiet --out "$TMP/tiny.auto.h5" >"$TMP/tiny.json"
check "auto K on 40 customers stays at 3" $PY -c "import json; j = json.load(open('$TMP/tiny.json')); assert j['clustering']['k_chosen'] == 3, j['clustering']['k_chosen']"
expect 1 "k = 50 exceeds the" -- "$PERSONAE" run "$TMP/tiny.h5" -k 50 --quiet --out "$TMP/tiny.r.h5"
expect 1 "expected exactly one input" -- "$PERSONAE" run
# The HTML report never replaces an input, the results file or any HDF5 file.
cp "$shop" "$TMP/keep.h5"
sum_before=$(md5sum <"$TMP/keep.h5")
expect 1 "refusing to write the report over an input" -- "$PERSONAE" run "$TMP/keep.h5" -k 4 --quiet --out "$TMP/keep.r.h5" --html "$TMP/keep.h5"
check "input untouched by --html" test "$(md5sum <"$TMP/keep.h5")" = "$sum_before"
check "a refused report leaves no results file" test ! -e "$TMP/keep.r.h5"
expect 1 "refusing to write the report over an input or results file" -- "$PERSONAE" run "$TMP/keep.h5" -k 4 --quiet --out "$TMP/keep.r.h5" --html "$TMP/keep.r.h5"
check "no results file either" test ! -e "$TMP/keep.r.h5"
cp "$shop" "$TMP/other.h5"
expect 1 "is an HDF5 file" -- "$PERSONAE" run "$TMP/keep.h5" -k 4 --quiet --out "$TMP/keep.r.h5" --html "$TMP/other.h5"
# A report that cannot be written (its directory cannot exist: a file is in
# the way) fails the run before the existing results file is touched.
"$PERSONAE" run "$TMP/keep.h5" -k 4 --quiet --out "$TMP/keep.r.h5" >/dev/null
results_before=$(md5sum <"$TMP/keep.r.h5")
expect 3 "cannot create a temporary file beside it" -- "$PERSONAE" run "$TMP/keep.h5" -k 3 --quiet --out "$TMP/keep.r.h5" --html "$TMP/keep.h5/r.html"
check "results file untouched by a failed run" test "$(md5sum <"$TMP/keep.r.h5")" = "$results_before"
expect 3 "cannot create a temporary file beside it" -- "$PERSONAE" describe "$TMP/keep.h5" --quiet --out "$TMP/keep.r.h5" --html "$TMP/keep.h5/r.html"
check "results file untouched by a failed describe" test "$(md5sum <"$TMP/keep.r.h5")" = "$results_before"
finish
