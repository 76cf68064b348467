/* Conformance of every op on the default device (CLBB_DEVICE selects
 * another): the harness case tables (every kernel family and the explicit
 * tunings included), each case against the C reference, in fp32 and fp16;
 * that the pass test catches one wrong element; the tuning texts refused
 * at create. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "test_util.h"

/* Runs an op's table; returns the number of cases that ran. */
static size_t run_table(const char *name, clbb_dtype dtype, int quick) {
    clbb_context *ctx = test_context();
    uint64_t seed = check_seed();
    const check_op *op = check_op_named(name);
    cr_assert_not_null(op, "no op %s", name);
    check_case *cases = NULL;
    size_t n = check_cases(op, quick, dtype, &cases), ran = 0;
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        check_result r;
        clbb_status st = check_run(ctx, &cases[i], seed + i, 0, &r);
        cr_expect_eq(st, CLBB_OK, "%s %s %s: %s (CLBB_SEED=%llu)", name, clbb_dtype_name(dtype),
                     cases[i].name, r.message, (unsigned long long)seed);
        if (st != CLBB_OK || !r.ran) continue;
        ran++;
        cr_expect(r.pass, "%s %s %s [%s]: %s (CLBB_SEED=%llu)", name, clbb_dtype_name(dtype),
                  cases[i].name, r.algorithm, r.message, (unsigned long long)seed);
    }
    free(cases);
    clbb_context_destroy(ctx);
    return ran;
}

/* Every case of the fp32 tables runs on every device: nothing skipped.
 * CLBB_TEST_QUICK=1 (the sanitizer run, where the double references run
 * instrumented) takes each table's quick subset: the same host code paths. */
