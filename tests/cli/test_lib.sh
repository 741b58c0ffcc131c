#!/bin/sh
# test_lib.sh -- `tells lib add|list` and the reference library in `tells
# code --library` and `tells investigate --library`: a corpora PE is added,
# a copy with a few changed bytes is found as its near-duplicate; a corrupt
# library gives a one-line error naming the file and line.
. "$(dirname "$0")/lib.sh"
PE=$CORPORA/pe/msvc/setuptools-66.1.1/cli-64.exe
ELF="$TELLS_BUILD/tools/mkpcap"
if [ ! -f "$PE" ]; then skip "reference library" "corpora PE $PE is absent"; exit 0; fi
L="$T/known.lib"
mkdir -p "$T/known" "$T/ev"
cp "$PE" "$T/known/"
cp "$ELF" "$T/known/tool"
printf 'notes\n' > "$T/known/readme.txt"

"$TELLS_BIN" lib add --library "$L" --family SetupToolsLauncher "$T/known" > "$T/out" 2> "$T/err"; rc=$?
check "lib add exits 0" [ "$rc" -eq 0 ]
check "lib add: PE and ELF added, text file skipped" grep -q "^2 samples added" "$T/out"
check "library file has the versioned header" [ "$(head -n 1 "$L")" = "tells-codelib 1" ]
"$TELLS_BIN" lib add --library "$L" --family SetupToolsLauncher "$T/known/cli-64.exe" > "$T/out2" 2> "$T/err2"; rc=$?
check "lib add again: the duplicate is skipped with a note" sh -c "[ $rc -eq 1 ] && grep -q 'already in the library' '$T/err2' && [ \$(grep -c SetupToolsLauncher '$L') -eq 2 ]"
"$TELLS_BIN" lib list --library "$L" --jsonl > "$T/list.jsonl"; rc=$?
check "lib list --jsonl: entries with hashes" py '
import json,sys,hashlib
r=[json.loads(l) for l in open("'"$T"'/list.jsonl")]
pe=[x for x in r if x["name"]=="cli-64.exe"][0]
ok=(len(r)==2 and '"$rc"'==0 and pe["family"]=="SetupToolsLauncher"
    and pe["sha256"]==hashlib.sha256(open("'"$PE"'","rb").read()).hexdigest()
    and pe["tlsh"].startswith("T1") and len(pe["imphash"])==32
    and len(pe["rich_hash"])==32 and len(pe["richpe_hash"])==32)
sys.exit(0 if ok else 1)'
check "lib list: a text table" sh -c "'$TELLS_BIN' lib list --library '$L' | grep -q 'SetupToolsLauncher .* cli-64.exe'"

# A near-duplicate: the PE with 20 bytes changed in two places.
cp "$PE" "$T/ev/variant.exe"; chmod u+w "$T/ev/variant.exe"
printf 'XXXXXXXXXX' | dd of="$T/ev/variant.exe" bs=1 seek=30000 conv=notrunc 2>/dev/null
printf 'YYYYYYYYYY' | dd of="$T/ev/variant.exe" bs=1 seek=50000 conv=notrunc 2>/dev/null
"$TELLS_BIN" code "$T/ev/variant.exe" --library "$L" --jsonl > "$T/code.jsonl" 2> "$T/err"; rc=$?
check "code --library exits 0" [ "$rc" -eq 0 ]
check "code --library: nearest is the family, with distance and exact-hash matches" py '
import json,sys
o=json.loads(open("'"$T"'/code.jsonl").readline())
lib=o["pe"]["library"]
n=lib["nearest"]
ok=(n and n[0]["family"]=="SetupToolsLauncher" and 0 < n[0]["tlsh_distance"] <= 30
    and n[0]["name"]=="cli-64.exe"
    and [m["family"] for m in lib["imphash_matches"]]==["SetupToolsLauncher"]
    and len(lib["rich_matches"])==1 and len(lib["richpe_matches"])==1
    and o["pe"]["tlsh"]==o["tlsh"]
    and any(f["rule"]=="library.similar" and f["title"]=="very similar to known family SetupToolsLauncher"
            for f in o["findings"]))
