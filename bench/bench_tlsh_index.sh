#!/bin/sh
# bench_tlsh_index.sh -- benchmark (c) of issue 3: nearest-neighbour lookup
# in a library of 1,000,000 TLSH digests, index versus linear scan, side by
# side in one run; and the TLSH hashing speed.
#
#   bench/bench_tlsh_index.sh BUILD_DIR [CORPORA] [N] [QUERIES]
#
# tests/tools/tlshgen hashes the files of CORPORA/pe and CORPORA/tlsh (real
# executables and texts), derives N library digests from them (two thirds
# mutations of the real digests, one third random digests with real
# headers), and times QUERIES queries (k = 5) one at a time on one thread,
# through the index and through a linear scan over the same digests, at the
# thresholds 30, 70 and 100 (100: what `tells code --library` and
# `tells investigate` ask for, TELLS_CODELIB_NEAR_MAX).  It checks that
# both give the same answers (the index is exact) and exits 1 otherwise.
# Goal: < 1 ms per query.
# Times are CPU times of the querying thread; /usr/bin/time adds the
# process's wall and CPU time and peak memory.
set -eu
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$SRC/../shared/corpora}
N=${3:-1000000}
Q=${4:-1000}
GEN="$BUILD/tools/tlshgen"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$GEN" ] || { echo "no $GEN: build first" >&2; exit 2; }
find "$DIR/pe" "$DIR/tlsh" -type f -size +1k 2>/dev/null | sort > "$TMP/files"
echo "real files: $(wc -l < "$TMP/files") under $DIR/pe and $DIR/tlsh"
echo "== TLSH hashing speed (64 MiB in memory, one thread)"
"$GEN" speed 64
for thr in 30 70 100; do
  echo "== $N digests, $Q queries, k=5, threshold $thr"
  # shellcheck disable=SC2046
  /usr/bin/time -f "process: %e s wall, %U s user, %S s sys, peak RSS %M KiB" \
    "$GEN" bench "$N" "$Q" 5 "$thr" $(cat "$TMP/files")
done
