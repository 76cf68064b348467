/* The conformance report (clbb_check_options.report_path): a recorder the
 * harness feeds case by case, written as JSON plus a Markdown summary at
 * the end; and its reader, for clbb_check_compare(). The format is
 * docs/report.md. */
#ifndef CLBB_CHECK_REPORT_H
#define CLBB_CHECK_REPORT_H

#include "check.h"

#define CHECK_REPORT_SCHEMA "clbb-check-report"
#define CHECK_REPORT_VERSION 1

typedef struct check_report check_report;

/* A recorder for a run of clbb_check with options o (o->report_path set)
 * and the seed it uses; the device part is read from ctx now. NULL when
 * out of host memory. */
check_report *check_report_create(clbb_context *ctx, const clbb_check_options *o, uint64_t seed);
void check_report_destroy(check_report *r);

/* One op case: st is check_run's status, res its result. */
void check_report_op_case(check_report *r, const check_case *c, clbb_status st,
                          const check_result *res);
/* One block or backbone case (table "block" or "backbone"). */
void check_report_model_case(check_report *r, const char *table, const check_model_case *c,
                             clbb_status st, const check_model_result *res);
/* An op table that could not be built (out of host memory). */
void check_report_table_error(check_report *r, const char *table, const char *message);

/* Writes the JSON and the Markdown file (each whole or not at all).
 * CLBB_ERR_IO / CLBB_ERR_OUT_OF_MEMORY with the message on ctx. */
clbb_status check_report_write(check_report *r, clbb_context *ctx);

/* The Markdown path of a report path (see clbb_check_options.report_path);
 * malloc'ed, NULL when out of memory. */
char *check_report_md_path(const char *json_path);

/* A case read back from a report. */
typedef struct report_case {
    char *table, *name;     /* pointers into the report's parsed text */
    char status[8];         /* "pass", "fail", "error", "skipped" */
    const char *reason;     /* "" if none */
    double error;           /* max(rel_l2 / tol.rel_l2, of_bound); -1 unknown */
    double ms;              /* -1: no timing */
    int matched;            /* compare: seen in the other report */
} report_case;

typedef struct report_doc {
    void *json;             /* the cJSON tree (owns the strings) */
    char device[160], driver[80], profile[64], precision[16], date[40], version[32];
    report_case *cases;
    size_t num_cases;
} report_doc;

/* Parses a report's text (path names it in messages). CLBB_ERR_FORMAT or
 * CLBB_ERR_OUT_OF_MEMORY with the message in errbuf; on failure *doc holds
 * nothing. */
clbb_status check_report_parse(const char *text, size_t len, const char *path, report_doc *doc,
                               char *errbuf, size_t errbuf_size);
void check_report_doc_free(report_doc *doc);

#endif
