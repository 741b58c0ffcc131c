"""stix_check.py BUNDLE HAVE_MALWARE [SCHEMA_DIR] -- checks a STIX 2.1 bundle
written by `tells export --format stix` (used by test_export.sh).

Without SCHEMA_DIR: the required properties, types and identifier rules of
the STIX 2.1 specification (OASIS, sections 2-6), written here from the
specification: ids "type--UUID" (RFC 4122 variant), SCO ids UUIDv5 in the
SCO namespace over the canonical JSON of their ID-contributing properties,
timestamps RFC 3339 UTC ("Z"), created/modified to the millisecond,
references that resolve to the right types, property names [a-z0-9_]{3,250}
and open-vocabulary values.  With SCHEMA_DIR (a cti-stix2-json-schemas
checkout) each object is also validated against its JSON schema, formats
included (docs/export.md).  Prints the first 12 problems ($STIX_CHECK_SHOW).
"""
import ipaddress, json, os, re, sys, uuid

bundle = json.load(open(sys.argv[1]))
have_malware = len(sys.argv) > 2 and sys.argv[2] == "1"
bad = []
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
TS_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
SCOS = {"ipv4-addr", "ipv6-addr", "domain-name", "url", "file", "network-traffic"}
CAPS = {"accesses-remote-machines", "anti-debugging", "anti-disassembly", "anti-emulation",
        "anti-memory-forensics", "anti-sandbox", "anti-vm", "captures-input-peripherals",
        "captures-output-peripherals", "captures-system-state-data", "cleans-traces-of-infection",
        "commits-fraud", "communicates-with-c2", "compromises-data-availability",
        "compromises-data-integrity", "compromises-system-availability", "controls-local-machine",
        "degrades-security-software", "degrades-system-updates", "determines-c2-server",
        "emails-spam", "escalates-privileges", "evades-av", "exfiltrates-data",
        "fingerprints-host", "hides-artifacts", "hides-executing-code", "infects-files",
        "infects-remote-machines", "installs-other-components", "persists-after-system-reboot",
        "prevents-artifact-access", "prevents-artifact-deletion", "probes-network-environment",
        "self-modifies", "steals-authentication-credentials", "violates-system-operational-integrity"}
IND_TYPES = {"anomalous-activity", "anonymization", "benign", "compromised", "malicious-activity",
             "attribution", "unknown"}
TACTICS = {"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
           "privilege-escalation", "defense-evasion", "credential-access", "discovery",
           "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"}
LIT = r"'(?:[^'\\]|\\['\\])*'"
PATTERN = re.compile(r"\[(?:(?:ipv4-addr|ipv6-addr|domain-name|url):value|file:hashes\.(?:MD5|'SHA-1'|'SHA-256')) = "
                     + LIT + r"\]$")

def err(o, msg): bad.append("%s: %s" % (o.get("id", "?"), msg))

def canon(d): return json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

if bundle.get("type") != "bundle" or not re.fullmatch("bundle--" + UUID_RE, bundle.get("id", "")):
    bad.append("bundle type/id")
objs = bundle.get("objects") or []
if not objs: bad.append("bundle has no objects")
by_id = {}
for o in objs:
    if o.get("id") in by_id and by_id[o["id"]] != o: err(o, "two different objects with this id")
    by_id[o.get("id")] = o

def ref(o, key, types):
    v = o.get(key)
    if v not in by_id: err(o, "%s %r does not resolve" % (key, v)); return
    if by_id[v]["type"] not in types: err(o, "%s points to a %s" % (key, by_id[v]["type"]))