static int quick_tables(void) {
    const char *q = getenv("CLBB_TEST_QUICK");
    return q && q[0] == '1';
}
#define OP_TESTS(op, tmo)                                                                   \
    Test(ops, op, .timeout = tmo) {                                                         \
        check_case *c;                                                                          \
        const int q = quick_tables();                                                           \
        size_t n = check_cases(check_op_named(#op), q, CLBB_DTYPE_F32, &c);                     \
        free(c);                                                                                \
        cr_expect_eq(run_table(#op, CLBB_DTYPE_F32, q), n, "fp32 cases were skipped");          \
    }                                                                                           \
    Test(ops, op##_f16, .timeout = tmo) { run_table(#op, CLBB_DTYPE_F16, 1); }

OP_TESTS(conv2d, 1500)
OP_TESTS(batch_norm, 300)
OP_TESTS(group_norm, 300)
OP_TESTS(add, 300)
OP_TESTS(mul, 300)
OP_TESTS(max_pool2d, 300)
OP_TESTS(avg_pool2d, 300)
OP_TESTS(global_avg_pool, 300)
OP_TESTS(copy, 300)
OP_TESTS(softmax, 600)
OP_TESTS(layer_norm, 300)
OP_TESTS(channel_affine, 300)
OP_TESTS(context_pool, 300)
OP_TESTS(context_mlp, 300)
OP_TESTS(matmul, 1500)
OP_TESTS(attention, 600)
OP_TESTS(gen_attention, 900)
OP_TESTS(upsample_add, 300)
OP_TESTS(deform_conv2d, 600)
OP_TESTS(ghost_module, 300)
OP_TESTS(se_gate, 300)

/* The pass test catches one wrong element. The case: 2e-3 added
 * to one output of ghost_dw_k5s2/direct. And an error sized to half the
 * relative L2 tolerance (which alone would pass it), in one element of a
 * 50,176-element output. */
static double planted_delta;

static void off_in_one_element(const check_case *c, check_data *d) {
    check_op_named("conv2d")->reference(c, d);
    const size_t n = clbb_shape_numel(d->out);
    double norm = 0;
    for (size_t i = 0; i < n; i++) norm += (double)d->ref[i] * d->ref[i];
    const double delta = planted_delta > 0 ? planted_delta : -planted_delta * sqrt(norm);
    d->ref[n / 2] += (float)delta;
}

static check_result run_planted(const char *name, double delta) {
    clbb_context *ctx = test_context();
    check_op planted = *check_op_named("conv2d");
    planted.reference = off_in_one_element;
    planted_delta = delta;
    check_case *cases;
    size_t n = check_cases(check_op_named("conv2d"), 0, CLBB_DTYPE_F32, &cases);
    check_result r;
    memset(&r, 0, sizeof r);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        if (strcmp(cases[i].name, name)) continue;
        found = 1;
        cases[i].op = &planted;
        cr_assert_eq(check_run(ctx, &cases[i], 7, 0, &r), CLBB_OK, "%s", r.message);
    }
    cr_assert(found, "no case %s", name);
    free(cases);
    clbb_context_destroy(ctx);
    return r;
}

Test(ops, one_wrong_element_fails) {
    check_result r = run_planted("ghost_dw_k5s2/direct", 2e-3);
    cr_expect(r.ran && !r.pass, "a 2e-3 error in one element passed: %s", r.message);
    cr_expect_eq(r.over_bound, 1, "%s", r.message);
    r = run_planted("r50_l1_conv3/direct", -0.5 * check_op_named("conv2d")->tol[0].rel_l2);
    cr_expect(r.ran && !r.pass, "a one-element error passed: %s", r.message);
    cr_expect_eq(r.over_bound, 1, "%s", r.message);
    cr_expect_lt(r.rel_l2, r.tol.rel_l2, "the planted error is below the L2 bound: %s", r.message);
}

/* fp16 safety (issue 11): a conv whose outputs exceed half's range fails
 * as an overflow, naming the maximum, and is not passed on silently; in
 * fp32 the same case is no overflow. */
Test(ops, fp16_overflow_reported) {
    clbb_context *ctx = test_context();
    check_case c;
    check_result r;
    check_conv2d_overflow_case(&c, CLBB_DTYPE_F16);
    cr_assert_eq(check_run(ctx, &c, 11, 0, &r), CLBB_OK, "%s", r.message);
    cr_expect(r.ran && !r.pass, "an overflowing fp16 output passed: %s", r.message);
    cr_expect_gt(r.overflow, 0);
    cr_expect_gt(r.max_ref, CHECK_HALF_MAX);
    cr_expect_gt(r.nonfinite, 0, "the device stores infinities: %s", r.message);
    cr_expect(strstr(r.message, "overflow in the output: max |ref|") != NULL, "%s", r.message);
    check_conv2d_overflow_case(&c, CLBB_DTYPE_F32);
    cr_assert_eq(check_run(ctx, &c, 11, 0, &r), CLBB_OK, "%s", r.message);
    /* (fp32's absolute bound is not made for outputs of 1e5: only the kind) */
    cr_expect(r.ran && !r.overflow && !strstr(r.message, "overflow"), "fp32: %s", r.message);
    clbb_context_destroy(ctx);
}

/* The relative L2 error of a reference far below its op's output scale is
 * measured against the floor: the oclgrind case (5 ReLU outputs, one of
 * 2.5e-5, fp32 error 1e-8) passes; a real error at that scale, or any at
 * full scale, still fails. */
Test(ops, rel_l2_floor) {
    float ref[5] = {0, 2.5e-5f, 0, 0, 0}, y[5] = {0, 2.5e-5f + 1e-8f, 0, 0, 0};
    double mx;
    cr_expect_gt(check_rel_l2(y, ref, 5, 0, &mx), 1e-4, "unfloored: the spurious failure");
    cr_expect_lt(check_rel_l2(y, ref, 5, 0.1, &mx), 1e-7);
    y[1] = 1e-3f;
    cr_expect_gt(check_rel_l2(y, ref, 5, 0.1, &mx), 1e-3);
    float big[2] = {1, -2}, yb[2] = {1.001f, -2};
    cr_expect_gt(check_rel_l2(yb, big, 2, 0.1, &mx), 4e-4, "above the floor: plain relative L2");
    yb[0] = NAN;
    cr_expect(!(check_rel_l2(yb, big, 2, 0.1, &mx) <= 1) && isinf(mx), "NaN fails");
}

/* Each tuning text is refused at create by the algorithm and family given,
 * naming the problem. */
typedef struct refused {
    clbb_conv_algo algo;
    clbb_kernel_family family;
    const char *tuning, *needle;
} refused;

Test(ops, conv2d_tuning_refused) {
    clbb_context *ctx = test_context();
    static const refused rows[] = {
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=48", "power of two"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=32,FOO=1", "unknown name 'FOO'"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TN", "NAME=VALUE"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "WN=32", "WN"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TK=8,", "comma"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "KS=", "KS"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "KS=0", "KS"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=32,TM=64", "twice"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "VW=8", "unknown name 'VW'"},
        {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "KS=2", "unknown name 'KS'"},
        {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TM=48", "power of two"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=2", "VW"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=32", "VW"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=12", "power of two"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "MV=3", "MV"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "MV=8", "MV"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "NW=0", "NW"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "NW=32", "NW"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "RB=17", "RB"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "SB=0", "SB"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "MV=2x", "MV"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "MV=4,RB=2,NW=7", "registers"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "MV=2,RB=1,NW=15", "registers"},
        {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "TM=32", "unknown name 'TM'"},
        {CLBB_CONV_ALGO_DEPTHWISE, CLBB_KERNEL_FAMILY_GPU, "FOO=1", "unknown name 'FOO'"},
        {CLBB_CONV_ALGO_DEPTHWISE, CLBB_KERNEL_FAMILY_GPU, "OW_T=17", "OW_T"},
        {CLBB_CONV_ALGO_DEPTHWISE, CLBB_KERNEL_FAMILY_CPU, "VW=4", "VW"},
        {CLBB_CONV_ALGO_DIRECT, CLBB_KERNEL_FAMILY_AUTO, "FOO=1", "takes none"},
        {CLBB_CONV_ALGO_GEMM_CLBLAST, CLBB_KERNEL_FAMILY_AUTO, "TM=32", "takes none"},
    };
    float w[19 * 37 * 9] = {0};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(rows); i++) {
        const refused *r = &rows[i];
        const int dw = r->algo == CLBB_CONV_ALGO_DEPTHWISE;
        clbb_conv2d_desc d = {19, dw ? 19 : 37, dw ? 19 : 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.algo = r->algo;
        o.family = r->family;
        o.tuning = r->tuning;
        clbb_op *op = NULL;
        cr_expect_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_ERR_INVALID_ARGUMENT,
                     "%s '%s' accepted", clbb_conv_algo_name(r->algo), r->tuning);
        cr_expect(strstr(clbb_last_error(ctx), r->needle), "%s '%s': message '%s' lacks '%s'",
                  clbb_conv_algo_name(r->algo), r->tuning, clbb_last_error(ctx), r->needle);
        cr_expect_null(op);
        clbb_op_destroy(op);
    }
    /* a CPU tile wider than the output is refused at reshape */
    clbb_conv2d_desc d = {19, 37, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_IMPLICIT_GEMM;
    o.family = CLBB_KERNEL_FAMILY_CPU;
    o.tuning = "MV=1,RB=1,NW=12";
    clbb_op *op = NULL;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    clbb_shape in = {1, 19, 9, 11};
    cr_expect_eq(clbb_op_reshape(op, in, NULL), CLBB_ERR_INVALID_ARGUMENT,
                 "NW=12 accepted on an 11-wide output");
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}

/* clbb_conv2d_supports answers from the descriptors: what it accepts,
 * create accepts; what it refuses, create refuses the same way. */
Test(ops, conv2d_supports_matches_create) {
    clbb_context *ctx = test_context();
    static const clbb_conv2d_desc descs[] = {
        {8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* depthwise */
        {8, 8, 8, 11, 11, 1, 1, 1, 1, 5, 5, 5, 5},  /* depthwise beyond 81 taps */
        {16, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* 3x3 s1 */
        {16, 32, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* grouped strided */
        {16, 32, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},  /* 1x1 */
    };
    float w[32 * 16 * 11 * 11] = {0};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(descs); i++)
        for (int a = 0; a < CLBB_CONV_ALGO_COUNT; a++)
            for (int f = 0; f < 3; f++)
                for (int dt = 0; dt < CLBB_DTYPE_COUNT; dt++) {
                    clbb_conv2d_options o;
                    clbb_conv2d_options_init(&o);
                    o.algo = (clbb_conv_algo)a;
                    o.family = (clbb_kernel_family)f;
                    o.dtype = (clbb_dtype)dt;
                    clbb_conv_algo chosen = CLBB_CONV_ALGO_AUTO;
                    clbb_status s = clbb_conv2d_supports(ctx, &descs[i], &o, &chosen);
                    clbb_op *op = NULL;
                    clbb_status c = clbb_conv2d_create(ctx, &descs[i], w, NULL, NULL, &o, &op);
                    cr_expect_eq(s, c, "desc %zu %s/%s/%s: supports %s, create %s", i,
                                 clbb_conv_algo_name(o.algo), clbb_kernel_family_name(o.family),
                                 clbb_dtype_name(o.dtype), clbb_status_string(s),
                                 clbb_status_string(c));
                    cr_expect(s != CLBB_OK || (chosen != CLBB_CONV_ALGO_AUTO &&
                                               (a == 0 || chosen == (clbb_conv_algo)a)));
                    clbb_op_destroy(op);
                }
    /* the drift the old harness had: depthwise applied to an 11x11 kernel */
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_DEPTHWISE;
    cr_expect_eq(clbb_conv2d_supports(ctx, &descs[1], &o, NULL), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(clbb_last_error(ctx), "81 taps"), "%s", clbb_last_error(ctx));
    o.algo = CLBB_CONV_ALGO_GEMM_CLBLAST;
    o.dtype = CLBB_DTYPE_F16;
    cr_expect_eq(clbb_conv2d_supports(ctx, &descs[2], &o, NULL), CLBB_ERR_UNSUPPORTED);
    o.algo = CLBB_CONV_ALGO_WINOGRAD;
    o.dtype = CLBB_DTYPE_F32;
    o.family = CLBB_KERNEL_FAMILY_CPU;
    cr_expect_eq(clbb_conv2d_supports(ctx, &descs[2], &o, NULL), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(clbb_last_error(ctx), "no cpu kernel family"), "%s", clbb_last_error(ctx));
    /* a tuning text the family does not take: supports says what create says */
    o.family = CLBB_KERNEL_FAMILY_GPU;
    o.tuning = "VW=8";
    cr_expect_eq(clbb_conv2d_supports(ctx, &descs[2], &o, NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "unknown name 'VW'"), "%s", clbb_last_error(ctx));
    clbb_context_destroy(ctx);
}

/* options.output_add: only the implicit GEMM computes it (a forced other
 * algorithm is refused naming it, supports() says the same, AUTO resolves
 * to igemm); setup checks the add tensor's shape by name; and the term
 * lands where documented: a zero-weight 1x1 conv gives y = bias + add[n, co]
 * in both kernel families. */
Test(ops, conv2d_output_add) {
    clbb_context *ctx = test_context();
    float w[32 * 16 * 9] = {0};
    const clbb_conv2d_desc d3 = {16, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    static const clbb_conv_algo no_add[] = {CLBB_CONV_ALGO_DIRECT, CLBB_CONV_ALGO_WINOGRAD};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(no_add); i++) {
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.output_add = 1;
        o.algo = no_add[i];
        clbb_op *op = NULL;
        cr_expect_eq(clbb_conv2d_create(ctx, &d3, w, NULL, NULL, &o, &op), CLBB_ERR_UNSUPPORTED,
                     "%s with output_add accepted", clbb_conv_algo_name(o.algo));
        cr_expect(strstr(clbb_last_error(ctx), "output_add") != NULL, "%s", clbb_last_error(ctx));
        cr_expect_null(op);
        cr_expect_eq(clbb_conv2d_supports(ctx, &d3, &o, NULL), CLBB_ERR_UNSUPPORTED);
        cr_expect(strstr(clbb_last_error(ctx), "output_add") != NULL, "%s", clbb_last_error(ctx));
        o.output_add = 0; /* the refusal is the add's: without it the algorithm applies */
        cr_expect_eq(clbb_conv2d_supports(ctx, &d3, &o, NULL), CLBB_OK, "%s",
                     clbb_last_error(ctx));
    }
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    cr_expect_eq(o.output_add, 0);
    o.output_add = 1;
    for (int f = 0; f < 3; f++) {
        o.family = (clbb_kernel_family)f;
        clbb_conv_algo chosen = CLBB_CONV_ALGO_AUTO;
        cr_expect_eq(clbb_conv2d_supports(ctx, &d3, &o, &chosen), CLBB_OK, "%s",
                     clbb_last_error(ctx));
        cr_expect_eq(chosen, CLBB_CONV_ALGO_IMPLICIT_GEMM, "family %s: AUTO gave %s",
                     clbb_kernel_family_name(o.family), clbb_conv_algo_name(chosen));
    }
    /* depthwise geometries have no algorithm that adds */
    const clbb_conv2d_desc dw = {8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    o.family = CLBB_KERNEL_FAMILY_AUTO;
    cr_expect_eq(clbb_conv2d_supports(ctx, &dw, &o, NULL), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(clbb_last_error(ctx), "output_add") != NULL, "%s", clbb_last_error(ctx));
    /* deform_conv2d takes conv2d's options but not the add */
    clbb_deform_conv2d_desc dd = {{8, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 0};
    clbb_op *op = NULL;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &dd, w, NULL, NULL, &o, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "output_add") != NULL, "%s", clbb_last_error(ctx));
    cr_expect_null(op);

    /* setup order x, residual, add (no gate); y = bias + add + residual */
    const clbb_conv2d_desc d1 = {4, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    const float bias[3] = {0.5f, -1.0f, 2.0f};
    const clbb_shape xs = {2, 4, 3, 5}, ys = {2, 3, 3, 5}, as = {2, 3, 1, 1},
                     bad[] = {{2, 4, 1, 1}, {1, 3, 1, 1}, {2, 3, 3, 5}};
    float xh[2 * 4 * 3 * 5], rh[2 * 3 * 3 * 5], ah[6] = {1, 2, 3, -4, -5, -6}, yh[2 * 3 * 3 * 5];
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(xh); i++) xh[i] = (float)(i % 7) - 3.0f;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(rh); i++) rh[i] = 0.25f * (float)(i % 5);
    clbb_tensor *x, *r, *a, *y, *b[CLBB_ARRAY_SIZE(bad)];
    cr_assert_eq(clbb_tensor_create(ctx, xs, CLBB_DTYPE_F32, &x), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, ys, CLBB_DTYPE_F32, &r), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, as, CLBB_DTYPE_F32, &a), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, ys, CLBB_DTYPE_F32, &y), CLBB_OK);
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(bad); i++)
        cr_assert_eq(clbb_tensor_create(ctx, bad[i], CLBB_DTYPE_F32, &b[i]), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, x, xh, CLBB_ARRAY_SIZE(xh)), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, r, rh, CLBB_ARRAY_SIZE(rh)), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, a, ah, CLBB_ARRAY_SIZE(ah)), CLBB_OK);
    const clbb_epilogue e = {NULL, NULL, 1, CLBB_ACTIVATION_NONE};
    for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
        o.family = (clbb_kernel_family)f;
        o.algo = CLBB_CONV_ALGO_IMPLICIT_GEMM;
        cr_assert_eq(clbb_conv2d_create(ctx, &d1, w, bias, &e, &o, &op), CLBB_OK, "%s",
                     clbb_last_error(ctx));
        cr_assert_eq(clbb_op_reshape(op, xs, NULL), CLBB_OK, "%s", clbb_last_error(ctx));
        for (size_t i = 0; i < CLBB_ARRAY_SIZE(bad); i++) {
            const clbb_tensor *ins[3] = {x, r, b[i]};
            cr_expect_eq(clbb_op_setup(op, ins, 3, y), CLBB_ERR_SHAPE, "add %dx%dx%dx%d accepted",
                         bad[i].n, bad[i].c, bad[i].h, bad[i].w);
            cr_expect(strstr(clbb_last_error(ctx), "add is") != NULL, "%s", clbb_last_error(ctx));
        }
        const clbb_tensor *ins[3] = {x, r, a};
        cr_expect_eq(clbb_op_setup(op, ins, 2, y), CLBB_ERR_INVALID_ARGUMENT);
        cr_assert_eq(clbb_op_setup(op, ins, 3, y), CLBB_OK, "%s", clbb_last_error(ctx));
        cr_assert_eq(clbb_op_run(op), CLBB_OK, "%s", clbb_last_error(ctx));
        cr_assert_eq(clbb_tensor_read_f32(ctx, y, yh, CLBB_ARRAY_SIZE(yh)), CLBB_OK);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 15; p++) {
                    const size_t i = ((size_t)n * 3 + c) * 15 + p;
                    const float want = bias[c] + ah[n * 3 + c] + rh[i];
                    cr_expect_float_eq(yh[i], want, 1e-6f, "%s: y[%d, %d, %d] = %g, want %g",
                                       clbb_kernel_family_name(o.family), n, c, p, yh[i], want);
                }
        clbb_op_destroy(op);
        op = NULL;
    }
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(bad); i++) clbb_tensor_destroy(b[i]);
    clbb_tensor_destroy(x);
    clbb_tensor_destroy(r);
    clbb_tensor_destroy(a);
    clbb_tensor_destroy(y);
    clbb_context_destroy(ctx);
}

