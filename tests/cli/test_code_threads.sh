#!/bin/sh
# test_code_threads.sh -- `tells code` analyses files on several workers and
# begins them while the YARA rules still compile; the output and the
# messages must not depend on it.  Each run with --threads N is compared
# byte for byte with --threads 1 (everything on one thread, in walk order):
# a folder of more files than the workers' window, with files skipped by
# kind and a rule that fires on some of them, a rules folder with a file
# that fails to compile, and a path that does not exist (the compiler's
# message comes before the walk's, then the files' own).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ev/a" "$T/ev/b" "$T/rules"
if ! mkpe "$T/pe.exe"; then skip "code with several workers" "mingw-w64 is not installed"; exit 0; fi
cp "$TELLS_BUILD/tools/mkpcap" "$T/elf"
i=0
while [ $i -lt 300 ]; do
  case $((i % 5)) in
    0) cp "$T/pe.exe" "$T/ev/a/f$i.exe" ;;
    1) cp "$T/elf" "$T/ev/b/f$i" ;;
    2) printf 'not code %s\n' $i > "$T/ev/a/f$i.txt" ;;
    3) { cat "$T/pe.exe"; printf 'marker-%s' $i; } > "$T/ev/b/f$i.exe" ;;   # overlay, distinct hashes
    *) head -c $((i * 7)) "$T/pe.exe" > "$T/ev/a/f$i.cut" ;;               # truncated PE
  esac
  i=$((i + 1))
done
printf 'rule marker { meta: author = "t" strings: $m = "marker-1" condition: $m }\n' > "$T/rules/good.yar"
printf 'rule broken { strings: $a = "x" condition: $b }\n' > "$T/rules/bad.yar"

run() { # N: output and messages of a run with N workers
  "$TELLS_BIN" code "$T/missing" "$T/ev" --yara "$T/rules" --threads "$1" --jsonl \
    > "$T/out$1" 2> "$T/err$1"
  echo $? > "$T/rc$1"
  # the run's clock (tells.timestamps.reference_now) is the only varying field
  sed 's/"reference_now":[0-9]*//' "$T/out$1" > "$T/norm$1"
}
run 1
check "one worker: exit 1 (a path is missing, a rules file fails) (got $(cat "$T/rc1"))" [ "$(cat "$T/rc1")" -eq 1 ]
check "one worker: an object per executable (180 whole, most of the 60 cut)" \
  [ "$(grep -c '"path":' "$T/out1")" -gt 200 ]
check "one worker: the marker rule fires on its files" [ "$(grep -c '"rule":"yara:marker"' "$T/out1")" -gt 5 ]
check "one worker: the rules error comes before the walk's" py 'import sys
lines = open("'"$T"'/err1").read().splitlines()
print("    stderr:", lines)
bad = [i for i, l in enumerate(lines) if "bad.yar" in l]
miss = [i for i, l in enumerate(lines) if "missing" in l]
sys.exit(0 if bad and miss and max(bad) < min(miss) else 1)'
for n in 2 3 8; do
  run $n
  check "$n workers: same exit status" [ "$(cat "$T/rc$n")" -eq "$(cat "$T/rc1")" ]
  check "$n workers: the same objects in the same order" cmp -s "$T/norm1" "$T/norm$n"
  check "$n workers: the same messages in the same order" cmp -s "$T/err1" "$T/err$n"
done
# without rules nothing waits for the compiler: still the same output
"$TELLS_BIN" code "$T/ev" --threads 1 --jsonl 2>&1 | sed 's/"reference_now":[0-9]*//' > "$T/n1"
"$TELLS_BIN" code "$T/ev" --threads 4 --jsonl 2>&1 | sed 's/"reference_now":[0-9]*//' > "$T/n4"
check "no rules, 4 workers: the same output as one" cmp -s "$T/n1" "$T/n4"
"$TELLS_BIN" code "$T/ev" --threads 0 --jsonl > /dev/null 2> "$T/e0"; rc=$?
check "--threads 0 is a usage error (exit $rc)" [ "$rc" -eq 2 ]
