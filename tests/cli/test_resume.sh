#!/bin/sh
# test_resume.sh -- a run killed with SIGKILL at random moments always
# leaves a consistent case, and running the same command again resumes: at
# the end every file is in the case exactly once, and evidence is unchanged
# (bytes and mtime).
. "$(dirname "$0")/lib.sh"
E="$T/ev"
mkdir -p "$E"
i=0
while [ $i -lt 400 ]; do
  head -c $((i * 397 % 20000 + 1)) /dev/urandom > "$E/f$i.bin"; i=$((i + 1))
done
for k in 1 2 3 4; do head -c 40000000 /dev/urandom > "$E/big$k.bin"; done
if mkpe "$E/tool.exe"; then cp "$E/tool.exe" "$E/tool-copy.exe"; fi
nfiles=$(find "$E" -type f | wc -l)
touch -d '2014-11-24 08:00:00' "$E"/*
(cd "$E" && find . -type f -exec stat -c '%n %s %Y' {} + | sort && find . -type f -exec sha256sum {} + | sort) > "$T/before"

consistent() {
  # killed before the schema was committed: an empty database, nothing half-written
  if [ "$(sqlite3 "$T/c.tells" "select count(*) from sqlite_schema")" = 0 ]; then
    echo "1 0 0 0 ok "; return
  fi
  sqlite3 "$T/c.tells" "
    select case when (select count(*) from evidence where status='ingesting') = 0 then 1 else 0 end;
    select count(*) from evidence e where e.status='analysed' and e.kind in ('pe','elf')
      and (select count(*) from sightings s where s.evidence_id=e.id and s.context='file hash') <> 3;
    select count(*) from sightings s left join evidence e on e.id=s.evidence_id where e.id is null;
    select count(*) from (select path from evidence where status<>'failed' group by path having count(*)>1);
    pragma integrity_check;" 2>&1 | tr '\n' ' '
}

kills=0; bad=0
for delay in 0.05 0.15 0.3 0.5 0.8 1.2; do
  "$TELLS_BIN" investigate "$E" -o "$T/c.tells" > /dev/null 2>&1 &
  pid=$!
  sleep $delay
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null
  [ -f "$T/c.tells" ] || continue
  got=$(consistent)
  echo "    after kill at ${delay}s: $(sqlite3 "$T/c.tells" 'select count(*) from evidence' 2>/dev/null) rows; checks: $got"
  [ "$got" = "1 0 0 0 ok " ] || bad=$((bad + 1))
done
check "killed $kills times mid-run, case consistent every time" [ "$bad" -eq 0 ] 
check "at least one kill landed mid-run" [ "$kills" -ge 1 ]

"$TELLS_BIN" investigate "$E" -o "$T/c.tells" > "$T/out" 2> "$T/err"; rc=$?
cat "$T/out" | sed 's/^/    /'
check "resumed run exits 0" [ "$rc" -eq 0 ]
check "resumed run notices the interrupted run" grep -q "resumed after interrupted run" "$T/out"
check "resumed run skipped files already ingested" sh -c "! grep -q ' 0 already in the case' '$T/out'"
check "every file in the case exactly once" \
  [ "$(sqlite3 "$T/c.tells" "select count(distinct path) || ' ' || count(*) from evidence")" = "$nfiles $nfiles" ]
check "final case consistent" [ "$(consistent)" = "1 0 0 0 ok " ]

"$TELLS_BIN" investigate "$E" -o "$T/c.tells" > "$T/out2" 2>&1; rc=$?
check "idempotent re-run: exit 0, nothing ingested, $nfiles skipped" \
  sh -c "[ $rc -eq 0 ] && grep -q ' 0 ingested, $nfiles already in the case' '$T/out2'"
check "idempotent re-run: row count unchanged" \
  [ "$(sqlite3 "$T/c.tells" "select count(*) from evidence")" = "$nfiles" ]
if [ -f "$E/tool-copy.exe" ]; then
  check "identical content under two paths: one analysed, one duplicate" \
    [ "$(sqlite3 "$T/c.tells" "select group_concat(status, ',') from (select status from evidence where path like '%tool%.exe' order by status)")" = "analysed,duplicate" ]
fi

(cd "$E" && find . -type f -exec stat -c '%n %s %Y' {} + | sort && find . -type f -exec sha256sum {} + | sort) > "$T/after"
check "evidence bytes and mtimes unchanged after all runs" cmp -s "$T/before" "$T/after"
