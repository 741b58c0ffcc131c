/*
** sniff.h -- identifies an evidence file by its content, never its name.
*/
#ifndef TELLS_SNIFF_H
#define TELLS_SNIFF_H

#include <stddef.h>
#include <stdint.h>
#include "tells.h"

/* Returns the kind of the bytes; for TELLS_KIND_NONE, *reason (if not NULL)
** says what the bytes look like instead, as static text. */
tells_kind tells_sniff(const uint8_t *buf, size_t len, const char **reason);

#endif
