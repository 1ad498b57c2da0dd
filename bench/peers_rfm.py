#!/usr/bin/python3
"""The pandas peer for `personae rfm`: the widely used groupby + qcut recipe on
the same HDF5 file, timed, and optionally compared customer by customer with
the /rfm group personae wrote.

    peers_rfm.py IN.h5 [--rows N] [--as-of YYYY-MM-DD] [--bins B]
                 [--compare RESULT.h5] [--json]

Timings: read_s (h5py reads the four columns), compute_s (DataFrame,
groupby, rank + qcut), total_s. With --compare, exits 1 if any scored
customer's id, frequency, recency, R or F differs, or M differs for more than
the few customers whose monetary sums tie up to rounding (pandas sums with
Kahan compensation; personae sums in row order).
"""
import argparse
import json
import sys
import time

import h5py
import numpy as np
import pandas as pd


def pandas_rfm(cols, as_of, bins):
    df = pd.DataFrame({
        "customer_id": cols["customer_id"],
        "order_id": cols["order_id"],
        "ts": pd.to_datetime(cols["timestamp"], unit="s"),
        "amount": cols["amount"],
    })
    if as_of is None:
        as_of = df.ts.max() + pd.Timedelta(days=1)
    future = int((df.ts > as_of).sum())
    df = df[df.ts <= as_of]
    order_net = df.groupby(["customer_id", "order_id"], sort=False)["amount"].sum()
    frequency = (order_net > 0).groupby(level="customer_id").sum()
    monetary = df.groupby("customer_id")["amount"].sum()
    last = df[df.amount > 0].groupby("customer_id")["ts"].max()
    rfm = pd.DataFrame({"frequency": frequency, "monetary": monetary, "last": last})
    rfm = rfm[rfm.frequency >= 1].sort_index()
    rfm["recency"] = (as_of - rfm["last"]).dt.days
    labels = list(range(1, bins + 1))
    rfm["R"] = pd.qcut(rfm.recency.rank(method="first"), bins, labels=labels[::-1]).astype(int)
    rfm["F"] = pd.qcut(rfm.frequency.rank(method="first"), bins, labels=labels).astype(int)
    rfm["M"] = pd.qcut(rfm.monetary.rank(method="first"), bins, labels=labels).astype(int)
    return rfm, future


def compare(rfm, result_path):
    with h5py.File(result_path, "r") as f:
        g = f["rfm"]
        ours = pd.DataFrame({k: g[k][:] for k in
                             ("customer_id", "has_purchase", "frequency", "recency_days",
                              "monetary", "r", "f", "m")})
    ours = ours[ours.has_purchase == 1].set_index("customer_id")
    problems = []
    if len(ours) != len(rfm) or not np.array_equal(ours.index.to_numpy(), rfm.index.to_numpy()):
        return {"scored_pandas": len(rfm), "scored_personae": len(ours),
                "problems": ["scored customers differ"]}
    mism = {}
    for mine, theirs in (("frequency", "frequency"), ("recency_days", "recency"),
                         ("r", "R"), ("f", "F"), ("m", "M")):
        mism[mine] = int((ours[mine].to_numpy() != rfm[theirs].to_numpy()).sum())
    mon_diff = np.abs(ours.monetary.to_numpy() - rfm.monetary.to_numpy())
    tol = 1e-9 * np.maximum(1.0, np.abs(rfm.monetary.to_numpy()))
    mism["monetary"] = int((mon_diff > tol).sum())
    for k in ("frequency", "recency_days", "r", "f", "monetary"):
        if mism[k]:
            problems.append(f"{k}: {mism[k]} customers differ")
    if mism["m"] > max(2, len(rfm) // 100000):
        problems.append(f"m: {mism['m']} customers differ")
    return {"scored": len(rfm), "mismatches": mism, "problems": problems}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--rows", type=int, default=0, help="read only the first N rows")
    ap.add_argument("--as-of", default=None)
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--compare", default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    t0 = time.perf_counter()
    with h5py.File(a.input, "r") as f:
        t = f["transactions"]
        n = t["customer_id"].shape[0] if a.rows <= 0 else min(a.rows, t["customer_id"].shape[0])
        cols = {k: t[k][:n] for k in ("customer_id", "order_id", "timestamp", "amount")}
    t1 = time.perf_counter()
    as_of = pd.Timestamp(a.as_of) if a.as_of else None
    rfm, future = pandas_rfm(cols, as_of, a.bins)
    t2 = time.perf_counter()
    out = {"rows": int(n), "customers_scored": int(len(rfm)), "rows_future": future,
           "read_s": t1 - t0, "compute_s": t2 - t1, "total_s": t2 - t0}
    rc = 0
    if a.compare:
        out["compare"] = compare(rfm, a.compare)
        rc = 1 if out["compare"]["problems"] else 0
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
