/* Conformance cases of softmax, both kernel families: rows shorter and
 * longer than a work-group and than a float8, odd sizes, a batch of heads,
 * rows read through a permuted view (the softmax of a column), channel
 * views, in place, and the plugins' real shapes (ContextBlock's N x 1 x 1
 * x HW, NonLocal2d's HW x HW scores, GeneralizedAttention's heads). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

typedef struct sm_params {
    float scale;
    int perm; /* the op reads the {0, 1, 3, 2} permutation of c->in */
} sm_params;

typedef struct sm_geom {
    const char *name;
    int n, c, h, w;
    float scale;
    int perm, views, inplace, quick;
} sm_geom;

static const sm_geom SM_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1.0f, 0, 0, 0, 1},
    {"odd", 2, 3, 5, 7, 1.0f, 0, 0, 0, 1},
    {"vec_edge", 1, 2, 3, 9, 2.0f, 0, 0, 1, 1},
    {"row_257", 1, 1, 3, 257, 0.5f, 0, 1, 0, 0},
    {"column", 2, 2, 37, 50, 1.0f, 1, 0, 0, 1},
    {"column_odd", 1, 3, 300, 7, -1.5f, 1, 0, 0, 0},
    {"heads_batch", 2, 8, 33, 65, 0.1767767f, 0, 0, 1, 0},
    {"gc_c4_hw", 2, 1, 1, 4200, 1.0f, 0, 0, 1, 0},
    /* score rows of 800 x 1344's c4 (4200 keys, 1050 at kv stride 2), fewer of them */
    {"nl_c4_scores", 1, 1, 64, 4200, 0.0441942f, 0, 0, 1, 0},
    {"ga_c4_heads", 1, 8, 64, 1050, 0.1767767f, 0, 0, 0, 0},
};

extern const check_op clbb__check_softmax;

static void sm_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(SM_GEOMS); i++) {
        const sm_geom *g = &SM_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
            check_case *c = check_push(l, &clbb__check_softmax, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->family = (clbb_kernel_family)f;
            c->views = g->views;
            c->inplace = g->inplace;
            CHECK_PARAMS(c, sm_params)->scale = g->scale;
            CHECK_PARAMS(c, sm_params)->perm = g->perm;
            snprintf(c->name, sizeof c->name, "%s%s%s/%s", g->name, g->views ? "/view" : "",
                     g->inplace ? "/inplace" : "", clbb_kernel_family_name((clbb_kernel_family)f));
        }
    }
}

static const int PERM_T[4] = {0, 1, 3, 2};

/* c->in is the dense parent; the op sees its permutation when perm */
static clbb_status sm_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = c->in;
    if (CHECK_PARAMS(c, sm_params)->perm) {
        o->h = c->in.w;
        o->w = c->in.h;
    }
    return CLBB_OK;
}

static clbb_status sm_data(const check_case *c, uint64_t *rng, check_data *d) {
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (CHECK_PARAMS(c, sm_params)->perm) {
        d->permuted[0] = 1;
        for (int i = 0; i < 4; i++) d->perm[i] = PERM_T[i];
    }
    d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -4, 4);
    return d->in[0] ? CLBB_OK : CLBB_ERR_OUT_OF_MEMORY;
}

static clbb_status sm_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_softmax_create(ctx, CHECK_PARAMS(c, sm_params)->scale, &o, op);
}

static void sm_reference(const check_case *c, check_data *d) {
    const sm_params *p = CHECK_PARAMS(c, sm_params);
    if (!p->perm) {
        clbb_ref_softmax(c->in, p->scale, d->in[0], d->ref);
        return;
    }
    float *t = malloc(clbb_shape_numel(c->in) * sizeof *t);
    if (!t) return;
    clbb_ref_permute(c->in, d->in[0], PERM_T, t);
    clbb_ref_softmax(d->out, p->scale, t, d->ref);
    free(t);
}

/* Per element: the float argument scale*x - max rounds to 2^-24 of its
 * size (up to ~10 here), which is that relative error in exp; exp itself
 * is within 3 ulp (OpenCL full profile), the float sum of the row and the
 * product by its inverse a few ulp more: rtol 4e-6; atol only for values
 * near the float minimum. F16: the output's rounding (2^-11 relative),
 * absolute 2^-24 for the half subnormals below 6e-5. */
const check_op clbb__check_softmax = {
    .name = "softmax",
    .cases = sm_cases,
    .out_shape = sm_out_shape,
    .make_data = sm_data,
    .create = sm_create,
    .reference = sm_reference,
    .tol = {[CLBB_PRECISION_FP32] = {2e-6, 1e-12, 4e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-7, 1e-3}},
};