/* deform_conv2d's argument checks: each refusal names the argument. */
Test(ops, deform_conv2d_refusals) {
    clbb_context *ctx = test_context();
    float w[16 * 8 * 9];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = 0.01f * (float)(i % 7);
    clbb_deform_conv2d_desc d = {{8, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 3, 1};
    clbb_op *op = NULL;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "deform_groups") != NULL, "%s", clbb_last_error(ctx));
    d.deform_groups = 2;
    d.modulated = 0;
    d.mask_sigmoid = 1;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "mask_sigmoid") != NULL, "%s", clbb_last_error(ctx));
    d.modulated = 1;
    d.mask_sigmoid = 0;
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_DIRECT;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "algo") != NULL, "%s", clbb_last_error(ctx));
    clbb_conv2d_options_init(&o);
    o.input_gate = 1;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "input_gate") != NULL, "%s", clbb_last_error(ctx));
    clbb_conv2d_options_init(&o);
    o.family = CLBB_KERNEL_FAMILY_CPU;
    o.tuning = "TM=32";
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "TM") != NULL, "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, NULL, NULL, NULL, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "weights") != NULL, "%s", clbb_last_error(ctx));
    /* offset and mask shapes are checked at setup, by name */
    cr_assert_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    clbb_shape xs = {1, 8, 5, 6}, good_off = {1, 36, 5, 6}, bad_off = {1, 18, 5, 6},
               good_mask = {1, 18, 5, 6}, bad_mask = {1, 9, 5, 6}, ys = {1, 16, 5, 6};
    clbb_tensor *x, *off, *boff, *m, *bm, *y;
    cr_assert_eq(clbb_tensor_create(ctx, xs, CLBB_DTYPE_F32, &x), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, good_off, CLBB_DTYPE_F32, &off), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, bad_off, CLBB_DTYPE_F32, &boff), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, good_mask, CLBB_DTYPE_F32, &m), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, bad_mask, CLBB_DTYPE_F32, &bm), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, ys, CLBB_DTYPE_F32, &y), CLBB_OK);
    cr_assert_eq(clbb_op_reshape(op, xs, NULL), CLBB_OK, "%s", clbb_last_error(ctx));
    const clbb_tensor *bad1[3] = {x, boff, m}, *bad2[3] = {x, off, bm}, *ok[3] = {x, off, m};
    cr_expect_eq(clbb_op_setup(op, bad1, 3, y), CLBB_ERR_SHAPE);
    cr_expect(strstr(clbb_last_error(ctx), "offset") != NULL, "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_setup(op, bad2, 3, y), CLBB_ERR_SHAPE);
    cr_expect(strstr(clbb_last_error(ctx), "mask") != NULL, "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_setup(op, ok, 2, y), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_op_setup(op, ok, 3, y), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_run(op), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_op_destroy(op);
    clbb_tensor_destroy(x);
    clbb_tensor_destroy(off);
    clbb_tensor_destroy(boff);
    clbb_tensor_destroy(m);
    clbb_tensor_destroy(bm);
    clbb_tensor_destroy(y);
    clbb_context_destroy(ctx);
}

/* A norm's affine: a non-finite value is refused naming the channel, and
 * nothing is left behind (the sanitizer run checks the leak side). */
Test(ops, norm_affine_refusals) {
    clbb_context *ctx = test_context();
    float w[6] = {1, 1, 1, NAN, 1, 1}, b[6] = {0, 0, 0, 0, 0, INFINITY};
    clbb_op *op = NULL;
    cr_expect_eq(clbb_layer_norm_create(ctx, 6, w, NULL, 1e-5f, CLBB_ACTIVATION_RELU, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "layer_norm: channel 3") != NULL, "%s",
              clbb_last_error(ctx));
    cr_expect_null(op);
    cr_expect_eq(clbb_group_norm_create(ctx, 6, 2, NULL, b, 1e-5f, 0, CLBB_ACTIVATION_NONE, NULL,
                                        &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "group_norm: channel 5") != NULL, "%s",
              clbb_last_error(ctx));
    cr_expect_null(op);
    w[3] = 2;
    cr_expect_eq(clbb_layer_norm_create(ctx, 6, w, NULL, 1e-5f, CLBB_ACTIVATION_RELU, NULL, &op),
                 CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}

/* context_mlp names the array and index of a non-finite parameter, refuses
 * a context with spatial size, and leaves nothing behind. */
Test(ops, context_mlp_refusals) {
    clbb_context *ctx = test_context();
    float w0[6] = {1, 1, 1, 1, 1, 1}, b0[2] = {0, 0}, w1[6] = {1, 1, 1, 1, NAN, 1}, b1[3] = {0};
    clbb_op *op = NULL;
    cr_expect_eq(clbb_context_mlp_create(ctx, 3, 2, 3, w0, b0, NULL, NULL, 1e-5f, w1, b1,
                                         CLBB_ACTIVATION_NONE, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "w1[4] is not finite") != NULL, "%s",
              clbb_last_error(ctx));
    cr_expect_null(op);
    cr_expect_eq(clbb_context_mlp_create(ctx, 3, 2, 3, w0, NULL, NULL, NULL, 1e-5f, w1, b1,
                                         CLBB_ACTIVATION_NONE, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    w1[4] = 2;
    cr_assert_eq(clbb_context_mlp_create(ctx, 3, 2, 3, w0, b0, NULL, NULL, 1e-5f, w1, b1,
                                         CLBB_ACTIVATION_SIGMOID, NULL, &op),
                 CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_shape o;
    cr_expect_eq(clbb_op_reshape(op, (clbb_shape){1, 3, 2, 1}, &o), CLBB_ERR_SHAPE);
    cr_expect(strstr(clbb_last_error(ctx), "expected N x 3 x 1 x 1") != NULL, "%s",
              clbb_last_error(ctx));
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}

/* Per-precision tolerances: an op without a math mode runs the same
 * kernels at fp32, tf32x3 and tf32 (fp32's row); conv-like ops have rows of
 * their own. The math an op ran comes from its algorithm name. */
Test(ops, precision_tolerances_and_ran_math) {
    for (size_t i = 0; i < check_num_ops(); i++) {
        const check_op *op = check_op_at(i);
        const check_tolerance t32 = check_op_tolerance(op, CLBB_PRECISION_FP32);
        for (int p = CLBB_PRECISION_TF32X3; p <= CLBB_PRECISION_TF32; p++) {
            const check_tolerance t = check_op_tolerance(op, (clbb_precision)p);
            if (op->math)
                cr_expect(t.rel_l2 >= t32.rel_l2 && t.atol >= t32.atol && t.rel_l2 > 0, "%s %s",
                          op->name, clbb_precision_name((clbb_precision)p));
            else
                cr_expect(!memcmp(&t, &t32, sizeof t), "%s", op->name);
        }
    }
    cr_expect(check_op_named("conv2d")->math && check_op_named("deform_conv2d")->math);
    cr_expect_eq(check_ran_math("igemm_t64x64x16_w4x4"), CLBB_MATH_FP32);
    cr_expect_eq(check_ran_math("igemm_t64x64x16_w4x4_tf32"), CLBB_MATH_TF32);
    cr_expect_eq(check_ran_math("igemm_t64x64x16_w4x4_tf32x3_ks2"), CLBB_MATH_TF32X3);
    cr_expect_eq(check_ran_math("winograd_f2x2_3x3_fp16"), CLBB_MATH_FP16);
    cr_expect_eq(check_ran_math("x_tf32y"), CLBB_MATH_FP32);
}

/* ghost_module and se_gate refuse bad geometry and name a non-finite
 * parameter with its index; a wrong input width is a shape error. */
Test(ops, ghost_module_and_se_gate_refusals) {
    clbb_context *ctx = test_context();
    float wp[6] = {1, 1, 1, 1, 1, 1}, wc[18] = {0}, sh[2] = {0, INFINITY};
    const clbb_ghost_module_desc even = {3, 2, 2, 1, 2}, cut = {3, 2, 5, 2, 3};
    const clbb_ghost_module_desc ok = {3, 2, 2, 1, 3};
    clbb_op *op = NULL;
    cr_expect_eq(clbb_ghost_module_create(ctx, &even, wp, NULL, NULL, wc, NULL, NULL,
                                          CLBB_ACTIVATION_RELU, 0, 0, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_ghost_module_create(ctx, &cut, wp, NULL, NULL, wc, NULL, NULL,
                                          CLBB_ACTIVATION_RELU, 0, 0, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT, "5 cheap channels from 2 primaries x 2");
    cr_expect_eq(clbb_ghost_module_create(ctx, &ok, wp, NULL, sh, wc, NULL, NULL,
                                          CLBB_ACTIVATION_RELU, 0, 0, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "primary_shift[1] is not finite") != NULL, "%s",
              clbb_last_error(ctx));
    cr_expect_eq(clbb_ghost_module_create(ctx, NULL, wp, NULL, NULL, wc, NULL, NULL,
                                          CLBB_ACTIVATION_RELU, 0, 0, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_null(op);
    cr_assert_eq(clbb_ghost_module_create(ctx, &ok, wp, NULL, NULL, wc, NULL, NULL,
                                          CLBB_ACTIVATION_RELU, 1, 1, NULL, &op),
                 CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_shape o;
    cr_expect_eq(clbb_op_reshape(op, (clbb_shape){1, 4, 5, 5}, &o), CLBB_ERR_SHAPE);
    cr_expect_eq(clbb_op_reshape(op, (clbb_shape){2, 3, 5, 6}, &o), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    cr_expect(o.n == 2 && o.c == 4 && o.h == 5 && o.w == 6);
    clbb_op_destroy(op);
    op = NULL;
    float w0[6] = {1, 1, 1, 1, 1, 1}, b0[2] = {0, 0}, w1[6] = {1, 1, NAN, 1, 1, 1}, b1[3] = {0};
    cr_expect_eq(clbb_se_gate_create(ctx, 3, 2, w0, b0, w1, b1, CLBB_ACTIVATION_HARD_SIGMOID,
                                     NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "w1[2] is not finite") != NULL, "%s",
              clbb_last_error(ctx));
    cr_expect_eq(clbb_se_gate_create(ctx, 0, 2, w0, b0, w1, b1, CLBB_ACTIVATION_NONE, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_se_gate_create(ctx, 3, 2, w0, NULL, w1, b1, CLBB_ACTIVATION_NONE, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_null(op);
    w1[2] = 1;
    cr_assert_eq(clbb_se_gate_create(ctx, 3, 2, w0, b0, w1, b1, CLBB_ACTIVATION_NONE, NULL, &op),
                 CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_reshape(op, (clbb_shape){1, 2, 4, 4}, &o), CLBB_ERR_SHAPE);
    cr_expect_eq(clbb_op_reshape(op, (clbb_shape){1, 3, 4, 4}, &o), CLBB_OK);
    cr_expect(o.c == 3 && o.h == 1 && o.w == 1);
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}

/* fp16 on PoCL: a float input converted into half (every fp16 forward from
 * float data) takes copy_dense, 8 elements a work-item (issue 11); a source
 * channel view (offset, batch stride of the parent) and an image span not a
 * multiple of 8 (2 x 3x5x7: 105 = 13 vectors + 1) cover its indexing and its
 * tail. Each element must be the input rounded to half: within 2^-11 relative
 * (normal range) of it. */
Test(ops, copy_f32_to_f16_dense) {
    clbb_context *ctx = test_context();
    const clbb_shape parent = {2, 5, 5, 7}, s = {2, 3, 5, 7};
    const size_t np = clbb_shape_numel(parent), n = clbb_shape_numel(s);
    float *h = malloc(np * sizeof *h), *out = malloc(n * sizeof *out);
    cr_assert(h && out);
    for (size_t i = 0; i < np; i++) h[i] = (float)((int)(i * 37 % 201) - 100) / 64.0f + 0.001f;
    clbb_tensor *src = NULL, *view = NULL, *dst = NULL;
    cr_assert_eq(clbb_tensor_create(ctx, parent, CLBB_DTYPE_F32, &src), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, src, h, np), CLBB_OK);
    cr_assert_eq(clbb_tensor_view_channels(ctx, src, 1, 3, &view), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F16, &dst), CLBB_OK);
    cr_assert_eq(clbb_tensor_copy(ctx, view, dst), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_read_f32(ctx, dst, out, n), CLBB_OK);
    size_t bad = 0;
    for (int b = 0; b < s.n; b++)
        for (int i = 0; i < s.c * s.h * s.w; i++) {
            const float want = h[(size_t)b * 5 * 35 + 35 + i], got = out[(size_t)b * 105 + i];
            if (!(fabsf(got - want) <= fabsf(want) * 0x1p-11f)) bad++;
        }
    cr_expect_eq(bad, 0, "%zu of %zu elements are not the input rounded to half", bad, n);
    clbb_tensor_destroy(dst);
    clbb_tensor_destroy(view);
    clbb_tensor_destroy(src);
    free(h);
    free(out);
    clbb_context_destroy(ctx);
}
