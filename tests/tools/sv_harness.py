#!/usr/bin/env python3
# sv_harness.py -- runs the suricata-verify cases of the corpora against
# `tells net --jsonl` and applies each case's eve.json `filter` checks
# (count + match, with suricata-verify's dotted paths, [n], __len,
# __contains, __find, __startswith, __endswith, has-key, not-has-key) to
# tells' records.  Prints pass counts per protocol, writes
# docs/suricata-verify.md with --report, and with --baseline fails when a
# protocol passes fewer checks than the figures recorded in that file.
import argparse
import json
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:  # python3-yaml (scripts/install-deps.sh)
    sys.stderr.write("sv_harness: python3-yaml is required\n")
    sys.exit(3)

PROTOS = ["dns", "http", "tls", "smb", "flow", "ssh", "fileinfo"]
FEATURES = {"HAVE_JA3", "HAVE_JA4"}      # build features tells has
FP_KEYS = ("sni", "ja3", "ja4")          # the TLS fingerprint subset
OPS = ("__contains", "__find", "__startswith", "__endswith")
MAX_RECORDS = 2000000                    # per capture, to stay bounded

# Why known failing checks fail, beyond the mismatch the harness prints:
# (case, protocol of the check, or None for any).
_ACK = ("Suricata (IDS mode) hands stream data to its parser when the peer acknowledges it, "
        "so its HTTP record carries that later packet; tells writes HTTP records when the "
        "response is parsed (only TLS records wait for the acknowledgement)")
_MAC = "tells keeps no Ethernet addresses in flows or records (`ethernet: yes`)"
KNOWN = {
    ("bug-130", "http"): _ACK,
    ("decode-teredo-01", "http"): _ACK,
    ("decode-chdlc-02", None): "Cisco HDLC link type (104) is not decoded",
    ("ethernet-eve", None): _MAC,
    ("pgsql/pgsql-upgrade-tls", "tls"): ("tls.from_proto: tells has no PostgreSQL parser; it finds the "
                                "TLS after the SSLRequest by content, not knowing what it "
                                "upgraded from"),
}


