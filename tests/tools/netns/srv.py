#!/usr/bin/env python3
"""srv.py -- the real servers of the network-namespace breach lab
(scenarios/realtraffic.sh): a web server (HTTP or HTTPS) that serves files
and accepts uploads, and an authoritative DNS server that answers TXT
queries (the attacker's name server of a DNS tunnel) and A queries from a
fixed map.  Python stdlib only; TLS is OpenSSL through the ssl module.

  srv.py web ADDR PORT DIR [CERT KEY]   GET/HEAD serve DIR, POST/PUT read and
                                        discard the body, answer its length
  srv.py dns ADDR PORT ZONE [NAME=IP]...
"""
import base64
import http.server
import os
import socket
import socketserver
import ssl
import struct
import sys


class Web(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.22.1"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        got = 0
        while got < n:
            b = self.rfile.read(min(1 << 20, n - got))
            if not b:
                break
            got += len(b)
        body = ("{\"stored\":%d}\n" % got).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST


class WebServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer's own server_bind looks up the address's host name, which
        # in the lab's namespaces only times out (~6 s) and leaks DNS queries
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def web(addr, port, root, cert=None, key=None):
    os.chdir(root)
    srv = WebServer((addr, port), Web)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def qname(msg, off):
    """Reads the (uncompressed) question name; returns (name, next offset)."""
    labels = []
    while off < len(msg):
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        if n & 0xC0 or off + n > len(msg):
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    raise ValueError("bad name")


def dns_answer(msg, zone, hosts):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    try:
        name, off = qname(msg, 12)
    except ValueError:
        return None
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack(">HH", msg[off:off + 4])
    question = msg[12:off + 4]
    low = name.lower()
    rcode, answers = 0, []
    if low in hosts and qtype == 1:
        answers.append((1, socket.inet_aton(hosts[low])))
    elif low == zone or low.endswith("." + zone):
        if qtype == 16:
            # acknowledge the chunk: the first label, re-encoded, as the reply
            ack = base64.b32encode(low.split(".")[0][:20].encode()).decode().rstrip("=")
            txt = ack.encode()[:255]
            answers.append((16, bytes([len(txt)]) + txt))
    else:
        rcode = 5  # refused: not authoritative
    hdr = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
    out = hdr + question
    for typ, rdata in answers:
        out += struct.pack(">HHHIH", 0xC00C, typ, 1, 60, len(rdata)) + rdata
    return out


def dns(addr, port, zone, pairs):
    hosts = dict(p.lower().split("=", 1) for p in pairs)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        msg, peer = s.recvfrom(4096)
        out = dns_answer(msg, zone.lower(), hosts)
        if out:
            s.sendto(out, peer)


def main(argv):
    if len(argv) >= 4 and argv[0] == "web":
        web(argv[1], int(argv[2]), argv[3], *(argv[4:6] if len(argv) >= 6 else []))
    elif len(argv) >= 4 and argv[0] == "dns":
        dns(argv[1], int(argv[2]), argv[3], argv[4:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
