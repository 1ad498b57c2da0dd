#!/bin/bash
# End-to-end: personae features on generated data (with and without
# sessions), checked against pandas, plus options, errors and real CDNOW data.
# usage: test_features.sh PERSONAE_BINARY SHARED_DATASETS_DIR
source "$(dirname "$0")/lib.sh" "$@"
if ! $PY -c 'import h5py, numpy, pandas' 2>/dev/null; then
  echo "SKIP: Debian's python3-h5py and python3-pandas are needed"
  exit 77
fi

"$PERSONAE" generate --customers 3000 --seed 5 -o "$TMP/shop.h5" --quiet >/dev/null
"$PERSONAE" generate --customers 2000 --seed 6 --no-sessions -o "$TMP/tx.h5" --quiet >/dev/null
sum_before=$(sha256sum "$TMP/shop.h5")

expect 0 "time_to_purchase_s" -- "$PERSONAE" features "$TMP/shop.h5" -o "$TMP/r1.h5" --quiet --threads 1
expect 0 "" -- "$PERSONAE" features "$TMP/shop.h5" -o "$TMP/r2.h5" --quiet --threads 2 --json
check "input file untouched" test "$(sha256sum "$TMP/shop.h5")" = "$sum_before"
check "default output is IN.personae.h5" "$PERSONAE" features "$TMP/shop.h5" --quiet
check "IN.personae.h5 exists" test -f "$TMP/shop.personae.h5"

check "1 and 2 threads write the same /features" $PY - "$TMP/r1.h5" "$TMP/r2.h5" <<'EOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1])["features"], h5py.File(sys.argv[2])["features"]
for k in ["customer_id", "raw", "scaled", "has_value", "center", "scale"]:
    assert np.array_equal(a[k][:], b[k][:]), k
EOF

check "/features layout: ids ascending, N x 15 float32, names, transform, scaling" $PY - "$TMP/r1.h5" <<'EOF'
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1])["features"]
ids = g["customer_id"][:]
assert ids.dtype == np.int64 and np.all(np.diff(ids) > 0) and len(ids) == 3000
names = [s.decode() if isinstance(s, bytes) else s for s in g["names"][:]]
assert names[0] == "recency_days" and names[-1] == "time_to_purchase_s" and len(names) == 15, names
assert list(g.attrs["names"]) == names
for k in ["raw", "scaled"]:
    assert g[k].dtype == np.float32 and g[k].shape == (3000, 15), (k, g[k].shape)
tr = [s.decode() if isinstance(s, bytes) else s for s in g["transform"][:]]
miss = [s.decode() if isinstance(s, bytes) else s for s in g["missing"][:]]
raw, scaled, c, s = g["raw"][:].astype(np.float64), g["scaled"][:], g["center"][:], g["scale"][:]
has, prior = g["has_value"][:].astype(bool), g["prior"][:]
ev = [s.decode() if isinstance(s, bytes) else s for s in g["evidence"][:]]
w, clip = g.attrs["prior_weight"], g.attrs["clip"]
# docs/features.md, "Scaling", recomputed from the stored fields alone.
x = raw.copy()
assert dict(zip(names, ev)) == {**{k: "none" for k in names}, "discount_share": "purchases",
    "holiday_share": "purchases", "return_rate": "orders", "bounce_rate": "sessions",
    "cart_abandonment": "cart_sessions"}, ev
for j in range(15):
    if ev[j] != "none":
        n = g["evidence_counts"][names[j]][:].astype(np.float64)
        if ev[j] == "purchases":
            assert np.array_equal(n, raw[:, names.index("frequency")])
        x[:, j] = np.where(has[:, j], (raw[:, j] * n + w * prior[j]) / (n + w), raw[:, j])
        assert np.isclose(prior[j], raw[has[:, j], j].mean()), names[j]
x = np.where(np.array(tr) == "log1p", np.sign(x) * np.log1p(np.abs(x)), x)
counted = has | (np.array(miss) == "zero")
want = np.where(counted, np.clip((x - c) / s, -clip, clip), 0)
assert np.allclose(want, scaled, atol=1e-5), np.abs(want - scaled).max(axis=0)
for j in range(15):
    v = x[counted[:, j], j]
    assert np.isclose(v.mean(), c[j]) and np.isclose(v.std(), s[j]), names[j]
assert tr[names.index("recency_days")] == "linear" and miss[names.index("frequency")] == "zero"
assert g.attrs["as_of"] > 0 and g.attrs["as_of_date"]
EOF

