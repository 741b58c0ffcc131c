#!/bin/sh
# test_net_smb.sh -- EVE "smb" records of `tells net --jsonl` on a session built
# packet by packet (tests/tools/mksmb.c: NTLMSSP authenticate, tree connect,
# file create and write) and on real captures (values read with tshark),
# malformed input, and the lateral-movement indicators (accounts,
# workstations, shares, files written) `tells investigate` stores with
# sightings at the packet offsets.
. "$(dirname "$0")/lib.sh"
MK="$TELLS_BUILD/tools/mksmb"
S="$CORPORA/pcap/suricata-verify"
"$MK" "$T/smb.pcap" && "$MK" "$T/bad.pcap" malformed || { notok "mksmb writes the captures"; exit 0; }

# rec FILE PYTHON-EXPR: true when some smb record makes the expression (over r) true
rec() {
  "$TELLS_BIN" net "$1" --jsonl --no-geoip > "$T/out.jsonl" 2>/dev/null
  py '
import json,sys
rs=[json.loads(l) for l in open("'"$T"'/out.jsonl")]
ok=any(r["event_type"]=="smb" and ('"$2"') for r in rs)
if not ok:
    for r in rs:
        if r["event_type"]=="smb": print("   ", json.dumps(r["smb"])[:300])
sys.exit(0 if ok else 1)'
}

check "smb: negotiate 3.11 with the client's dialects" rec "$T/smb.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_NEGOTIATE_PROTOCOL" and r["smb"]["dialect"]=="3.11" and r["smb"]["client_dialects"]==["2.10","3.11"] and r["dest_port"]==445 and r["app_proto"]=="smb"'
check "smb: NTLMSSP user, domain, workstation and version in session setup" rec "$T/smb.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_SESSION_SETUP" and r["smb"]["ntlmssp"]=={"domain":"CORP","user":"alice","host":"WS-ALICE","version":"10.0 build 19041 rev 15"} and r["smb"]["status"]=="STATUS_SUCCESS"'
check "smb: tree connect share" rec "$T/smb.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_TREE_CONNECT" and r["smb"]["share"]=="\\\\FILESRV\\C$" and r["smb"]["share_type"]=="FILE" and r["smb"]["tree_id"]==1'
check "smb: create disposition and action" rec "$T/smb.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_CREATE" and r["smb"]["filename"]=="Windows\\Temp\\payload.exe" and r["smb"]["disposition"]=="FILE_OVERWRITE_IF" and r["smb"]["create_action"]=="FILE_CREATED"'
check "smb: bytes written to the file (20000 over 14 segments)" rec "$T/smb.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_WRITE" and r["smb"]["filename"]=="Windows\\Temp\\payload.exe" and r["smb"]["bytes"]==20000 and r["smb"]["share"]=="\\\\FILESRV\\C$"'
check "smb: malformed messages and garbage, the close after them still read" rec "$T/bad.pcap" \
  'r["smb"]["command"]=="SMB2_COMMAND_CLOSE" and r["smb"]["status"]=="STATUS_SUCCESS"'

# real captures (suricata-verify; tshark smb2.filename, smb2.tree, ntlmssp.auth.*)
if [ -d "$S" ]; then
  check "smb2: psexec service binary written over ADMIN\$" rec "$S/smb2-07/20171220_smb_psexec_add_user.pcap" \
    'r["smb"]["command"]=="SMB2_COMMAND_WRITE" and r["smb"]["filename"]=="PSEXESVC.exe" and r["smb"]["share"]=="\\\\dc1\\ADMIN$" and r["smb"]["bytes"]>100000'
  check "smb2: fileinfo record of the service binary written" py '
import json,sys
rs=[json.loads(l) for l in open("'"$T"'/out.jsonl")]
sys.exit(0 if any(r["event_type"]=="fileinfo" and r["app_proto"]=="smb" and r["fileinfo"]["filename"]=="PSEXESVC.exe" and r["fileinfo"]["state"]=="CLOSED" and r["fileinfo"]["size"]==r["smb"]["bytes"] for r in rs) else 1)'
  check "smb2: DCE/RPC bind over a pipe" rec "$S/smb2-04/20171220_smb_at_schedule.pcap" \
    '"dcerpc" in r["smb"] and r["smb"]["dcerpc"]["request"]=="BIND" and r["smb"]["dcerpc"]["interfaces"][0]["uuid"]=="1ff70682-0a51-30e8-076d-740be8cee98b"'
  check "smb1: native OS and dialect" rec "$S/smb1-02/smb1_osx.pcap" \
    'r["smb"]["command"]=="SMB1_COMMAND_SESSION_SETUP_ANDX" and r["smb"]["dialect"]=="NT LM 0.12" and r["smb"]["request"]["native_os"]=="Mac OS X 10.10"'
  check "smb3: encrypted messages counted, not parsed" rec "$S/smb3-03-midstream/input.pcap" \
    'r["smb"]["command"]=="SMB3_TRANSFORM" and r["smb"]["encrypted_messages"]>10 and r["dest_port"]==445'
else
  skip "smb real captures" "corpora not found"
fi

# investigate: accounts, workstations, shares and files written as indicators
"$TELLS_BIN" investigate "$T/smb.pcap" -o "$T/c.tells" > /dev/null 2>&1
check "investigate stores NTLMSSP account and workstation, share and file written" py '
import sqlite3,sys
db=sqlite3.connect("'"$T"'/c.tells")
rows=set(db.execute("select i.type,i.value from sightings s join indicators i on i.id=s.indicator_id where s.ref_offset>0"))
want={("account","CORP\\alice"),("host","WS-ALICE"),("smb_share","\\\\FILESRV\\C$"),("file_name","Windows\\Temp\\payload.exe")}
print("    missing:", want-rows)
sys.exit(0 if want<=rows else 1)'
"$TELLS_BIN" investigate "$T/bad.pcap" -o "$T/bad.tells" > /dev/null 2>&1
check "investigate: the malformed SMB messages are anomalies of the capture, with offsets" py '
import sqlite3,sys
db=sqlite3.connect("'"$T"'/bad.tells")
rows=db.execute("select a.offset,a.code,a.detail from anomalies a join evidence e on e.id=a.evidence_id"
                " where a.detail like ?",("smb%",)).fetchall()
print("   ", rows[:4])
sys.exit(0 if rows and all(o is not None and o>0 for o,_,_ in rows) else 1)'
