#!/bin/bash
# End-to-end: personae describe on a results file that `run` wrote: the same
# personas again, --json, --focus, and the errors for a missing results file
# or missing groups.
# usage: test_describe.sh PERSONAE_BINARY SHARED_DATASETS_DIR
source "$(dirname "$0")/lib.sh" "$@"
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-h5py is needed to read the results"
  exit 77
fi
shop=$TMP/shop.h5
"$PERSONAE" generate --customers 3000 --out "$shop" --seed 5 --quiet >/dev/null
"$PERSONAE" run "$shop" -k 8 --json --quiet > "$TMP/run.json"
check "run exits 0" test $? -eq 0

"$PERSONAE" describe "$shop" --json --quiet > "$TMP/describe.json"
check "describe exits 0" test $? -eq 0
check "describe gives the personas run gave" $PY - "$TMP/run.json" "$TMP/describe.json" <<'PY'
import sys, json
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda j: [(p["id"], p["archetype"], p["name"], p["customers"], p["traits"]) for p in j["personas"]]
assert strip(a) == strip(b)
assert all("rfm_mix" in p and "demographics" in p for p in b["personas"])
PY
expect 0 "# Personas" -- "$PERSONAE" describe "$shop" --quiet
"$PERSONAE" describe "$shop" --json --quiet --focus 0.5 > "$TMP/f50.json"
check "--focus 0.5 marks fewer or equal personas" $PY - "$TMP/describe.json" "$TMP/f50.json" <<'PY'
import sys, json
a, b = (json.load(open(p)) for p in sys.argv[1:3])
fa = sum(p["focus"] for p in a["personas"]); fb = sum(p["focus"] for p in b["personas"])
assert 1 <= fb <= fa, (fa, fb)
assert sum(p["share_revenue"] for p in b["personas"] if p["focus"]) >= 0.5
PY

# Step by step, as the README's tour: rfm, features, cluster on the results
# file (updated in place: /kmeans added, /rfm and /features kept), describe.
cp "$shop" "$TMP/step.h5"
"$PERSONAE" rfm "$TMP/step.h5" --quiet >/dev/null
"$PERSONAE" features "$TMP/step.h5" --quiet >/dev/null
expect 2 "/kmeans" -- "$PERSONAE" describe "$TMP/step.h5" --quiet
"$PERSONAE" cluster "$TMP/step.personae.h5" --dataset /features/scaled -k 5 --quiet >/dev/null
check "cluster updated the results file in place" $PY - "$TMP/step.personae.h5" <<'PY'
import sys, h5py, os
f = h5py.File(sys.argv[1], "r")
assert {"rfm", "features", "kmeans"} <= set(f), list(f)
assert f["kmeans/labels"].shape[0] == f["features/customer_id"].shape[0]
assert not os.path.exists(sys.argv[1].replace(".personae.h5", ".personae.personae.h5"))
PY
expect 0 "## " -- "$PERSONAE" describe "$TMP/step.h5" --quiet
# predict on the same results file with its own model: /predict joins it.
expect 0 "" -- "$PERSONAE" predict "$TMP/step.personae.h5" "$TMP/step.personae.h5" --dataset /features/scaled --quiet
check "predict wrote /predict in place, same labels as the fit" $PY - "$TMP/step.personae.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert {"rfm", "features", "kmeans", "personas", "predict"} <= set(f), list(f)
assert np.array_equal(f["predict/labels"][:], f["kmeans/labels"][:])
PY

expect 3 "missing.personae.h5" -- "$PERSONAE" describe "$TMP/missing.h5" --quiet
# A results file with /features but no /kmeans.
"$PERSONAE" features "$shop" -o "$TMP/only_features.h5" --quiet >/dev/null 2>&1
if [ -f "$TMP/only_features.h5" ]; then
  expect 2 "/kmeans" -- "$PERSONAE" describe "$shop" -o "$TMP/only_features.h5" --quiet
fi
expect 1 "focus" -- "$PERSONAE" describe "$shop" --focus 2
expect 1 "refusing to write results into the input file" -- "$PERSONAE" describe "$shop" -o "$shop" --quiet
# Groups computed from different inputs are never joined.
"$PERSONAE" generate --customers 400 --seed 21 --out "$TMP/m1.h5" --quiet >/dev/null
"$PERSONAE" generate --customers 400 --seed 22 --out "$TMP/m2.h5" --quiet >/dev/null
"$PERSONAE" run "$TMP/m1.h5" -k 4 --out "$TMP/mix.h5" --quiet >/dev/null
"$PERSONAE" rfm "$TMP/m2.h5" --out "$TMP/mix.h5" --quiet >/dev/null
check "a new /rfm drops the personas made from the old one" bash -c "! h5ls '$TMP/mix.h5/personas' >/dev/null 2>&1"
expect 2 "/rfm was computed from another input" -- "$PERSONAE" describe "$TMP/m1.h5" --out "$TMP/mix.h5" --quiet
"$PERSONAE" rfm "$TMP/m1.h5" --out "$TMP/mix.h5" --quiet >/dev/null
expect 0 "Personas" -- "$PERSONAE" describe "$TMP/m1.h5" --out "$TMP/mix.h5" --quiet
# A results file whose groups do not fit together is bad data (exit 2),
# named, never described: each copy breaks one thing.
"$PERSONAE" run "$shop" -k 4 --quiet --out "$TMP/good.h5" >/dev/null
broken_results() { # broken_results NAME PYTHON-STATEMENTS (on f, the results file)
  cp "$TMP/good.h5" "$TMP/$1.h5"
  $PY -c "import h5py, numpy as np; f = h5py.File('$TMP/$1.h5', 'a'); $2"
}
broken_results centroids "c = f['kmeans/centroids'][:, :3]; del f['kmeans/centroids']; f['kmeans/centroids'] = c"
expect 2 "/kmeans/centroids has 3 columns but" -- "$PERSONAE" describe "$shop" --out "$TMP/centroids.h5" --quiet
broken_results segment "s = f['rfm/segment'][:]; s[7] = 500; f['rfm/segment'][:] = s"
expect 2 "/rfm/segment: row 7 is 500" -- "$PERSONAE" describe "$shop" --out "$TMP/segment.h5" --quiet
broken_results short_f "a = f['rfm/f'][:-3]; del f['rfm/f']; f['rfm/f'] = a"
expect 2 "/rfm/f has" -- "$PERSONAE" describe "$shop" --out "$TMP/short_f.h5" --quiet
broken_results strangers "a = f['rfm/customer_id'][:] + 10**12; f['rfm/customer_id'][:] = a"
expect 2 "shares no customer with /features/customer_id" -- "$PERSONAE" describe "$shop" --out "$TMP/strangers.h5" --quiet
broken_results label "a = f['kmeans/labels'][:]; a[3] = 99; f['kmeans/labels'][:] = a"
expect 2 "/kmeans/labels: customer row 3 has cluster 99" -- "$PERSONAE" describe "$shop" --out "$TMP/label.h5" --quiet
finish
