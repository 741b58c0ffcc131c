#!/bin/sh
# test_report.sh -- the HTML report in headless Chromium: it fetches nothing,
# every in-page link lands on an element, its tables hold every evidence
# file, and strings from evidence planted with HTML and script payloads --
# in file names, a PE's CodeView (PDB) path, an HTTP User-Agent, event-log
# fields (account, workstation and computer names; the last two also reach
# the SVG graph) and an answer row -- reach the report, show literally as
# text and never execute.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
E="$T/ev"
mkdir -p "$E/net" "$E/logs"
printf 'note\n' > "$E/plain.txt"
# payloads in file names
printf 'x\n' > "$E/<img src=x onerror=\"document.title='PWNED1'\">.txt"
printf 'x\n' > "$E/<script>document.title='PWNED2'<\\script>.log"
printf 'x\n' > "$E/\"><svg onload=document.title='PWNED3'>.txt"
NFILES=6   # with the capture and the event log

# A PE whose CodeView path carries payloads (ld --pdb writes the path as
# given, and a PDB file of that name in the current folder).
PDB="C:\\<img src=x onerror=\"document.title='PWNED4'\">\\<svg onload=document.title='PWNED5'>.pdb"
HAVE_PE=0
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 &&
   (cd "$T" && x86_64-w64-mingw32-gcc -O2 -o "$E/report.pdf" "$TELLS_SRC/demo/dropper.c" -ladvapi32 \
      "-Wl,--pdb=$PDB" 2>/dev/null); then
  HAVE_PE=1; NFILES=$((NFILES + 1))
fi

