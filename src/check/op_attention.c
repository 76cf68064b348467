/* Conformance cases of the fused attention (CPU family): one element, odd
 * sizes (a value width that is not a multiple of the 8-wide accumulators,
 * key and query counts off the 8-blocks), batch and heads, Q / K / V read
 * through transposed views, and NonLocal2d's real c4 shape, against the
 * references of the three-op path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

typedef struct at_params {
    int keys, vdim;
    float scale;
    int q_t, k_t, v_t; /* read as the transpose of a dense parent */
} at_params;

typedef struct at_geom {
    const char *name;
    int n, c, lq, d, lk, dv;
    int q_t, k_t, v_t, quick;
} at_geom;

static const at_geom AT_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1, 1, 0, 0, 0, 1},
    {"odd", 1, 1, 13, 5, 11, 7, 0, 0, 0, 1},
    {"odd_views", 2, 3, 17, 9, 9, 16, 1, 1, 1, 1},
    {"heads_batch", 2, 8, 100, 32, 50, 32, 1, 0, 1, 0},
    {"nl_small", 1, 1, 196, 64, 196, 64, 1, 0, 1, 0},
    /* c4's channels at a 208 x 336 input (273 positions, 77 at stride 2) */
    {"nl_c4", 1, 1, 273, 512, 273, 512, 1, 0, 1, 0},
    {"ga_c4", 1, 8, 273, 32, 77, 32, 1, 0, 1, 0},
};

extern const check_op clbb__check_attention;

static void at_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(AT_GEOMS); i++) {
        const at_geom *g = &AT_GEOMS[i];
        if (quick && !g->quick) continue;
        check_case *c = check_push(l, &clbb__check_attention, dtype);
        if (!c) return;
        at_params *p = CHECK_PARAMS(c, at_params);
        c->quick = g->quick;
        c->family = CLBB_KERNEL_FAMILY_CPU;
        p->keys = g->lk;
        p->vdim = g->dv;
        p->scale = 1.0f / sqrtf((float)g->d);
        p->q_t = g->q_t;
        p->k_t = g->k_t;
        p->v_t = g->v_t;
        c->in = g->q_t ? (clbb_shape){g->n, g->c, g->d, g->lq} : (clbb_shape){g->n, g->c, g->lq, g->d};
        snprintf(c->name, sizeof c->name, "%s", g->name);
    }
}

static const int PERM_T[4] = {0, 1, 3, 2};

static clbb_shape swap_hw(clbb_shape s) { return (clbb_shape){s.n, s.c, s.w, s.h}; }

static clbb_shape q_shape(const check_case *c) {
    return CHECK_PARAMS(c, at_params)->q_t ? swap_hw(c->in) : c->in;
}

static clbb_status at_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    const clbb_shape q = q_shape(c);
    *o = (clbb_shape){q.n, q.c, CHECK_PARAMS(c, at_params)->vdim, q.h};
    return CLBB_OK;
}

static clbb_status at_data(const check_case *c, uint64_t *rng, check_data *d) {
    const at_params *p = CHECK_PARAMS(c, at_params);
    const clbb_shape q = q_shape(c);
    const clbb_shape k = {q.n, q.c, q.w, p->keys}, v = {q.n, q.c, p->keys, p->vdim};
    d->num_inputs = 3;
    d->shape[0] = c->in;
    d->shape[1] = p->k_t ? swap_hw(k) : k;
    d->shape[2] = p->v_t ? swap_hw(v) : v;
    d->permuted[0] = p->q_t;
    d->permuted[1] = p->k_t;
    d->permuted[2] = p->v_t;
    for (int i = 0; i < 4; i++) d->perm[i] = PERM_T[i];
    /* scores of O(1..3): a softmax that is neither flat nor one-hot */
    for (int i = 0; i < 3; i++)
        if (!(d->in[i] = check_rand(clbb_shape_numel(d->shape[i]), rng, i < 2 ? -1.5f : -1, i < 2 ? 1.5f : 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status at_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    const at_params *p = CHECK_PARAMS(c, at_params);
    return clbb_attention_create(ctx, p->keys, p->vdim, p->scale, &o, op);
}

/* dense copy of input i as the op sees it */
static float *dense_input(const check_data *d, int i) {
    float *t = malloc(clbb_shape_numel(d->shape[i]) * sizeof *t);
    if (t) {
        if (d->permuted[i]) clbb_ref_permute(d->shape[i], d->in[i], PERM_T, t);
        else
            for (size_t e = 0; e < clbb_shape_numel(d->shape[i]); e++) t[e] = d->in[i][e];
    }
    return t;
}

static void at_reference(const check_case *c, check_data *d) {
    const at_params *p = CHECK_PARAMS(c, at_params);
    const clbb_shape q = q_shape(c);
    const size_t z = (size_t)q.n * q.c;
    float *Q = dense_input(d, 0), *K = dense_input(d, 1), *V = dense_input(d, 2);
    float *S = malloc(z * q.h * p->keys * sizeof *S), *O = malloc(z * q.h * p->vdim * sizeof *O);
    if (Q && K && V && S && O) {
        clbb_ref_matmul(q.n, q.c, q.h, q.w, p->keys, p->scale, Q, K, CLBB_ACTIVATION_NONE, S);
        clbb_ref_softmax((clbb_shape){q.n, q.c, q.h, p->keys}, 1.0f, S, S);
        clbb_ref_matmul(q.n, q.c, q.h, p->keys, p->vdim, 1.0f, S, V, CLBB_ACTIVATION_NONE, O);
        clbb_ref_permute((clbb_shape){q.n, q.c, q.h, p->vdim}, O, PERM_T, d->ref);
    }
    free(Q);
    free(K);
    free(V);
    free(S);
    free(O);
}

static double at_work(const check_case *c) {
    const at_params *p = CHECK_PARAMS(c, at_params);
    const clbb_shape q = q_shape(c);
    return (double)q.n * q.c * q.h * p->keys * (q.w + p->vdim);
}

/* The reference rounds the scores and the probabilities to float between
 * its double steps, as the three-op path stores them; the kernel keeps
 * them in float registers: the difference is a few float roundings of
 * O(1) scores (relative error of a probability 2^-24 * |score| * a few),
 * averaged over the keys in each output, which are weighted means of
 * values in [-1, 1] (O(0.05..1) after cancellation: the RMS floor).
 * F16: the inputs and the output rounded alike, the output's 2^-11. */
const check_op clbb__check_attention = {
    .name = "attention",
    .cases = at_cases,
    .out_shape = at_out_shape,
    .make_data = at_data,
    .create = at_create,
    .reference = at_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 2e-6, 1e-5}, [CLBB_PRECISION_FP16] = {2e-3, 1e-4, 2e-3}},
    .rms_floor = 0.01,
    .work = at_work,
};
