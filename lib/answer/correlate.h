/*
** correlate.h -- the correlate stage: indicators seen in more than one kind
** of evidence become links, findings tied to links that share findings form
** chains (and rise in severity when a chain spans evidence kinds), and the
** stage findings only a view across evidence gives (a flagged binary run,
** a flagged binary downloaded) are written with source "correlate".
*/
#ifndef TELLS_CORRELATE_H
#define TELLS_CORRELATE_H

#include "case_api.h"

/* Runs inside the analysis transaction (analyse.c), after its CLEAR. */
tells_err tells_correlate(tells_case *c);

#endif
