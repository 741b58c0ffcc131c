/*
** analyse.h -- the analysis stages that run over a whole case after intake:
** correlate (indicators across evidence kinds become links and chains),
** then the answers to the case's questions.  They are queries over the
** case store, so lib/answer/ is, with lib/case/, a user of SQLite.
*/
#ifndef TELLS_ANALYSE_H
#define TELLS_ANALYSE_H

#include "case_api.h"

/* Rebuilds every derived row (links, chains, raised severities, answers)
** from the evidence rows, in one transaction: a run killed in the middle
** leaves the previous analysis whole. */
tells_err tells_analyse(tells_case *c);

#endif