sys.exit(0 if ok else 1)'
"$TELLS_BIN" code "$ELF" --library "$L" --jsonl > "$T/elf.jsonl"; rc=$?
check "code --library on ELF: library object inside the elf object" py '
import json,sys
o=json.loads(open("'"$T"'/elf.jsonl").readline())
n=o["elf"]["library"]["nearest"]
sys.exit(0 if '"$rc"'==0 and n and n[0]["tlsh_distance"]==0 and n[0]["name"]=="tool" and o["elf"]["tlsh"]==o["tlsh"] else 1)'

"$TELLS_BIN" investigate -q "$T/ev" -o "$T/case.tells" --library "$L"; rc=$?
check "investigate --library exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/case.tells" findings --jsonl > "$T/f.jsonl"
"$TELLS_BIN" show "$T/case.tells" indicators --jsonl > "$T/i.jsonl"
check "investigate --library: finding and TLSH indicator in the case" py '
import json,sys
f=[json.loads(l) for l in open("'"$T"'/f.jsonl")]
i=[json.loads(l) for l in open("'"$T"'/i.jsonl")]
o=json.loads(open("'"$T"'/code.jsonl").readline())
ok=(any("very similar to known family SetupToolsLauncher" in json.dumps(x) for x in f)
    and any(o["tlsh"] in json.dumps(x) for x in i))
sys.exit(0 if ok else 1)'
"$TELLS_BIN" investigate -q "$T/ev" -o "$T/case2.tells"; rc=$?
"$TELLS_BIN" show "$T/case2.tells" indicators --jsonl > "$T/i2.jsonl"
check "investigate without a library still stores the TLSH digest" sh -c "[ $rc -eq 0 ] && grep -q '\"tlsh\"' '$T/i2.jsonl'"

# A value many entries share (the imphash of every .NET assembly is one):
# the first 16 matches in library order, the same for rich and richpe.
/usr/bin/python3 - "$L" "$T/shared.lib" <<'PY'
import sys
src = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.startswith(tuple("0123456789abcdef"))]
pe = [x for x in src if x[6] == "cli-64.exe"][0]
with open(sys.argv[2], "w") as o:
    o.write("tells-codelib 1\n")
    for i in range(3000):
        sha = "%064x" % (i + 1)
        imp = pe[2] if i % 3 else "%032x" % i
        o.write("\t".join([sha, "-", imp, pe[3] if i % 2 else "-", pe[4], "F%d" % i, "s%d" % i]) + "\n")
PY
"$TELLS_BIN" code "$PE" --library "$T/shared.lib" --jsonl > "$T/shared.jsonl"; rc=$?
check "code --library: a hash 2,000 entries share lists its first 16, in library order" py '
import json,sys
lib=json.loads(open("'"$T"'/shared.jsonl").readline())["pe"]["library"]
fam=lambda k: [m["family"] for m in lib[k]]
ok=('"$rc"'==0 and fam("imphash_matches")==["F%d" % i for i in range(3000) if i % 3][:16]
    and fam("rich_matches")==["F%d" % i for i in range(1, 3000, 2)][:16]
    and fam("richpe_matches")==["F%d" % i for i in range(16)])
sys.exit(0 if ok else 1)'
mkdir -p "$T/twice"
cp "$PE" "$T/twice/a.exe"; cp "$PE" "$T/twice/b.exe"
"$TELLS_BIN" lib add --library "$T/twice.lib" --family Twice "$T/twice" > "$T/out3" 2> "$T/err3"
check "lib add: the same file twice in one run is added once, with a note" sh -c \
  "grep -q '^1 samples added' '$T/out3' && grep -q 'b.exe: already in the library' '$T/err3' && [ \$(grep -c Twice '$T/twice.lib') -eq 1 ]"
"$TELLS_BIN" lib add --library "$T/twice.lib" --family Other "$T/twice/a.exe" > "$T/out4" 2> "$T/err4"
check "lib add: the same file under another family is added" sh -c \
  "grep -q '^1 samples added' '$T/out4' && [ \$(grep -c 'Other' '$T/twice.lib') -eq 1 ]"

