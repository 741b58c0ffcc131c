#!/bin/sh
# test_corpora.sh -- `tells investigate` over all of ../shared/corpora: exit
# 0, every file in the evidence view with its kind and the SHA-256 that
# sha256sum computes, unanalysable files listed with a reason; a second run
# ingests nothing and changes nothing.
. "$(dirname "$0")/lib.sh"
if [ ! -d "$CORPORA" ]; then skip corpora "corpora folder $CORPORA is absent"; exit 0; fi

"$TELLS_BIN" investigate "$CORPORA" -o "$T/c.tells" > "$T/out1" 2> "$T/err1"
rc=$?
check "investigate corpora exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "no diagnostics on stderr" [ ! -s "$T/err1" ]

"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev.jsonl"
(cd "$CORPORA" && find . -type f -print0 | xargs -0 sha256sum) > "$T/sums"
if CORPORA_ABS=$(cd "$CORPORA" && pwd) py '
import json, os, sys
root = os.path.realpath(os.environ["CORPORA_ABS"])
ev = {}
for line in open(sys.argv[1] if len(sys.argv) > 1 else "'"$T"'/ev.jsonl"):
    r = json.loads(line)
    ev[r["path"]] = r
bad = 0
n = 0
for line in open("'"$T"'/sums"):
    h, p = line.rstrip("\n").split("  ", 1)
    path = os.path.normpath(os.path.join(root, p))
    n += 1
    r = ev.get(path)
    if r is None:
        bad += 1
        if bad < 20: print("    missing:", path)
        continue
    if r["sha256"] != h:
        print("    sha256 differs:", path, r["sha256"], h); bad += 1
    if r["status"] == "not_analysed" and not r["reason"]:
        print("    no reason:", path); bad += 1
    if not r["kind"]:
        print("    no kind:", path); bad += 1
print("    %d files checked against sha256sum, %d in the case, %d problems" % (n, len(ev), bad))
sys.exit(1 if bad or n != len(ev) else 0)
'; then ok "every corpora file in the case with sha256sum's hash, kind and reason"
else notok "every corpora file in the case with sha256sum's hash, kind and reason"; fi

kinds=$(py 'import json,collections,sys
c=collections.Counter(json.loads(l)["kind"] for l in open("'"$T"'/ev.jsonl"))
print(" ".join("%s=%d"%kv for kv in sorted(c.items())))')
echo "    kinds: $kinds"
for k in pe pcap pcapng evtx none; do
  check "corpora holds identified $k files" sh -c "echo '$kinds' | grep -q '$k=[1-9]'"
done

before=$(sqlite3 "$T/c.tells" "select count(*), sum(status='analysed') from evidence; select count(*) from sightings; select count(*) from findings")
"$TELLS_BIN" investigate "$CORPORA" -o "$T/c.tells" > "$T/out2" 2>&1
rc=$?
after=$(sqlite3 "$T/c.tells" "select count(*), sum(status='analysed') from evidence; select count(*) from sightings; select count(*) from findings")
check "re-run exits 0" [ "$rc" -eq 0 ]
check "re-run ingests nothing" grep -q " 0 ingested" "$T/out2"
check "re-run skips every file" grep -q "already in the case" "$T/out2"
check "re-run leaves the case unchanged" [ "$before" = "$after" ]
check "case integrity" [ "$(sqlite3 "$T/c.tells" 'pragma integrity_check')" = ok ]