check "features agree with pandas on generated data" $PY - "$TMP/shop.h5" "$TMP/r1.h5" <<'EOF'
import sys, h5py, numpy as np, pandas as pd
f = h5py.File(sys.argv[1])
t = pd.DataFrame({k: f["transactions"][k][:] for k in f["transactions"]})
s = pd.DataFrame({k: f["sessions"][k][:] for k in f["sessions"]})
g = h5py.File(sys.argv[2])["features"]
names = [n.decode() if isinstance(n, bytes) else n for n in g["names"][:]]
got = pd.DataFrame(g["raw"][:], columns=names, index=g["customer_id"][:])
o = t.groupby(["customer_id", "order_id"]).agg(net=("amount", "sum"), neg=("amount", lambda a: (a < 0).any()),
    disc=("discount", lambda d: (d > 0).any()))
o["ts"] = t[t.amount > 0].groupby(["customer_id", "order_id"]).timestamp.min()
buy = o[o.net > 0].copy()
buy["holiday"] = pd.to_datetime(buy.ts, unit="s").dt.month >= 11
per = buy.groupby(level=0).agg(frequency=("net", "size"), discount_share=("disc", "mean"),
                               holiday_share=("holiday", "mean")).reindex(o.index.unique(0))
per["return_rate"] = o.groupby(level=0).neg.mean()
per["monetary"] = t.groupby("customer_id").amount.sum()
per["categories"] = t[t.amount > 0].groupby("customer_id").category.nunique()
ss = s.groupby("customer_id").agg(sessions=("pageviews", "size"), pages_per_session=("pageviews", "mean"),
                                  bounce_rate=("pageviews", lambda p: (p == 1).mean()),
                                  cart_adds=("cart_adds", "sum"))
cart = s[s.cart_adds > 0]
ss["cart_abandonment"] = (cart.purchased == 0).groupby(cart.customer_id).mean()
want = per.join(ss, how="outer").reindex(got.index).fillna(0)
for col in want.columns:
    assert np.allclose(got[col], want[col], rtol=1e-6, atol=1e-4), (col, (got[col] - want[col]).abs().max())
EOF

# JSON summary and the printed table.
check "--json has the summary and one entry per column" $PY - "$PERSONAE" "$TMP/shop.h5" "$TMP/rj.h5" <<'EOF'
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "features", sys.argv[2], "-o", sys.argv[3], "--json", "--quiet"],
                     capture_output=True, text=True, check=True).stdout
j = json.loads(out)
assert j["customers"] == 3000 and j["features"] == 15 and j["has_sessions"]
cols = {c["name"]: c for c in j["columns"]}
assert 0.5 < cols["frequency"]["share_with_value"] < 0.8  # buyers and returners: ~64% planted
assert cols["sessions"]["share_with_value"] > 0.8
assert cols["bounce_rate"]["transform"] == "linear" and cols["monetary"]["transform"] == "log1p"
assert all(c["scale"] > 0 for c in j["columns"])
EOF

# --features subset, order kept; errors for unknown and unavailable names.
expect 0 "" -- "$PERSONAE" features "$TMP/shop.h5" -o "$TMP/sub.h5" --features bounce_rate,frequency --quiet
check "--features keeps the order given" $PY -c '
import sys, h5py
g = h5py.File(sys.argv[1])["features"]
assert [n.decode() if isinstance(n, bytes) else n for n in g["names"][:]] == ["bounce_rate", "frequency"]
assert g["raw"].shape[1] == 2' "$TMP/sub.h5"
expect 1 "unknown feature 'nope'" -- "$PERSONAE" features "$TMP/shop.h5" --features frequency,nope
expect 1 "listed twice" -- "$PERSONAE" features "$TMP/shop.h5" --features aov,aov
expect 1 "not a date" -- "$PERSONAE" features "$TMP/shop.h5" --as-of 2025-13-01
expect 0 "2025-06-01" -- "$PERSONAE" features "$TMP/shop.h5" -o "$TMP/asof.h5" --as-of 2025-06-01
expect 0 "bounce_rate" -- "$PERSONAE" features --list

# Transaction-only data: session features absent, not zero columns.
expect 0 "web behaviour features are absent" -- "$PERSONAE" features "$TMP/tx.h5" -o "$TMP/rt.h5"
check "transaction-only: 9 columns, none from sessions" $PY -c '
import sys, h5py
g = h5py.File(sys.argv[1])["features"]
names = [n.decode() if isinstance(n, bytes) else n for n in g["names"][:]]
assert len(names) == 9 and "sessions" not in names and "bounce_rate" not in names, names' "$TMP/rt.h5"
expect 2 "/sessions is absent" -- "$PERSONAE" features "$TMP/tx.h5" --features sessions -o "$TMP/x.h5"

