/*
** cli_common.c -- error lines, the progress line and case opening shared by
** the subcommands.
*/
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

static int g_progress_shown;

void cli_error(const char *what, const char *msg) {
  if (g_progress_shown) { fputs("\r\033[K", stderr); g_progress_shown = 0; }
  if (what) fprintf(stderr, "tells: %s: %s\n", what, msg);
  else fprintf(stderr, "tells: %s\n", msg);
}

static void human(double b, char *out, size_t n) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024 && i < 4) { b /= 1024; i++; }
  snprintf(out, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

void cli_progress(void *ud, const tells_progress *p) {
  static struct timespec t0;
  static int started;
  struct timespec now;
  double el, rate;
  char done[32], total[32], r[32], eta[32];
  (void)ud;
  if (!isatty(2)) return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!started) { t0 = now; started = 1; }
  el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
  rate = el > 0.05 ? (double)p->bytes_done / el : 0;
  human((double)p->bytes_done, done, sizeof done);
  human((double)p->bytes_total, total, sizeof total);
  human(rate, r, sizeof r);
  if (rate > 0 && p->bytes_total >= p->bytes_done) {
    double s = (double)(p->bytes_total - p->bytes_done) / rate;
    snprintf(eta, sizeof eta, "%d:%02d", (int)s / 60, (int)s % 60);
  } else {
    snprintf(eta, sizeof eta, "-");
  }
  fprintf(stderr, "\r\033[K[%llu/%llu files] %s of %s  %s/s  ETA %s",
          (unsigned long long)p->files_done, (unsigned long long)p->files_total,
          done, total, r, eta);
  g_progress_shown = 1;
}

void cli_progress_done(void) {
  if (g_progress_shown) { fputs("\r\033[K", stderr); g_progress_shown = 0; }
}

tells_case *cli_open_case(const char *path, int readonly) {
  tells_case *c = NULL;
  tells_err e = tells_case_open(path, readonly, &c);
  if (e) {
    char msg[600];
    if (e == TELLS_EDB) snprintf(msg, sizeof msg, "cannot open case");
    else snprintf(msg, sizeof msg, "%s", tells_strerror(e));
    if (e == TELLS_ENOENT) snprintf(msg, sizeof msg, "no such case file");
    cli_error(path, msg);
    return NULL;
  }
  return c;
}