def sv_version(v):
    """'7.0.3' / 8 / '8.0' -> (7, 0, 3) (missing parts are 0)."""
    parts = [int(x) if x.isdigit() else 0 for x in str(v).split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def sv_requires_ok(req, ver):
    """None when the requirements hold for emulated version `ver`, else why not."""
    if not req:
        return None
    if "min-version" in req and ver < sv_version(req["min-version"]):
        return "needs Suricata >= %s" % req["min-version"]
    if "lt-version" in req and ver >= sv_version(req["lt-version"]):
        return "needs Suricata < %s" % req["lt-version"]
    if "version" in req:
        want = sv_version(req["version"])
        n = len(str(req["version"]).split("."))
        if ver[:n] != want[:n]:
            return "only for Suricata %s" % req["version"]
    feats = req.get("features") or []
    missing = [f for f in feats if f not in FEATURES]
    if missing:
        return "needs Suricata build feature %s" % ", ".join(missing)
    if req.get("files"):
        return "needs files %s" % ", ".join(map(str, req["files"]))
    if req.get("script") or req.get("lambda"):
        return "needs a custom requirement script"
    return None


def sv_find(name, obj):
    """suricata-verify's field lookup: dotted path, name[n] indexing, __len;
    stops before an operator suffix (__contains...) and returns the object."""
    for part in name.split("."):
        if part == "__len":
            try:
                return len(obj)
            except TypeError:
                return -1
        if part in OPS:
            break
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        key, idx = (m.group(1), int(m.group(2))) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
        if idx is not None:
            if not isinstance(obj, list) or idx >= len(obj):
                return None
            obj = obj[idx]
    return obj


def sv_match_one(key, expected, rec):
    """True when one match entry holds for record rec."""
    if key == "has-key":
        return sv_find(expected, rec) is not None
    if key == "not-has-key":
        return sv_find(expected, rec) is None
    val = sv_find(key, rec)
    if key.endswith("__contains"):
        return val is not None and isinstance(val, (list, str, dict)) and expected in val
    if key.endswith("__find"):
        return isinstance(val, str) and val.find(str(expected)) >= 0
    if key.endswith("__startswith"):
        return isinstance(val, str) and val.startswith(str(expected))
    if key.endswith("__endswith"):
        return isinstance(val, str) and val.endswith(str(expected))
    # plain equality, types included (1 != "1", true != "true")
    return val == expected and type(val) is type(expected)


def sv_match(match, rec):
    return all(sv_match_one(k, v, rec) for k, v in match.items())


def sv_event_type(match):
    et = match.get("event_type")
    if isinstance(et, str):
        return et
    # no event_type: the first path component that names a protocol
    for k in match:
        head = k.split(".")[0].split("[")[0]
        if head in PROTOS or head == "alert":
            return head
    return None


def sv_check_skip(match, filename):
    """Why a filter check is outside the harness (None: it is run)."""
    if filename not in (None, "eve.json"):
        return "reads %s, not eve.json" % filename
    text = json.dumps(match)
    et = sv_event_type(match)
    if et == "alert" or "alert" in match or any(
            k.startswith("alert.") for k in match) or "signature_id" in text:
        return "alert: depends on Suricata rules"
    if et is None:
        return "no event_type"
    if et not in PROTOS:
        return "event type %s is not produced by tells" % et
    return None


def sv_protocol(match):
    return sv_event_type(match)


def sv_is_fp(match):
    return sv_event_type(match) == "tls" and any(
        any(f in k for f in FP_KEYS) or (isinstance(v, str) and any(f in v for f in FP_KEYS))
        for k, v in match.items())


def sv_explain(match, count, recs):
    """One line saying why a check failed: how many records matched, and for
    the closest record of the same event type the entries that differ."""
    et = sv_event_type(match)
    same = [r for r in recs if r.get("event_type") == et] if et else recs
    got = sum(1 for r in recs if sv_match(match, r))
    if not same:
        return "matched %d, want %s; tells wrote no %s record" % (got, count, et)
    best, bad = None, None
    for r in same:
        miss = [k for k, v in match.items() if not sv_match_one(k, v, r)]
        if bad is None or len(miss) < len(bad):
            best, bad = r, miss
    parts = []
    for k in bad[:4]:
        want = match[k]
        have = sv_find(match[k] if k in ("has-key", "not-has-key") else k, best)
        parts.append("%s: want %s, got %s" % (k, json.dumps(want, default=str)[:60],
                                               json.dumps(have, default=str)[:60]))
    more = " (+%d more)" % (len(bad) - 4) if len(bad) > 4 else ""
    return "matched %d, want %s; closest %s record: %s%s" % (
        got, count, et, "; ".join(parts) if parts else "all entries match", more)


class SvRun:
    def __init__(self, tells, corpus):
        self.tells, self.corpus = tells, corpus
        self.cache = {}

    def records(self, pcap, dns_version, extra=()):
        key = (pcap, dns_version, tuple(extra))
        if key in self.cache:
            return self.cache[key]
        cmd = [self.tells, "net", pcap, "--jsonl", "--no-detect", "--no-geoip",
               "--dns-version", str(dns_version)] + list(extra)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=300)
        except subprocess.TimeoutExpired:
            self.cache[key] = (None, "tells timed out")
            return self.cache[key]
        if p.returncode not in (0, 1):
            err = p.stderr.decode("utf-8", "replace").strip().splitlines()
            self.cache[key] = (None, "tells exited %d: %s" % (p.returncode, err[-1] if err else ""))
            return self.cache[key]
        recs = []
        for line in p.stdout.decode("utf-8", "replace").splitlines()[:MAX_RECORDS]:
            try:
                recs.append(json.loads(line))
            except ValueError:
                self.cache[key] = (None, "tells wrote a line that is not JSON")
                return self.cache[key]
        self.cache[key] = (recs, None)
        return self.cache[key]


