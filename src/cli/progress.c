/* The progress line of every subcommand (see progress.h). The library
 * reports through clbb_context_set_progress(); this draws it. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
    int shown;          /* a status line is on the terminal */
    int build_noted;    /* the "building OpenCL programs" line was printed */
    double last_ms;     /* last redraw (at most 10 a second for one kind of work) */
    int last_kind;
} P;

void cli_progress_clear(void) {
    if (!P.shown) return;
    fputs("\r\033[K", stderr);
    P.shown = 0;
}

static const char *label(clbb_progress_kind kind) {
    switch (kind) {
    case CLBB_PROGRESS_BUILD: return "building";
    case CLBB_PROGRESS_CHECK: return "check";
    case CLBB_PROGRESS_TUNE: return "tune";
    case CLBB_PROGRESS_BENCH: return "bench";
    }
    return "";
}

static void draw(void *user, clbb_progress_kind kind, uint64_t done, uint64_t total,
                 const char *what) {
    (void)user;
    if (kind == CLBB_PROGRESS_BUILD && !P.build_noted) {
        cli_progress_clear();
        fputs("clbb: building OpenCL programs (first run, cached afterwards)...\n", stderr);
        P.build_noted = 1;
    }
    if (total && done >= total) { /* the end of a piece of work */
        cli_progress_clear();
        return;
    }
    double now = cli_now_ms();
    if (P.shown && (int)kind == P.last_kind && now - P.last_ms < 100) return;
    P.last_ms = now;
    P.last_kind = (int)kind;
    char bar[24] = "";
    if (total) {
        const int w = 20, fill = (int)(w * done / total);
        bar[0] = '[';
        for (int i = 0; i < w; i++) bar[1 + i] = i < fill ? '#' : '.';
        bar[w + 1] = ']';
        bar[w + 2] = '\0';
    }
    /* the cursor goes back to the line's start: stdout output that comes
     * next overwrites the status line instead of following it */
    if (kind == CLBB_PROGRESS_BUILD)
        fprintf(stderr, "\r\033[K%s program %llu: %.40s\r", label(kind),
                (unsigned long long)done + 1, what);
    else
        fprintf(stderr, "\r\033[K%s %s %llu/%llu %.40s\r", label(kind), bar,
                (unsigned long long)done, (unsigned long long)total, what);
    P.shown = 1;
}

void cli_progress_attach(clbb_context *ctx) {
    if (ctx && isatty(STDERR_FILENO)) clbb_context_set_progress(ctx, draw, NULL);
}
