#!/bin/bash
# End-to-end: personae cluster / predict on a small HDF5 matrix.
# usage: test_cluster.sh PERSONAE_BINARY SHARED_DATASETS_DIR
set -u
bin=$1
py=/usr/bin/python3
if ! $py -c 'import h5py, numpy' 2>/dev/null; then
  echo "SKIP: Debian's python3-h5py is needed to write the test matrices"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

$py - "$tmp" <<'EOF'
import sys, h5py, numpy as np
rng = np.random.default_rng(3)
centres = rng.uniform(-20, 20, size=(6, 5))
x = (centres[rng.integers(0, 6, 9000)] + rng.normal(size=(9000, 5))).astype(np.float32)
with h5py.File(sys.argv[1] + "/in.h5", "w") as f:
    f["features/x"] = x
    f["features/w"] = rng.uniform(0.5, 2, 9000).astype(np.float32)
    f["features/c0"] = x[:6]
    f["features/c_bad"] = x[:6, :4]
    f["features/col"] = x[:, 0]
    bad = x.copy(); bad[4321, 2] = np.nan
    f["features/nan"] = bad
    f["new"] = x[:100] + 0.01
EOF
in=$tmp/in.h5
sum_before=$(sha256sum "$in")

# A fit with JSON output and the documented fields.
$bin cluster "$in" --dataset /features/x -k 6 --json --quiet --threads 2 -o "$tmp/r2.h5" > "$tmp/j2" 
check "cluster exits 0" test $? -eq 0
check "json has every field" $py -c '
import json, sys
j = json.load(open(sys.argv[1]))
need = {"k", "inertia", "iterations", "seconds", "io_seconds", "init_seconds", "kernel", "kernel_form", "algorithm", "converged"}
sys.exit(0 if need <= set(j) and j["k"] == 6 and j["algorithm"] == "lloyd" and j["inertia"] > 0
         and j["kernel_form"] in ("direct", "dot", "sgemm", "reference") else 1)' "$tmp/j2"

# Same seed, 1 thread: bit-identical model.
$bin cluster "$in" --dataset /features/x -k 6 --json --quiet --threads 1 -o "$tmp/r1.h5" > "$tmp/j1"
check "1 and 2 threads give the same model" $py -c '
import h5py, sys, numpy as np
a, b = h5py.File(sys.argv[1])["kmeans"], h5py.File(sys.argv[2])["kmeans"]
same = (a["centroids"][:].tobytes() == b["centroids"][:].tobytes() and
        np.array_equal(a["labels"][:], b["labels"][:]) and
        a.attrs["inertia"] == b.attrs["inertia"])
sys.exit(0 if same else 1)' "$tmp/r1.h5" "$tmp/r2.h5"

# Progress lines go to stderr, one per iteration.
$bin cluster "$in" --dataset /features/x -k 6 --threads 2 -o "$tmp/r3.h5" > /dev/null 2> "$tmp/err"
check "progress per iteration on stderr" grep -q "iter   1: inertia" "$tmp/err"

# Given centres, weights, n-init.
$bin cluster "$in" --dataset /features/x --init "$in:/features/c0" --weights /features/w \
  --max-iter 5 --tol 0 --quiet -o "$tmp/r4.h5" > /dev/null
check "--init FILE:/dataset and --weights" test $? -eq 0
$bin cluster "$in" --dataset /features/x -k 6 --n-init 3 --init random --quiet -o "$tmp/r5.h5" > /dev/null
check "--n-init with random init" test $? -eq 0

# predict on rows of the training data returns their training labels.
$bin predict "$tmp/r2.h5" "$in" --dataset /features/x --quiet -o "$tmp/p.h5" > /dev/null
check "predict exits 0" test $? -eq 0
check "predict reproduces the training labels" $py -c '
import h5py, sys, numpy as np
m, p = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
sys.exit(0 if np.array_equal(m["kmeans/labels"][:], p["predict/labels"][:]) else 1)' "$tmp/r2.h5" "$tmp/p.h5"

# Error paths: exit code, one-line message naming file and dataset, no output.
expect_fail() { # expect_fail CODE PATTERN ARGS...
  local code=$1 pattern=$2
  shift 2
  "$bin" "$@" > /dev/null 2> "$tmp/err"
  local rc=$?
  [ $rc -eq "$code" ] && grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err"; echo "rc=$rc"; return 1; }
}
check "missing dataset" expect_fail 2 "in.h5: dataset /nope is missing" cluster "$in" --dataset /nope -k 3 -o "$tmp/e.h5"
check "NaN names the row" expect_fail 2 "/features/nan: row 4321, column 2 is NaN" cluster "$in" --dataset /features/nan -k 3 -o "$tmp/e.h5"
check "1-D dataset" expect_fail 2 "expected a 2-D" cluster "$in" --dataset /features/col -k 3 -o "$tmp/e.h5"
check "k > n" expect_fail 1 "exceeds the 100 points of" cluster "$in" --dataset /new -k 101 -o "$tmp/e.h5"
check "--init column mismatch" expect_fail 1 "has 4 columns" cluster "$in" --dataset /features/x --init "$in:/features/c_bad" -o "$tmp/e.h5"
check "unknown algorithm" expect_fail 1 "unknown k-means algorithm" cluster "$in" --dataset /features/x -k 3 --algorithm bogus -o "$tmp/e.h5"
check "planned algorithm" expect_fail 5 "not implemented yet" cluster "$in" --dataset /features/x -k 3 --algorithm elkan -o "$tmp/e.h5"
check "missing -k" expect_fail 1 "-k is required" cluster "$in" --dataset /features/x -o "$tmp/e.h5"
check "missing input file" expect_fail 3 "cannot open" cluster "$tmp/none.h5" --dataset /x -k 3
check "writing into the input is refused" expect_fail 1 "refusing to write" cluster "$in" --dataset /features/x -k 3 -o "$in"
check "predict dimension mismatch" expect_fail 1 "columns but the model" predict "$tmp/r2.h5" "$in" --dataset /features/c_bad -o "$tmp/e.h5"
check "no output written on errors" test ! -e "$tmp/e.h5"
# PERSONAE_KERNEL naming nothing this machine runs is ignored, out loud.
PERSONAE_KERNEL=foo "$bin" cluster "$in" --dataset /features/x -k 3 --quiet -o "$tmp/k.h5" 2>"$tmp/k.err" >/dev/null
check "unknown PERSONAE_KERNEL: still clusters" test -e "$tmp/k.h5"
check "unknown PERSONAE_KERNEL: one warning line" test "$(grep -c "PERSONAE_KERNEL='foo' is ignored" "$tmp/k.err")" -eq 1
check "input file untouched" test "$(sha256sum "$in")" = "$sum_before"

exit $fail
