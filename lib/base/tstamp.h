/*
** tstamp.h -- reading the timestamps of text formats (ISO 8601 / RFC 3339
** without the zone part) into nanoseconds since 1970, one parser for the
** Sigma JSON events and the times inside case details; and the civil-date
** arithmetic under every date tells reads or writes.
*/
#ifndef TELLS_TSTAMP_H
#define TELLS_TSTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Reads "YYYY-MM-DD[T ]HH:MM:SS[.fraction]" at the start of the n bytes at s
** (years 1678-2261, the range of int64 nanoseconds) as UTC; INT64_MIN when
** they do not start with one.  *end (when given) gets the offset of the
** first byte after it, where a zone suffix ("Z", "+09:00") may follow. */
int64_t tells_tstamp_parse(const char *s, size_t n, size_t *end);

/* Days since 1970-01-01 of the civil date y-m-d, and back (proleptic
** Gregorian, any int64 day that fits): the one conversion every writer and
** reader of dates in tells uses. */
int64_t tells_tstamp_days(int64_t y, unsigned m, unsigned d);
void tells_tstamp_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
