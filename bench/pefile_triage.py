#!/usr/bin/python3
# pefile_triage.py -- the anchor of bench/bench_code.sh (b): Debian's
# python3-pefile doing a full load of every PE named in the list file (one
# path per line), with its imphash and Rich header hash, in one process.
#
#   /usr/bin/python3 bench/pefile_triage.py LIST
#
# Prints "files N parsed N rejected N" so the run can be checked.
import sys

import pefile


def main():
    parsed = rejected = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    for path in paths:
        try:
            pe = pefile.PE(path, fast_load=False)
            pe.get_imphash()
            pe.get_rich_header_hash()
            pe.close()
            parsed += 1
        except pefile.PEFormatError:
            rejected += 1
    print("files %d parsed %d rejected %d" % (len(paths), parsed, rejected))


if __name__ == "__main__":
    main()
