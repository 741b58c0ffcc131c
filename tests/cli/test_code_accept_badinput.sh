#!/bin/sh
# test_code_accept_badinput.sh -- issue 3 acceptance, bad input through
# `tells code`: truncated PEs (cut at every header boundary and inside the
# data), a zero-length file, a PE declaring 65535 sections and one whose
# resource directory contains itself give anomalies with offsets (or, when
# nothing of a PE is left, a reason), never a crash; a bad YARA rules file
# gives one clear error naming the file and line while the good rules run.
. "$(dirname "$0")/lib.sh"
E="$T/ev"
mkdir -p "$E"
SRCPE="$CORPORA/pe/msvc/setuptools-66.1.1/cli-32.exe"
py '
import os, struct, sys
E = "'"$E"'"
def pe(nsec, rsrc=None):
    """A PE32 with headers in [0, 0x200) and one section .data at RVA 0x1000,
    raw data at 0x200, 0x400 bytes; `rsrc` bytes go at its start and the
    resource directory entry points there."""
    b = bytearray(0x600)
    b[0:2] = b"MZ"; struct.pack_into("<I", b, 0x3c, 0x80)
    nt = 0x80; opt = nt + 24
    b[nt:nt + 4] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", b, nt + 4, 0x14c, nsec, 0x5f000000, 0, 0, 224, 0x102)
    struct.pack_into("<H", b, opt, 0x10b)
    struct.pack_into("<I", b, opt + 16, 0x1000)       # entry point
    struct.pack_into("<III", b, opt + 28, 0x400000, 0x1000, 0x200)
    struct.pack_into("<II", b, opt + 56, 0x2000, 0x200)
    struct.pack_into("<H", b, opt + 68, 3)
    struct.pack_into("<I", b, opt + 92, 16)
    sec = opt + 224
    b[sec:sec + 5] = b".data"
    struct.pack_into("<IIII", b, sec + 8, 0x400, 0x1000, 0x400, 0x200)
    struct.pack_into("<I", b, sec + 36, 0xc0000040)
    if rsrc is not None:
        struct.pack_into("<II", b, opt + 96 + 8 * 2, 0x1000, 0x100)
        b[0x200:0x200 + len(rsrc)] = rsrc
    return b
# a resource root with two entries: one whose subdirectory is the root
# itself, one whose subdirectory points back at the root
r = bytearray(0x80)
struct.pack_into("<H", r, 14, 2)
struct.pack_into("<II", r, 16, 3, 0x80000000)
struct.pack_into("<II", r, 24, 16, 0x80000040)
struct.pack_into("<H", r, 0x40 + 14, 1)
struct.pack_into("<II", r, 0x40 + 16, 1, 0x80000000)
open(E + "/sections65535.exe", "wb").write(pe(65535))
open(E + "/rsrcloop.exe", "wb").write(pe(1, r))
open(E + "/empty.exe", "wb").close()
whole = open(sys.argv[1] if len(sys.argv) > 1 else "'"$SRCPE"'", "rb").read()
lfanew = struct.unpack_from("<I", whole, 0x3c)[0]
cuts = {"dos": 0x30, "pesig": lfanew + 2, "coff": lfanew + 12, "opt": lfanew + 24 + 60,
        "sectab": lfanew + 24 + 224 + 20, "data": len(whole) // 2, "lastbyte": len(whole) - 1}
for name, n in cuts.items():
    open("%s/cut_%s.exe" % (E, name), "wb").write(whole[:n])
' "$SRCPE" || { notok "fixtures written"; exit 0; }

"$TELLS_BIN" code "$E" --jsonl > "$T/out.jsonl" 2> "$T/err"; rc=$?
sed 's/^/    stderr: /' "$T/err"
check "tells code over the bad files exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "no crash, sanitizer report or diagnostic on stderr" [ ! -s "$T/err" ]
"$TELLS_BIN" investigate "$E" -o "$T/c.tells" > /dev/null 2> "$T/err2"; rc=$?
check "tells investigate over them exits 0 (got $rc)" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev.jsonl"

# anom FILE CODE-PREFIX: the file was triaged and has an anomaly whose code
# starts with CODE-PREFIX, with an offset
anom() {
  py 'import json, sys
for line in open("'"$T"'/out.jsonl"):
    r = json.loads(line)
    if r.get("path", "").endswith("/'"$1"'"):
        hits = [a for a in r["anomalies"] if a["code"].startswith("'"$2"'") and isinstance(a["offset"], int)]
        for a in r["anomalies"]: print("    '"$1"': 0x%x %s %s" % (a["offset"], a["code"], a["detail"]))
        sys.exit(0 if hits else 1)
sys.exit(1)'
}
# reason FILE: intake named the file with a reason instead
reason() {
  py 'import json, sys
for line in open("'"$T"'/ev.jsonl"):
    r = json.loads(line)
    if r["path"].endswith("/'"$1"'"):
        print("    '"$1"': %s: %s" % (r["status"], r["reason"]))
        sys.exit(0 if r["status"] == "not_analysed" and r["reason"] else 1)
sys.exit(1)'
}
check "65535 sections: capped, with an anomaly" anom sections65535.exe pe.sections.cap
check "self-referencing resource directory: a loop anomaly" anom rsrcloop.exe pe.rsrc.loop
check "zero-length file: not triaged, in the case as 'empty file'" \
  sh -c "! grep -q '/empty.exe\"' '$T/out.jsonl' && grep '/empty.exe\"' '$T/ev.jsonl' | grep -q '\"empty file\"'"
check "cut inside the DOS header: named with a reason" reason cut_dos.exe
for c in coff opt sectab data lastbyte; do
  check "cut at $c: triaged with a truncation anomaly" anom "cut_$c.exe" pe.
done
if anom cut_pesig.exe pe. > /dev/null 2>&1; then ok "cut in the PE signature: a truncation anomaly"
else check "cut in the PE signature: named with a reason" reason cut_pesig.exe; fi

# a bad YARA rules file beside a good one
mkdir -p "$T/rules"
printf 'rule good_mz { condition: uint16(0) == 0x5a4d }\n' > "$T/rules/good.yar"
printf 'rule broken {\n  strings:\n    $a = "abcdef"\n  condition:\n    $a and\n}\n' > "$T/rules/bad.yar"
"$TELLS_BIN" code "$E/rsrcloop.exe" --jsonl --yara "$T/rules" > "$T/y.jsonl" 2> "$T/yerr"; rc=$?
sed 's/^/    stderr: /' "$T/yerr"
check "a bad rules file: exit 1" [ "$rc" -eq 1 ]
check "the error names the file and its line (bad.yar:5 or :6)" grep -q "bad.yar:[56]: YARA error: " "$T/yerr"
check "one line on stderr for it" [ "$(grep -c bad.yar "$T/yerr")" -eq 1 ]
check "the good rule still ran and hit" grep -q '"rule":"yara:good_mz"' "$T/y.jsonl"