# Other steps' groups survive.
"$PERSONAE" rfm "$TMP/shop.h5" -o "$TMP/both.h5" --quiet >/dev/null
"$PERSONAE" features "$TMP/shop.h5" -o "$TMP/both.h5" --quiet >/dev/null
check "/rfm kept beside /features" $PY -c '
import sys, h5py
f = h5py.File(sys.argv[1]); assert "rfm" in f and "features" in f' "$TMP/both.h5"
"$PERSONAE" rfm "$TMP/shop.h5" -o "$TMP/both.h5" --as-of 2025-06-01 --quiet >/dev/null
"$PERSONAE" features "$TMP/shop.h5" -o "$TMP/both.h5" --as-of 2025-06-01 --quiet >/dev/null
check "/features rows line up with /rfm; frequency, recency, monetary agree" $PY -c '
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1]); r, g = f["rfm"], f["features"]
assert np.array_equal(r["customer_id"][:], g["customer_id"][:])
names = [n.decode() if isinstance(n, bytes) else n for n in g["names"][:]]
raw, buyer = g["raw"][:], r["has_purchase"][:].astype(bool)
assert np.array_equal(raw[:, names.index("frequency")], r["frequency"][:])
assert np.array_equal(raw[buyer, names.index("recency_days")], r["recency_days"][buyer])
assert np.allclose(raw[:, names.index("monetary")], r["monetary"][:], rtol=1e-7)' "$TMP/both.h5"

# Bad input: exit 2 naming file, dataset and row.
$PY - "$TMP/shop.h5" "$TMP/nan.h5" "$TMP/nocol.h5" "$TMP/short.h5" <<'EOF'
import sys, h5py, shutil
for dst in sys.argv[2:]:
    shutil.copy(sys.argv[1], dst)
with h5py.File(sys.argv[2], "a") as f:
    a = f["transactions/amount"]; a[1234] = float("nan")
with h5py.File(sys.argv[3], "a") as f:
    del f["transactions/order_id"]
with h5py.File(sys.argv[4], "a") as f:
    p = f["sessions/pageviews"][:-1]; del f["sessions/pageviews"]; f["sessions/pageviews"] = p
EOF
expect 2 "/transactions/amount: row 1234 is NaN" -- "$PERSONAE" features "$TMP/nan.h5" -o "$TMP/x.h5"
expect 2 "nan.h5" -- "$PERSONAE" features "$TMP/nan.h5" -o "$TMP/x.h5"
expect 2 "/transactions/order_id" -- "$PERSONAE" features "$TMP/nocol.h5" -o "$TMP/x.h5"
expect 2 "/sessions" -- "$PERSONAE" features "$TMP/short.h5" -o "$TMP/x.h5"
expect 3 "" -- "$PERSONAE" features "$TMP/absent.h5"
expect 1 "missing input" -- "$PERSONAE" features

# Real data: CDNOW imported has no sessions.
CDNOW=$DATASETS/cdnow/CDNOW_master.txt
if [ -f "$CDNOW" ]; then
  "$PERSONAE" import "$CDNOW" -o "$TMP/cdnow.h5" --quiet >/dev/null
  expect 0 "23570 customers" -- "$PERSONAE" features "$TMP/cdnow.h5" -o "$TMP/rc.h5"
  check "CDNOW: frequency and monetary agree with pandas" $PY - "$TMP/cdnow.h5" "$TMP/rc.h5" <<'EOF'
import sys, h5py, numpy as np, pandas as pd
f = h5py.File(sys.argv[1])["transactions"]
t = pd.DataFrame({k: f[k][:] for k in ["customer_id", "order_id", "amount"]})
g = h5py.File(sys.argv[2])["features"]
names = [n.decode() if isinstance(n, bytes) else n for n in g["names"][:]]
got = pd.DataFrame(g["raw"][:], columns=names, index=g["customer_id"][:])
net = t.groupby(["customer_id", "order_id"]).amount.sum()
freq = (net > 0).groupby(level=0).sum().reindex(got.index)
mon = t.groupby("customer_id").amount.sum().reindex(got.index)
assert np.array_equal(got["frequency"], freq), "frequency"
assert np.allclose(got["monetary"], mon, rtol=1e-6), "monetary"
assert len(names) == 7 and "categories" not in names and "discount_share" not in names, names
EOF
else
  echo "skip: CDNOW check ($CDNOW absent)"
fi
finish
