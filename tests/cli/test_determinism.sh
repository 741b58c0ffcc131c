#!/bin/sh
# test_determinism.sh -- issue 7 item 6: the same evidence investigated twice
# into two cases gives byte-identical `tells show VIEW --jsonl` output, every
# export format and the HTML report, once the one run-time stamp of each is
# removed (the report's "generated" time; the per-file "ingested" time of the
# evidence view).  Evidence: a built breach capture, the PE fixtures, and a
# PE, a pcap and an EVTX from the corpora, with the corpora's Sigma rules.
. "$(dirname "$0")/lib.sh"
E="$T/ev"
mkdir -p "$E" "$T/a" "$T/b"
"$TELLS_BUILD/tools/mkbreach" "$E/breach.pcap" breach 1416787200 || { notok "mkbreach"; exit 0; }
if command -v x86_64-w64-mingw32-windres >/dev/null 2>&1 &&
   sh "$TELLS_SRC/tests/fixtures/pe/build.sh" "$T/fx" > "$T/fx.log" 2>&1; then
  cp "$T/fx/wiper.exe" "$T/fx/benign.exe" "$T/fx/fixture_driver.sys" "$E/"
fi
for f in pe/msvc/setuptools-66.1.1/gui-64.exe pcap/suricata-verify/bug-78-http-uri/input.pcap \
         pcap/zeek-traces/dns-https.pcap "evtx/attack-samples/Execution/exec_sysmon_1_ftp.evtx"; do
  [ -f "$CORPORA/$f" ] && cp "$CORPORA/$f" "$E/$(echo "$f" | tr '/' '_')"
done
SIGMA=
[ -d "$CORPORA/sigma/rules" ] && SIGMA="--sigma $CORPORA/sigma/rules"
# Same case file name, relative, in two folders: the report shows the case path.
for d in a b; do
  (cd "$T/$d" && "$TELLS_BIN" investigate "$E" -o c.tells -q $SIGMA 2> inv.err)
done
check "both investigations wrote a case" sh -c "[ -s '$T/a/c.tells' ] && [ -s '$T/b/c.tells' ]"

outputs() { # $1 = folder: writes every output of its case, stamps removed
  cd "$T/$1" || return 1
  for v in evidence findings timeline indicators anomalies flows; do
    "$TELLS_BIN" show c.tells $v --jsonl | sed 's/"ingested":"[^"]*"/"ingested":"-"/' > show.$v
    "$TELLS_BIN" show c.tells $v > text.$v
  done
  for f in timesketch stix eve csv; do "$TELLS_BIN" export c.tells --format $f -o export.$f; done
  "$TELLS_BIN" export c.tells --format csv --what timeline -o export.csv-timeline
  "$TELLS_BIN" report c.tells -o report.html > /dev/null
  sed 's|<td id="generated">[^<]*</td>|<td id="generated">-</td>|' report.html > report.stripped
}
outputs a; outputs b
for f in show.evidence show.findings show.timeline show.indicators show.anomalies show.flows \
         text.evidence text.findings text.timeline text.indicators text.anomalies text.flows \
         export.timesketch export.stix export.eve export.csv export.csv-timeline report.stripped; do
  if [ ! -s "$T/a/$f" ]; then notok "$f is written and not empty"; continue; fi
  if cmp -s "$T/a/$f" "$T/b/$f"; then ok "$f identical in both runs ($(wc -c < "$T/a/$f") bytes)"
  else notok "$f identical in both runs" "$(diff "$T/a/$f" "$T/b/$f" | head -6 | cut -c1-200)"; fi
done
check "the report differs only in its generated stamp" \
  sh -c "[ \$(diff '$T/a/report.html' '$T/b/report.html' | grep -c '^<') -le 1 ]"
check "the outputs hold real content (network findings, flows, STIX objects)" \
  sh -c "grep -q '\"source\":\"net\"' '$T/a/show.findings' && [ \$(wc -l < '$T/a/export.eve') -gt 100 ]"
