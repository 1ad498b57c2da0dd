#!/usr/bin/python3
"""The obvious alternative to `personae run`, and the comparison with it.

A pandas + scikit-learn script as a data team would write it: per-customer
features by groupby, log1p + standardise, KMeans(n_init=3). It prints its
compute time, wall time, peak memory and the adjusted Rand index against the
planted archetypes (/truth); `personae run` on the same file (whole process:
I/O included) gets the same figures. Each side runs --repeat times in its own
fresh process, alternating which goes first; medians and ratios are printed.

usage: bench/peers_personas.py FILE.h5 PERSONAE_BINARY [-k K] [--threads N] [--repeat R]
(FILE.h5 from `personae generate`, e.g. --customers 1000000)
"""
import argparse
import json
import os
import resource
import statistics
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


def run_script(path, k):
    """The pandas + scikit-learn script, in this process; returns its figures."""
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    with h5py.File(path, "r") as f:
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
        km = KMeans(n_clusters=k, n_init=3, random_state=0).fit(x)
        t3 = time.perf_counter()
        truth = truth_for(f, feat.index.to_numpy())
    return {
        "customers": len(feat), "features": x.shape[1],
        "features_s": t1 - t0, "scale_s": t2 - t1, "kmeans_s": t3 - t2, "compute_s": t3 - t0,
        "wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0,
        "rss_mb": peak_rss_mb(resource.RUSAGE_SELF),
        "ari": float(adjusted_rand_score(truth, km.labels_)),
    }


def script_child(args):
    """Runs the script in a fresh interpreter (so that neither side inherits
    the other's memory, threads or caches) and returns its figures."""
    cmd = [sys.executable, os.path.abspath(__file__), "--script-only", args.input, args.personae,
           "-k", str(args.k)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def personae_child(args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.personae.h5")
        # /usr/bin/time measures the peak RSS of personae itself.
        rss_file = os.path.join(tmp, "rss")
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file,
               args.personae, "run", args.input, "-k", str(args.k), "--out", out, "--quiet",
               "--json"]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        w0 = time.perf_counter()
        # The report goes to a file (a full pipe would stall the child).
        report = os.path.join(tmp, "report.json")
        with open(report, "w") as fh:
            child = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, text=True)
            _, status, _ = os.wait4(child.pid, 0)
        wall = time.perf_counter() - w0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"personae run failed ({child.returncode}): {child.stderr.read().strip()}")
        with open(rss_file) as fh:
            rss = int(fh.read().split()[-1]) / 1024.0
        with open(report) as fh:
            steps = json.load(fh)["seconds"]
        with h5py.File(out, "r") as r, h5py.File(args.input, "r") as f:
            ids = r["personas/customer_id"][:]
            ari = adjusted_rand_score(truth_for(f, ids), r["personas/persona"][:])
    return {"wall_s": wall, "rss_mb": rss, "ari": float(ari), "steps": steps}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("input")
    ap.add_argument("personae")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each side, alternating; medians are compared (default 3)")
    ap.add_argument("--script-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.script_only:
        print(json.dumps(run_script(args.input, args.k)))
        return

    py, pe = [], []
    for r in range(args.repeat):
        # Alternate which side goes first, so a slow spell of this (shared,
        # noisy) machine does not land on one side only.
        order = [script_child, personae_child] if r % 2 == 0 else [personae_child, script_child]
        for fn in order:
            res = fn(args)
            (py if fn is script_child else pe).append(res)
            who = "script  " if fn is script_child else "personae"
            print(f"  run {r + 1} {who} wall {res['wall_s']:6.2f} s, peak RSS {res['rss_mb']:5.0f} MB",
                  flush=True)
    med = statistics.median
    p0 = py[0]
    print(f"pandas+sklearn: {p0['customers']} customers, {p0['features']} features, k = {args.k}, "
          f"medians of {args.repeat}")
    print(f"  features {med(x['features_s'] for x in py):.2f} s, scale {med(x['scale_s'] for x in py):.2f} s, "
          f"KMeans(n_init=3) {med(x['kmeans_s'] for x in py):.2f} s; compute {med(x['compute_s'] for x in py):.2f} s, "
          f"wall {med(x['wall_s'] for x in py):.2f} s, cpu {med(x['cpu_s'] for x in py):.2f} s, "
          f"peak RSS {med(x['rss_mb'] for x in py):.0f} MB, ARI {p0['ari']:.4f}")
    print(f"personae run:   wall {med(x['wall_s'] for x in pe):.2f} s (whole process, I/O included; "
          f"runs {min(x['wall_s'] for x in pe):.2f}..{max(x['wall_s'] for x in pe):.2f}), "
          f"peak RSS {med(x['rss_mb'] for x in pe):.0f} MB, ARI {pe[0]['ari']:.4f}")
    # personae's own time per step (its --json "seconds"), medians.
    def step(*path):
        vals = []
        for x in pe:
            v = x["steps"]
            for key in path:
                v = v[key]
            vals.append(v)
        return med(vals)
    print(f"  steps: features {step('features'):.2f} s (transactions pass "
          f"{step('features_steps', 'transactions'):.2f}, sessions pass "
          f"{step('features_steps', 'sessions'):.2f}, customers {step('features_steps', 'customers'):.2f}, "
          f"values {step('features_steps', 'assemble'):.2f}, scaling {step('features_steps', 'scaling'):.2f}), "
          f"rfm {step('rfm'):.2f} s, cluster {step('cluster'):.2f} s, describe {step('describe'):.2f} s, "
          f"writing {step('write'):.2f} s (/rfm {step('write_steps', 'rfm'):.2f}, /features "
          f"{step('write_steps', 'features'):.2f}, /kmeans+/personas {step('write_steps', 'kmeans_personas'):.2f}, "
          f"commit {step('write_steps', 'commit'):.2f}); in-process total {step('total'):.2f} s")
    wall_py, wall_pe = med(x["wall_s"] for x in py), med(x["wall_s"] for x in pe)
    print(f"ratio: {wall_py / wall_pe:.1f}x faster than the script's wall time (medians; per run "
          f"{min(a['wall_s'] / b['wall_s'] for a, b in zip(py, pe)):.1f}x..{max(a['wall_s'] / b['wall_s'] for a, b in zip(py, pe)):.1f}x), "
          f"{med(x['compute_s'] for x in py) / wall_pe:.1f}x its compute; "
          f"memory {med(x['rss_mb'] for x in py) / med(x['rss_mb'] for x in pe):.1f}x lower; "
          f"ARI {pe[0]['ari'] - p0['ari']:+.4f}")


if __name__ == "__main__":
    main()
