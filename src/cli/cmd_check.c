/* clbb check: the conformance tables (ops, blocks, whole backbones) on a
 * device against the C reference; a table per level, non-zero exit on any
 * failure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "check/check_models.h"
#include "cli.h"

static int check_ops(clbb_context *ctx, int quick, int small, uint64_t seed, int verbose) {
    int failed = 0;
    printf("%-16s %6s %6s %7s %11s %9s  %-28s %s\n", "op", "cases", "ran", "skipped",
           "max_rel_l2", "tolerance", "worst case", "result");
    for (int op = 0; op < CLBB_CHECK_OP_COUNT; op++) {
        clbb_check_case *cases = NULL;
        size_t n = clbb_check_cases((clbb_check_op)op, quick, &cases);
        size_t ran = 0, skipped = 0, bad = 0;
        double worst = 0, tol = 0;
        const char *worst_name = "-";
        for (size_t i = 0; i < n; i++) {
            clbb_check_result r;
            /* --small: our kernels only (CLBlast's are not ours), small work */
            if (small && (clbb_check_case_work(&cases[i]) > 1e6 ||
                          (op == CLBB_CHECK_CONV2D && cases[i].algo == CLBB_CONV_ALGO_GEMM_CLBLAST))) {
                skipped++;
                continue;
            }
            clbb_status st = clbb_check_run(ctx, &cases[i], seed + i, 0, &r);
            if (st != CLBB_OK) {
                bad++;
                printf("  FAIL %s %s: %s\n", clbb_check_op_name(op), cases[i].name, r.message);
                continue;
            }
            if (!r.ran) {
                skipped++;
                continue;
            }
            ran++;
            if (r.tolerance > tol) tol = r.tolerance;
            if (!(r.rel_l2 <= worst)) {
                worst = r.rel_l2;
                worst_name = cases[i].name;
            }
            if (!r.pass) {
                bad++;
                printf("  FAIL %s %s [%s]: %s\n", clbb_check_op_name(op), cases[i].name,
                       r.algorithm, r.message);
            } else if (verbose) {
                printf("  ok   %s %-36s %-28s rel_l2 %.2e\n", clbb_check_op_name(op),
                       cases[i].name, r.algorithm, r.rel_l2);
            }
        }
        static char worst_buf[CLBB_CHECK_OP_COUNT][80];
        snprintf(worst_buf[op], sizeof worst_buf[op], "%s", worst_name);
        printf("%-16s %6zu %6zu %7zu %11.3e %9.1e  %-28s %s\n", clbb_check_op_name(op), n, ran,
               skipped, worst, tol, worst_buf[op], bad ? "FAIL" : "pass");
        failed += bad != 0;
        free(cases);
    }
    return failed;
}

int clbb_cmd_check(int argc, char **argv) {
    const char *device = NULL;
    int ops = 0, blocks = 0, models = 0, quick = 0, small = 0, verbose = 0;
    uint64_t seed = clbb_check_seed();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--ops")) ops = 1;
        else if (!strcmp(argv[i], "--blocks")) blocks = 1;
        else if (!strcmp(argv[i], "--models")) models = 1;
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--small")) small = 1;
        else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) verbose = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            char *end;
            seed = strtoull(argv[++i], &end, 0);
            if (*end) return cli_error(CLI_USAGE, "--seed: '%s' is not a number", argv[i]);
        } else return cli_error(CLI_USAGE, "check: unknown or incomplete option '%s'", argv[i]);
    }
    if (!ops && !blocks && !models) ops = blocks = models = 1;
    clbb_context *ctx;
    int rc = cli_context(device, 0, &ctx);
    if (rc) return rc;
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    printf("device: %s (%s, driver %s)\nseed: %llu (CLBB_SEED=%llu reproduces)\n",
           info.device_name, info.platform_name, info.driver_version, (unsigned long long)seed,
           (unsigned long long)seed);
    int failed = 0;
    if (ops) failed += check_ops(ctx, quick, small, seed, verbose);
    if (blocks) failed += clbb_check_blocks(ctx, quick, seed, verbose, stdout);
    if (models) failed += clbb_check_models(ctx, quick, seed, verbose, stdout);
    clbb_context_destroy(ctx);
    printf("%s\n", failed ? "check: FAILED" : "check: all passed");
    return failed ? CLI_RUNTIME : CLI_OK;
}
