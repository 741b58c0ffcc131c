#!/bin/sh
# test_code_accept_pefile.sh -- issue 3 acceptance: on ../shared/corpora/pe/
# msvc, `tells code --jsonl` reports the same Rich entries, Rich hash,
# imphash, PDB path (GUID, age), timestamps (COFF, debug, export, resource)
# and section names as Debian's python3-pefile, run live, file by file.
. "$(dirname "$0")/lib.sh"
MSVC="$CORPORA/pe/msvc"
PY=/usr/bin/python3   # Debian's python, where python3-pefile lives
if [ ! -d "$MSVC" ]; then skip "pefile agreement" "corpus $MSVC is absent"; exit 0; fi
if ! $PY -c 'import pefile' 2>/dev/null; then
  skip "pefile agreement" "python3-pefile is not installed (scripts/install-deps.sh)"; exit 0
fi
"$TELLS_BIN" code "$MSVC" --jsonl > "$T/out.jsonl" 2> "$T/err"; rc=$?
check "tells code over pe/msvc exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "no diagnostics on stderr" [ ! -s "$T/err" ]
$PY - "$T/out.jsonl" > "$T/cmp" 2>&1 <<'PYEOF'
import json, sys
import pefile

def norm_ts(v):
    return None if v is None else int(v)

def facts_pefile(path):
    pe = pefile.PE(path, fast_load=False)
    f = {"sections": [s.Name.rstrip(b"\0").decode("latin-1") for s in pe.sections],
         "coff_time": pe.FILE_HEADER.TimeDateStamp,
         "imphash": pe.get_imphash(),
         "rich_hash": pe.get_rich_header_hash() or "",
         "rich_entries": [], "pdb_path": None, "pdb_guid": None, "pdb_age": 0,
         "debug_times": [], "export_time": None, "resource_time": None}
    rich = pe.parse_rich_header()
    if rich:
        v = rich["values"]
        f["rich_entries"] = [(v[i] >> 16, v[i] & 0xffff, v[i + 1]) for i in range(0, len(v), 2)]
        f["rich_key"] = int.from_bytes(rich["key"], "little")
    for d in getattr(pe, "DIRECTORY_ENTRY_DEBUG", []):
        f["debug_times"].append(d.struct.TimeDateStamp)
        e = d.entry
        if d.struct.Type == 2 and e is not None and hasattr(e, "PdbFileName") and f["pdb_path"] is None:
            f["pdb_path"] = e.PdbFileName.rstrip(b"\0").decode("utf-8", "replace")
            d6 = e.Signature_Data6   # the GUID's last 6 bytes
            f["pdb_guid"] = "%08X-%04X-%04X-%02X%02X-%s" % (
                e.Signature_Data1, e.Signature_Data2, e.Signature_Data3,
                e.Signature_Data4, e.Signature_Data5,
                (d6 if isinstance(d6, bytes) else d6.to_bytes(6, "big")).hex().upper())
            f["pdb_age"] = e.Age
    if hasattr(pe, "DIRECTORY_ENTRY_EXPORT"):
        f["export_time"] = pe.DIRECTORY_ENTRY_EXPORT.struct.TimeDateStamp
    if hasattr(pe, "DIRECTORY_ENTRY_RESOURCE"):
        f["resource_time"] = pe.DIRECTORY_ENTRY_RESOURCE.struct.TimeDateStamp
    return f

def facts_tells(r):
    pe = r["pe"]
    ts = pe.get("timestamps") or {}
    rich = pe.get("rich") or {}
    dbg = pe.get("debug") or {}
    f = {"sections": [s["name"] for s in pe.get("sections") or []],
         "coff_time": pe["coff"]["time_date_stamp"],
         "imphash": pe.get("imphash") or "",
         "rich_hash": pe.get("rich_hash") or "",
         "rich_entries": [(e["prodid"], e["build"], e["count"]) for e in rich.get("entries") or []],
         "pdb_path": dbg.get("pdb_path"), "pdb_guid": dbg.get("pdb_guid"),
         "pdb_age": dbg.get("pdb_age") or 0,
         "debug_times": [e["timestamp"] for e in dbg.get("entries") or []],
         "export_time": norm_ts(ts.get("export")), "resource_time": norm_ts(ts.get("resource"))}
    if rich:
        f["rich_key"] = rich["xor_key"]
    return f

files = bad = fields = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "pe":
        continue
    files += 1
    mine, ref = facts_tells(r), facts_pefile(r["path"])
    name = r["path"].rsplit("/", 1)[1]
    for k in sorted(ref):
        fields += 1
        if mine.get(k) != ref[k]:
            bad += 1
            print("    %s: %s: tells %r, pefile %r" % (name, k, mine.get(k), ref[k]))
    print("    %s: %d sections, %d Rich entries, pdb %s, %d debug entries: %s" % (
        name, len(ref["sections"]), len(ref["rich_entries"]), ref["pdb_path"],
        len(ref["debug_times"]), "same" if all(mine.get(k) == ref[k] for k in ref) else "DIFFERENT"))
print("    %d files, %d fields compared with pefile %s, %d differ" % (files, fields, pefile.__version__, bad))
sys.exit(0 if files >= 8 and bad == 0 else 1)
PYEOF
rc=$?
cat "$T/cmp"
check "every msvc PE: Rich entries and hash, imphash, PDB, timestamps, section names equal pefile's" [ "$rc" -eq 0 ]
check "the comparison covered files with Rich entries and with a PDB path" \
  sh -c "grep -q ' [1-9][0-9]* Rich entries' '$T/cmp' && grep -q 'pdb [^ ]*\.pdb' '$T/cmp'"
