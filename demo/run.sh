#!/bin/sh
# run.sh -- builds the small demo case and investigates it.
#
#   demo/run.sh BUILD_DIR
#
# The case is made here, from sources in the repository: a Windows PE built
# with mingw-w64 and named like a PDF, the capture of its HTTP download
# (written by tests/tools/mkpcap), the ELF of the capture writer itself and
# a text note.  Then `tells investigate` runs on it and `tells report`
# writes the HTML report.  Nothing is fetched.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
TELLS="$BUILD/tells"
OUT="$SRC/demo-case"
rm -rf "$OUT"
mkdir -p "$OUT/evidence/host-ws042" "$OUT/evidence/network"

SOURCE_DATE_EPOCH=1416466800 x86_64-w64-mingw32-gcc -O2 -s -o "$OUT/evidence/host-ws042/invoice_2014-11.pdf" \
  "$SRC/demo/dropper.c" -ladvapi32
"$BUILD/tools/mkpcap" "$OUT/evidence/network/ws042-download.pcap" http-download \
  "$OUT/evidence/host-ws042/invoice_2014-11.pdf" 1416819600
cp "$BUILD/tools/mkpcap" "$OUT/evidence/host-ws042/mkpcap.elf"
printf 'Ticket 4711: ws042 user reports a PDF that did not open.\n' > "$OUT/evidence/notes.txt"

echo "== tells investigate $OUT/evidence -o $OUT/demo.tells"
"$TELLS" investigate "$OUT/evidence" -o "$OUT/demo.tells"
echo
echo "== findings"
"$TELLS" show "$OUT/demo.tells" findings
echo
echo "== network flows"
"$TELLS" show "$OUT/demo.tells" flows | cut -f1,3,5-8,11,12
echo
echo "== timeline"
"$TELLS" show "$OUT/demo.tells" timeline | cut -f1-2,4-6
echo
echo "== evidence"
"$TELLS" show "$OUT/demo.tells" evidence | cut -f2-5,9
"$TELLS" report "$OUT/demo.tells" -o "$OUT/report.html" >/dev/null
echo
echo "report: $OUT/report.html"
