#!/usr/bin/python3
"""The obvious alternative to `personae run`, and the comparison with it.

A pandas + scikit-learn script as a data team would write it: per-customer
features by groupby, log1p + standardise, KMeans(n_init=3). It prints its
compute time, wall time, peak memory and the adjusted Rand index against the
planted archetypes (/truth), then runs `personae run` on the same file as a
child process (whole process: I/O included) and prints the same figures and
the ratios.

usage: bench/peers_personas.py FILE.h5 PERSONAE_BINARY [-k K] [--threads N]
(FILE.h5 from `personae generate`, e.g. --customers 1000000)
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

DAY = 86400.0


def read_table(f, group, columns):
    return pd.DataFrame({c: f[group][c][:] for c in columns})


def features(f):
    """One row per customer (index: customer_id), the features of docs/features.md."""
    tx = read_table(f, "transactions",
                    ["customer_id", "order_id", "timestamp", "amount", "discount", "category"])
    as_of = tx["timestamp"].max() + DAY
    orders = tx.groupby(["customer_id", "order_id"]).agg(
        amount=("amount", "sum"), ts=("timestamp", "min"), disc=("discount", "max"),
        low=("amount", "min"))
    orders["discounted"] = orders["disc"] > 0
    orders["ret"] = orders["low"] < 0  # an order with a negative (return) line
    orders["holiday"] = pd.to_datetime(orders["ts"], unit="s").dt.month >= 11
    g = orders.groupby(level=0)
    feat = pd.DataFrame({
        "recency_days": (as_of - g["ts"].max()) / DAY,
        "frequency": g.size(),
        "monetary": g["amount"].sum(),
        "tenure_days": (g["ts"].max() - g["ts"].min()) / DAY,
        "discount_share": g["discounted"].mean(),
        "return_rate": g["ret"].mean(),
        "holiday_share": g["holiday"].mean(),
    })
    feat["aov"] = feat["monetary"] / feat["frequency"]
    feat["categories"] = tx.groupby("customer_id")["category"].nunique()
    if "sessions" in f:
        s = read_table(f, "sessions",
                       ["customer_id", "pageviews", "duration_s", "cart_adds", "purchased"])
        s["bounce"] = s["pageviews"] == 1
        s["abandon"] = (s["cart_adds"] > 0) & (s["purchased"] == 0)
        s["carted"] = s["cart_adds"] > 0
        sg = s.groupby("customer_id")
        sf = pd.DataFrame({
            "sessions": sg.size(),
            "pages_per_session": sg["pageviews"].mean(),
            "bounce_rate": sg["bounce"].mean(),
            "cart_adds": sg["cart_adds"].sum(),
            "cart_abandonment": sg["abandon"].sum() / sg["carted"].sum().replace(0, np.nan),
            "time_on_site_s": sg["duration_s"].mean(),
        })
        feat = feat.join(sf, how="outer")
    return feat.fillna(0.0).sort_index()


LOG1P = {"recency_days", "frequency", "monetary", "aov", "tenure_days", "categories", "sessions",
         "pages_per_session", "cart_adds", "time_on_site_s"}


def truth_for(f, ids):
    t = pd.Series(f["truth/archetype"][:], index=f["truth/customer_id"][:])
    return t.reindex(ids).to_numpy()


def peak_rss_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("input")
    ap.add_argument("personae")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    with h5py.File(args.input, "r") as f:
        t0 = time.perf_counter()
        feat = features(f)
        t1 = time.perf_counter()
        x = feat.to_numpy(dtype=np.float64)
        for j, name in enumerate(feat.columns):
            if name in LOG1P:
                x[:, j] = np.log1p(np.maximum(x[:, j], 0))
        sd = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1)
        t2 = time.perf_counter()
        km = KMeans(n_clusters=args.k, n_init=3, random_state=0).fit(x)
        t3 = time.perf_counter()
        truth = truth_for(f, feat.index.to_numpy())
    wall_py = time.perf_counter() - wall0
    cpu_py = time.process_time() - cpu0
    ari_py = adjusted_rand_score(truth, km.labels_)
    rss_py = peak_rss_mb(resource.RUSAGE_SELF)
    print(f"pandas+sklearn: {len(feat)} customers, {x.shape[1]} features, k = {args.k}")
    print(f"  features {t1 - t0:.2f} s, scale {t2 - t1:.2f} s, KMeans(n_init=3) {t3 - t2:.2f} s; "
          f"compute {t3 - t0:.2f} s, wall {wall_py:.2f} s, cpu {cpu_py:.2f} s, "
          f"peak RSS {rss_py:.0f} MB, ARI {ari_py:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.personae.h5")
        # /usr/bin/time measures the peak RSS of personae itself: the rusage
        # of a child forked from this (by now large) Python process would
        # start from this process's own peak.
        rss_file = os.path.join(tmp, "rss")
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file,
               args.personae, "run", args.input, "-k", str(args.k), "--out", out, "--quiet"]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        w0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, _ = os.wait4(child.pid, 0)
        wall_pe = time.perf_counter() - w0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"personae run failed ({child.returncode}): {child.stderr.read().strip()}")
        with open(rss_file) as fh:
            rss_pe = int(fh.read().split()[-1]) / 1024.0
        with h5py.File(out, "r") as r, h5py.File(args.input, "r") as f:
            ids = r["personas/customer_id"][:]
            ari_pe = adjusted_rand_score(truth_for(f, ids), r["personas/persona"][:])
    print(f"personae run:   wall {wall_pe:.2f} s (whole process, I/O included), "
          f"peak RSS {rss_pe:.0f} MB, ARI {ari_pe:.4f}")
    print(f"ratio: {wall_py / wall_pe:.1f}x faster than the script's wall time, "
          f"{(t3 - t0) / wall_pe:.1f}x its compute; memory {rss_py / rss_pe:.1f}x lower; "
          f"ARI {ari_pe - ari_py:+.4f}")


if __name__ == "__main__":
    main()
