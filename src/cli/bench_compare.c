/* `clbb bench --compare A.json B.json ... [--svg FILE]`: reports of `bench
 * --json` (other devices, precisions or versions) side by side, per layer
 * and in total, as text on stdout and optionally as an SVG chart. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"
#include "cli.h"
#include "options.h"

static int build_rows(const bench_report *r, int n, bench_row **out, size_t *count) {
    size_t cap = 0, num = 0;
    for (int k = 0; k < n; k++) cap += r[k].num_layers;
    bench_row *rows = calloc(cap, sizeof *rows);
    int *occ = calloc(cap, sizeof *occ);
    if (!rows || !occ) {
        free(rows);
        free(occ);
        return cli_error(CLI_RUNTIME, "bench --compare: out of memory");
    }
    for (int k = 0; k < n; k++) {
        for (size_t j = 0; j < r[k].num_layers; j++) {
            const bench_layer *l = &r[k].layers[j];
            int nth = 0;
            for (size_t i = 0; i < j; i++) nth += strcmp(r[k].layers[i].name, l->name) == 0;
            size_t at = num;
            for (size_t i = 0; i < num && at == num; i++)
                if (occ[i] == nth && strcmp(rows[i].name, l->name) == 0) at = i;
            if (at == num) {
                rows[num].name = l->name;
                rows[num].kind = l->kind;
                for (int q = 0; q < BENCH_MAX_REPORTS; q++) rows[num].ms[q] = NAN;
                occ[num++] = nth;
            }
            rows[at].ms[k] = l->ms;
        }
    }
    free(occ);
    *out = rows;
    *count = num;
    return CLI_OK;
}

static void print_value(double v) {
    if (isnan(v)) printf(" %10s", "-");
    else printf(" %10.4f", v);
}

static void print_ratio(double v, double base) {
    if (isnan(v) || isnan(base) || !(base > 0)) printf(" %8s", "-");
    else printf(" %7.2fx", v / base);
}

static void print_text(const bench_report *r, int n, const bench_row *rows, size_t num) {
    for (int k = 0; k < n; k++)
        printf("[%d] %s: %s%s%s, %s %dx%dx%dx%d %s\n", k + 1, r[k].file, r[k].device,
               r[k].driver[0] ? ", driver " : "", r[k].driver, r[k].arch, r[k].shape[0],
               r[k].shape[1], r[k].shape[2], r[k].shape[3], r[k].precision);
    printf("%-44s %-16s", "layer", "op");
    for (int k = 0; k < n; k++) {
        char head[32];
        snprintf(head, sizeof head, "[%d] ms", k + 1);
        printf(" %10s", head);
    }
    for (int k = 1; k < n; k++) {
        char head[32];
        snprintf(head, sizeof head, "[%d]/[1]", k + 1);
        printf(" %8s", head);
    }
    printf("\n");
    for (size_t i = 0; i < num; i++) {
        printf("%-44.44s %-16.16s", rows[i].name, rows[i].kind);
        for (int k = 0; k < n; k++) print_value(rows[i].ms[k]);
        for (int k = 1; k < n; k++) print_ratio(rows[i].ms[k], rows[i].ms[0]);
        printf("\n");
    }
    printf("%-61s", "layers (sum of per-layer medians)");
    for (int k = 0; k < n; k++) print_value(r[k].kernel_ms);
    for (int k = 1; k < n; k++) print_ratio(r[k].kernel_ms, r[0].kernel_ms);
    printf("\n%-61s", "forward median (wall clock)");
    for (int k = 0; k < n; k++) print_value(r[k].median_ms);
    for (int k = 1; k < n; k++) print_ratio(r[k].median_ms, r[0].median_ms);
    printf("\n");
}

int bench_compare_main(int argc, char **argv) {
    const char *svg_path = NULL;
    int compare = 0;
    cli_args pos = {0};
    const cli_opt opts[] = {
        {"--compare", CLI_FLAG, &compare, 0, 0, NULL},
        {"--svg", CLI_STRING, &svg_path, 0, 0, NULL},
        {NULL, CLI_ARGS, &pos, 0, 0, NULL},
        CLI_OPT_END,
    };
    int rc = cli_parse("bench", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    const int n = pos.n;
    const char *const *files = pos.v;
    if (n > BENCH_MAX_REPORTS)
        return cli_error(CLI_USAGE, "bench --compare: at most %d reports", BENCH_MAX_REPORTS);
    if (n < 2)
        return cli_error(CLI_USAGE,
                         "bench --compare needs two or more reports written by 'clbb bench "
                         "--json FILE'");
    bench_report r[BENCH_MAX_REPORTS];
    bench_row *rows = NULL;
    size_t num = 0;
    int loaded = 0;
    for (; loaded < n && rc == CLI_OK; loaded++) rc = bench_report_load(files[loaded], &r[loaded]);
    if (rc != CLI_OK) loaded--; /* the failed one freed itself */
    if (rc == CLI_OK) rc = build_rows(r, n, &rows, &num);
    if (rc == CLI_OK) {
        print_text(r, n, rows, num);
        if (svg_path) rc = bench_svg_compare(svg_path, r, n, rows, num);
        if (rc == CLI_OK && svg_path) fprintf(stderr, "bench: wrote %s\n", svg_path);
    }
    free(rows);
    for (int k = 0; k < loaded; k++) bench_report_free(&r[k]);
    return rc;
}
