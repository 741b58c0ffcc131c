#!/bin/sh
# test_logs_holes.sh -- sparse EVTX files (holes where the empty chunks are)
# give exactly the output of the same bytes written densely: --dump, --count
# and its diagnostics, detections with rules, and a case from investigate.
. "$(dirname "$0")/lib.sh"
S="$CORPORA/evtx/attack-samples/Defense Evasion/DE_1102_security_log_cleared.evtx"
RULES="$CORPORA/sigma/rules/rules/windows/builtin/security"
if [ ! -f "$S" ]; then skip "sparse evtx" "corpus file $S is absent"; exit 0; fi
mkdir -p "$T/s" "$T/d"
# mapped (1 MiB): header, 2 chunks, 15 empty chunks as a hole to the end
cp --sparse=always "$S" "$T/s/big.evtx"
# copied (<= 256 KiB): header + chunk 0, a 64 KiB hole, chunk 1
dd if="$S" of="$T/s/small.evtx" bs=4096 count=17 2>/dev/null
dd if="$S" of="$T/s/small.evtx" bs=4096 skip=17 seek=33 count=16 conv=notrunc 2>/dev/null
cp --sparse=never "$T/s/big.evtx" "$T/d/big.evtx"
cp --sparse=never "$T/s/small.evtx" "$T/d/small.evtx"
sparse() { [ $(( $(stat -c %b "$1") * 512 )) -lt "$(stat -c %s "$1")" ]; }
if ! sparse "$T/s/big.evtx" || ! sparse "$T/s/small.evtx"; then
  skip "sparse evtx" "the file system of $T does not keep holes"; exit 0
fi
check "dense twins have no holes and the same bytes" sh -c \
  '! [ $(( $(stat -c %b "$1") * 512 )) -lt "$(stat -c %s "$1")" ] && cmp -s "$1" "$2" && cmp -s "$3" "$4"' \
  _ "$T/d/small.evtx" "$T/s/small.evtx" "$T/d/big.evtx" "$T/s/big.evtx"

# Runs tells with the folder name of the file set replaced by X.
run() { _set=$1; shift; "$TELLS_BIN" "$@" > "$T/$_set.out" 2> "$T/$_set.err"; echo "rc=$?" >> "$T/$_set.out"
        sed -i "s|$T/$_set/|X/|g" "$T/$_set.out" "$T/$_set.err"; }
same() { cmp -s "$T/s.out" "$T/d.out" && cmp -s "$T/s.err" "$T/d.err"; }

run s logs --dump "$T/s" --jsonl; run d logs --dump "$T/d" --jsonl
check "--dump --jsonl of sparse and dense files is identical" same
check "--dump wrote the records of both chunks" [ "$(grep -c '"Event"' "$T/s.out")" -ge 200 ]
check "the carving diagnostics are there (and equal)" grep -q "evtx.carve_rejected" "$T/s.err"
run s logs --count "$T/s" --jsonl; run d logs --count "$T/d" --jsonl
check "--count of sparse and dense files is identical" same
if [ -d "$RULES" ]; then
  run s logs "$T/s" --rules "$RULES" --jsonl; run d logs "$T/d" --rules "$RULES" --jsonl
  check "detections and summaries of sparse and dense files are identical" same
  check "the cleared log is detected" grep -q '"rule_id"' "$T/s.out"
else
  skip "detections of sparse and dense files" "rules folder $RULES is absent"
fi
"$TELLS_BIN" investigate "$T/s" -o "$T/s.tells" > /dev/null 2>&1
"$TELLS_BIN" investigate "$T/d" -o "$T/d.tells" > /dev/null 2>&1
q="select e.sha256, e.summary, (select count(*) from findings f where f.evidence_id=e.id),
   (select count(*) from events v where v.evidence_id=e.id) from evidence e order by e.path"
check "investigate stores the same evidence rows, findings and events" sh -c \
  'a=$(sqlite3 "$1" "$3") && b=$(sqlite3 "$2" "$3") && [ -n "$a" ] && [ "$a" = "$b" ]' \
  _ "$T/s.tells" "$T/d.tells" "$q"
