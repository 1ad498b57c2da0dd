# personae import on the real public exports in ../shared/datasets: UCI
# Online Retail (gzip'd CSV), Online Retail II 2009-2010 (other column names)
# and CDNOW (whitespace columns, with and without a header). The expected
# counts and sums are computed here from the source files with Python's csv
# module and awk, then compared with what the HDF5 file holds.
source "$(dirname "$0")/lib.sh" "$@"
if [ -z "$DATASETS" ] || [ ! -d "$DATASETS" ]; then
  echo "SKIP: shared datasets directory '$DATASETS' is absent"
  exit 77
fi
RETAIL=$DATASETS/uci-online-retail/online_retail.csv.gz
RETAIL2=$DATASETS/uci-online-retail-ii-2009-2010/online_retail_ii_2009_2010.csv.gz
CDNOW=$DATASETS/cdnow/CDNOW_master.txt
CDNOW_SAMPLE=$DATASETS/cdnow/CDNOW_sample.txt
for f in "$RETAIL" "$RETAIL2" "$CDNOW" "$CDNOW_SAMPLE"; do
  if [ ! -r "$f" ]; then
    echo "SKIP: $f is missing"
    exit 77
  fi
done

# Expected values of an Online Retail style export, independent of personae:
# rows, rows with a customer, distinct customers and invoices (numeric part)
# among them, sum of quantity x price, first and last time (local = UTC).
expected_retail() {
  $PY - "$@" <<'EOF'
import calendar, csv, gzip, json, sys, time
path, cust, inv, qty, date, price = sys.argv[1:]
rows = kept = 0
customers, orders = set(), set()
total = 0.0
first = last = None
with gzip.open(path, "rt", newline="") as f:
    r = csv.reader(f)
    header = next(r)
    c, i, q, d, p = (header.index(name) for name in (cust, inv, qty, date, price))
    for row in r:
        rows += 1
        if not row[c].strip():
            continue
        kept += 1
        customers.add(int(float(row[c])))
        orders.add(int(row[i].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        total += float(row[q]) * float(row[p])
        # "YYYY-MM-DD HH:MM:SS" sorts as text; only the extremes are converted.
        first = row[d] if first is None else min(first, row[d])
        last = row[d] if last is None else max(last, row[d])
first, last = (calendar.timegm(time.strptime(s, "%Y-%m-%d %H:%M:%S")) for s in (first, last))
print(json.dumps(dict(rows=rows, kept=kept, customers=len(customers), orders=len(orders),
                      total=total, first=first, last=last)))
EOF
}

# Compares personae's --json summary and HDF5 output with the expectation.
compare() {
  $PY - "$@" <<'EOF'
import json, sys, h5py, numpy as np
want, got, h5 = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
t = h5py.File(h5)["transactions"]
n = len(t["customer_id"])
for k in ["customer_id", "order_id", "timestamp", "amount", "discount", "category"]:
    assert len(t[k]) == n, (k, len(t[k]), n)
assert got["rows_read"] == want["rows"], (got["rows_read"], want["rows"])
assert got["rows_imported"] == want["kept"] == n, (got["rows_imported"], want["kept"], n)
assert got["skipped"]["missing_customer_id"] == want["rows"] - want["kept"]
assert got["malformed"] == 0, got["problems"]
assert got["customers"] == want["customers"] == len(np.unique(t["customer_id"][:]))
assert got["orders"] == want["orders"] == len(np.unique(t["order_id"][:]))
amount = t["amount"][:]
assert abs(amount.sum() - want["total"]) < 1e-6 * max(1.0, abs(want["total"])), (amount.sum(), want["total"])
assert abs(got["total_amount"] - want["total"]) < 1e-6 * max(1.0, abs(want["total"]))
ts = t["timestamp"][:]
assert ts.min() == want["first"] == got["first_timestamp"], (ts.min(), want["first"])
assert ts.max() == want["last"] == got["last_timestamp"], (ts.max(), want["last"])
EOF
}

run_import() { # prints the JSON summary; the time goes to stderr
  local t0 t1
  t0=$(date +%s.%N)
  "$PERSONAE" import --json --quiet "$@"
  t1=$(date +%s.%N)
  echo "import $(basename "$1"): $(echo "$t1 - $t0" | bc) s wall" >&2
}

want=$(expected_retail "$RETAIL" CustomerID InvoiceNo Quantity InvoiceDate UnitPrice)
got=$(run_import "$RETAIL" -o "$TMP/retail.h5")
check "Online Retail: personae matches an independent count and sum" compare "$want" "$got" "$TMP/retail.h5"
# The dataset's README states these; the computation above must agree.
check "Online Retail: 541,909 rows - 135,080 without customer = 406,829 imported" $PY -c '
import json, sys
w = json.loads(sys.argv[1])
assert (w["rows"], w["rows"] - w["kept"], w["kept"], w["customers"]) == (541909, 135080, 406829, 4372), w
' "$want"

want=$(expected_retail "$RETAIL2" "Customer ID" Invoice Quantity InvoiceDate Price)
got=$(run_import "$RETAIL2" -o "$TMP/retail2.h5")
check "Online Retail II (Customer ID, Invoice, Price found by name)" compare "$want" "$got" \
  "$TMP/retail2.h5"

# CDNOW master: whitespace columns, CRLF, a header; no order id (one per row).
want=$(awk 'NR > 1 && NF == 4 { n++; c[$1] = 1; s += $4 }
            END { printf "{\"rows\": %d, \"kept\": %d, \"customers\": %d, \"total\": %.2f}", n, n, length(c), s }' \
  "$CDNOW")
got=$(run_import "$CDNOW" -o "$TMP/cdnow.h5")
check "CDNOW master: rows, customers and sum of amounts match awk" $PY - "$want" "$got" "$TMP/cdnow.h5" <<'EOF'
import json, sys, h5py, numpy as np
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
t = h5py.File(sys.argv[3])["transactions"]
assert got["format"] == "whitespace" and got["orders_synthesised"]
assert got["rows_imported"] == want["rows"] == len(t["amount"]), (got["rows_imported"], want)
assert got["customers"] == want["customers"] == len(np.unique(t["customer_id"][:]))
assert abs(t["amount"][:].sum() - want["total"]) < 0.005, (t["amount"][:].sum(), want["total"])
assert np.array_equal(t["order_id"][:], np.arange(1, want["rows"] + 1))
assert t["timestamp"][:].min() == 852076800 and t["timestamp"][:].max() == 899164800  # 1997-01-01, 1998-06-30
EOF
check "CDNOW master: 69,659 rows, 23,570 customers, 2,500,315.63 (README)" $PY -c '
import json, sys
w = json.loads(sys.argv[1])
assert (w["rows"], w["customers"], round(w["total"], 2)) == (69659, 23570, 2500315.63), w
' "$want"

# CDNOW sample: no header, 5 columns; customers by column number.
want=$(awk 'NF == 5 { n++; c[$1] = 1; s += $5 }
            END { printf "{\"rows\": %d, \"customers\": %d, \"total\": %.2f}", n, length(c), s }' \
  "$CDNOW_SAMPLE")
got=$(run_import "$CDNOW_SAMPLE" -o "$TMP/sample.h5" --no-header --customer-col 1 --time-col 3 \
  --amount-col 5)
check "CDNOW sample (--no-header, column numbers)" $PY -c '
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert (got["rows_imported"], got["customers"]) == (want["rows"], want["customers"]) == (6919, 2357), (got, want)
assert abs(got["total_amount"] - want["total"]) < 0.005
' "$want" "$got"
finish
