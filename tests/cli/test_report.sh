#!/bin/sh
# test_report.sh -- the HTML report in headless Chromium: it fetches nothing,
# its tables hold every evidence file, and strings from evidence planted
# with HTML and script payloads show as literal text and never execute.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
E="$T/ev"
mkdir -p "$E"
printf 'note\n' > "$E/plain.txt"
# payloads in file names (the strings from evidence the report shows today)
printf 'x\n' > "$E/<img src=x onerror=\"document.title='PWNED1'\">.txt"
printf 'x\n' > "$E/<script>document.title='PWNED2'<\\script>.log"
printf 'x\n' > "$E/\"><svg onload=document.title='PWNED3'>.txt"
mkpe "$E/report.pdf" || printf 'MZ' > "$E/report.pdf"

"$TELLS_BIN" investigate "$E" -o "$T/c.tells" > /dev/null 2>&1
"$TELLS_BIN" report "$T/c.tells" -o "$T/r.html" > /dev/null 2> "$T/err"; rc=$?
check "report exits 0" [ "$rc" -eq 0 ]
check "report is self-contained: no http(s) or protocol-relative fetches" \
  sh -c "! grep -Eo '(src|href)=\"(https?:)?//' '$T/r.html'"
check "payload text is escaped in the HTML source" grep -q "&lt;img src=x onerror=" "$T/r.html"

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
  sh -c "! grep -Eq '<img src=\"?x|<svg onload|<script>document.title' '$T/dom.html'"
check "payloads show literally as text" \
  py 'import html,re,sys
d=open("'"$T"'/dom.html").read()
texts=[html.unescape(t) for t in re.findall(r"<td>([^<]*)</td>",d)]
need=["<img src=x onerror=\"document.title='"'"'PWNED1'"'"'\">.txt","<svg onload=document.title='"'"'PWNED3'"'"'>.txt"]
miss=[n for n in need if not any(t.endswith(n) for t in texts)]
print("    missing:",miss) if miss else None
sys.exit(1 if miss else 0)'
check "evidence table lists every file" \
  py 'import re,sys
d=open("'"$T"'/dom.html").read()
t=d.split("id=\"evidence\"")[1].split("</table>")[0]
n=len(re.findall(r"<tr>",t))-1
print("    evidence rows:",n)
sys.exit(0 if n==5 else 1)'
if [ -f "$E/report.pdf" ] && head -c 2 "$E/report.pdf" | grep -q MZ && [ "$(stat -c %s "$E/report.pdf")" -gt 2 ]; then
  check "findings table shows the masquerading executable" grep -q "T1036.008" "$T/dom.html"
fi
run_chrome --screenshot="$T/shot.png" --window-size=1280,2000 "file://$T/r.html" >/dev/null
check "screenshot taken" [ -s "$T/shot.png" ]
