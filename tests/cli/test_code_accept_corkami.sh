#!/bin/sh
# test_code_accept_corkami.sh -- issue 3 acceptance: every file of
# ../shared/corpora/pe/corkami goes through `tells code` and `tells
# investigate` (run by `make check` on the ASan+UBSan build) with no crash,
# no hang (a time limit), bounded memory (peak RSS), and its anomalies listed
# per file; files intake does not take for PE are named with a reason.
. "$(dirname "$0")/lib.sh"
CK="$CORPORA/pe/corkami"
if [ ! -d "$CK" ]; then skip "corkami" "corpus $CK is absent"; exit 0; fi
LIMIT_S=600          # no hang: far above the ~1 s it takes
MAX_RSS_KIB=524288   # the brief's default memory bound, 512 MiB
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %M -o $T/rss"

# shellcheck disable=SC2086
timeout "$LIMIT_S" $TIME "$TELLS_BIN" code "$CK" --jsonl > "$T/code.jsonl" 2> "$T/err"; rc=$?
check "tells code over corkami exits 0 within ${LIMIT_S} s (got $rc)" [ "$rc" -eq 0 ]
check "no sanitizer report or diagnostic on stderr" [ ! -s "$T/err" ]
sed 's/^/    stderr: /' "$T/err" | head -n 20
if [ -n "$TIME" ]; then
  rss=$(tail -n 1 "$T/rss")
  echo "    peak RSS of tells code over corkami: $rss KiB"
  check "peak memory bounded (<= $MAX_RSS_KIB KiB)" [ "$rss" -le "$MAX_RSS_KIB" ]
else
  skip "peak memory bounded" "/usr/bin/time is not installed"
fi

timeout "$LIMIT_S" "$TELLS_BIN" investigate "$CK" -o "$T/c.tells" > "$T/inv" 2> "$T/err2"; rc=$?
check "tells investigate over corkami exits 0 within ${LIMIT_S} s (got $rc)" [ "$rc" -eq 0 ]
check "investigate: nothing on stderr" [ ! -s "$T/err2" ]
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev.jsonl"
"$TELLS_BIN" show "$T/c.tells" anomalies --jsonl > "$T/an.jsonl"

CK_ABS=$(cd "$CK" && pwd) py '
import json, os, sys
ck = os.environ["CK_ABS"]
T = sys.argv[1] if len(sys.argv) > 1 else "'"$T"'"
code = {}
for line in open(T + "/code.jsonl"):
    r = json.loads(line)
    if "path" in r:   # the last record is the summary of the set
        code[os.path.basename(r["path"])] = r
ev = {}
for line in open(T + "/ev.jsonl"):
    r = json.loads(line)
    ev[os.path.basename(r["path"])] = r
pes = sorted(f for f in os.listdir(ck) if f.rsplit(".", 1)[-1].lower() in ("exe", "dll", "sys"))
bad = 0
with_anoms = n_anoms = 0
for f in pes:
    r = code.get(f)
    if r is None:
        e = ev.get(f)
        if not e or e["status"] != "not_analysed" or not e.get("reason"):
            print("    %s: neither triaged nor named with a reason: %r" % (f, e)); bad += 1
        else:
            print("    %s: not taken for a PE: %s" % (f, e["reason"]))
        continue
    if r["kind"] != "pe" or "pe" not in r or not isinstance(r.get("anomalies"), list):
        print("    %s: no PE structure or no anomalies list" % f); bad += 1
        continue
    for a in r["anomalies"]:
        if not isinstance(a.get("offset"), int) or not a.get("code"):
            print("    %s: anomaly without offset or code: %r" % (f, a)); bad += 1
    if r["anomalies"]:
        with_anoms += 1
        n_anoms += len(r["anomalies"])
        codes = sorted(set(a["code"] for a in r["anomalies"]))
        print("    %s: %d anomalies: %s" % (f, len(r["anomalies"]), " ".join(codes[:6])))
missing = [f for f in os.listdir(ck) if f not in ev]
if missing:
    print("    not in the case:", missing[:10]); bad += 1
print("    %d PE-named files, %d triaged as PE, %d with anomalies (%d in all), %d problems"
      % (len(pes), sum(1 for f in pes if f in code), with_anoms, n_anoms, bad))
sys.exit(0 if bad == 0 and len(pes) >= 220 and sum(1 for f in pes if f in code) >= 220 else 1)
' > "$T/sum"; rc=$?
cat "$T/sum"
check "every corkami file triaged with its anomalies (offset, code) or named with a reason" [ "$rc" -eq 0 ]
check "65535sects.exe reports its section count capped" \
  sh -c "grep '65535sects.exe:' '$T/sum' | grep -q 'pe.sections'"
nan=$(wc -l < "$T/an.jsonl")
echo "    anomalies view of the case: $nan rows"
check "the case lists the anomalies too" [ "$nan" -gt 0 ]
