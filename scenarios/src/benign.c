/*
** benign.c -- the scenario's benign programs (a render-queue client and a
** timesheet tool, chosen with -DSC_BENIGN_NAME): English resources, none of
** the raw-disk, service, SMB or network imports.  Prints and exits.
*/
#include <stdio.h>

#ifndef SC_BENIGN_NAME
#define SC_BENIGN_NAME "benign"
#endif

int main(int argc, char **argv) {
  (void)argv;
  printf("%s: %d argument(s), nothing to do\n", SC_BENIGN_NAME, argc - 1);
  return 0;
}
