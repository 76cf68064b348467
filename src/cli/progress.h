/* Progress on stderr for long work (check cases, tune candidates, bench
 * iterations, program builds), only when stderr is a terminal: one status
 * line redrawn in place, cleared when the work ends. */
#ifndef CLBB_CLI_PROGRESS_H
#define CLBB_CLI_PROGRESS_H

#include "cli.h"

/* Reports ctx's long work on stderr if it is a terminal (else nothing). */
void cli_progress_attach(clbb_context *ctx);

/* Clears the status line, if one is shown. */
void cli_progress_clear(void);

#endif
