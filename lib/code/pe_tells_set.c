/*
** pe_tells_set.c -- build times over a set of samples: counts by weekday and
** hour (UTC), and the UTC offset that best fits a working week.
**
** Method (docs/pe-json.md, "set"): for every whole-hour offset from -12 to
** +14 the builds are moved to local time and the score is the share of
** them on Monday-Friday between 09:00 and 18:59.  The best offset wins;
** ties go to the offset whose builds are on average closest to 14:00
** local, then to the smaller offset.  The runner-up and the best offset at
** least three hours away from the winner are reported with their scores,
** so that weak evidence (few builds, flat scores) is visible.
*/
#include <string.h>
#include "pe_tells.h"

#define OFF_MIN (-12)
#define OFF_MAX 14
#define WORK_FROM 9
#define WORK_TO 18     /* last working hour, inclusive */

void tells_petells_set_init(tells_petells_set *s) { memset(s, 0, sizeof *s); }

void tells_petells_weekday_hour(int64_t t, int *wd, int *hour) {
  int64_t days = t / 86400, rem = t % 86400;
  if (rem < 0) { rem += 86400; days--; }
  /* 1970-01-01 was a Thursday (3 with Monday = 0). */
  *wd = (int)(((days % 7) + 7 + 3) % 7);
  *hour = (int)(rem / 3600);
}

void tells_petells_set_add(tells_petells_set *s, int64_t t) {
  int wd, h;
  tells_petells_weekday_hour(t, &wd, &h);
  s->bins[wd * 24 + h]++;
  s->timed++;
}

/* Share of builds in working hours and mean distance from 14:00 at offset o. */
static void score(const tells_petells_set *s, int o, double *share, double *dist) {
  uint64_t in = 0, total = 0;
  double d = 0;
  int b;
  for (b = 0; b < 7 * 24; b++) {
    int l = ((b + o) % 168 + 168) % 168, wd = l / 24, h = l % 24;
    uint64_t c = s->bins[b];
    if (!c) continue;
    total += c;
    if (wd < 5 && h >= WORK_FROM && h <= WORK_TO) in += c;
    d += (double)c * (h >= 14 ? h - 14 : 14 - h);
  }
  *share = total ? (double)in / (double)total : 0;
  *dist = total ? d / (double)total : 0;
}

static int better(double s1, double d1, double s2, double d2) {
  const double eps = 1e-12;
  if (s1 > s2 + eps) return 1;
  if (s1 < s2 - eps) return 0;
  return d1 < d2 - eps;
}

int tells_petells_set_fit(const tells_petells_set *s, tells_petells_fit *f) {
  double sc[OFF_MAX - OFF_MIN + 1], di[OFF_MAX - OFF_MIN + 1];
  int o, best = OFF_MIN, run = 0, dis = 0, have_run = 0, have_dis = 0;
  memset(f, 0, sizeof *f);
  if (!s->timed) return 0;
  for (o = OFF_MIN; o <= OFF_MAX; o++) score(s, o, &sc[o - OFF_MIN], &di[o - OFF_MIN]);
  for (o = OFF_MIN + 1; o <= OFF_MAX; o++)
    if (better(sc[o - OFF_MIN], di[o - OFF_MIN], sc[best - OFF_MIN], di[best - OFF_MIN])) best = o;
  for (o = OFF_MIN; o <= OFF_MAX; o++) {
    if (o == best) continue;
    if (!have_run || better(sc[o - OFF_MIN], di[o - OFF_MIN], sc[run - OFF_MIN], di[run - OFF_MIN])) {
      run = o; have_run = 1;
    }
    if ((o - best >= 3 || best - o >= 3) &&
        (!have_dis || better(sc[o - OFF_MIN], di[o - OFF_MIN], sc[dis - OFF_MIN], di[dis - OFF_MIN]))) {
      dis = o; have_dis = 1;
    }
  }
  f->best = best; f->score = sc[best - OFF_MIN];
  f->runner_up = run; f->runner_score = sc[run - OFF_MIN];
  f->distinct = dis; f->distinct_score = sc[dis - OFF_MIN];
  return 1;
}

static void offset_obj(tells_json *j, int o, double sc) {
  tells_json_obj(j);
  tells_json_key(j, "offset"); tells_json_i64(j, o);
  tells_json_key(j, "score"); tells_json_dbl(j, (double)(int64_t)(sc * 10000 + 0.5) / 10000);
  tells_json_obj_end(j);
}

void tells_petells_set_json(const tells_petells_set *s, tells_json *j) {
  tells_petells_fit f;
  uint64_t hours[24], wd[7];
  int b;
  memset(hours, 0, sizeof hours);
  memset(wd, 0, sizeof wd);
  for (b = 0; b < 7 * 24; b++) { hours[b % 24] += s->bins[b]; wd[b / 24] += s->bins[b]; }
  tells_json_obj(j);
  tells_json_ku64(j, "pe_files", s->pe_files);
  tells_json_ku64(j, "build_times", s->timed);
  tells_json_key(j, "build_hours_utc"); tells_json_arr(j);
  for (b = 0; b < 24; b++) tells_json_u64(j, hours[b]);
  tells_json_arr_end(j);
  tells_json_key(j, "weekdays"); tells_json_arr(j);
  for (b = 0; b < 7; b++) tells_json_u64(j, wd[b]);
  tells_json_arr_end(j);
  tells_json_key(j, "utc_offset");
  if (tells_petells_set_fit(s, &f)) {
    tells_json_obj(j);
    tells_json_key(j, "best"); tells_json_i64(j, f.best);
    tells_json_key(j, "score"); tells_json_dbl(j, (double)(int64_t)(f.score * 10000 + 0.5) / 10000);
    tells_json_key(j, "runner_up"); offset_obj(j, f.runner_up, f.runner_score);
    tells_json_key(j, "best_3h_away"); offset_obj(j, f.distinct, f.distinct_score);
    tells_json_kstr(j, "method", "share of builds Mon-Fri 09:00-18:59 local; offsets -12..+14");
    tells_json_obj_end(j);
  } else {
    tells_json_null(j);
  }
  tells_json_obj_end(j);
}
