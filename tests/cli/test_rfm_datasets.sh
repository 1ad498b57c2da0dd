# personae import -> personae rfm on the real Online Retail data, checked
# against pandas reading the original CSV itself (not our HDF5): customer
# count, revenue, scored customers, per-customer frequency / recency / R / F
# and the score distributions. Skips when the datasets are absent.
source "$(dirname "$0")/lib.sh" "$@"
RETAIL="$DATASETS/uci-online-retail/online_retail.csv.gz"
[ -f "$RETAIL" ] || { echo "SKIP: $RETAIL not found"; exit 77; }

"$PERSONAE" import --quiet -o "$TMP/retail.h5" "$RETAIL" >/dev/null || { echo "FAIL: import"; exit 1; }
expect 0 "Champions" -- "$PERSONAE" rfm "$TMP/retail.h5" --out "$TMP/retail.rfm.h5"
"$PERSONAE" rfm "$TMP/retail.h5" --quiet --as-of 2011-06-01 --out "$TMP/retail.jun.h5" >/dev/null

for asof in "" 2011-06-01; do
  result="$TMP/retail.rfm.h5"
  [ -n "$asof" ] && result="$TMP/retail.jun.h5"
  check "Online Retail (as of ${asof:-default}): RFM agrees with pandas on the CSV" $PY - "$RETAIL" "$result" "$asof" <<'EOF'
import sys, h5py, numpy as np, pandas as pd
csv, result, asof = sys.argv[1], sys.argv[2], sys.argv[3]
df = pd.read_csv(csv, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"})
df = df[df.CustomerID.notna()]
customers_all = df.CustomerID.nunique()
df["ts"] = pd.to_datetime(df.InvoiceDate)
df["amount"] = df.Quantity * df.UnitPrice
as_of = pd.Timestamp(asof) if asof else df.ts.max() + pd.Timedelta(days=1)
future = int((df.ts > as_of).sum())
df = df[df.ts <= as_of]
net = df.groupby(["CustomerID", "InvoiceNo"])["amount"].sum()
freq = (net > 0).groupby(level=0).sum()
monetary = df.groupby("CustomerID")["amount"].sum()
last = df[df.amount > 0].groupby("CustomerID")["ts"].max()
rfm = pd.DataFrame({"frequency": freq, "monetary": monetary, "last": last})
rfm = rfm[rfm.frequency >= 1].sort_index()
rfm["recency"] = (as_of - rfm["last"]).dt.days
rfm["R"] = pd.qcut(rfm.recency.rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
rfm["F"] = pd.qcut(rfm.frequency.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
rfm["M"] = pd.qcut(rfm.monetary.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)

g = h5py.File(result, "r")["rfm"]
assert g.attrs["rows_future"] == future, (g.attrs["rows_future"], future)
assert g.attrs["customers"] == customers_all, (g.attrs["customers"], customers_all)
ours = pd.DataFrame({k: g[k][:] for k in ("customer_id", "has_purchase", "frequency",
                     "recency_days", "monetary", "r", "f", "m")}).set_index("customer_id")
assert abs(ours.monetary.sum() - monetary.sum()) < 1e-6 * abs(monetary.sum())
ours = ours[ours.has_purchase == 1]
assert len(ours) == len(rfm), (len(ours), len(rfm))
assert np.array_equal(ours.index.to_numpy(), rfm.index.to_numpy().astype(np.int64))
for mine, theirs in (("frequency", "frequency"), ("recency_days", "recency"), ("r", "R"), ("f", "F")):
    bad = int((ours[mine].to_numpy() != rfm[theirs].to_numpy()).sum())
    assert bad == 0, (mine, bad)
assert np.allclose(ours.monetary.to_numpy(), rfm.monetary.to_numpy(), rtol=1e-9, atol=1e-6)
# M: identical up to customers whose monetary sums tie only up to rounding.
bad_m = int((ours.m.to_numpy() != rfm.M.to_numpy()).sum())
assert bad_m <= 2, bad_m
for mine, theirs in (("r", "R"), ("f", "F"), ("m", "M")):
    a = np.bincount(ours[mine].to_numpy(), minlength=6)[1:]
    b = np.bincount(rfm[theirs].to_numpy(), minlength=6)[1:]
    assert (a == b).all(), (mine, a, b)
print("customers", customers_all, "scored", len(rfm), "future", future, "M mismatches", bad_m)
EOF
done
finish
