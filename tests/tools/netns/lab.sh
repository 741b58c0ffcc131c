# lab.sh -- a small network of Linux network namespaces for real-traffic
# captures (sourced by scenarios/realtraffic.sh).  One namespace holds a
# bridge (the "switch", where tcpdump listens like a SPAN port); every host
# is a namespace joined to it by a veth pair.  All hosts share one Ethernet
# segment: each has /32 addresses and an on-link default route, so internal
# (10.x) and "foreign" (public) addresses reach each other directly by ARP.
# Names carry LAB (set by the caller, e.g. tl$$) so parallel runs cannot
# collide; lab_down removes everything lab_up and lab_bg created.  Hosts send
# MTU-sized frames (segmentation offload off), so a capture on the bridge
# holds what a network tap would see, not 64 KB offload super-frames.

LAB_NS=""       # namespaces created, for lab_down
LAB_PIDS=""     # background processes started, for lab_down

lab_ns() { echo "${LAB}$1"; }

# lab_x HOST CMD... : runs CMD in HOST's namespace
lab_x() { _h=$1; shift; ip netns exec "${LAB}$_h" "$@"; }

lab_up() {
  ip netns add "${LAB}sw" || return 1
  LAB_NS="${LAB}sw"
  ip -n "${LAB}sw" link set lo up
  ip -n "${LAB}sw" link add br0 type bridge || return 1
  ip -n "${LAB}sw" link set br0 up
}

# lab_host HOST ADDR... : a host namespace with these IPv4 addresses
lab_host() {
  _h=$1; shift
  ip netns add "${LAB}$_h" || return 1
  LAB_NS="$LAB_NS ${LAB}$_h"
  ip -n "${LAB}$_h" link set lo up
  ip -n "${LAB}sw" link add "p$_h" type veth peer name eth0 netns "${LAB}$_h" || return 1
  ip -n "${LAB}sw" link set "p$_h" master br0 up
  for _a in "$@"; do ip -n "${LAB}$_h" addr add "$_a/32" dev eth0 || return 1; done
  # no segmentation offload: every frame is MTU-sized, as on a wire or SPAN port
  ip -n "${LAB}$_h" link set eth0 gso_max_segs 1 2>/dev/null
  ip -n "${LAB}$_h" link set eth0 gso_max_size 1514 2>/dev/null
  ip -n "${LAB}$_h" link set eth0 up
  ip -n "${LAB}$_h" route add default dev eth0 src "$1"
}

# lab_bg HOST LOG CMD... : starts CMD in the background in HOST, output to LOG,
# in a session of its own (smbd signals its whole process group when it stops)
lab_bg() {
  _h=$1; _l=$2; shift 2
  ip netns exec "${LAB}$_h" setsid "$@" > "$_l" 2>&1 < /dev/null &
  LAB_PIDS="$LAB_PIDS $!"
}

# lab_wait WHAT CMD... : retries CMD (every 0.2 s, up to LAB_WAIT tries) until it succeeds
lab_wait() {
  _w=$1; shift; _i=0
  while ! "$@" > /dev/null 2>&1; do
    _i=$((_i + 1))
    [ "$_i" -lt "${LAB_WAIT:-300}" ] || { echo "lab: $_w did not come up" >&2; return 1; }
    sleep 0.2
  done
}

# lab_port HOST ADDR PORT : succeeds when a TCP connect from HOST to ADDR:PORT does
lab_port() {
  lab_x "$1" "${LAB_PY:-python3}" -c 'import socket,sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' "$2" "$3"
}

lab_down() {
  for _p in $LAB_PIDS; do kill "$_p" 2>/dev/null; done
  # anything still running inside the lab's namespaces was started by this run
  for _n in $LAB_NS; do
    for _p in $(ip netns pids "$_n" 2>/dev/null); do kill "$_p" 2>/dev/null; done
  done
  sleep 0.2
  for _n in $LAB_NS; do
    for _p in $(ip netns pids "$_n" 2>/dev/null); do kill -9 "$_p" 2>/dev/null; done
  done
  for _p in $LAB_PIDS; do wait "$_p" 2>/dev/null; done
  for _n in $LAB_NS; do ip netns del "$_n" 2>/dev/null; done
  LAB_NS=""; LAB_PIDS=""
}
