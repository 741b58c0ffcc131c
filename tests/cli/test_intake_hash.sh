#!/bin/sh
# test_intake_hash.sh -- intake hashes files ahead of the one it analyses,
# on the worker thread: every file's hashes must still be those of one
# pass over its bytes, in walk order, for small and large files, for more
# files than are opened ahead, for duplicates, for a re-run and for a file
# whose content changed behind the same size and mtime.  Executables of
# every size get their TLSH, equal to `tells code`'s.
. "$(dirname "$0")/lib.sh"
E="$T/ev"
mkdir -p "$E/many" "$E/exe"
# 150 files (more than the 64 opened ahead), sizes 0 .. ~300 KiB, some twice
python3 - "$E/many" <<'EOF'
import os, random, sys
d = sys.argv[1]
r = random.Random(7)
for i in range(150):
    n = [0, 1, 700, 9000, 70000, 300000][i % 6] + i
    b = bytes(r.getrandbits(8) for _ in range(min(n, 4096))) * (n // 4096 + 1)
    open(os.path.join(d, "f%03d.bin" % i), "wb").write(b[:n])
for i in range(5):   # duplicates of earlier files, under other names
    open(os.path.join(d, "z%d.dup" % i), "wb").write(open(os.path.join(d, "f%03d.bin" % (i * 7 + 3)), "rb").read())
EOF
# executables: the mkpcap tool (ELF), and corpora PEs of several sizes
# (with the notes beside them)
cp "$TELLS_BUILD/tools/mkpcap" "$E/exe/tool"
n=0
for f in $(find "$CORPORA/pe" -type f -size -2048k 2>/dev/null | sort | head -n 40); do
  n=$((n + 1)); cp "$f" "$E/exe/p$n.exe"
done

"$TELLS_BIN" investigate -q "$E" -o "$T/c.tells"; rc=$?
check "investigate exits 0" [ "$rc" -eq 0 ]
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev.jsonl"
"$TELLS_BIN" show "$T/c.tells" indicators --jsonl > "$T/ind.jsonl"
"$TELLS_BIN" code "$E/exe" --jsonl > "$T/code.jsonl" 2>/dev/null
check "every file: SHA-256 (and SHA-1, MD5 of executables) of one pass, rows in walk order" py '
import hashlib, json, os, sys
ev = [json.loads(l) for l in open("'"$T"'/ev.jsonl")]
bad = []
for x in ev:
    b = open(x["path"], "rb").read()
    if x["sha256"] != hashlib.sha256(b).hexdigest(): bad.append(x["path"])
    if x["kind"] in ("pe", "elf") and x["status"] == "analysed" and (
        x["sha1"] != hashlib.sha1(b).hexdigest() or x["md5"] != hashlib.md5(b).hexdigest()):
        bad.append(x["path"])
ids = [x["id"] for x in sorted(ev, key=lambda x: x["path"])]
dups = [x for x in ev if x["status"] == "duplicate"]
ok = len(ev) == 155 + len(os.listdir("'"$E"'/exe")) and not bad and ids == sorted(ids) and len(dups) >= 5
if not ok: print(bad[:3], len(ev), len(dups), file=sys.stderr)
sys.exit(0 if ok else 1)'
check "every executable has its TLSH indicator, equal to tells code" py '
import json, sys
code = {}
for l in open("'"$T"'/code.jsonl"):
    o = json.loads(l)
    if "tlsh" in o: code[o["sha256"]] = o["tlsh"]
ev = {x["path"]: x for x in map(json.loads, open("'"$T"'/ev.jsonl"))}
tl = set(json.loads(l)["value"] for l in open("'"$T"'/ind.jsonl") if json.loads(l)["type"] == "tlsh")
small = [x for x in ev.values() if x["kind"] in ("pe", "elf") and x["size"] < 65536 and x["sha256"] in code]
ok = len(code) >= 5 and all(v in tl for v in code.values()) and len(small) >= 3
sys.exit(0 if ok else 1)'

"$TELLS_BIN" investigate -q "$E" -o "$T/c.tells" > "$T/out2" 2>&1; rc=$?
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev2.jsonl"
check "re-run: every file confirmed by its SHA-256 and skipped" sh -c "[ $rc -eq 0 ] && cmp -s '$T/ev.jsonl' '$T/ev2.jsonl'"

# Same size and mtime, other bytes: found by the SHA-256 check, analysed anew.
f=$(python3 -c '
import json
for l in open("'"$T"'/ev.jsonl"):
    x = json.loads(l)
    if x["kind"] == "pe" and x["status"] == "analysed" and x["size"] > 4096: print(x["path"]); break')
chmod u+w "$f"
touch -r "$f" "$T/stamp"
printf 'ZZZZ' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
touch -r "$T/stamp" "$f"
"$TELLS_BIN" investigate -q "$E" -o "$T/c.tells"; rc=$?
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev3.jsonl"
check "content changed behind the same size and mtime: new hashes recorded" py '
import hashlib, json, sys
b = open("'"$f"'", "rb").read()
rows = [json.loads(l) for l in open("'"$T"'/ev3.jsonl") if json.loads(l)["path"] == "'"$f"'"]
ok = '"$rc"' == 0 and len(rows) == 2 and any(r["sha256"] == hashlib.sha256(b).hexdigest() and
    r["sha1"] == hashlib.sha1(b).hexdigest() and r["status"] == "analysed" for r in rows)
sys.exit(0 if ok else 1)'
