/*
** dropper.c -- the demo's stand-in for a dropper.  Harmless: it prints and
** exits.  It carries static traits an investigator would look for: imports
** of service-creation and network APIs, a C2 address and host name in its
** strings.  Built with Debian's mingw-w64 by demo/run.sh.
*/
#include <stdio.h>
#include <windows.h>

static const char c2_host[] = "update.example-cdn.test";
static const char c2_addr[] = "203.0.113.80";
static const char service[] = "WinSvcHelper";

int main(int argc, char **argv) {
  /* Referenced only when run with the (never used) flag, so they are
  ** imported but never called in the demo. */
  if (argc > 5 && argv[5][0] == '!') {
    SC_HANDLE m = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
    CreateServiceA(m, service, service, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                   SERVICE_AUTO_START, SERVICE_ERROR_IGNORE, argv[0], NULL, NULL,
                   NULL, NULL, NULL);
  }
  printf("tells demo stand-in: would contact %s (%s); exiting.\n", c2_host, c2_addr);
  return 0;
}
