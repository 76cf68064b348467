/* Conformance of every op on the default device (CLBB_DEVICE selects
 * another): the harness case tables, each case against the C reference. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "test_util.h"

static void run_family(clbb_check_op op) {
    clbb_context *ctx = test_context();
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

/* Explicit tile tunings of the GEMM-based convolutions ("TM=..,TN=..,..."):
 * each must build, report its tile, and match the double reference. The
 * tiles reach the kernel paths the per-device defaults do not: fewer
 * work-items than tile columns (several B columns per item), 2- and 1-wide
 * local vectors, A and B slices smaller than the work-group, TM = 4, and
 * igemm's split-K (KS, which GPUs pick by themselves for small grids). */
typedef struct tuned_geom {
    int n, cin, h, w, cout, k, s, pt, pl, pb, pr, g;
} tuned_geom;

static double run_tuned(clbb_context *ctx, const tuned_geom *tg, clbb_conv_algo algo,
                        const char *tuning, char *algorithm, size_t algorithm_size) {
    clbb_conv2d_desc d = {tg->cin, tg->cout, tg->g, tg->k, tg->k, tg->s, tg->s, 1, 1,
                          tg->pt, tg->pl, tg->pb, tg->pr};
    clbb_shape in = {tg->n, tg->cin, tg->h, tg->w}, out;
    char msg[256];
    cr_assert_eq(clbb_conv2d_output_shape(&d, in, &out, msg, sizeof msg), CLBB_OK, "%s", msg);
    size_t nw = (size_t)tg->cout * (tg->cin / tg->g) * tg->k * tg->k;
    size_t nx = clbb_shape_numel(in), ny = clbb_shape_numel(out), ng = (size_t)tg->n * tg->cin;
    float *w = malloc(nw * sizeof *w), *x = malloc(nx * sizeof *x), *res = malloc(ny * sizeof *res);
    float *gate = malloc(ng * sizeof *gate), *bias = malloc(tg->cout * sizeof *bias);
    float *y = malloc(ny * sizeof *y), *ref = malloc(ny * sizeof *ref);
    cr_assert(w && x && res && gate && bias && y && ref);
    uint64_t st = 12345;
    clbb_check_fill(w, nw, &st, -0.3f, 0.3f);
    clbb_check_fill(x, nx, &st, -1, 1);
    clbb_check_fill(res, ny, &st, -1, 1);
    clbb_check_fill(gate, ng, &st, 0, 1);
    clbb_check_fill(bias, tg->cout, &st, -0.5f, 0.5f);
    clbb_epilogue e = {NULL, NULL, 1, CLBB_ACTIVATION_RELU};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = algo;
    o.tuning = tuning;
    o.input_gate = 1;
    clbb_op *op = NULL;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, bias, &e, &o, &op), CLBB_OK, "%s: %s", tuning,
                 clbb_last_error(ctx));
    clbb_shape got;
    cr_assert_eq(clbb_op_reshape(op, in, &got), CLBB_OK, "%s: %s", tuning, clbb_last_error(ctx));
    clbb_op_info info;
    clbb_op_get_info(op, &info);
    snprintf(algorithm, algorithm_size, "%s", info.algorithm);
    clbb_tensor *tx, *tr, *tgt, *ty;
    clbb_shape gs = {tg->n, tg->cin, 1, 1};
    cr_assert_eq(clbb_tensor_create(ctx, in, &tx), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, out, &tr), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, gs, &tgt), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, out, &ty), CLBB_OK);
    cr_assert_eq(clbb_tensor_write(ctx, tx, x, nx), CLBB_OK);
    cr_assert_eq(clbb_tensor_write(ctx, tr, res, ny), CLBB_OK);
    cr_assert_eq(clbb_tensor_write(ctx, tgt, gate, ng), CLBB_OK);
    const clbb_tensor *ins[3] = {tx, tr, tgt};
    cr_assert_eq(clbb_op_setup(op, ins, 3, ty), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_run(op), CLBB_OK, "%s: %s", tuning, clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_read(ctx, ty, y, ny), CLBB_OK);
    clbb_ref_conv2d(&d, in, x, w, bias, &e, res, gate, ref);
    double rel = clbb_check_rel_l2(y, ref, ny, NULL);
    clbb_op_destroy(op);
    clbb_tensor_destroy(tx);
    clbb_tensor_destroy(tr);
    clbb_tensor_destroy(tgt);
    clbb_tensor_destroy(ty);
    free(w); free(x); free(res); free(gate); free(bias); free(y); free(ref);
    return rel;
}

