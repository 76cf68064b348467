/* The JSON report of `clbb bench --json`, read back (validated, naming the
 * file and field) for `bench --svg` and `bench --compare`, and its charts. */
#ifndef CLBB_CLI_BENCH_REPORT_H
#define CLBB_CLI_BENCH_REPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct bench_layer {
    char name[160];
    char kind[32];
    double ms; /* per-layer median */
} bench_layer;

typedef struct bench_report {
    char file[256];      /* as given, for messages and labels */
    char device[128];
    char driver[64];     /* "" if absent */
    char arch[256];
    char precision[16];
    int shape[4];
    double median_ms;    /* whole forwards, wall clock */
    double kernel_ms;    /* sum of the ops' profiling events */
    size_t num_layers;
    bench_layer *layers;
} bench_report;

/* Reads a report object; @p file names it in messages. Returns CLI_OK, or
 * prints "clbb: error: FILE: field 'F' ..." and returns CLI_USAGE (CLI_RUNTIME
 * when out of memory). On failure nothing is left allocated. */
int bench_report_read(const cJSON *root, const char *file, bench_report *r);

/* Reads a report file (as bench_report_read). */
int bench_report_load(const char *path, bench_report *r);

void bench_report_free(bench_report *r);

/* Horizontal bars of the layers' medians: name, op kind, ms and % of the
 * total; the title gives device, arch, shape, precision and totals.
 * Returns CLI_OK or an error printed (nothing left at @p path). */
int bench_svg_layers(const char *path, const bench_report *r);

#define BENCH_MAX_REPORTS 8
#define BENCH_MAX_LAYERS 2000 /* per report: far above any backbone's ops */

/* A layer across reports: matched by name and, for a repeated name, by its
 * occurrence; ms NAN where a report lacks it. */
typedef struct bench_row {
    const char *name, *kind; /* the first report's that has it */
    double ms[BENCH_MAX_REPORTS];
} bench_row;

/* One group of bars per row (a bar per report) and a table of totals. */
int bench_svg_compare(const char *path, const bench_report *r, int n, const bench_row *rows,
                      size_t num_rows);

/* `clbb bench --compare A.json B.json ... [--svg FILE]`. */
int bench_compare_main(int argc, char **argv);

#endif
