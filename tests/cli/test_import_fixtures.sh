# personae import on the small fixtures in datasets/fixtures/csv: summary,
# skipped-row reports, errors and exit codes, gzip, JSON, default output.
source "$(dirname "$0")/lib.sh" "$@"
FIX=$(cd "$(dirname "$0")/../../datasets/fixtures/csv" && pwd)
RETAIL=$FIX/retail_small.csv

expect 0 "rows imported   7" -- "$PERSONAE" import "$RETAIL" -o "$TMP/r.h5" --category-col StockCode
expect 0 "retail_small.csv:10: skipped, bad date" -- "$PERSONAE" import "$RETAIL" -o "$TMP/r.h5"
expect 0 "retail_small.csv:12: skipped, bad price" -- "$PERSONAE" import "$RETAIL" -o "$TMP/r.h5" \
  --category-col StockCode
check "quoted fields, cancellation, float-formatted id and category codes read back" \
  $PY - "$TMP/r.h5" <<'EOF'
import sys, h5py, numpy as np
t = h5py.File(sys.argv[1])["transactions"]
assert list(t["customer_id"][:]) == [17850, 17850, 15311, 16210, 14527, 12583, 12583]
assert list(t["order_id"][:]) == [536365, 536365, 536381, 536477, 536379, 536500, 536504]
assert np.allclose(t["amount"][:], [6 * 2.55, 6 * 3.39, 2 * 2.1, 48 * 2.1, -27.5, 1.25, 3 * 5.95])
names = [s.decode() for s in t["category_names"][:]]
assert names == ["85123A", "71053", "82567", "22041", "D", "21754"], names
assert list(t["category"][:]) == [0, 1, 2, 3, 4, 0, 5]
assert t["timestamp"][0] == 1291191960 and t["timestamp"][-1] == 1291385400
EOF

expect 2 "retail_small.csv:10: bad date" -- "$PERSONAE" import "$RETAIL" -o "$TMP/s.h5" --strict
check "--strict leaves no output" test ! -e "$TMP/s.h5"
expect 1 "no column named 'Client' (--customer-col); the header has: 'InvoiceNo'" -- \
  "$PERSONAE" import "$RETAIL" -o "$TMP/x.h5" --customer-col Client
expect 1 "give either --amount-col, or --quantity-col" -- \
  "$PERSONAE" import "$RETAIL" -o "$TMP/x.h5" --amount-col UnitPrice --quantity-col Quantity
expect 3 "cannot open" -- "$PERSONAE" import "$TMP/missing.csv" -o "$TMP/x.h5"
printf 'PK\003\004\000\001binary,stuff\nmore\000bytes,1\n' >"$TMP/binary.csv"
expect 2 "binary.csv:1: control or NUL bytes: not a text CSV export" -- "$PERSONAE" import "$TMP/binary.csv" -o "$TMP/x.h5"
# An amount no reader would take (beyond +-1e15) is skipped at import.
printf 'CustomerID,InvoiceNo,InvoiceDate,Amount\n1,2,2024-01-01,1e300\n3,4,2024-01-02,5\n' >"$TMP/huge.csv"
expect 0 "huge.csv:2: skipped, bad amount: column 'Amount': '1e300' is not an amount within +-1e15" -- "$PERSONAE" import "$TMP/huge.csv" -o "$TMP/huge.h5"
# A NUL inside a field is shown, not silently ending the quoted value.
printf 'CustomerID,InvoiceNo,InvoiceDate,Amount\n1,2,2024-01-01\000x,3\n' >"$TMP/nul.csv"
expect 2 "'2024-01-01\\x00x' is not a date" -- "$PERSONAE" import "$TMP/nul.csv" -o "$TMP/x.h5" --strict
: >"$TMP/empty.csv"
expect 2 "empty" -- "$PERSONAE" import "$TMP/empty.csv" -o "$TMP/x.h5"
head -1 "$RETAIL" >"$TMP/header.csv"
expect 2 "no data rows" -- "$PERSONAE" import "$TMP/header.csv" -o "$TMP/x.h5"
expect 1 "--date-format" -- "$PERSONAE" import "$RETAIL" --date-format ymd
expect 1 "no INPUT" -- "$PERSONAE" import -o "$TMP/x.h5"

# The input is never overwritten, whatever --out says.
cp "$RETAIL" "$TMP/self.csv"
expect 1 "refusing" -- "$PERSONAE" import "$TMP/self.csv" -o "$TMP/self.csv"
check "input unchanged" cmp "$RETAIL" "$TMP/self.csv"

# gzip input, read transparently; default output name beside the input.
gzip -c "$RETAIL" >"$TMP/retail.csv.gz"
expect 0 "rows imported   7" -- "$PERSONAE" import "$TMP/retail.csv.gz"
check "default output retail.h5" test -s "$TMP/retail.h5"
check "gzip and plain give the same columns" $PY - "$TMP/retail.h5" "$TMP/r.h5" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p)["transactions"] for p in sys.argv[1:])
for k in ["customer_id", "order_id", "timestamp", "amount", "discount"]:
    assert np.array_equal(a[k][:], b[k][:]), k
EOF

out=$("$PERSONAE" import "$RETAIL" -o "$TMP/j.h5" --json 2>/dev/null)
check "--json summary" $PY -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["rows_read"] == 11 and s["rows_imported"] == 7, s
assert s["skipped"]["missing_customer_id"] == 1 and s["malformed"] == 3, s
assert [p["line"] for p in s["problems"]] == [10, 11, 12], s["problems"]
assert s["customers"] == 5 and s["orders"] == 6 and abs(s["total_amount"] - 132.24) < 1e-9
assert s["format"] == "csv" and s["delimiter"] == ","
' "$out"

# Whitespace columns (CDNOW style, CRLF), with and without a header.
expect 0 "rows imported   6" -- "$PERSONAE" import "$FIX/cdnow_small.txt" -o "$TMP/c.h5"
tail -n +2 "$FIX/cdnow_small.txt" >"$TMP/nohead.txt"
expect 0 "customers       4" -- "$PERSONAE" import "$TMP/nohead.txt" -o "$TMP/c2.h5" \
  --no-header --customer-col 1 --time-col 2 --amount-col 4 --format whitespace
expect 1 "column number" -- "$PERSONAE" import "$TMP/nohead.txt" -o "$TMP/c3.h5" --no-header
check "no header: same rows as with it" $PY - "$TMP/c.h5" "$TMP/c2.h5" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p)["transactions"] for p in sys.argv[1:])
for k in ["customer_id", "order_id", "timestamp", "amount"]:
    assert np.array_equal(a[k][:], b[k][:]), k
assert list(a["order_id"][:]) == [1, 2, 3, 4, 5, 6]
EOF

# A semicolon export with European dates and percentage discounts.
printf 'client;date;total;remise\n1;31/12/2023 23:30;10,5;10%%\n' >"$TMP/eu.csv"
expect 2 "bad amount" -- "$PERSONAE" import "$TMP/eu.csv" -o "$TMP/eu.h5" --customer-col client \
  --date-format dmy --discount-col remise
printf 'client;date;total;remise\n1;31/12/2023 23:30;10.5;10%%\n2;01/01/2024;3;0.2\n' >"$TMP/eu.csv"
expect 0 "2023-12-31 23:30:00 .. 2024-01-01 00:00:00" -- "$PERSONAE" import "$TMP/eu.csv" \
  -o "$TMP/eu.h5" --customer-col client --date-format dmy --discount-col remise
finish
