#!/bin/sh
# test_badinput.sh -- a missing path, an unreadable file, a zero-length
# file, a directory loop, a fifo and a file that grows during the run each
# give one clear line naming the path, and the rest of the run completes.
. "$(dirname "$0")/lib.sh"
E="$T/ev"
mkdir -p "$E/sub"
printf 'plain text\n' > "$E/a.txt"
: > "$E/empty.bin"
printf 'secret\n' > "$E/locked.txt"; chmod 000 "$E/locked.txt"
ln -s .. "$E/sub/loop"
mkfifo "$E/pipe"
head -c 300000000 /dev/zero > "$E/growing.bin"
printf 'more text\n' > "$E/z.txt"

RUN="$TELLS_BIN"
# root reads anything: run as nobody so the locked file really is unreadable
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
  chmod 777 "$T"; chmod -R a+rwX "$E"; chmod 000 "$E/locked.txt"
  RUN="setpriv --reuid=65534 --regid=65534 --clear-groups $TELLS_BIN"
  [ -x "$TELLS_BIN" ] && setpriv --reuid=65534 --regid=65534 --clear-groups "$TELLS_BIN" version >/dev/null 2>&1 || RUN="$TELLS_BIN"
fi

# a writer that keeps appending to growing.bin while tells reads it
( while [ -f "$E/growing.bin" ]; do printf x >> "$E/growing.bin"; sleep 0.001; done ) &
writer=$!
sleep 0.2
$RUN investigate "$E" "$T/does-not-exist" -o "$T/c.tells" > "$T/out" 2> "$T/err"
rc=$?
kill $writer 2>/dev/null; wait $writer 2>/dev/null
sed 's/^/    stderr: /' "$T/err"

check "run completes with exit 1 (some evidence unreadable), got $rc" [ "$rc" -eq 1 ]
check "missing path named with reason" grep -q "does-not-exist: No such file or directory" "$T/err"
check "directory loop named" grep -q "sub/loop: directory loop" "$T/err"
check "fifo named as not a regular file" grep -q "pipe: not a regular file (fifo)" "$T/err"
check "growing file reported as changed" grep -q "growing.bin: file changed while it was being read" "$T/err"
if [ "$RUN" != "$TELLS_BIN" ] || [ "$(id -u)" != 0 ]; then
  check "unreadable file named with reason" grep -q "locked.txt: cannot open: permission denied" "$T/err"
else
  skip "unreadable file named with reason" "running as root without setpriv"
fi
check "every diagnostic is one line starting with tells: PATH:" \
  sh -c "! grep -v '^tells: /' '$T/err'"

"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev.jsonl"
check "zero-length file recorded as not analysed: empty file" \
  py 'import json,sys
r=[json.loads(l) for l in open("'"$T"'/ev.jsonl")]
e=[x for x in r if x["path"].endswith("/empty.bin")]
sys.exit(0 if e and e[0]["status"]=="not_analysed" and e[0]["reason"]=="empty file" and e[0]["sha256"]=="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" else 1)'
check "files after the bad ones are still ingested" \
  py 'import json,sys
r=[json.loads(l) for l in open("'"$T"'/ev.jsonl")]
ok=[x for x in r if x["path"].endswith("/z.txt") and x["status"]=="not_analysed" and x["sha256"]]
sys.exit(0 if ok else 1)'
check "failures are in the case with their reason" \
  py 'import json,sys
r=[json.loads(l) for l in open("'"$T"'/ev.jsonl")]
f={x["path"].rsplit("/",1)[1]:x["reason"] for x in r if x["status"]=="failed"}
print("    failed:", f)
sys.exit(0 if "growing.bin" in f and "pipe" in f else 1)'

# A second run over the now quiet folder ingests the file that was changing.
$RUN investigate "$E" -o "$T/c.tells" > "$T/out2" 2> "$T/err2"
"$TELLS_BIN" show "$T/c.tells" evidence --jsonl > "$T/ev2.jsonl"
check "re-run ingests the file that had changed, once" \
  py 'import json,sys
r=[json.loads(l) for l in open("'"$T"'/ev2.jsonl")]
g=[x for x in r if x["path"].endswith("/growing.bin")]
sys.exit(0 if len(g)==1 and g[0]["status"]=="not_analysed" else 1)'

"$TELLS_BIN" show "$T/nope.tells" evidence > /dev/null 2> "$T/err3"; rc=$?
check "show on a missing case: exit 3 and one line" sh -c "[ $rc -eq 3 ] && [ \$(wc -l < '$T/err3') -eq 1 ] && grep -q 'nope.tells' '$T/err3'"
"$TELLS_BIN" show "$E/a.txt" evidence > /dev/null 2> "$T/err4"; rc=$?
check "show on a file that is not a case: exit 3, 'not a tells case file'" sh -c "[ $rc -eq 3 ] && grep -q 'not a tells case file' '$T/err4'"
"$TELLS_BIN" investigate > /dev/null 2>&1; rc=$?
check "investigate without paths is a usage error (2)" [ "$rc" -eq 2 ]
"$TELLS_BIN" show "$T/c.tells" bogus > /dev/null 2>&1; rc=$?
check "unknown view is a usage error (2)" [ "$rc" -eq 2 ]
