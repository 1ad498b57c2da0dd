# Helpers for the CLI tests: run the binary, check exit codes and messages.
# Usage in a test: source "$(dirname "$0")/lib.sh" "$@"
PERSONAE=${1:?path to the personae binary}
DATASETS=${2:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/personae-cli-XXXXXX")
PASSED=0
FAILED=0
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3

# expect CODE "text in stderr or stdout" -- command args...
expect() {
  local code=$1 text=$2
  shift 3
  local out rc
  out=$("$@" 2>&1) && rc=0 || rc=$?
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL: '$*' exited $rc, expected $code; output:"
    echo "$out" | head -5
    FAILED=$((FAILED + 1))
  elif [ -n "$text" ] && ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL: '$*' output lacks '$text'; output:"
    echo "$out" | head -5
    FAILED=$((FAILED + 1))
  else
    echo "ok: $* -> $rc"
    PASSED=$((PASSED + 1))
  fi
}

# check "description" command...: passes when the command succeeds.
check() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "ok: $what"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL: $what"
    FAILED=$((FAILED + 1))
  fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
