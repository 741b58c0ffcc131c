#!/usr/bin/env python3
"""beacon.py -- runs a command periodically with jitter, like a C2 implant's
check-in loop (the command is the real client, e.g. curl).

  beacon.py COUNT PERIOD JITTER SEED CMD...

Starts CMD COUNT times; the gap between two starts is PERIOD seconds times
a uniform factor in [1 - JITTER, 1 + JITTER] (JITTER 0.15 is +-15 %),
drawn from a generator seeded with SEED.  A start is scheduled from the
previous scheduled start, not from the end of the command, so a slow run
does not shift the period.  Prints one line per start: the epoch time.
"""
import random
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    count, period, jitter, seed = int(argv[0]), float(argv[1]), float(argv[2]), int(argv[3])
    cmd = argv[4:]
    rng = random.Random(seed)
    due = time.time()
    rc = 0
    for i in range(count):
        now = time.time()
        if due > now:
            time.sleep(due - now)
        print("%.6f" % time.time(), flush=True)
        if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0:
            rc = 1
        due += period * (1 + rng.uniform(-jitter, jitter))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