# Corrupt libraries: one line naming the file and the line.
cp "$L" "$T/bad.lib"
printf 'deadbeef\tT1XYZ\t-\t-\t-\tFam\tname\n' >> "$T/bad.lib"
badline=$(wc -l < "$T/bad.lib")
cp "$T/bad.lib" "$T/bad.lib.orig"
for cmd in "code $T/ev/variant.exe --jsonl --library $T/bad.lib" "lib list --library $T/bad.lib" \
           "lib add --library $T/bad.lib --family F $T/ev/variant.exe" "investigate -q $T/ev -o $T/c3.tells --library $T/bad.lib"; do
  # shellcheck disable=SC2086
  "$TELLS_BIN" $cmd > "$T/o" 2> "$T/e"; rc=$?
  check "corrupt library, tells $(echo "$cmd" | awk '{print $1, ($2 ~ /^\//) ? "" : $2}'): one line with file and line, exit 2" \
    sh -c "[ $rc -eq 2 ] && [ \$(wc -l < '$T/e') -eq 1 ] && grep -q 'bad.lib:$badline: sha256 is not 64 hex digits' '$T/e'"
done
check "a corrupt library is not modified by lib add" cmp -s "$T/bad.lib" "$T/bad.lib.orig"
printf 'something else\n' > "$T/other.lib"
"$TELLS_BIN" lib list --library "$T/other.lib" 2> "$T/e"; rc=$?
check "not a library: header error on line 1" sh -c "[ $rc -eq 2 ] && grep -q 'other.lib:1: not a tells library' '$T/e'"
head -c 100 "$L" > "$T/trunc.lib"
"$TELLS_BIN" lib list --library "$T/trunc.lib" 2> "$T/e"; rc=$?
check "truncated library: error names the last line" sh -c "[ $rc -eq 2 ] && grep -q 'trunc.lib:3: ' '$T/e'"
"$TELLS_BIN" lib list --library "$T/missing.lib" 2> "$T/e"; rc=$?
check "missing library: error" sh -c "[ $rc -eq 2 ] && grep -q 'missing.lib: no such library file' '$T/e'"
ls "$T"/*.tmp.* > /dev/null 2>&1 && notok "no temporary library files left behind" || ok "no temporary library files left behind"

# RichPE equals the published definition (RichHeaderResearch/RichPE's
# richpe.py, restated here over Debian's python3-pefile) file by file.
if /usr/bin/python3 -c 'import pefile' 2>/dev/null; then
  "$TELLS_BIN" lib add --library "$T/rp.lib" --family X "$CORPORA/pe/msvc" > /dev/null 2>&1
  check "RichPE hash equals richpe.py over pefile (corpora/pe/msvc)" /usr/bin/python3 -c '
import pefile, hashlib, sys
def richpe(path):
    pe = pefile.PE(path, fast_load=True)
    rh = pe.parse_rich_header()
    if rh is None: return "-"
    f = list(rh["values"])
    feats = []
    while f:
        c = f.pop(0); n = f.pop(0)
        feats += [str(c), str(n | (2 ** (n.bit_length() // 2 + 1) - 1))]
    o = pe.OPTIONAL_HEADER; h = pe.FILE_HEADER
    feats += [str(x) for x in (h.Machine, h.Characteristics, o.Subsystem, o.MajorLinkerVersion,
              o.MinorLinkerVersion, o.MajorOperatingSystemVersion, o.MinorOperatingSystemVersion,
              o.MajorImageVersion, o.MinorImageVersion, o.MajorSubsystemVersion, o.MinorSubsystemVersion)]
    return hashlib.md5(" ".join(feats).encode()).hexdigest()
import glob, os
files = [p for p in glob.glob(sys.argv[1] + "/**/*", recursive=True) if p.endswith((".exe", ".dll", ".node"))]
lib = {}
for l in open(sys.argv[2]):
    if l.startswith(("#", "tells-")): continue
    x = l.rstrip("\n").split("\t"); lib[x[0]] = x[4]
bad = [p for p in files if lib.get(hashlib.sha256(open(p, "rb").read()).hexdigest()) != richpe(p)]
sys.exit(0 if files and not bad else 1)' "$CORPORA/pe/msvc" "$T/rp.lib"
else
  skip "RichPE hash equals richpe.py over pefile" "python3-pefile is not installed"
fi