for o in objs:
    t = o.get("type", "")
    if not re.fullmatch(re.escape(t) + "--" + UUID_RE, o.get("id", "")): err(o, "id format")
    if o.get("spec_version") != "2.1": err(o, "spec_version")
    for k in o:
        if not re.fullmatch(r"[a-z0-9_]{3,250}", k) and k != "id": err(o, "property name " + k)
    if t in SCOS:
        idp = {"file": ("hashes", "name")}.get(t, ("value",))
        if t == "network-traffic":
            idp = ("start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols")
        d = {k: o[k] for k in idp if k in o}
        if t == "file" and "hashes" in d:
            for h in ("MD5", "SHA-1", "SHA-256", "SHA-512"):
                if h in d["hashes"]: d["hashes"] = {h: d["hashes"][h]}; break
        if o["id"] != "%s--%s" % (t, uuid.uuid5(NS, canon(d))): err(o, "SCO id is not the UUIDv5 of its contributing properties")
        if t in ("ipv4-addr", "ipv6-addr"):
            try: (ipaddress.IPv4Address if t == "ipv4-addr" else ipaddress.IPv6Address)(o.get("value"))
            except ValueError: err(o, "value %r is not an address" % o.get("value"))
        if t in ("domain-name", "url") and not o.get("value"): err(o, "value")
        if t == "file" and not (o.get("hashes") or o.get("name")): err(o, "file needs hashes or name")
        if t == "network-traffic":
            if not o.get("protocols"): err(o, "protocols")
            if "src_ref" not in o and "dst_ref" not in o: err(o, "src_ref or dst_ref")
            for k in ("src_ref", "dst_ref"):
                if k in o: ref(o, k, {"ipv4-addr", "ipv6-addr"})
            for k in ("start", "end"):
                if not TS.match(o.get(k, "")): err(o, k)
            if o.get("end", "") < o.get("start", ""): err(o, "end before start")
        continue
    for k in ("created", "modified"):
        if not TS_MS.match(o.get(k, "")): err(o, k + " must be a millisecond timestamp")
    if o.get("modified", "") < o.get("created", ""): err(o, "modified before created")
    if t != "identity": ref(o, "created_by_ref", {"identity"})
    if t == "identity":
        if not o.get("name"): err(o, "name")
    elif t == "indicator":
        for k in ("pattern", "pattern_type", "valid_from"):
            if k not in o: err(o, "missing " + k)
        if o.get("pattern_type") != "stix" or not PATTERN.match(o.get("pattern", "")): err(o, "pattern %r" % o.get("pattern"))
        if not TS.match(o.get("valid_from", "")): err(o, "valid_from")
        if not set(o.get("indicator_types", ["unknown"])) <= IND_TYPES: err(o, "indicator_types")
    elif t == "malware":
        if not isinstance(o.get("is_family"), bool): err(o, "is_family")
        if o.get("is_family") and not o.get("name"): err(o, "name")
        if not set(o.get("capabilities", [])) <= CAPS: err(o, "capabilities %r" % o.get("capabilities"))
        for p in o.get("kill_chain_phases", []):
            if p.get("kill_chain_name") != "mitre-attack" or p.get("phase_name") not in TACTICS: err(o, "kill chain %r" % p)
        for r in o.get("sample_refs", []):
            if by_id.get(r, {}).get("type") not in ("file", "artifact"): err(o, "sample_refs")
    elif t == "observed-data":
        for k in ("first_observed", "last_observed"):
            if not TS.match(o.get(k, "")): err(o, k)
        if o.get("last_observed", "") < o.get("first_observed", ""): err(o, "last before first")
        n = o.get("number_observed")
        if not isinstance(n, int) or not 1 <= n <= 999999999: err(o, "number_observed")
        if not o.get("object_refs") or "objects" in o: err(o, "object_refs")
        for r in o.get("object_refs", []):
            if by_id.get(r, {}).get("type") not in SCOS: err(o, "object_refs %r" % r)
    elif t == "relationship":
        for k in ("relationship_type", "source_ref", "target_ref"):
            if k not in o: err(o, "missing " + k)
        if o.get("relationship_type") == "indicates":
            ref(o, "source_ref", {"indicator"}); ref(o, "target_ref", {"malware"})
        elif o.get("relationship_type") == "based-on":
            ref(o, "source_ref", {"indicator"}); ref(o, "target_ref", {"observed-data"})
        else: err(o, "relationship_type %r" % o.get("relationship_type"))
    else:
        err(o, "unexpected type " + t)

types = {o["type"] for o in objs}
need = {"identity", "indicator", "observed-data", "relationship", "network-traffic", "ipv4-addr"}
if have_malware: need |= {"malware", "file"}
if not need <= types: bad.append("missing object types %r" % sorted(need - types))
if have_malware:
    m = [o for o in objs if o["type"] == "malware" and o["name"] == "wiper.exe"]
    if not m or "compromises-data-availability" not in m[0].get("capabilities", []) \
       or not any(p["phase_name"] == "impact" for p in m[0].get("kill_chain_phases", [])):
        bad.append("wiper.exe malware with its impact capability")
    if any(o["type"] == "malware" and o["name"] == "benign.exe" for o in objs): bad.append("benign.exe flagged")
    ind = {r["source_ref"] for r in objs if r["type"] == "relationship" and r["relationship_type"] == "indicates"}
    if not any("SHA-256" in by_id[i]["pattern"] for i in ind): bad.append("hash indicator indicates the malware")

