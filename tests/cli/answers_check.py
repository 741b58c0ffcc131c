#!/usr/bin/env python3
"""answers_check.py -- compares `tells show CASE answers --jsonl` with the
scenario's truth.json (scenarios/gen.py) and prints one TAP-like line per
check ("ok - answers: ..." / "not ok - answers: ...").  Exit status 1 when a
check fails.

usage: answers_check.py ANSWERS.jsonl TRUTH.json CASE [--benign]
"""
import datetime
import json
import sqlite3
import sys

HOUR = 3600
failed = 0


def report(name, good, why=""):
    global failed
    if good:
        print("ok - answers: %s" % name)
    else:
        failed += 1
        print("not ok - answers: %s" % name)
        for line in str(why).splitlines()[:12]:
            print("    " + line)


def ts(s):
    """RFC 3339 text to epoch seconds."""
    s = s.rstrip("Z")
    if "." in s:
        s = s[:s.index(".")]
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()


def within(a, b, frac):
    return abs(a - b) <= frac * b


def main():
    path, truth_path, case = sys.argv[1:4]
    benign = "--benign" in sys.argv[4:]
    rows = [json.loads(l) for l in open(path) if l.strip()]
    truth = json.load(open(truth_path))
    q = {}
    for r in rows:
        q.setdefault(r["question"], []).append(r)
    for k in q:
        q[k].sort(key=lambda r: r["ordinal"])
    questions = ["what", "hosts", "entry", "movement", "exfil", "destruction", "attribution"]
    report("every question has an answer", all(k in q for k in questions), sorted(q))

    # every evidence reference points at a row of the case
    db = sqlite3.connect(case)
    table = {"finding": "findings", "flow": "flows", "event": "events", "evidence": "evidence"}
    bad = []
    for r in rows:
        for ref in r["evidence"]:
            (kind, rid), = ref.items()
            if kind not in table or not db.execute("SELECT 1 FROM %s WHERE id = ?" % table[kind], (rid,)).fetchone():
                bad.append((r["question"], r["ordinal"], ref))
    report("every evidence reference names an existing row", not bad, bad[:5])

    if benign:
        none = [k for k in questions if k in q and len(q[k]) == 1 and q[k][0]["details"].get("none")]
        report("benign-only: no attacker answer, one plain 'none' row per question", none == questions,
               [(r["question"], r["answer"]) for r in rows if r["question"] not in none][:5])
        report("benign-only: says so plainly", "No attacker activity" in q["what"][0]["answer"], q["what"][0]["answer"])
        return

    hosts = {h["name"]: h for h in truth["hosts"]}
    pz = [h["name"] for h in truth["hosts"] if h["patient_zero"]][0]

    # what: first and last activity, the stages, the malicious binaries
    w0 = q["what"][0]["details"]
    report("what: first attacker activity within 1 h of the truth",
           w0["first"] and abs(ts(w0["first"]) - ts(truth["first_activity"])) <= HOUR,
           (w0["first"], truth["first_activity"]))
    report("what: last attacker activity within 1 h of the truth",
           w0["last"] and abs(ts(w0["last"]) - ts(truth["last_activity"])) <= HOUR,
           (w0["last"], truth["last_activity"]))
    got = {s["tactic"]: s for s in w0["stages"]}
    miss = []
    for st in truth["stages"]:
        s = got.get(st["tactic"])
        if not s or ts(s["first"]) > ts(st["last"]) + HOUR or ts(s["last"]) < ts(st["first"]) - HOUR:
            miss.append((st["stage"], st["first"], st["last"], s and (s["first"], s["last"])))
    report("what: every attacker stage with a time window overlapping the truth's (+-1 h)", not miss, miss)
    firsts = [ts(s["first"]) for s in w0["stages"]]
    report("what: stages in time order", firsts == sorted(firsts), firsts)
    mal = {b["sha256"]: b for b in truth["binaries"]["malicious"]}
    bins = {b["sha256"]: b for b in q["what"][-1]["details"].get("binaries", [])}
    report("what: malicious binaries (precision and recall 1.0)", set(bins) == set(mal),
           (sorted(set(bins) - set(mal)), sorted(set(mal) - set(bins))))
    report("what: copies of each malicious binary",
           all(bins.get(s, {}).get("copies") == len(b["paths"]) for s, b in mal.items()),
           [(b["file"], bins.get(s, {}).get("copies"), len(b["paths"])) for s, b in mal.items()])

    # hosts
    h0 = q["hosts"][0]["details"]
    want = {h for h, v in hosts.items() if v["affected"]}
    have = {h["host"] for h in h0["hosts"]}
    report("hosts: affected hosts (precision and recall 1.0)", have == want,
           ("extra", sorted(have - want), "missing", sorted(want - have)))
    report("hosts: patient zero", h0.get("patient_zero") == pz, (h0.get("patient_zero"), pz))
    report("hosts: each host says how it was implicated", all(h["how"] for h in h0["hosts"]))
    ips = {i: h["host"] for h in h0["hosts"] for i in h["ips"]}
    report("hosts: addresses mapped to names", all(ips.get(hosts[h]["ip"]) == h for h in want),
           [(h, hosts[h]["ip"]) for h in want if ips.get(hosts[h]["ip"]) != h])

    # entry
    e0 = q["entry"][0]["details"]
    dl = truth["initial_download"]
    d = [x for x in e0.get("downloads", []) if x["sha256"] == dl["sha256"]]
    report("entry: patient zero", e0.get("patient_zero") == pz, e0.get("patient_zero"))
    report("entry: the dropper's download (client, server, country, time)",
           d and d[0]["client"] == dl["client"] and d[0]["server_ip"] == dl["server_ip"] and
           d[0]["country"] == dl["country"] and abs(ts(d[0]["time"]) - ts(dl["time"])) <= 60, (d, dl))
    ex = e0.get("first_execution") or {}
    report("entry: first execution on patient zero, in the execution stage",
           (ex.get("host") or "").split(".")[0].upper() == pz and
           any(abs(ts(ex["time"]) - ts(s["first"])) <= HOUR for s in truth["stages"] if s["stage"] == "execution"), ex)

    # movement
    m0 = q["movement"][0]["details"]
    lm = truth["lateral_movement"]
    to = {e["to"] for e in m0["edges"] if e["from"] == lm["source"]}
    report("movement: edges from patient zero to every target (precision and recall 1.0)", to == set(lm["targets"]),
           ("extra", sorted(to - set(lm["targets"])), "missing", sorted(set(lm["targets"]) - to)))
    report("movement: the compromised account", lm["account"] in m0["accounts"], m0["accounts"])

    # exfil
    x0 = q["exfil"][0]["details"]
    dests = {d["dest_ip"]: d for d in x0["destinations"]}
    ex_t = {e["dest_ip"]: e for e in truth["exfiltration"]}
    report("exfil: destinations (precision and recall 1.0)", set(dests) == set(ex_t), (sorted(dests), sorted(ex_t)))
    bad = []
    for ip, e in ex_t.items():
        d = dests.get(ip)
        if not d:
            continue
        if d["country"] != e["country"]:
            bad.append((ip, "country", d["country"], e["country"]))
        if not within(d["bytes"], e["bytes"], 0.10):
            bad.append((ip, "bytes", d["bytes"], e["bytes"]))
        if d["sources"] != [e["source"]]:
            bad.append((ip, "sources", d["sources"], e["source"]))
        days = {p["day"]: p["bytes"] for p in d["per_day"]}
        for p in e["per_day"]:
            if not within(days.get(p["day"], 0), p["bytes"], 0.10):
                bad.append((ip, "day", p["day"], days.get(p["day"]), p["bytes"]))
    report("exfil: country, bytes (within 10%), source and per-day series of each destination", not bad, bad)
    tun = truth.get("dns_tunnel")
    report("exfil: the DNS tunnel", not tun or any(t["source"] == tun["source"] for t in x0.get("dns_tunnels", [])),
           x0.get("dns_tunnels"))

    # destruction
    d0 = q["destruction"][0]["details"]
    imp = [s for s in truth["stages"] if s["stage"] == "impact"][0]
    wiper = [b for b in truth["binaries"]["malicious"] if b["name"] == "wiper"][0]
    report("destruction: happened, on every impact host",
           d0["verdict"] == "happened" and {m["host"] for m in d0["mass_deletion"]} == set(imp["hosts"]),
           (d0["verdict"], d0.get("hosts_deleted")))
    report("destruction: mass deletion is not listed again as inhibited recovery",
           not ({m["finding"] for m in d0.get("recovery_inhibited", [])} & {m["finding"] for m in d0["mass_deletion"]})
           and "recovery_inhibited" in d0, d0.get("recovery_inhibited"))
    report("destruction: the wiper's capabilities and the driver service",
           any(b["sha256"] == wiper["sha256"] and b["wiper"] for b in d0["binaries"]) and
           {m["host"] for m in d0["driver_services"]} == set(imp["hosts"]), d0["binaries"])

    # attribution
    at = truth["attribution"]
    clue = {r["details"].get("tell"): r for r in q["attribution"][1:]}
    lang = clue.get("language", {}).get("details", {})
    report("attribution: build language ko-KR", lang.get("value") == at["language"], lang.get("value"))
    tz = clue.get("timezone", {}).get("details", {})
    report("attribution: build times fit UTC+9", (tz.get("figures") or {}).get("utc_offset") == at["utc_offset_hours"],
           tz.get("figures"))
    con = at["contradictions"][0]
    found = [c for c in lang.get("contradictions", [])
             if c["kind"] == con["kind"] and c.get("lang_id") == con["lang_id"] and c.get("sha256") == con["sha256"]]
    report("attribution: the planted contradiction (a Russian string table in the wiper)",
           found and found[0].get("script") == con["script"], lang.get("contradictions"))
    report("attribution: no other contradiction in the language clue", len(lang.get("contradictions", [])) == 1,
           lang.get("contradictions"))
    report("attribution: the contradiction lowers the language's confidence",
           lang.get("terms", {}).get("contradictions") == 1 and 0 < lang.get("confidence", 0) <
           lang["terms"]["cap"] * lang["terms"]["support"], lang.get("terms"))
    inf = clue.get("infrastructure", {}).get("details", {})
    got = {c["country"] for c in (inf.get("figures") or {}).get("countries", [])}
    report("attribution: infrastructure countries", got == set(at["infrastructure_countries"]),
           (sorted(got), at["infrastructure_countries"]))
    report("attribution: toolchain and PDB user",
           (clue.get("toolchain", {}).get("details", {}).get("value") or "").startswith("GNU ld") and
           clue.get("pdb_user", {}).get("details", {}).get("value") == at["pdb_user"])
    bad = [t for t, r in clue.items() if r["details"].get("value") and
           not (0 < (r["confidence"] or 0) <= 1 and r["details"].get("false_flag") and "False flag?" in r["answer"])]
    report("attribution: every clue has a confidence and says how it could be planted", not bad, bad)


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
