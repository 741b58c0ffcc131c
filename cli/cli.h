/*
** cli.h -- shared declarations of the tells command-line tool.  The CLI
** parses arguments and prints; everything else is libtells (tells.h).
*/
#ifndef TELLS_CLI_H
#define TELLS_CLI_H

#include "tells.h"

/* Exit codes, documented in tells(1) and --help. */
enum {
  EXIT_OK = 0,       /* success */
  EXIT_PARTIAL = 1,  /* finished, but some evidence could not be read */
  EXIT_USAGE = 2,    /* bad command line */
  EXIT_CASE = 3,     /* the case file could not be opened, created or written */
  EXIT_OUTPUT = 4    /* the output could not be written */
};

int cmd_investigate(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_code(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_lib(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Prints "tells: <what>: <msg>" on stderr, clearing a progress line first. */
void cli_error(const char *what, const char *msg);
/* Progress callback for tells_investigate (draws only on a terminal). */
void cli_progress(void *ud, const tells_progress *p);
void cli_progress_done(void);
/* Opens a case for a command, reporting failure; NULL on error. */
tells_case *cli_open_case(const char *path, int readonly);

#endif
