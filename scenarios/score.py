#!/usr/bin/env python3
"""score.py -- compares what tells found in a scenario case with the
scenario's ground truth (truth.json written by gen.py) and prints precision
and recall per category.

    python3 scenarios/score.py TELLS CASE SCENARIO_DIR [--json OUT]

Reads `tells show CASE findings|flows --jsonl` and `tells code --jsonl` over
the scenario's binaries.  Categories: malicious binaries flagged, their tells
(Korean language, translation, build time, PDB path, capabilities with their
ATT&CK ids), exfiltration destinations (with country and bytes), beaconing,
lateral movement, brute force, service installs, log clearing, mass
deletion, DNS tunnelling, scanning, affected hosts, attacker stages.  A
category with nothing expected (the benign-only variant) has recall 1.0
when nothing was found and precision 0.0 otherwise.  Python stdlib only.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def jsonl(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        sys.exit("score.py: %s failed: %s" % (" ".join(cmd), p.stderr.decode(errors="replace")[-500:]))
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def host_of(path):
    m = re.search(r"/hosts/([^/]+)/", path or "")
    return m.group(1) if m else None


SENT = re.compile(r"^(\S+) sent ([\d.]+) [kMGT]?B to (\S+)(?: \((\w\w)\))?")


def pair_of(f):
    """(source ip, destination ip) of a network finding, from its summary."""
    s = f.get("summary") or ""
    m = SENT.match(s)
    if m:
        return m.group(1), m.group(3)
    ips = re.findall(r"\b(\d+\.\d+\.\d+\.\d+)\b", s)
    return (ips[0] if ips else None), (ips[1] if len(ips) > 1 else None)


def score(expected, found):
    expected, found = set(expected), set(found)
    tp = len(expected & found)
    return {"expected": len(expected), "found": len(found), "tp": tp,
            "fp": len(found - expected), "fn": len(expected - found),
            "precision": round(tp / len(found), 3) if found else (1.0 if not expected else 0.0),
            "recall": round(tp / len(expected), 3) if expected else (1.0 if not found else 0.0),
            "missing": sorted(map(str, expected - found))[:20], "extra": sorted(map(str, found - expected))[:20]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tells")
    ap.add_argument("case")
    ap.add_argument("scenario")
    ap.add_argument("--json")
    a = ap.parse_args()
    truth = json.load(open(os.path.join(a.scenario, "truth.json")))
    ip_host = {h["ip"]: h["name"] for h in truth["hosts"]}
    find = jsonl([a.tells, "show", a.case, "findings", "--jsonl"])
    code = [r for r in jsonl([a.tells, "code", os.path.join(a.scenario, "evidence", "hosts"), "--jsonl"])
            if r.get("kind") == "pe"]
    mal = {b["sha256"]: b for b in truth["binaries"]["malicious"]}
    by_rule = {}
    for f in find:
        by_rule.setdefault(f["rule"].split(":", 1)[0] if f["source"] == "code" else f["rule"], []).append(f)
    res = {}

    # Binaries: flagged = at least one finding of the code pillar on the file.
    sha_of = {r["path"]: r["sha256"] for r in code}
    flagged = {sha_of.get(f["evidence"]) for f in find if f["source"] == "code"} - {None}
    res["malicious binaries flagged"] = score(mal, flagged)

    # Their tells, per (binary, tell); tells seen on other binaries are false positives.
    exp, got = set(), set()
    for r in code:
        pe, sha = r["pe"], r["sha256"]
        t = pe["tells"]
        tb = mal.get(sha)
        langs = {l["lang"] for l in t["languages"]["resources"] if not l.get("weak")}
        if 0x0412 in langs and (t["languages"]["primary"] or {}).get("hex") == "0x0412":
            got.add((sha, "language:ko-KR"))
        if any(x["lang"] == 0x0412 and x["codepage"] == 949 for x in t["languages"]["translations"]):
            got.add((sha, "translation:0x0412/949"))
        bt = (t["timestamps"].get("build_time") or {}).get("value")
        if tb and bt == tb["tells"]["build_time_epoch"]:
            got.add((sha, "build_time"))
        if pe["debug"].get("pdb_path"):
            got.add((sha, "pdb:" + pe["debug"]["pdb_path"]))
        for c in pe.get("capabilities") or []:
            got.add((sha, "cap:%s/%s" % (c["id"], c["attack"])))
    for sha, b in mal.items():
        exp |= {(sha, "language:ko-KR"), (sha, "translation:0x0412/949"), (sha, "build_time"),
                (sha, "pdb:" + b["tells"]["pdb_path"])}
        exp |= {(sha, "cap:%s/%s" % (c["id"], c["attack"])) for c in b["capabilities"]}
    # capabilities beyond the intended ones are not errors on malicious files
    got = {g for g in got if g in exp or g[0] not in mal}
    res["binary tells"] = score(exp, got)

    # Network detections, pairs of (source host, destination).
    def pairs(rule):
        out = set()
        for f in by_rule.get(rule, []):
            s, d = pair_of(f)
            out.add((ip_host.get(s, s), d))
        return out

    ex = truth.get("exfiltration", [])
    res["exfiltration destinations"] = score({(e["source"], e["dest_ip"]) for e in ex}, pairs("net.exfil"))
    cc = {}
    sent = {}
    for f in by_rule.get("net.exfil", []):
        s, d = pair_of(f)
        fig = (f.get("details") or {}).get("figures") or {}
        cc[d] = fig.get("dest_country")
        sent[d] = sent.get(d, 0) + fig.get("bytes_out", 0)
    res["exfiltration countries"] = score({(e["dest_ip"], e["country"]) for e in ex},
                                          {(d, c) for d, c in cc.items()})
    res["exfiltration bytes (within 10%)"] = score(
        {e["dest_ip"] for e in ex},
        {e["dest_ip"] for e in ex if e["dest_ip"] in sent and abs(sent[e["dest_ip"]] - e["bytes"]) <= 0.1 * e["bytes"]}
        | {d for d in sent if d not in {e["dest_ip"] for e in ex}})
    res["beaconing"] = score({(c["source"], c["dest_ip"]) for c in truth.get("c2", [])}, pairs("net.beacon"))
    lm = truth.get("lateral_movement")
    res["lateral movement"] = score({lm["source"]} if lm else set(),
                                    {ip_host.get(pair_of(f)[0], pair_of(f)[0]) for f in by_rule.get("net.lateral", [])})
    tun = truth.get("dns_tunnel")
    res["dns tunnel"] = score({tun["source"]} if tun else set(),
                              {ip_host.get(pair_of(f)[0], pair_of(f)[0]) for f in by_rule.get("net.dns_tunnel", [])})
    sc = truth.get("scan")
    res["scan"] = score({sc["source"]} if sc else set(),
                        {ip_host.get(pair_of(f)[0], pair_of(f)[0]) for f in by_rule.get("net.scan", [])})

    # Event-log detections, by host (the folder the log came from).
    aff = {h["name"] for h in truth["hosts"] if h["affected"]}
    st = {s["stage"]: s for s in truth["stages"]}

    def hosts(rule, sev=None):
        # the severity the detection gave, before correlation raised it
        return {host_of(f["evidence"]) for f in by_rule.get(rule, [])
                if sev is None or (f.get("base_severity") or f["severity"]) in sev}

    res["brute force"] = score(set(["DC01"]) if "credential-access" in st else set(), hosts("evtx-brute-force"))
    res["service installs (suspicious image)"] = score(aff, hosts("evtx-new-service", ("high",)))
    res["log clearing"] = score(aff, hosts("evtx-log-cleared"))
    res["mass deletion"] = score(aff, hosts("evtx-mass-deletion"))

    # Affected hosts: every host a finding names (evidence folder, or an internal source address).
    named = set()
    for f in find:
        h = host_of(f["evidence"])
        if f["source"] == "net":
            h = ip_host.get(pair_of(f)[0])
        if h:
            named.add(h)
    res["affected hosts"] = score(aff, named)

    # Stages: one finding of the stage's tactic or techniques whose time span
    # overlaps the stage's window (+-1 h).
    def t_of(s):
        from datetime import datetime
        return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").timestamp()

    hit = set()
    for name, s in st.items():
        lo, hi = t_of(s["first"]) - 3600, t_of(s["last"]) + 3600
        for f in find:
            tech = f.get("technique") or ""
            if f.get("tactic") != s["tactic"] and not any(tech.startswith(x) for x in s["techniques"]):
                continue
            ft, lt = f.get("first_time"), f.get("last_time") or f.get("first_time")
            if ft and t_of(ft) <= hi and t_of(lt) >= lo:
                hit.add(name)
                break
    res["attacker stages (time-placed finding)"] = score(set(st), hit)

    w = max(len(k) for k in res)
    print("%-*s %8s %5s %4s %4s %4s %9s %6s" % (w, "category", "expected", "found", "tp", "fp", "fn",
                                                "precision", "recall"))
    for k, v in res.items():
        print("%-*s %8d %5d %4d %4d %4d %9.3f %6.3f" % (w, k, v["expected"], v["found"], v["tp"], v["fp"],
                                                        v["fn"], v["precision"], v["recall"]))
        if v["missing"]:
            print("%-*s   missing: %s" % (w, "", ", ".join(v["missing"][:6])))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
