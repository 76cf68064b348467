/* Conformance of every op on the default device (CLBB_DEVICE selects
 * another): the harness case tables, each case against the C reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "check/check.h"

static void run_family(clbb_check_op op) {
    clbb_context *ctx = NULL;
    char err[512] = "";
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK, "context: %s", err);
    uint64_t seed = clbb_check_seed();
    clbb_check_case *cases = NULL;
    size_t n = clbb_check_cases(op, 0, &cases);
    cr_assert_gt(n, 0);
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        clbb_check_result r;
        clbb_status st = clbb_check_run(ctx, &cases[i], seed + i, 0, &r);
        cr_expect_eq(st, CLBB_OK, "%s %s: %s (CLBB_SEED=%llu)", clbb_check_op_name(op),
                     cases[i].name, r.message, (unsigned long long)seed);
        if (st != CLBB_OK || !r.ran) continue;
        ran++;
        cr_expect(r.pass, "%s %s [%s]: %s (CLBB_SEED=%llu)", clbb_check_op_name(op),
                  cases[i].name, r.algorithm, r.message, (unsigned long long)seed);
    }
    cr_expect_gt(ran, 0, "no case of %s ran", clbb_check_op_name(op));
    free(cases);
    clbb_context_destroy(ctx);
}

Test(ops, conv2d, .timeout = 1200) { run_family(CLBB_CHECK_CONV2D); }
Test(ops, batch_norm) { run_family(CLBB_CHECK_BATCH_NORM); }
Test(ops, group_norm) { run_family(CLBB_CHECK_GROUP_NORM); }
Test(ops, add) { run_family(CLBB_CHECK_ADD); }
Test(ops, mul) { run_family(CLBB_CHECK_MUL); }
Test(ops, max_pool2d) { run_family(CLBB_CHECK_MAX_POOL2D); }
Test(ops, avg_pool2d) { run_family(CLBB_CHECK_AVG_POOL2D); }
Test(ops, global_avg_pool) { run_family(CLBB_CHECK_GLOBAL_AVG_POOL); }