/* Each tuning text is refused at create by igemm and by winograd (which
 * share the parser) on a 3x3 conv of geometry g. */
static void expect_refused(clbb_context *ctx, const tuned_geom *g, const char *const *bad,
                           size_t nbad) {
    static const clbb_conv_algo algos[] = {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_CONV_ALGO_WINOGRAD};
    clbb_conv2d_desc d = {g->cin, g->cout, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *w = calloc((size_t)g->cout * g->cin * 9, sizeof *w);
    for (size_t i = 0; i < nbad; i++)
        for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
            clbb_conv2d_options o;
            clbb_conv2d_options_init(&o);
            o.algo = algos[a];
            o.tuning = bad[i];
            clbb_op *op = NULL;
            cr_expect_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op),
                         CLBB_ERR_INVALID_ARGUMENT, "tuning '%s' accepted", bad[i]);
            clbb_op_destroy(op);
        }
    free(w);
}

/* A tuning text and the algorithm name it must produce: that name starts
 * with `algorithm`. */
typedef struct tuning_case {
    const char *tuning, *algorithm;
} tuning_case;

/* Runs every geometry with every tuning through `algo`; checks the chosen
 * variant and the error (<= 1e-5). Returns the number of runs. */
static int run_grid(clbb_context *ctx, clbb_conv_algo algo, const tuned_geom *geoms, size_t ng,
                    const tuning_case *tunings, size_t nt) {
    int ran = 0;
    for (size_t gi = 0; gi < ng; gi++)
        for (size_t t = 0; t < nt; t++) {
            char algorithm[96];
            double rel = run_tuned(ctx, &geoms[gi], algo, tunings[t].tuning, algorithm,
                                   sizeof algorithm);
            cr_expect(strstr(algorithm, tunings[t].algorithm) == algorithm, "%s: got %s",
                      tunings[t].tuning, algorithm);
            cr_expect(rel <= 1e-5, "%s geometry %zu %s: rel_l2 %.3g", algorithm, gi,
                      tunings[t].tuning, rel);
            ran++;
        }
    return ran;
}

