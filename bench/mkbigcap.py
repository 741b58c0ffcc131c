#!/usr/bin/env python3
"""mkbigcap.py -- builds a large classic pcap (Ethernet) for bench/bench_net.sh.

    bench/mkbigcap.py OUT.pcap [GB] [CORPUS_DIR]

Reads every Ethernet capture (classic pcap in either byte order and either
time resolution, pcapng with per-interface link types and if_tsresol, .gz
either way) under CORPUS_DIR (default ../shared/corpora/pcap), keeps the
Ethernet packets of identical files once, then writes them again and again
until OUT holds at least GB gigabytes (10^9 bytes, default 1).  Copy k adds
k to the third octet of every IPv4 address (the IPv4 header checksum is fixed)
and to byte 5 of every IPv6 address, on the outer IP header after VLAN/QinQ
tags, so copies are distinct flows.  Timestamps keep each file's packet gaps
(gaps over 60 s are shortened to 60 s) and increase monotonically across
files and copies.  TCP/UDP checksums are left as they are.  Python stdlib only.
"""
import gzip
import hashlib
import os
import struct
import sys

SNAPLEN = 262144
ETH = 1


def tsresol_units(v):
    """if_tsresol byte -> ticks per second."""
    if v & 0x80:
        return 2 ** (v & 0x7F)
    return 10 ** v


def read_pcap(data):
    """Yields (ts_us, packet bytes) of a classic pcap if it is Ethernet."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if len(data) < 24:
        return
    link = struct.unpack_from(e + "I", data, 20)[0] & 0x0FFFFFFF
    if link != ETH:
        return
    off = 24
    hdr = struct.Struct(e + "IIII")
    while off + 16 <= len(data):
        sec, frac, incl, _orig = hdr.unpack_from(data, off)
        off += 16
        if incl > SNAPLEN or off + incl > len(data):
            return
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        yield us, data[off:off + incl]
        off += incl


def read_pcapng(data):
    """Yields (ts_us, packet bytes) of the Ethernet interfaces of a pcapng."""
    off = 0
    e = "<"
    ifaces = []
    while off + 12 <= len(data):
        btype = struct.unpack_from("<I", data, off)[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack_from(e + "II", data, off)
        if blen < 12 or blen % 4 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            link = struct.unpack_from(e + "H", body, 0)[0]
            units = 1000000
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                if code == 9 and olen >= 1 and o + 5 <= len(body):
                    units = tsresol_units(body[o + 4])
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((link, units))
        elif btype in (6, 2) and len(body) >= 20:
            if btype == 6:
                iid, hi, lo, incl = struct.unpack_from(e + "IIII", body, 0)
            else:
                iid, _drops, hi, lo, incl = struct.unpack_from(e + "HHIII", body, 0)
            if iid < len(ifaces) and ifaces[iid][0] == ETH and 20 + incl <= len(body):
                ticks = (hi << 32) | lo
                yield ticks * 1000000 // ifaces[iid][1], body[20:20 + incl]
        elif btype == 3 and len(body) >= 4 and ifaces and ifaces[0][0] == ETH:
            incl = min(struct.unpack_from(e + "I", body, 0)[0], len(body) - 4)
            yield None, body[4:4 + incl]
        off += blen


def ip_offset(pkt):
    """(4 or 6, offset of the outer IP header) after Ethernet and VLAN tags, or None."""
    off = 12
    while off + 2 <= len(pkt):
        et = (pkt[off] << 8) | pkt[off + 1]
        if et in (0x8100, 0x88A8, 0x9100):
            off += 4
            continue
        if et == 0x0800 and off + 2 + 20 <= len(pkt) and pkt[off + 2] >> 4 == 4:
            ihl = (pkt[off + 2] & 15) * 4
            if ihl >= 20 and off + 2 + ihl <= len(pkt):
                return 4, off + 2
        if et == 0x86DD and off + 2 + 40 <= len(pkt) and pkt[off + 2] >> 4 == 6:
            return 6, off + 2
        return None
    return None


def load(corpus):
    """Every distinct Ethernet capture's packets: list of (rel_ts_us, bytes, ipinfo)."""
    seen = set()
    pkts = []
    clock = 0
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
            h = hashlib.sha256(data).digest()
            if h in seen:
                continue
            seen.add(h)
            gen = read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap(data)
            prev = None
            try:
                for ts, pkt in gen:
                    if ts is None:
                        ts = prev if prev is not None else 0
                    gap = 0 if prev is None else max(0, min(ts - prev, 60000000))
                    prev = ts
                    clock += gap
                    pkts.append((clock, bytes(pkt), ip_offset(pkt)))
            except struct.error:
                pass
            clock += 1000000
    return pkts, clock


def shifted(pkt, info, k):
    """The packet with copy k's addresses (IPv4 header checksum recomputed)."""
    if info is None or k == 0:
        return pkt
    ver, o = info
    b = bytearray(pkt)
    if ver == 4:
        b[o + 14] = (b[o + 14] + k) & 0xFF
        b[o + 18] = (b[o + 18] + k) & 0xFF
        ihl = (b[o] & 15) * 4
        b[o + 10] = b[o + 11] = 0
        s = sum(struct.unpack_from("!%dH" % (ihl // 2), b, o))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into("!H", b, o + 10, ~s & 0xFFFF)
    else:
        b[o + 8 + 5] = (b[o + 8 + 5] + k) & 0xFF
        b[o + 24 + 5] = (b[o + 24 + 5] + k) & 0xFF
    return bytes(b)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: mkbigcap.py OUT.pcap [GB] [CORPUS_DIR]\n")
        return 2
    out = sys.argv[1]
    gb = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "..", "shared", "corpora", "pcap")
    pkts, span = load(corpus)
    if not pkts:
        sys.stderr.write("mkbigcap.py: no Ethernet packets under %s\n" % corpus)
        return 1
    want = int(gb * 1e9)
    base = 1700000000 * 1000000
    rec = struct.Struct("<IIII")
    total = 24
    k = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, ETH))
        while total < want:
            chunk = []
            for rel, pkt, info in pkts:
                t = base + rel
                p = shifted(pkt, info, k)
                chunk.append(rec.pack(t // 1000000, t % 1000000, len(p), len(p)))
                chunk.append(p)
                total += 16 + len(p)
            f.write(b"".join(chunk))
            base += span + 1000000
            k += 1
    sys.stderr.write("mkbigcap.py: %s: %d bytes, %d copies of %d packets\n" % (out, total, k, len(pkts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