# An HTTP request whose User-Agent is a payload (Ethernet/IPv4/TCP, pcap).
UA="<script>document.title='PWNED6'</script><img src=x onerror=\"document.title='PWNED7'\">"
python3 -c '
import struct, sys
ua = sys.argv[1].encode()
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ip(a): return bytes(int(x) for x in a.split("."))
recs, t = [], [1416787200.0]
def pkt(src, dst, sp, dp, seq, ack, flags, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ph = ip(src) + ip(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, ip(src), ip(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    fr = bytes.fromhex("001122334455668899aabbcc0800") + iph + tcp
    t[0] += 0.01
    recs.append(struct.pack("<IIII", int(t[0]), int((t[0] % 1) * 1e6), len(fr), len(fr)) + fr)
C, S = "10.1.2.3", "93.184.216.34"
req = b"GET /update HTTP/1.1\r\nHost: upd.example.com\r\nUser-Agent: " + ua + b"\r\nAccept: */*\r\n\r\n"
resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
q, r = len(req), len(resp)
pkt(C, S, 49152, 80, 1000, 0, 0x02); pkt(S, C, 80, 49152, 5000, 1001, 0x12)
pkt(C, S, 49152, 80, 1001, 5001, 0x10); pkt(C, S, 49152, 80, 1001, 5001, 0x18, req)
pkt(S, C, 80, 49152, 5001, 1001 + q, 0x18, resp)
pkt(C, S, 49152, 80, 1001 + q, 5001 + r, 0x11); pkt(S, C, 80, 49152, 5001 + r, 1002 + q, 0x11)
pkt(C, S, 49152, 80, 1002 + q, 5002 + r, 0x10)
open(sys.argv[2], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) + b"".join(recs))
' "$UA" "$E/net/http.pcap"

# Network logons whose account, workstation and computer names are payloads
# (no "." in the names: the graph shows host names up to the first dot).
ACCT="<img src=x onerror=\"document.title='PWNED8'\">"
WS="<svg onload=top['document']['title']='PWNED9'>"
COMP="<b>HOST</b><svg onload=top['document']['title']='PWNED10'>"
python3 -c '
import json, sys
acct, ws, comp = sys.argv[1:4]
out = []
for i, src in enumerate(["10.9.9.9", "10.9.9.9", "10.1.2.3"]):
    out.append({"channel": "Security", "provider": "Microsoft-Windows-Security-Auditing", "event_id": 4624,
                "time": "2014-11-24T00:0%d:00.000000Z" % i, "computer": comp, "data": {
                "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
                "TargetUserSid": "S-1-5-21-1-2-3-1001", "TargetUserName": acct, "TargetDomainName": "CORP",
                "TargetLogonId": {"type": "hex64", "value": "0x3e7"}, "LogonType": 3,
                "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM",
                "WorkstationName": ws if src == "10.9.9.9" else "WS0001", "IpAddress": src, "IpPort": "50123"}})
open(sys.argv[4], "w").write("".join(json.dumps(e) + "\n" for e in out))
' "$ACCT" "$WS" "$COMP" "$T/sec.jsonl"
"$TELLS_BUILD/tools/mkevtx" -o "$E/logs/Security.evtx" "$T/sec.jsonl" > /dev/null ||
  notok "mkevtx writes the event log"

"$TELLS_BIN" investigate "$E" -o "$T/c.tells" > /dev/null 2>&1

# An answer row with payloads and evidence references (helper stages write
# this table; the report must escape whatever it holds).
python3 -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
f = d.execute("SELECT min(id) FROM findings").fetchone()[0]
fl = d.execute("SELECT min(id) FROM flows").fetchone()[0]
ev = d.execute("SELECT max(id) FROM events").fetchone()[0]
refs = [{"evidence": 1}] + ([{"finding": f}] if f else []) + ([{"flow": fl}] if fl else []) + ([{"event": ev}] if ev else [])
d.execute("INSERT INTO answers(question, ordinal, title, answer, confidence, details, evidence) VALUES (?,?,?,?,?,?,?)",
          ("what", 0, "<img src=x onerror=\"document.title=\x27PWNED11\x27\">",
           "<script>document.title=\x27PWNED12\x27</script> happened", 0.5,
           "{\"note\": \"<svg onload=document.title=\x27PWNED13\x27>\"}", __import__("json").dumps(refs)))
d.execute("INSERT INTO answers(question, ordinal, title, answer, confidence, details, evidence) VALUES (?,?,?,?,?,?,?)",
          ("hosts", 0, "bad refs", "ignored", None, "not json", "[{\"flow\": \"<b>\"}, 7, \"abc\", {\"x\": 1}, {\"finding\": 99999}]"))
d.execute("INSERT INTO answers(question, ordinal, title, answer, confidence, details, evidence) VALUES (?,?,?,?,?,?,?)",
          ("movement", 0, "bad details", "ignored", 2.5, "{\"edges\": [\"a\", 5, {\"from\": 1}]}", "not json"))
# findings whose details are not what the report expects
for rule, tactic, det in [("net.exfil", "exfiltration", "not json"), ("net.lateral", "lateral-movement", "{\"flows\": \"abc\"}"),
                          ("net.exfil", "exfiltration", "{\"flows\": [\"x\", 5, {\"flow_id\": \"zz\", \"src_port\": \"a\"}]}")]:
    d.execute("INSERT INTO findings(evidence_id, source, rule, title, severity, tactic, first_ns, details)"
              " VALUES (1, \"net\", ?, \"odd details\", \"low\", ?, NULL, ?)", (rule, tactic, det))
d.commit()' "$T/c.tells" || notok "answers planted"

"$TELLS_BIN" report "$T/c.tells" -o "$T/r.html" > /dev/null 2> "$T/err"; rc=$?
check "report exits 0" [ "$rc" -eq 0 ]
check "report is self-contained: no http(s) or protocol-relative fetches" \
  sh -c "! grep -Eo '(src|href|xlink:href)=\"(https?:)?//' '$T/r.html'"
check "payload text is escaped in the HTML source" grep -q "&lt;img src=x onerror=" "$T/r.html"
check "no raw payload tag in the HTML source" sh -c "! grep -Eq '<(img src=x|svg onload|script>document.title)' '$T/r.html'"
# each planted string reaches the report (escaped)
esc_of() { python3 -c 'import html, sys; print(html.escape(sys.argv[1], quote=True).replace("&#x27;", "&#39;"))' "$1"; }
if [ $HAVE_PE -eq 1 ]; then
  check "the PE's PDB path reaches the report" grep -qF "$(esc_of "$PDB")" "$T/r.html"
else
  skip "the PE's PDB path reaches the report" "mingw-w64 not installed"
fi
check "the HTTP User-Agent reaches the report" grep -qF "$(esc_of "$UA")" "$T/r.html"
check "the event-log account reaches the report" grep -qF "$(esc_of "$ACCT")" "$T/r.html"
check "the workstation name reaches the graph (SVG)" \
  sh -c "sed -n '/id=\"chart-graph\"/,/<\/svg>/p' '$T/r.html' | grep -qF \"\$1\"" _ "$(esc_of "$(echo "$WS" | tr a-z A-Z)")"
check "the answer reaches the report" grep -qF "$(esc_of "<script>document.title='PWNED12'</script> happened")" "$T/r.html"
check "bad evidence references in an answer are dropped" \
  sh -c "grep -A3 'bad refs' '$T/r.html' | grep -q 'none recorded'"

# An output that is not a regular file (a pipe, a device) is written into,
# never replaced by the rename that makes regular files atomic.
mkfifo "$T/pipe" && { cat "$T/pipe" > "$T/pipe.out" & }
"$TELLS_BIN" report "$T/c.tells" -o "$T/pipe" > /dev/null 2>&1; rc=$?
wait
check "report into a pipe: written through it, the pipe stays a pipe" \
  sh -c "[ $rc -eq 0 ] && [ -p '$T/pipe' ] && grep -q '</html>' '$T/pipe.out'"

# A case from an older tells (schema 2: no links, answers, chain) still
# renders: report brings it to the current schema and says it has no answers.
cp "$T/c.tells" "$T/old.tells"
python3 -c '
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.executescript("DROP TABLE answers; DROP TABLE link_findings; DROP TABLE links;"
                "ALTER TABLE findings DROP COLUMN chain; ALTER TABLE findings DROP COLUMN base_severity;"
                "PRAGMA user_version=2;")' "$T/old.tells"
"$TELLS_BIN" report "$T/old.tells" -o "$T/old.html" > /dev/null 2> "$T/old.err"; rc=$?
check "a case from an older tells renders, upgraded, without answers" \
  sh -c "[ $rc -eq 0 ] && grep -q 'case upgraded to schema' '$T/old.err' && grep -q 'No answers in this case' '$T/old.html'"

if [ -z "$CHROME" ]; then
  skip "report renders in Chromium" "chromium is not installed (scripts/install-deps.sh installs it)"
  exit 0
fi
run_chrome() {
  timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/profile" "$@" 2>/dev/null
}
run_chrome --virtual-time-budget=2000 --dump-dom "file://$T/r.html" > "$T/dom.html"
check "Chromium rendered the report" grep -q 'id="sec-evidence"' "$T/dom.html"
check "no payload executed (title unchanged)" grep -q '<title>tells report</title>' "$T/dom.html"
check "no element injected by a payload" \
  sh -c "! grep -Eiq '<img src=\"?x|<svg onload|<script>document.title|<b>HOST' '$T/dom.html'"
python3 -c '
import html, re, sys
d = open(sys.argv[1]).read()
pdb, ua, acct, ws, comp, have_pe = sys.argv[2:8]
# the text content of the page: tags dropped, entities decoded
text = html.unescape(re.sub(r"<[^>]*>", "\x00", d))
need = ["<img src=x onerror=\"document.title=\x27PWNED1\x27\">.txt", "<svg onload=document.title=\x27PWNED3\x27>.txt",
        ua, acct, ws.upper(), comp.upper(), "<img src=x onerror=\"document.title=\x27PWNED11\x27\">",
        "<script>document.title=\x27PWNED12\x27</script> happened", "<svg onload=document.title=\x27PWNED13\x27>"]
if have_pe == "1": need.append(pdb)
miss = [n for n in need if n not in text]
for m in miss: print("    missing:", m)
sys.exit(1 if miss else 0)' "$T/dom.html" "$PDB" "$UA" "$ACCT" "$WS" "$COMP" "$HAVE_PE"
check "payloads show literally as text (tables, answers, SVG)" [ $? -eq 0 ]
check "every in-page link lands on an element" python3 -c '
import re, sys
d = open(sys.argv[1]).read()
ids = set(re.findall(r"\bid=\"([^\"]+)\"", d))
bad = sorted({h for h in re.findall(r"href=\"#([^\"]+)\"", d) if h not in ids})
print("    links:", len(re.findall(r"href=\"#", d)), "dangling:", bad[:5])
sys.exit(1 if bad else 0)' "$T/dom.html"
check "evidence table lists every file" python3 -c '
import re, sys
d = open(sys.argv[1]).read()
t = d.split("id=\"evidence\"")[1].split("</table>")[0]
n = len(re.findall(r"<tr id=", t))
print("    evidence rows:", n, "expected:", sys.argv[2])
sys.exit(0 if n == int(sys.argv[2]) else 1)' "$T/dom.html" "$NFILES"
if [ $HAVE_PE -eq 1 ]; then
  check "findings table shows the masquerading executable" grep -q "T1036.008" "$T/dom.html"
fi
run_chrome --screenshot="$T/shot.png" --window-size=1280,2000 "file://$T/r.html" >/dev/null
check "screenshot taken" [ -s "$T/shot.png" ]
