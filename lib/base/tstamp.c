/*
** tstamp.c -- timestamps of text formats to nanoseconds (see tstamp.h).
*/
#include "tstamp.h"

/* The usual era-of-400-years arithmetic, with March-based years. */
int64_t tells_tstamp_days(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void tells_tstamp_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era, doe, yoe, doy, mp;
  z += 719468;                               /* days since 0000-03-01 */
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;                    /* [0, 146096] */
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int num(const char *s, int k) {
  int v = 0;
  while (k--) v = v * 10 + (*s++ - '0');
  return v;
}

int64_t tells_tstamp_parse(const char *s, size_t n, size_t *end) {
  int Y, M, D, h, mi, sec, k;
  int64_t ns = 0, scale = 100000000;
  size_t i;
  if (n < 19) return INT64_MIN;
  for (k = 0; k < 19; k++) {
    if (k == 4 || k == 7) { if (s[k] != '-') return INT64_MIN; }
    else if (k == 10) { if (s[k] != 'T' && s[k] != ' ') return INT64_MIN; }
    else if (k == 13 || k == 16) { if (s[k] != ':') return INT64_MIN; }
    else if (s[k] < '0' || s[k] > '9') return INT64_MIN;
  }
  Y = num(s, 4); M = num(s + 5, 2); D = num(s + 8, 2);
  h = num(s + 11, 2); mi = num(s + 14, 2); sec = num(s + 17, 2);
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
    return INT64_MIN;
  if (Y < 1678 || Y > 2261) return INT64_MIN;   /* outside int64 nanoseconds */
  i = 19;
  if (i < n && s[i] == '.') {
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      if (scale) { ns += (s[i] - '0') * scale; scale /= 10; }
    }
  }
  if (end) *end = i;
  return ((tells_tstamp_days(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + mi * 60 + sec)
          * 1000000000LL) + ns;
}
