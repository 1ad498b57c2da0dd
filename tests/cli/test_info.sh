# personae info / --version: CPU features, variants, the override and what auto picks.
source "$(dirname "$0")/lib.sh" "$@"

expect 0 "auto picks" -- "$PERSONAE" info
expect 0 "kernels: scalar yes" -- "$PERSONAE" --version
check "--json parses and names every variant" bash -c "'$PERSONAE' info --json | $PY -c '
import json, sys
j = json.load(sys.stdin)
assert set(j[\"kernels\"]) == {\"scalar\", \"avx2\", \"avx512\", \"blas\"}, j
assert j[\"kernels\"][\"scalar\"] is True
assert len(j[\"auto\"]) == 4 and all(a[\"kernel\"] in j[\"kernels\"] for a in j[\"auto\"])
assert all(a[\"kernel_form\"] in (\"direct\", \"dot\", \"sgemm\", \"reference\") for a in j[\"auto\"])
assert isinstance(j[\"cpu\"][\"vendor\"], str) and j[\"cpu\"][\"vendor\"]
'"
expect 0 "'bogus' ignored" -- env PERSONAE_KERNEL=bogus "$PERSONAE" info
expect 0 "PERSONAE_KERNEL: scalar" -- env PERSONAE_KERNEL=scalar "$PERSONAE" info
expect 0 "avx512 no" -- env PERSONAE_CPU_DISABLE=avx512 "$PERSONAE" info
expect 0 "avx2 no" -- env PERSONAE_CPU_DISABLE=avx512,avx2 "$PERSONAE" info
# A name that is none of them hides nothing, and says so.
expect 0 "PERSONAE_CPU_DISABLE: 'avx-512' ignored" -- env PERSONAE_CPU_DISABLE=avx2,avx-512 "$PERSONAE" info
# A variant the CPU lacks is refused by cluster with exit 5.
"$PERSONAE" generate --customers 300 --out "$TMP/s.h5" --quiet >/dev/null
"$PY" -c "import h5py, numpy as np
with h5py.File('$TMP/x.h5', 'w') as f: f['x'] = np.random.default_rng(1).normal(size=(500, 5)).astype('f4')"
expect 5 "avx512" -- env PERSONAE_CPU_DISABLE=avx512 "$PERSONAE" cluster "$TMP/x.h5" --dataset /x -k 3 --kernel avx512 --out "$TMP/m.h5" --quiet
expect 0 "" -- "$PERSONAE" cluster "$TMP/x.h5" --dataset /x -k 3 --kernel scalar --out "$TMP/m.h5" --quiet
expect 0 "PERSONAE_CPU_DISABLE names 'sse'" -- env PERSONAE_CPU_DISABLE=sse "$PERSONAE" cluster "$TMP/x.h5" --dataset /x -k 3 --out "$TMP/m.h5" --quiet
finish
