/* clbb_check_compare: what changed between two conformance reports (two
 * devices, two drivers, two builds): regressions first, then fixes, new
 * and missing cases, and a summary; as text and optionally Markdown. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "report.h"

void clbb_check_compare_options_init(clbb_check_compare_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->error_factor = 4;
    o->error_floor = 0.05;
    o->slower_percent = 25;
    o->min_ms = 0.05;
}

static clbb_status load(const char *path, report_doc *doc, char *eb, size_t es) {
    uint8_t *text = NULL;
    size_t len = 0;
    clbb_status st = clbb__io_read_file(path, &text, &len, eb, es);
    if (st != CLBB_OK) return st;
    st = check_report_parse((const char *)text, len, path, doc, eb, es);
    free(text);
    return st;
}

static int ran(const report_case *c) { return !strcmp(c->status, "pass") || !strcmp(c->status, "fail"); }
static int passed(const report_case *c) { return !strcmp(c->status, "pass"); }

/* The B case of each A case (same table and name; the k-th of a repeated
 * name matches the k-th); -1 if none. B cases matched get matched = 1. */
static clbb_status match(report_doc *a, report_doc *b, long **out) {
    long *m = malloc((a->num_cases ? a->num_cases : 1) * sizeof *m);
    if (!m) return CLBB_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < a->num_cases; i++) {
        m[i] = -1;
        const report_case *x = &a->cases[i];
        for (size_t j = 0; j < b->num_cases; j++) {
            report_case *y = &b->cases[j];
            if (!y->matched && !strcmp(x->name, y->name) && !strcmp(x->table, y->table)) {
                y->matched = 1;
                m[i] = (long)j;
                break;
            }
        }
    }
    *out = m;
    return CLBB_OK;
}

typedef struct cmp {
    const report_doc *a, *b;
    const long *m;
    const clbb_check_compare_options *o;
    size_t regressions, fixes, added, missing, slower, faster, matched;
} cmp;

/* What kind of regression the pair is (0: none); a line about it in why. */
static int regression(const cmp *k, const report_case *x, const report_case *y, char *why,
                      size_t size) {
    const clbb_check_compare_options *o = k->o;
    if (passed(x) && !passed(y)) {
        snprintf(why, size, "pass -> %s%s%.300s", y->status, y->reason[0] ? ": " : "", y->reason);
        return 1;
    }
    if (ran(x) && ran(y) && y->error >= 0 && y->error > o->error_floor &&
        (x->error <= 0 ? 1 : y->error > o->error_factor * x->error)) {
        if (x->error > 0)
            snprintf(why, size, "error %.3g -> %.3g of the tolerance (%.1fx)", x->error, y->error,
                     y->error / x->error);
        else
            snprintf(why, size, "error %.3g -> %.3g of the tolerance", x->error, y->error);
        return 2;
    }
    if (x->ms > 0 && y->ms > 0 && (x->ms >= o->min_ms || y->ms >= o->min_ms) &&
        y->ms > x->ms * (1 + o->slower_percent / 100)) {
        snprintf(why, size, "%.4f ms -> %.4f ms (+%.0f%%)", x->ms, y->ms,
                 100 * (y->ms / x->ms - 1));
        return 3;
    }
    return 0;
}

static void heading(FILE *f, int md, const char *title, size_t n) {
    if (md) fprintf(f, "\n## %s (%zu)\n\n", title, n);
    else fprintf(f, "%s (%zu):\n", title, n);
}

static void item(FILE *f, int md, const report_case *c, const char *what) {
    if (md) {
        fprintf(f, "- `%s` `", c->table);
        for (const char *p = c->name; *p; p++) fputc(*p == '`' ? '\'' : *p, f);
        fprintf(f, "`: %s\n", what);
    } else {
        fprintf(f, "  %-16s %-48s %s\n", c->table, c->name, what);
    }
}

/* One pass over the pairs: count (and list when f) the regressions, fixes,
 * new and missing cases. */