def sv_yes(v):
    return v is True or str(v).lower() in ("yes", "true", "on", "1")


def sv_eve_options(path):
    """The tells net options matching a case's suricata.yaml eve-log settings:
    community-id (and its seed), ipv6-compress, http dump-all-headers."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        conf = yaml.safe_load(re.sub(r"^%YAML.*$", "", text, flags=re.M)) or {}
    except (OSError, yaml.YAMLError):
        return []
    out = []
    outputs = conf.get("outputs") if isinstance(conf, dict) else None
    for o in outputs or []:
        eve = o.get("eve-log") if isinstance(o, dict) else None
        if not isinstance(eve, dict) or not sv_yes(eve.get("enabled", True)):
            continue
        if sv_yes(eve.get("community-id", False)):
            out += ["--community-id", "--community-id-seed", str(int(eve.get("community-id-seed", 0) or 0))]
        if sv_yes(eve.get("ipv6-compress", False)):
            out.append("--ipv6-compress")
        for t in eve.get("types") or []:
            if isinstance(t, dict) and isinstance(t.get("http"), dict):
                dump = str(t["http"].get("dump-all-headers", "none")).lower()
                if dump in ("request", "response", "both"):
                    out += ["--http-headers", dump]
    return out


def sv_find_pcap(cdir, cfg):
    if cfg.get("pcap"):
        p = os.path.normpath(os.path.join(cdir, str(cfg["pcap"])))
        if os.path.isfile(p):
            return p
    names = sorted(n for n in os.listdir(cdir) if n.endswith((".pcap", ".pcapng")))
    return os.path.join(cdir, names[0]) if names else None


def sv_cases(corpus):
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        if "test.yaml" in files:
            out.append(os.path.relpath(root, corpus))
    return sorted(out)


def sv_run_case(run, name):
    """Returns dict(name, skip, checks=[...]) for one case."""
    cdir = os.path.join(run.corpus, name)
    res = {"name": name, "skip": None, "checks": [], "notes": []}
    try:
        with open(os.path.join(cdir, "test.yaml"), encoding="utf-8") as fh:
            cfg = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as e:
        res["skip"] = "test.yaml unreadable: %s" % str(e).splitlines()[0]
        return res
    req = cfg.get("requires") or {}
    minv = sv_version(req.get("min-version", "7"))
    ver = max(minv, (7, 0, 0))                  # emulated Suricata version
    dns_version = 3 if ver >= (8, 0, 0) else 2
    res["version"] = "%d" % ver[0]
    why = sv_requires_ok(dict(req, **{"min-version": "0"}), ver)
    if why:
        res["skip"] = why
        return res
    if "http2" in name:
        res["skip"] = "HTTP/2: tells parses HTTP/1.x only"
        return res
    if cfg.get("command"):
        res["skip"] = "runs a custom command"
        return res
    pcap = sv_find_pcap(cdir, cfg)
    if not pcap:
        res["skip"] = "no capture"
        return res
    res["pcap"] = os.path.relpath(pcap, run.corpus)
    extra = []
    if os.path.exists(os.path.join(cdir, "suricata.yaml")):
        res["notes"].append("own suricata.yaml")
        extra = sv_eve_options(os.path.join(cdir, "suricata.yaml"))
        if extra:
            res["notes"].append("`%s`" % " ".join(extra))
    checks = cfg.get("checks") or []
    todo = []
    for i, c in enumerate(checks, 1):
        if not isinstance(c, dict) or "filter" not in c:
            kind = next(iter(c)) if isinstance(c, dict) and c else "?"
            res["checks"].append({"n": i, "skip": "%s check" % kind})
            continue
        f = c["filter"] or {}
        match = f.get("match") or {}
        why = sv_requires_ok(f.get("requires"), ver) or sv_requires_ok(
            {k: f[k] for k in ("min-version", "lt-version", "version") if k in f}, ver)
        if why:
            res["checks"].append({"n": i, "skip": "not for Suricata %s: %s" % (ver[0], why)})
            continue
        why = sv_check_skip(match, f.get("filename"))
        if why:
            res["checks"].append({"n": i, "skip": why})
            continue
        todo.append((i, f, match))
    if not todo:
        reasons = sorted({c["skip"] for c in res["checks"]})
        res["skip"] = "no check tells can answer (%s)" % "; ".join(reasons) if reasons else "no checks"
        return res
    recs, err = run.records(pcap, dns_version, extra)
    for i, f, match in todo:
        proto = sv_protocol(match)
        ent = {"n": i, "proto": proto, "fp": sv_is_fp(match), "skip": None}
        count = f.get("count")
        if recs is None:
            ent["ok"], ent["why"] = False, err
        else:
            got = sum(1 for r in recs if sv_match(match, r))
            ent["ok"] = got == count if count is not None else got >= 1
            if not ent["ok"]:
                ent["why"] = sv_explain(match, count if count is not None else ">= 1", recs)
        res["checks"].append(ent)
    return res


def sv_tally(results):
    t = {p: [0, 0] for p in PROTOS + ["tls-fp"]}
    for r in results:
        for c in r["checks"]:
            if c.get("skip") or "ok" not in c:
                continue
            keys = [c["proto"]] + (["tls-fp"] if c["fp"] else [])
            for k in keys:
                t[k][1] += 1
                t[k][0] += 1 if c["ok"] else 0
    return t


def sv_pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


def sv_report(results, tally, corpus):
    L = []
    run = [r for r in results if not r["skip"]]
    skipped = [r for r in results if r["skip"]]
    full = sum(1 for r in run if all(c.get("ok") or c.get("skip") for c in r["checks"]))
    L += ["# suricata-verify pass rates",
          "",
          "Generated by `python3 tests/tools/sv_harness.py --tells BUILD/tells --report "
          "docs/suricata-verify.md` over the %d cases of "
          "`../shared/corpora/pcap/suricata-verify` (do not edit by hand; "
          "`tests/cli/test_suricata_verify.sh` fails when a protocol passes fewer "
          "checks than recorded here)." % len(results),
          "",
          "Each case's capture is read with `tells net PCAP --jsonl --no-detect --no-geoip "
          "--dns-version N`: N is 3 (Suricata 8's EVE DNS layout) when the case requires "
          "Suricata >= 8, else 2, plus the options matching the eve-log settings of the "
          "case's own suricata.yaml (`--community-id` and its seed, `--ipv6-compress`, "
          "`--http-headers` for dump-all-headers), and filter checks with their own version requirements are "
          "applied as Suricata of that version would (7 or the case's minimum). Every "
          "`filter` check on eve.json whose event type is dns, http, tls, smb, flow, ssh or fileinfo "
          "and that does not involve alerts is run with suricata-verify's semantics: the "
          "number of records for which every `match` entry holds must equal `count`; keys "
          "are dotted paths with `[n]`, `__len`, `__contains`, `__find`, `__startswith`, "
          "`__endswith`, `has-key`, `not-has-key`; values compare with their YAML types, "
          "and a nested object must equal the record's object exactly. `args:` (`-k none`, "
          "`--set stream.midstream=true`, ...) need no counterpart: tells ignores "
          "checksums and always picks up flows mid-stream.",
          "",
          "## Pass rates per protocol (checks)",
          "",
          "| protocol | checks | passed | failed | pass rate |",
          "|---|---:|---:|---:|---:|"]
    for p in PROTOS + ["tls-fp"]:
        a, b = tally[p]
        label = "tls (sni, ja3, ja4 checks)" if p == "tls-fp" else p
        L.append("| %s | %d | %d | %d | %s |" % (label, b, a, b - a, sv_pct(a, b)))
    L += ["",
          "Cases: %d run (%d with every check passing), %d skipped." % (len(run), full, len(skipped)),
          "",
          "<!-- sv-baseline %s -->" % " ".join(
              "%s=%d/%d" % (p, tally[p][0], tally[p][1]) for p in PROTOS + ["tls-fp"]),
          "",
          "## Cases run",
          "",
          "| case | capture | passed / checks run | checks skipped | notes |",
          "|---|---|---:|---:|---|"]
    for r in run:
        ran = [c for c in r["checks"] if not c.get("skip")]
        L.append("| %s | %s | %d / %d | %d | %s |" % (
            r["name"], r.get("pcap", ""), sum(1 for c in ran if c["ok"]), len(ran),
            len(r["checks"]) - len(ran), ", ".join(r["notes"])))
    L += ["", "## Failing checks", "", "| case | check | protocol | reason |", "|---|---:|---|---|"]
    for r in run:
        for c in r["checks"]:
            if not c.get("skip") and not c["ok"]:
                note = KNOWN.get((r["name"], c["proto"])) or KNOWN.get((r["name"], None))
                why = c["why"] + (" -- " + note if note else "")
                L.append("| %s | %d | %s | %s |" % (r["name"], c["n"], c["proto"],
                                                    why.replace("|", "\\|")))
    L += ["", "## Skipped cases", "", "| case | reason |", "|---|---|"]
    for r in skipped:
        L.append("| %s | %s |" % (r["name"], r["skip"].replace("|", "\\|")))
    L += ["", "## Checks skipped in cases that were run", "", "| case | check | reason |",
          "|---|---:|---|"]
    for r in run:
        for c in r["checks"]:
            if c.get("skip"):
                L.append("| %s | %d | %s |" % (r["name"], c["n"], c["skip"].replace("|", "\\|")))
    return "\n".join(L) + "\n"


def sv_baseline(path):
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return None
    m = re.search(r"<!-- sv-baseline (.*?) -->", text)
    if not m:
        return None
    out = {}
    for item in m.group(1).split():
        k, v = item.split("=")
        a, b = v.split("/")
        out[k] = (int(a), int(b))
    return out


def main():
    ap = argparse.ArgumentParser(description="suricata-verify checks against tells net")
    ap.add_argument("--tells", required=True, help="the tells binary")
    ap.add_argument("--corpus", help="suricata-verify folder (default: corpora/pcap/suricata-verify)")
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    ap.add_argument("--report", help="write the markdown report here")
    ap.add_argument("--baseline", help="fail when a protocol passes fewer checks than this report records")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failing check")
    a = ap.parse_args()
    corpus = a.corpus
    if not corpus:
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        base = os.environ.get("TELLS_CORPORA") or os.path.join(src, "..", "shared", "corpora")
        corpus = os.path.join(base, "pcap", "suricata-verify")
    if not os.path.isdir(corpus):
        sys.stderr.write("sv_harness: %s: not a folder\n" % corpus)
        return 3
    run = SvRun(a.tells, os.path.abspath(corpus))
    names = a.case or sv_cases(run.corpus)
    results = [sv_run_case(run, n) for n in names]
    tally = sv_tally(results)
    for p in PROTOS + ["tls-fp"]:
        ok, n = tally[p]
        print("%-7s %3d/%-3d %s" % (p, ok, n, sv_pct(ok, n)))
    print("cases   %d run, %d skipped" % (sum(1 for r in results if not r["skip"]),
                                          sum(1 for r in results if r["skip"])))
    if a.verbose:
        for r in results:
            for c in r["checks"]:
                if not c.get("skip") and not c["ok"]:
                    print("FAIL %s #%d %s: %s" % (r["name"], c["n"], c["proto"], c["why"]))
    rc = 0
    if a.baseline:
        base = sv_baseline(a.baseline)
        if base is None:
            sys.stderr.write("sv_harness: %s: no sv-baseline line\n" % a.baseline)
            return 3
        for p, (ok, _) in base.items():
            if p in tally and tally[p][0] < ok:
                print("REGRESSION %s: %d passed, %d recorded" % (p, tally[p][0], ok))
                rc = 1
    if a.report:
        with open(a.report, "w", encoding="utf-8") as fh:
            fh.write(sv_report(results, tally, run.corpus))
    return rc


if __name__ == "__main__":
    sys.exit(main())
