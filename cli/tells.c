/*
** tells.c -- entry point of the tells command: dispatches to a subcommand.
*/
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char USAGE[] =
  "usage: tells <command> [options]\n"
  "\n"
  "Breach forensics across executables, packet captures and Windows event logs.\n"
  "\n"
  "commands:\n"
  "  investigate PATH... [-o CASE]   ingest evidence files and folders into a case\n"
  "  show CASE VIEW [--jsonl]        print evidence, findings, timeline, indicators or anomalies\n"
  "  report CASE -o FILE.html        write the self-contained HTML report\n"
  "  export CASE --format FMT [-o F]  the case as timesketch, stix, eve or csv\n"
  "  code FILE|DIR... --jsonl        triage of PE and ELF files (with --yara RULES,\n"
  "                                  --library FILE)\n"
  "  lib add|list --library FILE     reference library of known samples (TLSH, imphash,\n"
  "                                  Rich and RichPE hashes) by family\n"  "  net CAPTURE... --jsonl          flows of pcap/pcapng files as EVE JSON lines\n"
  "  logs --dump EVTX... --jsonl     EVTX records as evtx_dump-shaped JSON lines\n"
  "  version                         print the version\n"
  "\n"
  "Run 'tells <command> --help' for a command's options; 'man tells' for details.\n"
  "exit codes: 0 ok, 1 some evidence could not be read, 2 usage error,\n"
  "            3 case file error, 4 output error\n";

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : NULL;
  if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(USAGE, cmd ? stdout : stderr);
    return cmd ? EXIT_OK : EXIT_USAGE;
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
      puts("usage: tells version\n\nPrints the version of tells and of its case-file schema.");
      return EXIT_OK;
    }
    printf("tells %s (case schema %d)\n", TELLS_VERSION, TELLS_SCHEMA_VERSION);
    return EXIT_OK;
  }
  if (strcmp(cmd, "investigate") == 0) return cmd_investigate(argc - 1, argv + 1);
  if (strcmp(cmd, "show") == 0) return cmd_show(argc - 1, argv + 1);
  if (strcmp(cmd, "report") == 0) return cmd_report(argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return cmd_export(argc - 1, argv + 1);
  if (strcmp(cmd, "net") == 0) return cmd_net(argc - 1, argv + 1);
  if (strcmp(cmd, "code") == 0) return cmd_code(argc - 1, argv + 1);
  if (strcmp(cmd, "logs") == 0) return cmd_logs(argc - 1, argv + 1);
  if (strcmp(cmd, "lib") == 0) return cmd_lib(argc - 1, argv + 1);
  fprintf(stderr, "tells: unknown command '%s'\n%s", cmd, USAGE);
  return EXIT_USAGE;
}
