/*
** detect_run.h -- GeoIP and detections wired into a run of the net pillar:
** `tells net` (net_run.c, EVE alert records and geo members on flows) and
** the intake scanner (net_scan.c, findings and country indicators).
*/
#ifndef TELLS_NET_DETECT_RUN_H
#define TELLS_NET_DETECT_RUN_H

#include "detect.h"
#include "geo.h"
#include "json.h"
#include "tells.h"

typedef struct tells_detect_run {
  tells_geo *geo_owned;       /* opened for this run, or NULL */
  const tells_geo *geo;       /* geo_owned, or NULL (the shared default is
                                 loaded by gc at its first lookup) */
  tells_geo_cache *gc;        /* owned */
  tells_detect *det;          /* owned; NULL with no_detect */
} tells_detect_run;

/* Opens GeoIP (opts' paths, or the process-wide Debian defaults) and the
** detectors (opts' settings).  A bad database or setting fails with a
** one-line reason in err (TELLS_EARG, TELLS_ECORRUPT, TELLS_ENOENT, ...).
** `o` may be NULL: defaults. */
tells_err tells_detect_run_open(tells_detect_run *r, const tells_net_opts *o, char *err,
                                size_t errlen);
void tells_detect_run_close(tells_detect_run *r);
/* Folds a finished flow into the detectors. */
void tells_detect_run_flow(tells_detect_run *r, const tells_flow *f);
/* Feeds the query name of a DNS record of flow f (qtype 0 when unknown). */
void tells_detect_run_dns(tells_detect_run *r, const tells_flow *f, const char *qname,
                          uint16_t qtype, int64_t ts_ns);
/* Feeds an application record: HTTP bodies ("fileinfo") go to the detectors. */
void tells_detect_run_app(tells_detect_run *r, const tells_flow *f, const tells_app_rec *rec);
/* Writes "src_geo" and "dest_geo" members for f into an open object. */
void tells_detect_run_geo_json(tells_detect_run *r, tells_json *j, const tells_flow *f);
/* One complete EVE "alert" record (object closed, no newline). */
void tells_detect_eve_alert(tells_json *j, tells_detect_run *r, const tells_detect_alert *a);
/* The process-wide GeoIP of the Debian default locations, opened once
** (NULL when none is installed). */
const tells_geo *tells_detect_shared_geo(void);

#endif
