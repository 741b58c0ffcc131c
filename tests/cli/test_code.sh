#!/bin/sh
# test_code.sh -- `tells code --jsonl` on a PE built here with mingw-w64 (a
# chosen build time, service-creation imports, a C2 host in its strings) and
# on an ELF: structure, hashes, indicators, YARA findings.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ev"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then skip "code triage of a PE" "mingw-w64 is not installed"; exit 0; fi
SOURCE_DATE_EPOCH=1416466800 x86_64-w64-mingw32-gcc -O2 -s -o "$T/ev/dropper.exe" "$TELLS_SRC/demo/dropper.c" -ladvapi32
cp "$TELLS_BUILD/tools/mkpcap" "$T/ev/tool"
printf 'not code\n' > "$T/ev/note.txt"
printf 'rule c2 { meta: author = "t" strings: $h = "update.example-cdn.test" condition: $h }\n' > "$T/r.yar"
"$TELLS_BIN" code "$T/ev" --yara "$T/r.yar" --jsonl > "$T/out.jsonl" 2> "$T/err"; rc=$?
check "code exits 0" [ "$rc" -eq 0 ]
check "one record per executable, other files skipped" [ "$(grep -c '"path":' "$T/out.jsonl")" -eq 2 ]
check "the output ends with the set summary" sh -c "tail -n 1 '$T/out.jsonl' | grep -q '^{\"kind\":\"set\"'"
check "PE: build time, imports, hashes, YARA finding" py '
import json,sys,hashlib
r=[json.loads(l) for l in open("'"$T"'/out.jsonl")]
pe=[x for x in r if x["kind"]=="pe"][0]
p=pe["pe"]
imps={i["dll"].lower():[f.get("name") for f in i["functions"]] for i in p["imports"]}
ok = (p["coff"]["time_date_stamp"]==1416466800
      and "CreateServiceA" in imps.get("advapi32.dll",[])
      and pe["sha256"]==hashlib.sha256(open(pe["path"],"rb").read()).hexdigest()
      and any(i["type"]=="imphash" and i["value"]==p["imphash"] for i in pe["indicators"])
      and any(f["rule"]=="yara:c2" and f["author"]=="t" for f in pe["findings"])
      and pe["tlsh"].startswith("T1") and len(pe["tlsh"])==72)
sys.exit(0 if ok else 1)'
check "ELF: build-id indicator and interpreter" py '
import json,sys
r=[json.loads(l) for l in open("'"$T"'/out.jsonl")]
e=[x for x in r if x["kind"]=="elf"][0]
sys.exit(0 if e["elf"].get("interpreter") and any(i["type"]=="build_id" for i in e["indicators"]) else 1)'
