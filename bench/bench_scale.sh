#!/bin/sh
# bench_scale.sh -- `tells investigate` end to end on a breach case of more
# than 10 GB (captures, event logs, binaries), with throughput and peak memory.
#
#   bench/bench_scale.sh BUILD_DIR DATA_DIR
#
# scenarios/gen.py writes the Crestline Pictures scenario into DATA_DIR/scenario
# (seed 2014, size medium with 120 hosts over 14 days and 7,600 MB of
# background traffic: about 11.6 GB in 686 files), unless a scenario of the
# same parameters is already there.  DATA_DIR must lie outside the source tree
# and not on tmpfs; about 13 GB are needed.  The evidence is read once to warm
# the page cache, then investigated twice:
#   tells investigate -q EVIDENCE -o CASE                  (default options)
#   tells investigate -q EVIDENCE -o CASE --sigma RULES    (every SigmaHQ
#                                                           Windows rule of the corpora)
# Each run reports wall and CPU time (user + system), GB/s (10^9 bytes of
# evidence per second), files/s and the peak RSS as /usr/bin/time %M reports it
# (ru_maxrss of the process).  The intake and the analysis stages run after it
# (lib/answer) are split by sampling the process every 50 ms: the analysis
# starts when the last evidence file is closed.  The default run must peak at
# <= 512 MB (exit 1 otherwise).  The case is then scored against the truth
# (scenarios/score.py).  Env: SCALE_HOSTS, SCALE_DAYS, SCALE_BG_MB, SCALE_SEED
# change the scenario; SCALE_KEEP=1 keeps DATA_DIR (deleted otherwise);
# SCALE_SIGMA=none skips the Sigma run.
set -eu
BUILD=${1:?usage: bench_scale.sh BUILD_DIR DATA_DIR}
DATA=${2:?usage: bench_scale.sh BUILD_DIR DATA_DIR}
HOSTS=${SCALE_HOSTS:-120}
DAYS=${SCALE_DAYS:-14}
BG=${SCALE_BG_MB:-7600}
SEED=${SCALE_SEED:-2014}
LIMIT_MB=512
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
SIGMA=${SCALE_SIGMA:-$SRC/../shared/corpora/sigma/rules/rules/windows}
TELLS=$BUILD/tells
[ -x "$TELLS" ] || { echo "bench_scale.sh: $TELLS missing (build first)" >&2; exit 1; }
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
case "$DATA/" in "$SRC"/*) echo "bench_scale.sh: $DATA is inside the source tree" >&2; exit 1 ;; esac
if [ "$(stat -f -c %T "$DATA")" = tmpfs ]; then
  echo "bench_scale.sh: $DATA is on tmpfs (the evidence would count as memory)" >&2; exit 1
fi
OUT=$DATA/scenario
EVID=$OUT/evidence
[ "${SCALE_KEEP:-0}" = 1 ] || trap 'rm -rf "$OUT" "$DATA"/case.tells* "$DATA"/run.* "$DATA"/score.*' EXIT

same=$(python3 - "$OUT/truth.json" "$SEED" "$HOSTS" "$DAYS" "$BG" <<'EOF' 2>/dev/null || echo 0
import json, sys
s = json.load(open(sys.argv[1]))["scenario"]
print(int([s["seed"], s["hosts"], s["days"], s["background_mb"]] == [int(x) for x in sys.argv[2:6]]))
EOF
)
if [ "$same" != 1 ]; then
  avail=$(df -Pk "$DATA" | awk 'NR == 2 {print int($4 / 1048576)}')
  [ "$avail" -ge 13 ] || { echo "bench_scale.sh: $DATA has ${avail} GB free, 13 GB needed" >&2; exit 1; }
  echo "generating: gen.py --size medium --hosts $HOSTS --days $DAYS --background-mb $BG --seed $SEED"
  /usr/bin/time -f 'generation: wall %e s, cpu %U s user + %S s system, peak RSS %M KB' \
    python3 "$SRC/scenarios/gen.py" "$OUT" --size medium --hosts "$HOSTS" --days "$DAYS" \
      --background-mb "$BG" --seed "$SEED" --build "$BUILD"
fi
set -- $(find "$EVID" -type f -printf '%s\n' | awk '{n++; b += $1} END {printf "%d %.0f", n, b}')
NFILES=$1 BYTES=$2
find "$EVID" -type f -exec cat {} + > /dev/null      # warm the page cache
echo "evidence: $EVID, $NFILES files, $BYTES bytes" \
  "($(find "$EVID/network" -type f | wc -l) captures," \
  "$(find "$EVID/hosts" -name '*.evtx' | wc -l) event logs," \
  "$(find "$EVID/hosts" -path '*/files/*' -type f | wc -l) binaries)"

# run NAME ARGS...: investigates into a fresh case; prints one line, and
# leaves "wall cpu rss_kb" in $DATA/run.NAME
run() {
  name=$1; shift
  rm -f "$DATA"/case.tells*
  python3 - "$DATA/run.$name" "$EVID" "$TELLS" investigate -q "$EVID" -o "$DATA/case.tells" "$@" <<'EOF'
import os, sys, time
out, evid, argv = sys.argv[1], sys.argv[2] + "/", sys.argv[3:]
tick = os.sysconf("SC_CLK_TCK")
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_RDWR)
    os.dup2(fd, 0)
    os.execv(argv[0], argv)
def cpu():
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / tick
def status(key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0
last = None            # (time, cpu, hwm) when an evidence file was last open
after = 0              # largest RSS sampled once no evidence file is open
while True:
    done, st, ru = os.wait4(pid, os.WNOHANG)
    if done:
        break
    try:
        open_ev = any(os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(evid)
                      for fd in os.listdir("/proc/%d/fd" % pid))
        sample = (time.monotonic() - t0, cpu(), status("VmHWM:"), status("VmRSS:"))
    except (OSError, ValueError, IndexError):
        continue
    if open_ev:
        last, after = sample, 0
    elif last:
        after = max(after, sample[3])
    time.sleep(0.05)
wall = time.monotonic() - t0
tot = ru.ru_utime + ru.ru_stime
rc = os.waitstatus_to_exitcode(st)
if last is None:
    last = (wall, tot, ru.ru_maxrss, 0)
with open(out, "w") as f:
    f.write("%.3f %.3f %d %.3f %.3f %d %.3f %.3f %d %d\n" % (
        wall, tot, ru.ru_maxrss, last[0], last[1], last[2], wall - last[0], tot - last[1], after, rc))
EOF
  set -- $(cat "$DATA/run.$name")
  printf '%-8s wall %7.2f s %5.2f GB/s %6.1f files/s   cpu %7.2f s %5.2f GB/s   peak RSS %6.1f MB   (exit %s)\n' \
    "$name" "$1" "$(echo "$BYTES / $1 / 10^9" | bc -l)" "$(echo "$NFILES / $1" | bc -l)" \
    "$2" "$(echo "$BYTES / $2 / 10^9" | bc -l)" "$(echo "$3 / 1024" | bc -l)" "${10}"
  printf '         intake:   wall %7.2f s, cpu %7.2f s, peak RSS %6.1f MB\n' "$4" "$5" "$(echo "$6 / 1024" | bc -l)"
  printf '         analysis: wall %7.2f s, cpu %7.2f s, largest RSS sampled %6.1f MB\n' "$7" "$8" "$(echo "$9 / 1024" | bc -l)"
}

run default
set -- $(cat "$DATA/run.default")
peak_kb=$3
python3 "$SRC/scenarios/score.py" "$TELLS" "$DATA/case.tells" "$OUT" > "$DATA/score.txt" || true
echo "score of the default case (scenarios/score.py; categories below 1.0):"
awk 'NR == 1 || $(NF) != "1.000" || $(NF-1) != "1.000"' "$DATA/score.txt" | sed 's/^/  /'
if [ "$SIGMA" != none ] && [ -d "$SIGMA" ]; then
  run sigma --sigma "$SIGMA" 2>/dev/null
fi
if [ "$peak_kb" -le $((LIMIT_MB * 1024)) ]; then
  echo "memory bound: peak RSS $((peak_kb / 1024)) MB <= $LIMIT_MB MB: ok"
else
  echo "memory bound: peak RSS $((peak_kb / 1024)) MB > $LIMIT_MB MB: FAILED"
  exit 1
fi
