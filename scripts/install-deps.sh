#!/bin/sh
# install-deps.sh -- installs the Debian packages tells needs, and only those
# that are missing.  Idempotent: a second run installs nothing and does not
# touch the network.  Both README commands (make demo, make check) call it.
set -eu

# build and library dependencies
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev libsqlite3-dev libssl-dev"
# detection content engines: YARA rules, Sigma YAML, Sigma regular expressions
PKGS="$PKGS libyara-dev libyaml-dev libpcre2-dev"
# GeoIP: MaxMind DB reader; tor-geoipdb is the country data Debian ships
PKGS="$PKGS libmaxminddb-dev tor-geoipdb"
# demo and tests: PE fixtures, the report test in a headless browser,
# the anchors the benchmarks compare against
PKGS="$PKGS gcc-mingw-w64-x86-64 chromium sqlite3 python3"
# reference tools that tests compare against (yara CLI, libevtx's evtxexport,
# pefile for tests/cli/test_code_accept_pefile.sh and bench/bench_code.sh,
# PyYAML for tests/tools/sv_harness.py)
PKGS="$PKGS yara libevtx-utils python3-pefile python3-yaml"
# the network anchors of bench/bench_net.sh: nfpcapd and ndpiReader
PKGS="$PKGS nfdump libndpi-bin"
# real clients and servers of the network-namespace lab (scenarios/realtraffic.sh,
# tests/cli/test_netns_breach.sh): capture, web, TLS, SMB, DNS
PKGS="$PKGS iproute2 tcpdump curl openssl samba smbclient dnsmasq-base bind9-dnsutils"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install:$missing" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# The lab starts its own smbd and dnsmasq inside network namespaces; the
# system services the samba package would start on the host are not wanted.
# A temporary policy-rc.d stops package scripts from starting any service
# during this install, and samba's services are left disabled.
norc=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  norc=1
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
case " $missing " in
  *" samba "*)
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      $SUDO systemctl disable --now smbd nmbd samba-ad-dc >/dev/null 2>&1 || true
    fi ;;
esac
[ -n "$norc" ] && $SUDO rm -f /usr/sbin/policy-rc.d
exit 0
