#!/bin/sh
# test_yara.sh -- `tells investigate --yara`: rules compiled once, hits stored
# as findings carrying the rule's author and description, and a bad rules
# file reported by file and line while the good ones still run, its
# message worded as `tells code` words it (naming the rule).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ev" "$T/rules"
if ! mkpe "$T/ev/dropper.exe"; then skip "yara on a PE" "mingw-w64 is not installed"; exit 0; fi
cat > "$T/rules/c2.yar" <<'R'
rule demo_c2_host {
  meta:
    author = "tells test suite"
    description = "C2 host name of the demo dropper"
    score = 80
  strings:
    $h = "update.example-cdn.test"
  condition:
    uint16(0) == 0x5a4d and $h
}
R
printf 'rule broken {\n  strings:\n    $a = "x"\n  condition:\n    $a and\n}\n' > "$T/rules/bad.yar"
"$TELLS_BIN" investigate "$T/ev" -o "$T/c.tells" --yara "$T/rules" > "$T/out" 2> "$T/err"; rc=$?
sed 's/^/    /' "$T/err"
check "a bad rules file makes the run report a problem (exit 1)" [ "$rc" -eq 1 ]
check "the bad rules file is named with its line" grep -q "bad.yar:[0-9][0-9]*: YARA error" "$T/err"
"$TELLS_BIN" code "$T/ev" --yara "$T/rules" --jsonl > /dev/null 2> "$T/cerr"
grep 'YARA error' "$T/err" > "$T/e1"; grep 'YARA error' "$T/cerr" > "$T/e2"
sed 's/^/    code: /' "$T/e2"
check "investigate and tells code word a compiler message alike, naming its rule" \
  sh -c "grep -q 'bad.yar:[0-9]*: YARA error: .* in rule broken' '$T/e1' && cmp -s '$T/e1' '$T/e2'"
check "the good rule still ran and hit" grep -q "YARA: 1 rules (1 rule files left out), 1 hits" "$T/out"
check "the hit is a finding with the rule's author and description" \
  [ "$(sqlite3 "$T/c.tells" "select rule||'|'||author||'|'||title||'|'||severity from findings where source='code' and rule like 'yara:%'")" = \
    "yara:demo_c2_host|tells test suite|C2 host name of the demo dropper|high" ]
"$TELLS_BIN" investigate "$T/ev" -o "$T/c2.tells" --yara "$T/rules/c2.yar" > /dev/null 2>&1; rc=$?
check "with only good rules the run exits 0" [ "$rc" -eq 0 ]
