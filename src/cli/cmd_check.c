/* clbb check: the conformance tables (ops, blocks, whole backbones) on a
 * device against the C reference; a table per level, non-zero exit on any
 * failure. --report writes the run as JSON + Markdown; --compare A B says
 * what changed between two such reports (no device needed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_args.h"
#include "options.h"

/* --compare A.json B.json: exit 1 when B regresses against A. */
static int compare(const cli_args *files, const char *markdown, long slower) {
    if (files->n != 2)
        return cli_error(CLI_USAGE, "check --compare needs two reports: A.json B.json (got %d)",
                         files->n);
    int rc;
    if (markdown && (rc = cli_check_writable_file("--markdown", markdown))) return rc;
    clbb_check_compare_options o;
    clbb_check_compare_options_init(&o);
    o.markdown_path = markdown;
    if (slower >= 0) o.slower_percent = (double)slower;
    char err[1024] = "";
    int regressions = 0;
    clbb_status st = clbb_check_compare(files->v[0], files->v[1], &o, &regressions, err, sizeof err);
    if (st != CLBB_OK) return cli_error(cli_code(st), "check --compare: %s", err);
    if (markdown) fprintf(stderr, "clbb: wrote %s\n", markdown);
    if (regressions)
        return cli_error(CLI_RUNTIME, "check --compare: %d regression%s of %s against %s",
                         regressions, regressions == 1 ? "" : "s", files->v[1], files->v[0]);
    return CLI_OK;
}

int clbb_cmd_check(int argc, char **argv) {
    const char *device = NULL, *markdown = NULL;
    int do_compare = 0;
    long runs = 3, slower = -1;
    cli_args files = {0};
    clbb_check_options o;
    clbb_check_options_init(&o);
    const cli_opt opts[] = {
        {"--device", CLI_STRING, &device, 0, 0, NULL},
        CLI_PROFILE_OPT,
        {"--ops", CLI_FLAG, &o.ops, 0, 0, NULL},
        {"--blocks", CLI_FLAG, &o.blocks, 0, 0, NULL},
        {"--models", CLI_FLAG, &o.models, 0, 0, NULL},
        {"--quick", CLI_FLAG, &o.quick, 0, 0, NULL},
        {"--small", CLI_FLAG, &o.small, 0, 0, NULL},
        {"--only", CLI_STRING, &o.only, 0, 0, NULL},
        {"-v", CLI_FLAG, &o.verbose, 0, 0, NULL},
        {"--verbose", CLI_FLAG, &o.verbose, 0, 0, NULL},
        {"--precision", CLI_PRECISION, &o.precision, 0, 0, NULL},
        {"--seed", CLI_U64, &o.seed, 1, 0, NULL},
        {"--report", CLI_STRING, &o.report_path, 0, 0, NULL},
        {"--report-runs", CLI_INT, &runs, 0, 100, NULL},
        {"--compare", CLI_FLAG, &do_compare, 0, 0, NULL},
        {"--markdown", CLI_STRING, &markdown, 0, 0, NULL},
        {"--slower", CLI_INT, &slower, 0, 100000, NULL},
        {NULL, CLI_ARGS, &files, 0, 0, NULL},
        CLI_OPT_END,
    };
    int prc = cli_parse("check", argc, argv, opts);
    if (prc) return CLI_PARSE_EXIT(prc);
    if (do_compare) return compare(&files, markdown, slower);
    if (files.n) return cli_error(CLI_USAGE, "check: unexpected argument '%s'", files.v[0]);
    if (markdown || slower >= 0)
        return cli_error(CLI_USAGE, "check: --markdown and --slower go with --compare");
    o.report_runs = (int)runs;
    int rc;
    /* a bad --report fails before the check runs */
    if (o.report_path) {
        if ((rc = cli_check_writable_file("--report", o.report_path))) return rc;
        const size_t n = strlen(o.report_path);
        char *md = malloc(n + 4);
        if (!md) return cli_error(CLI_RUNTIME, "out of host memory");
        const int ext = n > 5 && !strcmp(o.report_path + n - 5, ".json");
        memcpy(md, o.report_path, ext ? n - 5 : n);
        strcpy(md + (ext ? n - 5 : n), ".md");
        rc = cli_check_writable_file("--report", md);
        free(md);
        if (rc) return rc;
    }
    clbb_context *ctx;
    /* profiling events time the op cases of a report */
    rc = cli_context(device, o.report_path && runs > 0, &ctx);
    if (rc) return rc;
    int failed = 0;
    clbb_precision_info pi;
    if (clbb_precision_resolve(ctx, o.precision, &pi) == CLBB_OK) cli_precision_line(&pi);
    clbb_status st = clbb_check(ctx, &o, &failed);
    if (st != CLBB_OK) rc = cli_error(cli_code(st), "check: %s", clbb_last_error(ctx));
    else if (o.report_path) fprintf(stderr, "clbb: wrote %s and its .md summary\n", o.report_path);
    clbb_context_destroy(ctx);
    if (rc) return rc;
    return failed ? CLI_RUNTIME : CLI_OK;
}
