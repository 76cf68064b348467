/* Conformance harness: one case table per op, run on a device against the
 * plain-C reference. The same tables drive the Criterion tests, `clbb check`
 * and the op benchmarks (dav1d's checkasm, for OpenCL). */
#ifndef CLBB_CHECK_H
#define CLBB_CHECK_H

#include <stdint.h>

#include "clbb.h"

typedef enum clbb_check_op {
    CLBB_CHECK_CONV2D = 0,
    CLBB_CHECK_BATCH_NORM,
    CLBB_CHECK_GROUP_NORM,
    CLBB_CHECK_ADD,
    CLBB_CHECK_MUL,
    CLBB_CHECK_MAX_POOL2D,
    CLBB_CHECK_AVG_POOL2D,
    CLBB_CHECK_GLOBAL_AVG_POOL,
    CLBB_CHECK_OP_COUNT,
} clbb_check_op;

typedef struct clbb_check_case {
    char name[80];
    clbb_check_op op;
    clbb_shape in;
    int quick;  /* member of the --quick subset */
    int views;  /* input and output are channel views of larger tensors */
    clbb_activation act;
    int residual;
    /* conv2d */
    clbb_conv2d_desc conv;
    clbb_conv_algo algo;
    int bias, scale, gate;
    /* pools */
    clbb_pool2d_desc pool;
    /* group_norm */
    int groups;
} clbb_check_case;

typedef struct clbb_check_result {
    int ran;            /* 0: skipped (algorithm not applicable) */
    int pass;
    double rel_l2;      /* ||y - ref|| / ||ref|| */
    double max_abs;
    double tolerance;
    size_t nonfinite;   /* NaN/Inf in the output (poison left = unwritten) */
    size_t unwritten;
    size_t guard_damage;/* guard / neighbour floats changed */
    double median_ms;   /* bench only */
    double flops, bytes;
    char algorithm[96];
    char message[512];
} clbb_check_result;

/* Name of an op family ("conv2d", ...). */
const char *clbb_check_op_name(clbb_check_op op);

/* Fills the case table of an op family (quick: only the quick subset).
 * Returns the number of cases; *cases is malloc'ed (caller frees). */
size_t clbb_check_cases(clbb_check_op op, int quick, clbb_check_case **cases);

/* Work of a case (multiply-adds for conv, elements otherwise), to pick
 * cases small enough for slow devices such as oclgrind's simulator. */
double clbb_check_case_work(const clbb_check_case *c);

/* Relative L2 tolerance of an op family (and algorithm for conv). */
double clbb_check_tolerance(const clbb_check_case *c);

/* Runs one case: seeded random inputs, guard bands, poisoned outputs, then
 * NaN/Inf, unwritten and guard checks and relative L2 error vs reference.
 * With bench_iters > 0 also times the op (median of profiling events;
 * the context needs profiling). Returns a status for harness failures
 * (device errors); a wrong result is result->pass == 0. */
clbb_status clbb_check_run(clbb_context *ctx, const clbb_check_case *c, uint64_t seed,
                           int bench_iters, clbb_check_result *result);

/* Seed from CLBB_SEED, else from the clock; printed by callers. */
uint64_t clbb_check_seed(void);

/* Deterministic uniform floats in [lo, hi). */
void clbb_check_fill(float *x, size_t n, uint64_t *state, float lo, float hi);

/* Relative L2 error and max abs diff. */
double clbb_check_rel_l2(const float *y, const float *ref, size_t n, double *max_abs);

#endif
