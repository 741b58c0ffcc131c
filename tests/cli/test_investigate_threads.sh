#!/bin/sh
# test_investigate_threads.sh -- `tells investigate` with YARA rules scans
# the files opened ahead on N - 1 workers and compiles the rules while the
# library and the Sigma rules load; the case and the messages must not
# depend on it.  A case made with --threads 1 (no worker,
# nothing ahead) is compared with cases made with 2 and 4: every view
# (the per-file "ingested" stamps removed), the answers and stderr, where
# the compiler's messages (a rules file that fails) come before the Sigma
# loader's and the walk's (a missing path).  Evidence: more executables
# than the files opened ahead (64), some the rule fires on, cut ones,
# duplicates, text files, and a capture and an event log that YARA skips.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ev/a" "$T/ev/b" "$T/rules"
if ! mkpe "$T/pe.exe"; then skip "investigate with YARA workers" "mingw-w64 is not installed"; exit 0; fi
i=0
while [ $i -lt 150 ]; do
  case $((i % 5)) in
    0) { cat "$T/pe.exe"; printf 'marker-%s' $i; } > "$T/ev/a/f$i.exe" ;;
    1) cp "$TELLS_BUILD/tools/mkpcap" "$T/ev/b/f$i" ;;                     # the same ELF: duplicates
    2) printf 'not code %s\n' $i > "$T/ev/a/f$i.txt" ;;
    3) { cat "$T/pe.exe"; printf 'other-%s' $i; } > "$T/ev/b/f$i.exe" ;;
    *) head -c $((i * 97)) "$T/pe.exe" > "$T/ev/a/f$i.cut" ;;
  esac
  i=$((i + 1))
done
"$TELLS_BUILD/tools/mkbreach" "$T/ev/b/net.pcap" breach 1416787200 > /dev/null 2>&1
EV1="$CORPORA/evtx/attack-samples/Execution/exec_sysmon_1_ftp.evtx"
[ -f "$EV1" ] && cp "$EV1" "$T/ev/a/"
printf 'rule marker { meta: author = "t" strings: $m = "marker-" condition: $m }\n' > "$T/rules/good.yar"
printf 'rule broken { strings: $a = "x" condition: $b }\n' > "$T/rules/bad.yar"
SIGMA=
[ -d "$CORPORA/sigma/rules/rules/windows/process_creation" ] &&
  SIGMA="--sigma $CORPORA/sigma/rules/rules/windows/process_creation --sigma $CORPORA/sigma/rules/rules/windows/file/file_access"

run() { # N
  mkdir -p "$T/c$1"
  "$TELLS_BIN" investigate -q "$T/missing" "$T/ev" --yara "$T/rules" $SIGMA --threads "$1" \
    -o "$T/c$1/c.tells" > /dev/null 2> "$T/c$1/err"
  echo $? > "$T/c$1/rc"
  for v in evidence findings indicators anomalies timeline answers; do
    "$TELLS_BIN" show "$T/c$1/c.tells" $v --jsonl | sed 's/"ingested":"[^"]*"/"ingested":"-"/' > "$T/c$1/$v"
  done
}
run 1
check "one thread: exit 1 (a path is missing) (got $(cat "$T/c1/rc"))" [ "$(cat "$T/c1/rc")" -eq 1 ]
check "one thread: the marker rule fires on its 30 files" \
  [ "$(grep -c '"rule":"yara:marker"' "$T/c1/findings")" -eq 30 ]
check "one thread: the compiler's messages, then the Sigma loader's and the walk's" py 'import sys
lines = open("'"$T"'/c1/err").read().splitlines()
bad = [i for i, l in enumerate(lines) if "bad.yar" in l]
miss = [i for i, l in enumerate(lines) if "missing" in l]
sig = [i for i, l in enumerate(lines) if "Sigma" in l]
print("     %d lines; bad.yar at %s, missing at %s, %d Sigma lines" % (len(lines), bad, miss, len(sig)))
sys.exit(0 if bad and miss and max(bad) < min(miss) and (not sig or max(bad) < min(sig)) else 1)'
for n in 2 4; do
  run $n
  check "$n threads: same exit status" [ "$(cat "$T/c$n/rc")" -eq "$(cat "$T/c1/rc")" ]
  for v in evidence findings indicators anomalies timeline answers; do
    check "$n threads: the same $v" cmp -s "$T/c1/$v" "$T/c$n/$v"
  done
  check "$n threads: the same messages in the same order" cmp -s "$T/c1/err" "$T/c$n/err"
done
