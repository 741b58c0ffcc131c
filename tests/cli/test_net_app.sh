#!/bin/sh
# test_net_app.sh -- application records of `tells net --jsonl` (dns, http,
# tls, ssh) on real captures, against values read with tshark 4.0
# (`tshark -T fields -e http.host -e tls.handshake.ja3 ...`) or by hand,
# and the indicators `tells investigate` stores from them.
. "$(dirname "$0")/lib.sh"
Z="$CORPORA/pcap/zeek-traces"
S="$CORPORA/pcap/suricata-verify"
if [ ! -d "$Z" ] || [ ! -d "$S" ]; then skip "net app records" "corpora not found"; exit 0; fi

# rec FILE EVENT_TYPE PYTHON-EXPR: true when some record of that type makes
# the expression (over r, the record) true
rec() {
  "$TELLS_BIN" net "$1" --jsonl > "$T/out.jsonl" 2>/dev/null
  py '
import json,sys
rs=[json.loads(l) for l in open("'"$T"'/out.jsonl")]
ok=any(r["event_type"]=="'"$2"'" and ('"$3"') for r in rs)
if not ok:
    for r in rs:
        if r["event_type"]=="'"$2"'": print("   ", json.dumps(r)[:400])
sys.exit(0 if ok else 1)'
}

check "http: host, url, user agent, status, content type, length (tshark)" rec "$Z/http/get.pcap" http \
  'r["http"]["hostname"]=="bro.org" and r["http"]["url"]=="/download/CHANGES.bro-aux.txt" and r["http"]["http_user_agent"]=="Wget/1.14 (darwin12.2.0)" and r["http"]["http_method"]=="GET" and r["http"]["status"]==200 and r["http"]["http_content_type"]=="text/plain" and r["http"]["length"]==4705 and r["src_ip"]=="141.142.228.5" and r["dest_port"]==80'

check "tls: sni, ja3, ja3s, subject (tshark ja3/ja3s)" rec "$Z/tls/chrome-34-google.pcap" tls \
  'r["tls"]["sni"]=="google.de" and r["tls"]["ja3"]["hash"]=="a607f3a5c94c2ee592af1456f36c8367" and r["tls"]["ja3s"]["hash"]=="9f5e2e0d84076af5475bbe44debdb03e" and r["tls"]["version"]=="TLS 1.2" and r["tls"]["subject"].endswith("CN=*.google.de") and r["tls"]["ja4"].startswith("t12d2011s3_")'

check "tls 1.3 with GREASE: ja3 (tshark) and ja4 cipher part of the published example" rec "$Z/tls/chrome-1250-tls-x25519-kyber.pcap" tls \
  'r["tls"]["sni"]=="lh3.google.com" and r["tls"]["ja3"]["hash"]=="9d33d8206d4fec4c8b1423c728f4cd3c" and r["tls"]["ja4"].startswith("t13d1516h2_8daaf6152771_") and r["tls"]["version"]=="TLS 1.3"'

check "tls: ja4 of suricata-verify ja4-tls" rec "$S/ja4-tls/input.pcap" tls \
  'r["tls"]["ja4"]=="t12i1810s1_27d4652c4487_06a4338d0495"'

check "ssh found by content on port 443 (sslh), both banners" rec "$Z/ssl-and-ssh-using-sslh.pcap" ssh \
  'r["dest_port"]==443 and r["ssh"]["client"]["software_version"]=="OpenSSH_6.9" and r["ssh"]["server"]["software_version"]=="OpenSSH_6.7p1"'

check "dns: lone response reversed, answers and grouped A (tshark dns.a)" rec "$Z/dns53.pcap" dns \
  'r["dns"]["type"]=="answer" and r["dns"]["rrname"]=="us.v27.distributed.net" and r["dns"]["rcode"]=="NOERROR" and r["dns"]["grouped"]["A"][0]=="206.109.64.186" and len(r["dns"]["answers"])==8 and r["dest_port"]==53'

check "dns over tcp: request and response" rec "$S/dns/dns-tcp-www-google-com/dns.pcap" dns \
  'r["dns"]["type"]=="answer" and r["dns"]["rrname"]=="www.google.com" and r["proto"]=="TCP"'

check "flow records carry app_proto" rec "$Z/http/get.pcap" flow 'r.get("app_proto")=="http"'

# every capture of the corpora: no crash, and some records of each kind
"$TELLS_BIN" net "$CORPORA/pcap" --jsonl > "$T/all.jsonl" 2> "$T/all.err"; rc=$?
check "net over all corpora captures exits 0 or 1 (got $rc)" [ "$rc" -le 1 ]
check "records of each kind over the corpora" py '
import json,collections,sys
c=collections.Counter(json.loads(l)["event_type"] for l in open("'"$T"'/all.jsonl"))
print("   ",dict(c))
sys.exit(0 if all(c[k]>0 for k in ("dns","http","tls","ssh","flow")) else 1)'

# investigate: indicators with sightings at the packet offsets
"$TELLS_BIN" investigate "$Z/tls/chrome-34-google.pcap" "$Z/http/get.pcap" -o "$T/c.tells" > /dev/null 2>&1
check "investigate stores SNI, JA3, JA4, host, URL and user agent indicators" py '
import sqlite3,sys
db=sqlite3.connect("'"$T"'/c.tells")
rows=set(db.execute("select i.type,i.value from sightings s join indicators i on i.id=s.indicator_id where s.ref_offset>0"))
want={("domain","google.de"),("ja3","a607f3a5c94c2ee592af1456f36c8367"),("domain","bro.org"),
      ("url","http://bro.org/download/CHANGES.bro-aux.txt"),("user_agent","Wget/1.14 (darwin12.2.0)")}
ja4=any(t=="ja4" and v.startswith("t12d2011s3_") for t,v in rows)
print("    missing:", want-rows)
sys.exit(0 if want<=rows and ja4 else 1)'
