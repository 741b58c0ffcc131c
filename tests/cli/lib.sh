# lib.sh -- helpers for the CLI tests (sourced).  Each test prints
# "ok - NAME", "not ok - NAME" or "skip - NAME: reason" (see tests/run.sh).
set -u
: "${TELLS_BIN:?run through tests/run.sh}"
T=$(mktemp -d /tmp/tells-test.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
CORPORA=${TELLS_CORPORA:-$TELLS_SRC/../shared/corpora}

ok()    { echo "ok - $1"; }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "    $l"; done; }
skip()  { echo "skip - $1: $2"; }
# check NAME CONDITION-COMMAND... : ok if the command succeeds
check() { _cn=$1; shift; if "$@"; then ok "$_cn"; else notok "$_cn" "failed: $*"; fi; }

# Runs a small Python check reading stdin; python3 is installed by
# scripts/install-deps.sh.
py() { python3 -c "$1"; }

# Builds a small PE with mingw-w64 into $1 (returns 1 when mingw is absent).
mkpe() {
  command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || return 1
  x86_64-w64-mingw32-gcc -O2 -s -o "$1" "$TELLS_SRC/demo/dropper.c" -ladvapi32
}