Test(ops, conv2d_tuning, .timeout = 600) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    static const tuned_geom geoms[] = {
        {2, 19, 9, 11, 37, 3, 1, 1, 1, 1, 1, 1}, /* 3x3 s1: igemm and winograd */
        {1, 24, 10, 9, 20, 3, 2, 0, 1, 1, 0, 4}, /* grouped, strided, asymmetric pads */
        {2, 33, 7, 5, 70, 1, 1, 0, 0, 0, 0, 1},  /* 1x1, no padding */
    };
    static const struct {
        const char *tuning, *tile;
    } tunings[] = {
        {"TM=32,TN=32,TK=8,WM=4,WN=4", "t32x32x8_w4x4"},
        {"TM=32,TN=128,TK=16,WM=8,WN=8", "t32x128x16_w8x8"},
        {"TM=16,TN=16,TK=4,WM=2,WN=1", "t16x16x4_w2x1"},
        {"TM=128,TN=64,TK=16,WM=8,WN=4", "t128x64x16_w8x4"},
        {"TM=4,TN=64,TK=32,WM=1,WN=2", "t4x64x32_w1x2"},
        {"TM=64,TN=8,TK=8,WM=16,WN=4", "t64x8x8_w16x4"},
        {"TN=16,TK=4", "x16x4_"},
        {"TM=32,TN=32,TK=8,WM=4,WN=4,KS=3", "t32x32x8_w4x4_ks3"}, /* igemm only */
    };
    static const clbb_conv_algo algos[] = {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_CONV_ALGO_WINOGRAD};
    int ran = 0;
    for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++)
        for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
            const tuned_geom *g = &geoms[gi];
            if (algos[a] == CLBB_CONV_ALGO_WINOGRAD && (g->k != 3 || g->s != 1 || g->g != 1))
                continue;
            for (size_t t = 0; t < sizeof tunings / sizeof tunings[0]; t++) {
                if (algos[a] == CLBB_CONV_ALGO_WINOGRAD && strstr(tunings[t].tuning, "KS="))
                    continue;
                char algorithm[96];
                double rel = run_tuned(ctx, g, algos[a], tunings[t].tuning, algorithm,
                                       sizeof algorithm);
                cr_expect(strstr(algorithm, tunings[t].tile) != NULL, "%s: got tile %s",
                          tunings[t].tuning, algorithm);
                cr_expect(rel <= 1e-5, "%s geometry %zu %s: rel_l2 %.3g", algorithm, gi,
                          tunings[t].tuning, rel);
                ran++;
            }
        }
    cr_expect_eq(ran, 31);

    /* malformed or unknown tunings are refused at create */
    static const char *const bad[] = {"TM=48", "TM=32,FOO=1", "TN", "WN=32", "TK=8,", "KS=",
                                      "KS=0"};
    expect_refused(ctx, &geoms[0], bad, sizeof bad / sizeof bad[0]);
    const tuned_geom *g = &geoms[0];
    clbb_conv2d_desc d = {g->cin, g->cout, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *w = calloc((size_t)g->cout * g->cin * 9, sizeof *w);
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_WINOGRAD;
    o.tuning = "KS=2";
    clbb_op *op = NULL;
    cr_expect_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_ERR_INVALID_ARGUMENT,
                 "winograd accepted a split-K tuning");
    clbb_op_destroy(op);
    free(w);
    clbb_context_destroy(ctx);
}

/* The CPU micro-kernel of igemm (cl/conv2d_igemm_cpu.cl) and its tuning
 * switches: CPU=1 forces it on any device, CPU=0 (or any GPU tile name)
 * forces the local-memory kernel; VW/MV/RB/NW pick the register tile, SB
 * the super-block of the work-item order. The explicit tiles reach what
 * the defaults of ResNet shapes do not: float4 and float8 vectors, 4 and 1
 * vectors per item, several rows per item on an odd number of rows (the
 * last block moved back over its neighbour), several columns per item on
 * a width they do not divide, a partial last super-block, grouped and
 * strided convs with asymmetric padding; every one with residual, SE gate
 * and ReLU. Out-of-range values and register-hungry tiles are refused at
 * create, also by winograd (which shares the parser). */
