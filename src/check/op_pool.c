/* Conformance cases of max_pool2d, avg_pool2d (ResNet's stem pool and
 * ResNetV1d's avg_down, ceil mode, padding counted or not) and
 * global_avg_pool (the element-wise shapes). */
#include <stdio.h>

#include "check.h"
#include "op_elt_shapes.h"

typedef struct pool_params {
    clbb_pool2d_desc pool;
} pool_params;

typedef struct pool_geom {
    const char *name;
    int n, c, h, w, k, s, p, ceil, count_pad, quick;
} pool_geom;

static const pool_geom POOLS[] = {
    {"r50_maxpool_k3s2p1", 2, 8, 16, 16, 3, 2, 1, 0, 1, 1},
    {"maxpool_odd", 1, 5, 33, 47, 3, 2, 1, 0, 1, 1},
    {"maxpool_ceil", 1, 3, 7, 9, 3, 2, 0, 1, 1, 0},
    {"maxpool_ceil_pad", 1, 3, 8, 10, 3, 2, 1, 1, 1, 0},
    {"maxpool_k2s2", 3, 4, 7, 5, 2, 2, 0, 0, 1, 0},
    {"avgdown_k2s2_ceil", 2, 6, 7, 9, 2, 2, 0, 1, 0, 1},
    {"avgdown_k1s1", 1, 6, 5, 5, 1, 1, 0, 1, 0, 0},
    {"avg_pad_count", 1, 4, 7, 7, 3, 2, 1, 0, 1, 1},
    {"avg_pad_nocount", 1, 4, 7, 7, 3, 2, 1, 0, 0, 0},
    {"avg_ceil_pad_count", 2, 3, 8, 6, 3, 2, 1, 1, 1, 0},
    {"avg_k3s1", 1, 5, 9, 11, 3, 1, 1, 0, 0, 0},
};

extern const check_op clbb__check_max_pool2d, clbb__check_avg_pool2d, clbb__check_global_avg_pool;

static void pool_cases(case_list *l, int quick, clbb_dtype dtype, const check_op *op) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(POOLS); i++) {
        const pool_geom *g = &POOLS[i];
        if (quick && !g->quick) continue;
        check_case *c = check_push(l, op, dtype);
        if (!c) return;
        c->quick = g->quick;
        c->views = (int)(i % 2);
        c->in = (clbb_shape){g->n, g->c, g->h, g->w};
        CHECK_PARAMS(c, pool_params)->pool =
            (clbb_pool2d_desc){g->k, g->k, g->s, g->s, g->p, g->p, g->ceil, g->count_pad};
        snprintf(c->name, sizeof c->name, "%s", g->name);
    }
}

static void max_cases(case_list *l, int quick, clbb_dtype dtype) {
    pool_cases(l, quick, dtype, &clbb__check_max_pool2d);
}
static void avg_cases(case_list *l, int quick, clbb_dtype dtype) {
    pool_cases(l, quick, dtype, &clbb__check_avg_pool2d);
}

static void gap_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < ELT_NUM_GEOMS; i++) {
        const elt_geom *g = &ELT_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            check_case *c = check_push(l, &clbb__check_global_avg_pool, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

static clbb_status pool_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    return clbb_pool2d_output_shape(&CHECK_PARAMS(c, pool_params)->pool, c->in, o, msg, ms);
}

static clbb_status gap_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = c->in;
    o->h = o->w = 1;
    return CLBB_OK;
}

static clbb_status pool_data(const check_case *c, uint64_t *rng, check_data *d) {
    d->num_inputs = 1;
    d->shape[0] = c->in;
    /* A plane mean of U(-1, 1) data is ~0: its relative error measures the
     * cancellation, not the kernel (a 1.4e-6 flake under oclgrind, with
     * 1.4e-9 absolute). Averages get data of mean 0.5, signs mixed. */
    const int mean = c->op != &clbb__check_max_pool2d;
    d->in[0] = check_rand(clbb_shape_numel(c->in), rng, mean ? -0.5f : -1, mean ? 1.5f : 1);
    return d->in[0] ? CLBB_OK : CLBB_ERR_OUT_OF_MEMORY;
}

static clbb_status max_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_max_pool2d_create(ctx, &CHECK_PARAMS(c, pool_params)->pool, &o, op);
}

static clbb_status avg_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_avg_pool2d_create(ctx, &CHECK_PARAMS(c, pool_params)->pool, &o, op);
}

static clbb_status gap_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_global_avg_pool_create(ctx, &o, op);
}

static void max_reference(const check_case *c, check_data *d) {
    clbb_ref_max_pool2d(&CHECK_PARAMS(c, pool_params)->pool, c->in, d->in[0], d->ref);
}
static void avg_reference(const check_case *c, check_data *d) {
    clbb_ref_avg_pool2d(&CHECK_PARAMS(c, pool_params)->pool, c->in, d->in[0], d->ref);
}
static void gap_reference(const check_case *c, check_data *d) {
    clbb_ref_global_avg_pool(c->in, d->in[0], d->ref);
}

/* max is a selection: exact in any dtype. avg: float sums of up to 9 terms
 * (2e-7 relative); the global mean sums a whole plane in a tree. F16: the
 * output's rounding. */
const check_op clbb__check_max_pool2d = {
    .name = "max_pool2d",
    .cases = max_cases,
    .out_shape = pool_out_shape,
    .make_data = pool_data,
    .create = max_create,
    .reference = max_reference,
    .tol = {[CLBB_PRECISION_FP32] = {0, 0, 0}, [CLBB_PRECISION_FP16] = {0, 0, 0}},
};

const check_op clbb__check_avg_pool2d = {
    .name = "avg_pool2d",
    .cases = avg_cases,
    .out_shape = pool_out_shape,
    .make_data = pool_data,
    .create = avg_create,
    .reference = avg_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-6, 1e-6, 1e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-6, 1e-3}},
};

const check_op clbb__check_global_avg_pool = {
    .name = "global_avg_pool",
    .cases = gap_cases,
    .out_shape = gap_out_shape,
    .make_data = pool_data,
    .create = gap_create,
    .reference = gap_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-6, 1e-6, 1e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-6, 1e-3}},
};
