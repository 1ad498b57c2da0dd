#!/bin/bash
# The HTML report in a real browser: headless Chromium loads the page from
# disk with networking features off, and we check what it rendered (the DOM:
# one card per persona, the charts, the names) and a screenshot (the right
# size, and not blank: the persona colours are on it).
# Skipped (77) where Debian's chromium is not installed.
# usage: test_html.sh PERSONAE_BINARY SHARED_DATASETS_DIR
source "$(dirname "$0")/lib.sh" "$@"
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "SKIP: $CHROMIUM is not installed (Debian package chromium)"
  exit 77
fi
if ! $PY -c 'import PIL' 2>/dev/null; then
  echo "SKIP: Debian's python3-pil is needed to read the screenshot"
  exit 77
fi
chrome() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$TMP/profile-XXXXXX")" "$@" 2>/dev/null
}
shop=$TMP/shop.h5
"$PERSONAE" generate --customers 3000 --out "$shop" --seed 9 --quiet >/dev/null
"$PERSONAE" run "$shop" -k 6 --json --quiet --html "$TMP/report.html" > "$TMP/run.json"
check "run --html exits 0" test $? -eq 0
check "page written, no temporary left behind" test -s "$TMP/report.html" -a -z "$(ls "$TMP" | grep -F '.tmp.')"
check "self-contained: no scripts, links or external fetches" \
  bash -c "! grep -Eq '<script|<link|src=|href=|url\(|@import|https?://' '$TMP/report.html'"

chrome --dump-dom "file://$TMP/report.html" > "$TMP/dom.html"
check "chromium rendered the DOM" test -s "$TMP/dom.html"
check "DOM: a card per persona, the charts, every name" $PY - "$TMP/dom.html" "$TMP/run.json" <<'PY'
import sys, json, re, html
dom = open(sys.argv[1], encoding="utf-8").read()
personas = json.load(open(sys.argv[2]))["personas"]
assert len(re.findall(r'<article class="persona', dom)) == len(personas) == 6
assert 'id="share-chart"' in dom and 'id="rfm-grid"' in dom
assert len(re.findall(r'class="bar-revenue"', dom)) == 6
assert len(re.findall(r'class="rf-cell"', dom)) == 25
assert len(re.findall(r'<svg class="profile"', dom)) == 6
for p in personas:
    assert html.escape(p["name"], quote=False) in dom, p["name"]
    assert html.escape(p["actions"][0], quote=False) in dom
focus = len(re.findall(r'<span class="badge">focus</span>', dom))
assert focus == sum(p["focus"] for p in personas) >= 1
PY

chrome --screenshot="$TMP/shot.png" --window-size=1200,2000 "file://$TMP/report.html" >/dev/null
check "screenshot taken" test -s "$TMP/shot.png"
check "screenshot: 1200x2000, not blank, persona colours visible" $PY - "$TMP/shot.png" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
assert im.size == (1200, 2000), im.size
colours = im.getcolors(maxcolors=1 << 20)
assert colours and len(colours) > 50, "too few colours: blank page?"
# The header band is the dark navy of the stylesheet, and the first
# persona's colour (#4e79a7) appears in the bar chart.
assert im.getpixel((600, 10)) == (0x1d, 0x23, 0x30), im.getpixel((600, 10))
present = {c for _, c in colours}
assert (0x4e, 0x79, 0xa7) in present
PY
finish