Test(ops, conv2d_cpu_tuning, .timeout = 600) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    clbb_device_info dev;
    cr_assert_eq(clbb_context_device_info(ctx, &dev), CLBB_OK);
    static const tuned_geom geoms[] = {
        {2, 19, 9, 11, 37, 3, 1, 1, 1, 1, 1, 1}, /* 3x3 s1, out 9x11 */
        {1, 24, 10, 9, 20, 3, 2, 0, 1, 1, 0, 4}, /* grouped (M 5), strided, asymmetric, out 5x4 */
        {2, 33, 7, 5, 70, 1, 1, 0, 0, 0, 0, 1},  /* 1x1, out 7x5 */
        {1, 32, 7, 7, 24, 3, 1, 1, 1, 1, 1, 8},  /* grouped M 3, out 7x7 */
    };
    static const tuning_case tunings[] = {
        {"CPU=1", "igemm_cpu_v"},
        {"CPU=1,VW=4,MV=4,RB=1,NW=4", "igemm_cpu_v4x4_p1x4"},
        {"CPU=1,VW=8,MV=1,RB=3,NW=3,SB=5", "igemm_cpu_v8x1_p3x3"},
        {"CPU=1,VW=16,MV=2,RB=2,NW=2,SB=1", "igemm_cpu_v16x2_p2x2"},
        {"CPU=1,VW=16,MV=1,RB=4,NW=1", "igemm_cpu_v16x1_p4x1"},
        {"CPU=0", "igemm_t"},
        {"CPU=0,TM=32,TN=32,TK=8,WM=4,WN=4", "igemm_t32x32x8_w4x4"},
    };
    cr_expect_eq(run_grid(ctx, CLBB_CONV_ALGO_IMPLICIT_GEMM, geoms, sizeof geoms / sizeof geoms[0],
                          tunings, sizeof tunings / sizeof tunings[0]),
                 28);

    /* no tuning: the CPU kernel exactly on CPU devices */
    char algorithm[96];
    double rel = run_tuned(ctx, &geoms[0], CLBB_CONV_ALGO_IMPLICIT_GEMM, NULL, algorithm,
                           sizeof algorithm);
    cr_expect(rel <= 1e-5, "%s: rel_l2 %.3g", algorithm, rel);
    cr_expect_eq(strncmp(algorithm, "igemm_cpu_", 10) == 0, dev.is_cpu != 0, "%s on %s",
                 algorithm, dev.device_name);

    static const char *const bad[] = {"CPU=2",       "VW=2",  "VW=32", "VW=12",
                                      "MV=3",        "MV=8",  "NW=0",  "NW=32",
                                      "RB=17",       "SB=0",  "CPU=",  "MV=2x",
                                      "MV=4,RB=2,NW=7", "MV=2,RB=1,NW=15"};
    expect_refused(ctx, &geoms[0], bad, sizeof bad / sizeof bad[0]);
    const tuned_geom *g = &geoms[0];
    clbb_conv2d_desc d = {g->cin, g->cout, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *w = calloc((size_t)g->cout * g->cin * 9, sizeof *w);
    /* a tile wider or taller than the output is refused at reshape */
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_IMPLICIT_GEMM;
    o.tuning = "CPU=1,MV=1,RB=1,NW=12";
    clbb_op *op = NULL;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    clbb_shape in = {1, g->cin, g->h, g->w}, out;
    cr_expect_eq(clbb_op_reshape(op, in, &out), CLBB_ERR_INVALID_ARGUMENT,
                 "NW=12 accepted on an 11-wide output");
    clbb_op_destroy(op);
    free(w);
    clbb_context_destroy(ctx);
}

/* Both depthwise kernels on any device: the GPU-shaped one (CPU=0) and the
 * CPU one (CPU=1; VW 8 or 16), which the defaults pick only on CPUs. The
 * geometries reach its paths: rows in steps of 4 vectors with the last
 * moved back (widths 33, 57, 70), rows narrower than a vector (7), stride 2
 * (the even-lane load) and stride 3 (gathered lanes), asymmetric pads, a
 * 1x1 depthwise; all with residual, SE gate and ReLU. */
Test(ops, conv2d_depthwise_variants, .timeout = 600) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    static const tuned_geom geoms[] = {
        {2, 24, 13, 33, 24, 3, 1, 1, 1, 1, 1, 24},
        {1, 16, 15, 113, 16, 5, 2, 2, 2, 2, 2, 16},
        {1, 8, 9, 7, 8, 3, 1, 1, 1, 1, 1, 8},
        {1, 8, 12, 40, 8, 3, 3, 0, 1, 1, 0, 8},
        {1, 8, 6, 70, 8, 1, 1, 0, 0, 0, 0, 8},
    };
    static const tuning_case tunings[] = {
        {"CPU=0", "depthwise_k"},
        {"CPU=1", "depthwise_cpu_"},
        {"CPU=1,VW=16", "depthwise_cpu_"},
    };
    cr_expect_eq(run_grid(ctx, CLBB_CONV_ALGO_DEPTHWISE, geoms, sizeof geoms / sizeof geoms[0],
                          tunings, sizeof tunings / sizeof tunings[0]),
                 15);
    /* a vector width the CPU kernel does not have is refused at reshape */
    clbb_conv2d_desc d = {8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float w[8 * 9] = {0};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_DEPTHWISE;
    o.tuning = "CPU=1,VW=4";
    clbb_op *op = NULL;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_OK);
    clbb_shape in = {1, 8, 9, 9}, out;
    cr_expect_eq(clbb_op_reshape(op, in, &out), CLBB_ERR_INVALID_ARGUMENT);
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}