if len(sys.argv) > 3:
    # Every schema under SCHEMA_DIR/schemas is registered under its file URI and under its
    # declared $id (2.1: raw.githubusercontent.com URLs; 2.0 drafts: a relative "id"), so
    # relative $refs resolve inside the checkout; any other $ref is an error, never fetched.
    import glob, os
    from jsonschema import validators
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    import referencing.jsonschema as rj
    root = os.path.abspath(sys.argv[3])

    def no_network(uri): raise NoSuchResource(ref=uri)

    res, by_type = {}, {}
    for p in sorted(glob.glob(os.path.join(root, "schemas", "**", "*.json"), recursive=True)):
        s = json.load(open(p))
        r = Resource.from_contents(s, default_specification=rj.DRAFT202012)
        uri = "file://" + p
        res[uri] = r
        sid = s.get("$id") or s.get("id")
        if isinstance(sid, str) and "://" in sid: res[sid] = r
        kind = os.path.basename(os.path.dirname(p))
        if kind in ("sdos", "sros", "observables") or p.endswith("/common/bundle.json"):
            by_type[os.path.basename(p)[:-5]] = (uri, s)
    reg = Registry(retrieve=no_network).with_resources(res.items()).crawl()

    # The schemas' "format"s are assertions here.  jsonschema checks "uri" only when
    # rfc3987 or rfc3986-validator is installed; without them the RFC 3986 URI syntax
    # (section 3 and appendix A, written here from the RFC) is checked instead, so the
    # url objects are never waved through.  Any other format left unchecked is named.
    from jsonschema import FormatChecker
    URI_RE = re.compile(r"""[A-Za-z][A-Za-z0-9+.-]*:(?://(?P<auth>[^/?#]*))?[^?#]*(?:\?[^#]*)?(?:#.*)?\Z""", re.S)
    PCT = r"(?:%[0-9A-Fa-f]{2})"
    def chars(extra): return re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=" + extra + r"-]|" + PCT + r")*\Z")
    PATH, QF, REG, USER = chars(":@/"), chars(":@/?"), chars(""), chars(":")

    def rfc3986_uri(v):
        if not isinstance(v, str): return True
        m = URI_RE.match(v)
        if not m: return False
        rest = v[v.index(":") + 1:]
        auth = m.group("auth")
        if auth is not None:
            rest = rest[2 + len(auth):]
            user, _, hp = auth.rpartition("@")
            if "@" in auth and not USER.match(user): return False
            if hp.startswith("["):
                host, _, port = hp[1:].partition("]")
                if host[:1] in "vV":   # IPvFuture
                    if not re.fullmatch(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+", host): return False
                else:
                    try: ipaddress.IPv6Address(host)
                    except ValueError: return False
                    if "%" in host: return False   # a zone is RFC 6874, not RFC 3986
                if port and not re.fullmatch(r":[0-9]*", port): return False
            else:
                host, _, port = hp.partition(":")
                if not REG.match(host) or not re.fullmatch(r"[0-9]*", port): return False
        path, _, qf = rest.partition("?") if "?" in rest.split("#")[0] else (rest.split("#")[0], "", "")
        frag = v.split("#", 1)[1] if "#" in v else ""
        query = qf.split("#")[0]
        return bool(PATH.match(path.split("#")[0]) and QF.match(query) and QF.match(frag))

    used = set()
    def formats(n):
        if isinstance(n, dict):
            if isinstance(n.get("format"), str): used.add(n["format"])
            for v in n.values(): formats(v)
        elif isinstance(n, list):
            for v in n: formats(v)
    for r in res.values(): formats(r.contents)

    def validator(uri, s):
        cls = validators.validator_for(s)
        fc = FormatChecker(())
        fc.checkers = dict(cls.FORMAT_CHECKER.checkers)
        if "uri" not in fc.checkers: fc.checks("uri")(rfc3986_uri)
        return cls({"$ref": uri}, registry=reg, format_checker=fc)
    unchecked = sorted(f for f in used if f not in validators.Draft202012Validator.FORMAT_CHECKER.checkers and f != "uri")
    if unchecked: print("    note: format(s) not checked (a jsonschema extra is missing): " + ", ".join(unchecked))

    def run(v, o, what):
        try:
            for e in v.iter_errors(o):
                err(o, "schema %s: %s at %s" % (what, e.message[:120], "/".join(map(str, e.absolute_path))))
        except Exception as e:   # an unresolvable $ref: the checkout is incomplete
            err(o, "schema %s: %s: %s" % (what, type(e).__name__, str(e)[:160]))

    if "bundle" not in by_type: bad.append("no schemas/common/bundle.json under " + root)
    else:   # the envelope, with a few objects (each object is checked on its own below)
        run(validator(*by_type["bundle"]), dict(bundle, objects=objs[:20]), "bundle")
    vs, per = {}, {}
    for o in objs:
        t = o.get("type")
        if t not in by_type or t == "bundle": err(o, "no schema for type %r under %s" % (t, root)); continue
        if t not in vs: vs[t] = validator(*by_type[t])
        per[t] = per.get(t, 0) + 1
        run(vs[t], o, t)
    print("    schema-validated: " + ", ".join("%s %d" % kv for kv in sorted(per.items())))

for b in bad[:int(os.environ.get("STIX_CHECK_SHOW", "12"))]: print("    " + b)
print("    %d objects, %d problems" % (len(objs), len(bad)))
sys.exit(1 if bad else 0)