static void emit(cmp *k, FILE *f, int md) {
    const report_doc *a = k->a, *b = k->b;
    char why[512];
    k->regressions = k->fixes = k->added = k->missing = k->slower = k->faster = k->matched = 0;
    for (size_t i = 0; i < a->num_cases; i++) {
        if (k->m[i] < 0) continue;
        k->matched++;
        const report_case *x = &a->cases[i], *y = &b->cases[k->m[i]];
        const int r = regression(k, x, y, why, sizeof why);
        k->regressions += r != 0;
        k->slower += r == 3;
        if (!r && x->ms > 0 && y->ms > 0 && (x->ms >= k->o->min_ms || y->ms >= k->o->min_ms) &&
            x->ms > y->ms * (1 + k->o->slower_percent / 100))
            k->faster++;
        if (!passed(x) && passed(y)) k->fixes++;
    }
    for (size_t i = 0; i < a->num_cases; i++) k->missing += k->m[i] < 0;
    for (size_t j = 0; j < b->num_cases; j++) k->added += !b->cases[j].matched;
    if (!f) return;
    if (md) {
        fprintf(f, "# clbb check: comparison\n\n| | A | B |\n|---|---|---|\n");
        fprintf(f, "| device | %s | %s |\n| driver | %s | %s |\n| profile | %s | %s |\n",
                a->device, b->device, a->driver, b->driver, a->profile[0] ? a->profile : "-",
                b->profile[0] ? b->profile : "-");
        fprintf(f, "| precision | %s | %s |\n| clbb | %s %s | %s %s |\n", a->precision,
                b->precision, a->version, a->date, b->version, b->date);
    }
    heading(f, md, "regressions", k->regressions);
    for (size_t i = 0; i < a->num_cases; i++)
        if (k->m[i] >= 0 && regression(k, &a->cases[i], &b->cases[k->m[i]], why, sizeof why))
            item(f, md, &a->cases[i], why);
    heading(f, md, "fixes", k->fixes);
    for (size_t i = 0; i < a->num_cases; i++) {
        if (k->m[i] < 0) continue;
        const report_case *x = &a->cases[i], *y = &b->cases[k->m[i]];
        if (passed(x) || !passed(y)) continue;
        snprintf(why, sizeof why, "%s -> pass", x->status);
        item(f, md, x, why);
    }
    heading(f, md, "new in B", k->added);
    for (size_t j = 0; j < b->num_cases; j++)
        if (!b->cases[j].matched) item(f, md, &b->cases[j], b->cases[j].status);
    heading(f, md, "missing in B", k->missing);
    for (size_t i = 0; i < a->num_cases; i++)
        if (k->m[i] < 0) item(f, md, &a->cases[i], a->cases[i].status);
    fprintf(f,
            "%scompare: %zu cases matched, %zu regressions (%zu slower), %zu fixes, %zu new, %zu "
            "missing, %zu faster than %.0f%%\n",
            md ? "\n" : "", k->matched, k->regressions, k->slower, k->fixes, k->added, k->missing,
            k->faster, k->o->slower_percent);
}

clbb_status clbb_check_compare(const char *a_path, const char *b_path,
                               const clbb_check_compare_options *options, int *regressions,
                               char *eb, size_t es) {
    if (!a_path || !b_path || !regressions)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "check compare: %s is NULL",
                              !a_path ? "a_path" : !b_path ? "b_path" : "regressions");
    clbb_check_compare_options o;
    clbb_check_compare_options_init(&o);
    if (options) o = *options;
    if (!(o.error_factor >= 1) || !(o.error_floor >= 0) || !(o.slower_percent >= 0) ||
        !(o.min_ms >= 0))
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "check compare: error_factor must be >= 1 and error_floor, "
                              "slower_percent, min_ms >= 0");
    report_doc a, b;
    clbb_status st = load(a_path, &a, eb, es);
    if (st != CLBB_OK) return st;
    if ((st = load(b_path, &b, eb, es)) != CLBB_OK) {
        check_report_doc_free(&a);
        return st;
    }
    long *m = NULL;
    if (match(&a, &b, &m) != CLBB_OK) {
        st = clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "check compare: out of host memory");
        goto done;
    }
    cmp k = {&a, &b, m, &o, 0, 0, 0, 0, 0, 0, 0};
    /* the Markdown first: on its failure nothing has been printed */
    if (o.markdown_path && o.markdown_path[0]) {
        clbb__io_atomic_file af;
        if ((st = clbb__io_atomic_open(o.markdown_path, &af, eb, es)) != CLBB_OK) goto done;
        emit(&k, af.f, 1);
        if ((st = clbb__io_atomic_commit(&af, o.markdown_path, eb, es)) != CLBB_OK) goto done;
    }
    FILE *out = o.out ? o.out : stdout;
    fprintf(out, "A: %s (%s, driver %s%s%s, %s)\nB: %s (%s, driver %s%s%s, %s)\n", a_path, a.device,
            a.driver, a.profile[0] ? ", profile " : "", a.profile, a.precision, b_path, b.device,
            b.driver, b.profile[0] ? ", profile " : "", b.profile, b.precision);
    emit(&k, out, 0);
    *regressions = (int)k.regressions;
done:
    free(m);
    check_report_doc_free(&a);
    check_report_doc_free(&b);
    return st;
}
