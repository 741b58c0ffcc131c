#!/bin/sh
# test_suricata_verify.sh -- runs the suricata-verify cases of the corpora
# through tests/tools/sv_harness.py and fails when a protocol (dns, http,
# tls, smb, flow, ssh, and the tls sni/ja3/ja4 subset) passes fewer checks
# than docs/suricata-verify.md records.  Prints the pass rates.
. "$(dirname "$0")/lib.sh"
S="$CORPORA/pcap/suricata-verify"
if [ ! -d "$S" ]; then skip "suricata-verify pass rates" "corpora not found"; exit 0; fi
if ! python3 -c 'import yaml' 2>/dev/null; then skip "suricata-verify pass rates" "python3-yaml not installed"; exit 0; fi
if python3 "$TELLS_SRC/tests/tools/sv_harness.py" --tells "$TELLS_BIN" --corpus "$S" \
     --baseline "$TELLS_SRC/docs/suricata-verify.md" > "$T/sv.out" 2>&1; then
  ok "suricata-verify pass rates at or above docs/suricata-verify.md"
  sed 's/^/# /' "$T/sv.out"
else
  notok "suricata-verify pass rates at or above docs/suricata-verify.md" "$(cat "$T/sv.out")"
fi
