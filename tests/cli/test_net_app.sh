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

# HTTP bodies: one "fileinfo" record each, hashed as they stream past
# (SHA-256 and MD5 of the de-chunked body, compared with sha256sum/md5sum);
# a body cut short by the end of the capture, or with a segment lost, is
# flagged and not hashed as if whole.
MP="$TELLS_BUILD/tools/mkpcap"
py 'import random; random.seed(3); open("'"$T"'/tool.bin","wb").write(b"\x7fELF\x02\x01\x01"+bytes(random.getrandbits(8) for _ in range(30000)))'
"$MP" "$T/dl.pcap" http-download "$T/tool.bin" 1416819600 || { notok "mkpcap writes the download"; exit 0; }
SUM=$(sha256sum "$T/tool.bin" | cut -c1-64); MD5=$(md5sum "$T/tool.bin" | cut -c1-32)
check "fileinfo: name, kind, size, state, SHA-256 and MD5 of the body, from the server" rec "$T/dl.pcap" fileinfo \
  'r["fileinfo"]["sha256"]=="'"$SUM"'" and r["fileinfo"]["md5"]=="'"$MD5"'" and r["fileinfo"]["size"]==30007 and r["fileinfo"]["state"]=="CLOSED" and r["fileinfo"]["gaps"] is False and r["fileinfo"]["magic"]=="ELF executable" and r["fileinfo"]["filename"]=="/tool.bin" and r["src_port"]==80 and r["http"]["url"]=="/tool.bin" and r["tx_id"]==0'
# cut: the first 14 packets (handshake, request, response head, part of the body)
py '
import struct
d=open("'"$T"'/dl.pcap","rb").read(); o=24; n=0; out=[d[:24]]; drop=[]
while o+16<=len(d):
    cl=struct.unpack("<I",d[o+8:o+12])[0]; rec=d[o:o+16+cl]; o+=16+cl; n+=1
    if n<=14: out.append(rec)
    if n!=10: drop.append(rec)
open("'"$T"'/cut.pcap","wb").write(b"".join(out)); open("'"$T"'/gap.pcap","wb").write(d[:24]+b"".join(drop))'
check "a body cut short by the end of the capture: TRUNCATED, no hash" rec "$T/cut.pcap" fileinfo \
  'r["fileinfo"]["state"]=="TRUNCATED" and "sha256" not in r["fileinfo"] and 0<r["fileinfo"]["size"]<30007'
check "a body with a lost segment: gaps, TRUNCATED, no hash, its full size" rec "$T/gap.pcap" fileinfo \
  'r["fileinfo"]["gaps"] is True and r["fileinfo"]["state"]=="TRUNCATED" and "sha256" not in r["fileinfo"] and r["fileinfo"]["size"]==30007'
"$TELLS_BIN" investigate -q -o "$T/dl.tells" "$T/dl.pcap" >/dev/null 2>&1
"$TELLS_BIN" net "$T/dl.pcap" --jsonl > "$T/dl.jsonl"
check "investigate: the body's SHA-256 is an indicator sighted as http.body at the response's time" py '
import sqlite3,sys,json,datetime
fi=[json.loads(l) for l in open("'"$T"'/dl.jsonl") if "\"fileinfo\"" in l][0]
t=datetime.datetime.strptime(fi["timestamp"],"%Y-%m-%dT%H:%M:%S.%f%z")
want=int(t.timestamp())*1000000000+t.microsecond*1000
db=sqlite3.connect("'"$T"'/dl.tells")
s=list(db.execute("select s.context,s.ref_offset,s.time_ns from sightings s join indicators i on i.id=s.indicator_id where i.type=? and i.value=?",("sha256","'"$SUM"'")))
print("   ",s,want)
sys.exit(0 if any(c=="http.body" and o>0 and ts==want for c,o,ts in s) else 1)'

# EVE options of Suricata's eve-log: community-id, dump-all-headers, ipv6-compress
check "--community-id: the Community ID v1 of suricata-verify community-id-ipv4 (seed 7)" sh -c \
  "'$TELLS_BIN' net '$S/community-id-ipv4/input.pcap' --jsonl --community-id --community-id-seed 7 | grep '\"event_type\":\"tls\"' | grep -q '\"community_id\":\"1:IwiTNfuO7aCaamMijl+7/X9uLx0=\"'"
check "no community_id unless asked" sh -c "! '$TELLS_BIN' net '$S/community-id-ipv4/input.pcap' --jsonl | grep -q community_id"
"$TELLS_BIN" net "$S/http-all-headers/input.pcap" --jsonl --http-headers both > "$T/hd.jsonl"
check "--http-headers both: request and response header arrays in order" py '
import json,sys
r=[json.loads(l) for l in open("'"$T"'/hd.jsonl") if "\"event_type\":\"http\"" in l][0]["http"]
ok=r["request_headers"][0]=={"name":"Host","value":"www.ethereal.com"} and len(r["request_headers"])==9 and r["response_headers"][5]=={"name":"Content-Length","value":"18070"}
sys.exit(0 if ok else 1)'
check "--ipv6-compress writes RFC 5952 addresses" sh -c \
  "'$TELLS_BIN' net '$S/compress_ipv6-01/input.pcap' --jsonl --ipv6-compress | grep -q '\"src_ip\":\"fe80::20c:29ff:fef3:cf38\"'"
check "a bad --http-headers value is a usage error" sh -c "'$TELLS_BIN' net '$S/http-all-headers/input.pcap' --jsonl --http-headers all >/dev/null 2>&1; [ \$? -eq 2 ]"

# protocol changes on one flow: CONNECT answered 2xx, STARTTLS-style upgrades
check "HTTP CONNECT then TLS in the tunnel: both records on one flow" rec "$S/bug-2430/backwards.pcap" tls \
  'r["dest_port"]==8080 and r["tls"]["subject"].endswith("CN=qagpublic.qg1.apps.qualys.com")'
check "HTTP CONNECT then HTTP in the tunnel: a new transaction 0" rec "$S/http-connect/http-connect-simple/input.pcap" http \
  'r["http"]["http_method"]=="GET" and r["tx_id"]==0 and r["http"]["status"]==200'
check "PostgreSQL SSLRequest then TLS: the upgrade is found by content" rec "$S/pgsql/pgsql-upgrade-tls/input.pcap" tls \
  'r["tls"]["subject"]=="CN=ubuntu" and r["dest_port"]==5432'
check "HTTP/0.9: a request line without a version, answered without a status line" rec "$S/bug-3844/input.pcap" http \
  'r["http"]["url"]=="/" and "status" not in r["http"]'
check "a status code that is not a number is status_string" rec "$S/http1-noint-status/input.pcap" http \
  'r["http"].get("status_string")=="2XX" and "status" not in r["http"]'
