#!/bin/bash
# personae run on the real transaction-only datasets (Online Retail, CDNOW):
# no web sessions, so the session-based archetypes are not offered; the
# personas must still make sense: the largest-revenue persona is the repeat
# buyers, who order more often than average, and the focus covers >= 80% of
# revenue. Skipped when the shared datasets are absent.
# usage: test_run_datasets.sh PERSONAE_BINARY SHARED_DATASETS_DIR
source "$(dirname "$0")/lib.sh" "$@"
RETAIL=$DATASETS/uci-online-retail/online_retail.csv.gz
CDNOW=$DATASETS/cdnow/CDNOW_master.txt
if [ -z "$DATASETS" ] || [ ! -f "$RETAIL" ] || [ ! -f "$CDNOW" ]; then
  echo "SKIP: shared datasets directory '$DATASETS' (Online Retail, CDNOW) is absent"
  exit 77
fi
"$PERSONAE" import "$RETAIL" -o "$TMP/retail.h5" --category-col StockCode --quiet >/dev/null
"$PERSONAE" import "$CDNOW" -o "$TMP/cdnow.h5" --quiet >/dev/null
for data in retail cdnow; do
  "$PERSONAE" run "$TMP/$data.h5" --json --quiet --html "$TMP/$data.html" > "$TMP/$data.json"
  check "$data: run -k auto exits 0" test $? -eq 0
  check "$data: transaction-only personas make sense" $PY - "$TMP/$data.json" <<'PY'
import sys, json
j = json.load(open(sys.argv[1]))
assert not j["has_sessions"]
p = j["personas"]
session = {"bouncer", "passive_browser", "cart_abandoner", "impulse_buyer"}
assert not session & {x["archetype"] for x in p}
assert 3 <= len(p) <= 12 and j["clustering"]["k_mode"] == "auto"
top = p[0]  # report order: by revenue
assert top["archetype"] == "repeat_buyer", top["archetype"]
assert any("as often as the average customer" in t for t in top["traits"]), top["traits"]
assert sum(x["share_revenue"] for x in p if x["focus"]) >= 0.8
assert abs(sum(x["share_customers"] for x in p) - 1) < 1e-9
PY
done
finish
