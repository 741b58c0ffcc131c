#!/usr/bin/env python3
"""pcap_timescale.py -- dilates the time of a classic pcap file by a fixed
factor, leaving every packet's bytes untouched.

  pcap_timescale.py IN.pcap OUT.pcap FACTOR [--start EPOCH] [--origin EPOCH]

Each timestamp t becomes start + (t - origin) * FACTOR, where origin is the
first packet's time unless --origin gives one, and start is origin unless
--start gives an epoch (seconds, may be fractional).  Used by scenarios/realtraffic.sh: real clients beacon
every ~2 s in the lab so the test stays fast, and the capture is stretched
so the beacons are 60 s apart, as a C2 implant's default would be.  Only
time is dilated; the packets, their sizes and their order are the ones the
kernel carried.  Reads microsecond and nanosecond pcap in either byte
order; writes the same format.  Python stdlib only, streaming.
"""
import struct
import sys

MAGICS = {0xA1B2C3D4: 1000000, 0xA1B23C4D: 1000000000}


def scale(src, dst, factor, start=None, origin=None):
    hdr = src.read(24)
    if len(hdr) < 24:
        raise ValueError("truncated pcap header")
    for endian in "<>":
        magic = struct.unpack(endian + "I", hdr[:4])[0]
        if magic in MAGICS:
            break
    else:
        raise ValueError("not a classic pcap file (pcapng is not supported)")
    units = MAGICS[magic]
    rec = struct.Struct(endian + "IIII")
    dst.write(hdr)
    t0 = None
    base = None
    n = 0
    while True:
        h = src.read(16)
        if not h:
            break
        if len(h) < 16:
            raise ValueError("truncated record header at packet %d" % n)
        sec, frac, caplen, origlen = rec.unpack(h)
        data = src.read(caplen)
        if len(data) < caplen:
            raise ValueError("truncated packet %d" % n)
        t = sec * units + frac                      # integer ticks, no float drift
        if t0 is None:
            t0 = t if origin is None else int(round(origin * units))
            base = t0 if start is None else int(round(start * units))
        nt = base + int(round((t - t0) * factor))
        if not 0 <= nt < (1 << 32) * units:
            raise ValueError("scaled time out of range at packet %d" % n)
        dst.write(rec.pack(nt // units, nt % units, caplen, origlen))
        dst.write(data)
        n += 1
    return n


def main(argv):
    opt = {"--start": None, "--origin": None}
    try:
        while len(argv) > 3 and argv[-2] in opt:
            opt[argv[-2]] = float(argv[-1])
            argv = argv[:-2]
    except ValueError:
        argv = []
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    start, origin = opt["--start"], opt["--origin"]
    try:
        factor = float(argv[2])
        if not 0 < factor <= 1e6:
            raise ValueError("factor out of range")
        with open(argv[0], "rb") as src, open(argv[1], "wb") as dst:
            n = scale(src, dst, factor, start, origin)
    except (OSError, ValueError) as e:
        sys.stderr.write("pcap_timescale: %s: %s\n" % (argv[0], e))
        return 1
    sys.stderr.write("pcap_timescale: %d packets, time x%g\n" % (n, factor))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
