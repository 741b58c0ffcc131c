#!/bin/sh
# run.sh -- runs every test of tells against a build folder and sums them.
#
#   tests/run.sh BUILD_DIR
#
# Unit test programs (BUILD/tests/test_*) and CLI test scripts
# (tests/cli/test_*.sh) print one line per case: "ok - NAME",
# "not ok - NAME" or "skip - NAME: reason".  The fuzz replays run every
# saved input of fuzz/corpus/<fmt>/ through its target.  The last line is
# "N passed, N failed, N skipped"; the exit status is 1 if anything failed.
set -u
BUILD=${1:-build-check}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
export TELLS_BIN="$BUILD/tells" TELLS_BUILD="$BUILD" TELLS_SRC="$SRC"
# detect_stack_use_after_return: a pointer kept to a returned function's
# locals (a sighting's context once was) is reported, not read silently.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
LOG=$(mktemp -d)
passed=0; failed=0; skipped=0

tally() { # $1 = name of the program, $2 = its exit status, $3 = its output
  p=$(grep -c '^ok - ' "$3"); f=$(grep -c '^not ok - ' "$3"); s=$(grep -c '^skip - ' "$3")
  grep -E '^(not ok|skip) - ' "$3" | sed 's/^/  /'
  if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "  not ok - $1 exited with status $2"; tail -n 20 "$3" | sed 's/^/    /'; f=1
  elif [ "$f" -gt 0 ]; then
    grep -v -E '^(ok|skip) - ' "$3" | tail -n 40 | sed 's/^/    /'
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '%-28s %4d passed %3d failed %3d skipped\n' "$1" "$p" "$f" "$s"
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  n=$(basename "$t")
  "$t" > "$LOG/$n.out" 2>&1; rc=$?
  tally "$n" "$rc" "$LOG/$n.out"
done

for t in "$SRC"/tests/cli/test_*.sh; do
  [ -f "$t" ] || continue
  n=$(basename "$t" .sh)
  sh "$t" > "$LOG/$n.out" 2>&1; rc=$?
  tally "$n" "$rc" "$LOG/$n.out"
done

for r in "$BUILD"/fuzz/replay_fuzz_*; do
  [ -x "$r" ] || continue
  fmt=${r##*/replay_fuzz_}
  out="$LOG/replay_$fmt.out"
  if [ -d "$SRC/fuzz/corpus/$fmt" ]; then
    if "$r" "$SRC/fuzz/corpus/$fmt" > "$out" 2>&1; then
      echo "ok - replay fuzz/corpus/$fmt: $(tail -n 1 "$out")" >> "$out"
    else
      echo "not ok - replay fuzz/corpus/$fmt" >> "$out"
    fi
  else
    echo "skip - replay $fmt: no fuzz/corpus/$fmt" > "$out"
  fi
  tally "replay_$fmt" 0 "$out"
done

rm -rf "$LOG"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
