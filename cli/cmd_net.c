/*
** cmd_net.c -- `tells net CAPTURE... --jsonl`: EVE JSON lines from captures.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char HELP[] =
  "usage: tells net CAPTURE|DIR... --jsonl [--max-flows N] [--geoip FILE]...\n"
  "                 [--detect NAME=VALUE]... [--internal CIDR]... [--dns-version N]\n"
  "                 [--community-id [--community-id-seed N]] [--ipv6-compress]\n"
  "                 [--http-headers request|response|both]\n"
  "\n"
  "Reads pcap and pcapng files (folders walked in name order) as one continuous\n"
  "capture and writes one EVE JSON record per line (event_type flow, with\n"
  "Suricata's field names; see docs/eve.md).\n"
  "\n"
  "options:\n"
  "  --jsonl          JSON lines on stdout (the only output format)\n"
  "  --max-flows N    cap on flows held in memory (default 262144); when full,\n"
  "                   the least recently seen flow is written out early\n"
  "  --geoip FILE     GeoIP database (.mmdb, or tor-geoipdb's geoip/geoip6),\n"
  "                   repeatable; default: the Debian locations that exist\n"
  "  --no-geoip       no GeoIP database (address scopes only)\n"
  "  --detect N=V     detection threshold, e.g. exfil_bytes=50000000\n"
  "                   (see docs/internals/net-detect.md)\n"
  "  --internal CIDR  internal network (repeatable; default RFC 1918 + ULA)\n"
  "  --no-detect      flows and metadata only, no alerts\n"
  "  --dns-version N  EVE DNS layout: 2 (default) or 3 (Suricata 8)\n"
  "  --community-id   community_id (Community ID v1 flow hash) on every record\n"
  "  --community-id-seed N  its seed, 0..65535 (default 0)\n"
  "  --ipv6-compress  IPv6 addresses compressed (2001:db8::1), not padded\n"
  "  --http-headers W http.request_headers and/or response_headers arrays\n"
  "  -h, --help       this help\n"
  "\n"
  "exit codes: 0 ok, 1 some input could not be read, 2 usage error, 4 output error\n";

#define FREE_ALL                                                   \
  do {                                                             \
    free(paths); free(geo); free(set);                             \
    while (nown) free(owned[--nown]);                              \
    free(owned);                                                   \
  } while (0)

static void on_diag(void *ud, const char *path, const char *msg) {
  int *n = ud;
  (*n)++;
  cli_error(path, msg);
}

int cmd_net(int argc, char **argv) {
  const char **paths = calloc((size_t)argc, sizeof *paths);
  const char **geo = calloc((size_t)argc, sizeof *geo);
  const char **set = calloc((size_t)argc, sizeof *set);
  char **owned = calloc((size_t)argc, sizeof *owned);
  size_t ngeo = 0, nset = 0, nown = 0;
  size_t n = 0;
  int i, jsonl = 0, ndiag = 0;
  tells_net_opts o;
  tells_err e;
  if (!paths || !geo || !set || !owned) { free(paths); free(geo); free(set); free(owned); return EXIT_OUTPUT; }
  memset(&o, 0, sizeof o);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) { fputs(HELP, stdout); FREE_ALL; return EXIT_OK; }
    else if (strcmp(argv[i], "--jsonl") == 0) jsonl = 1;
    else if (strcmp(argv[i], "--max-flows") == 0 && i + 1 < argc) {
      char *end;
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end || v == 0 || v > 67108864ul) { cli_error("net", "--max-flows takes 1..67108864"); FREE_ALL; return EXIT_USAGE; }
      o.max_flows = (uint32_t)v;
    } else if (strcmp(argv[i], "--geoip") == 0 && i + 1 < argc) geo[ngeo++] = argv[++i];
    else if (strcmp(argv[i], "--no-geoip") == 0) o.no_geoip = 1;
    else if (strcmp(argv[i], "--no-detect") == 0) o.no_detect = 1;
    else if (strcmp(argv[i], "--dns-version") == 0 && i + 1 < argc) {
      const char *v = argv[++i];
      if (strcmp(v, "2") && strcmp(v, "3")) { cli_error("net", "--dns-version takes 2 or 3"); FREE_ALL; return EXIT_USAGE; }
      o.dns_version = v[0] - '0';
    }
    else if (strcmp(argv[i], "--community-id") == 0) o.community_id = 1;
    else if (strcmp(argv[i], "--community-id-seed") == 0 && i + 1 < argc) {
      char *end;
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end || !argv[i][0] || v > 65535ul) { cli_error("net", "--community-id-seed takes 0..65535"); FREE_ALL; return EXIT_USAGE; }
      o.community_id_seed = (uint16_t)v;
    } else if (strcmp(argv[i], "--ipv6-compress") == 0) o.ipv6_compress = 1;
    else if (strcmp(argv[i], "--http-headers") == 0 && i + 1 < argc) {
      const char *v = argv[++i];
      o.http_headers = strcmp(v, "request") == 0 ? 1 : strcmp(v, "response") == 0 ? 2
                     : strcmp(v, "both") == 0 ? 3 : 0;
      if (!o.http_headers) { cli_error("net", "--http-headers takes request, response or both"); FREE_ALL; return EXIT_USAGE; }
    }
    else if (strcmp(argv[i], "--detect") == 0 && i + 1 < argc) set[nset++] = argv[++i];
    else if (strcmp(argv[i], "--internal") == 0 && i + 1 < argc) {
      size_t l = strlen(argv[++i]) + 10;
      char *v = malloc(l);
      if (!v) { FREE_ALL; return EXIT_OUTPUT; }
      snprintf(v, l, "internal=%s", argv[i]);
      owned[nown++] = v;
      set[nset++] = v;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      cli_error("net", "unknown option (see tells net --help)"); FREE_ALL; return EXIT_USAGE;
    } else paths[n++] = argv[i];
  }
  if (!n || !jsonl) { fputs(HELP, stderr); FREE_ALL; return EXIT_USAGE; }
  o.diag = on_diag; o.diag_ud = &ndiag;
  o.geoip_paths = geo; o.n_geoip_paths = ngeo;
  o.detect_settings = set; o.n_detect_settings = nset;
  e = tells_net_eve(paths, n, &o, stdout, NULL);
  FREE_ALL;
  /* a bad setting or GeoIP database: already reported with its reason */
  if (e == TELLS_EARG || e == TELLS_ENOENT || e == TELLS_ECORRUPT || e == TELLS_EUNSUP ||
      e == TELLS_ELIMIT || e == TELLS_EACCES || e == TELLS_ENOTREG) return EXIT_USAGE;
  if (e) { cli_error("net", tells_strerror(e)); return EXIT_OUTPUT; }
  return ndiag ? EXIT_PARTIAL : EXIT_OK;
}
