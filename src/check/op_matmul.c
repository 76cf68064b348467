/* Conformance cases of matmul, both kernel families: tile edges (63, 64,
 * 65 rows and columns of the GPU's 64 x 64 tile, K below, at and above a
 * 16-deep slice), odd M / K / P, vectors (M or P of 1), batch > 1 and heads
 * C > 1, A and B read through transposed views (the {0, 1, 3, 2}
 * permutation: NonLocal2d's theta^T and its g), channel views, every
 * activation, and the plugins' c4 shapes (real channels, a 208 x 336 input).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

typedef struct mm_params {
    int k, p;
    float alpha;
    int a_t, b_t; /* the op reads A / B as the transpose of a dense parent */
} mm_params;

typedef struct mm_geom {
    const char *name;
    int n, c, m, k, p;
    int a_t, b_t, quick;
} mm_geom;

static const mm_geom MM_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1, 0, 0, 1},
    {"odd", 1, 1, 7, 13, 5, 0, 0, 1},
    {"odd_at", 2, 1, 9, 5, 11, 1, 0, 1},
    {"odd_bt", 1, 3, 5, 17, 9, 0, 1, 1},
    {"odd_atbt", 1, 2, 13, 3, 7, 1, 1, 0},
    {"tile_63", 1, 1, 63, 15, 63, 0, 0, 0},
    {"tile_64", 1, 1, 64, 16, 64, 0, 0, 0},
    {"tile_65", 1, 1, 65, 17, 65, 0, 0, 0},
    {"tile_65_at", 1, 1, 65, 33, 130, 1, 0, 0},
    {"tile_65_bt", 2, 1, 130, 33, 65, 0, 1, 0},
    {"row_vector", 1, 2, 1, 100, 37, 0, 0, 0},
    {"col_vector", 1, 2, 37, 100, 1, 0, 1, 0},
    {"heads_batch", 2, 8, 50, 32, 70, 1, 0, 0},
    {"nl_small_scores", 1, 1, 196, 64, 196, 1, 0, 1},
    {"nl_small_out", 1, 1, 64, 196, 196, 0, 1, 0},
    /* NonLocal2d at c4 (inter 512) of a 208 x 336 input (13 x 21 = 273
     * positions: the real channels at a spatial size whose double
     * reference stays quick, as conv2d's real layers): theta^T phi, then
     * (P g)^T = g P^T, which writes the NCHW map without a transpose */
    {"nl_c4_scores", 1, 1, 273, 512, 273, 1, 0, 0},
    {"nl_c4_out", 1, 1, 512, 273, 273, 0, 1, 0},
    /* GeneralizedAttention, 8 heads of 32, keys at stride 2 (7 x 11): q
     * k^T, then the weighted sum of the values */
    {"ga_c4_scores", 1, 8, 273, 32, 77, 1, 0, 0},
    {"ga_c4_out", 1, 8, 273, 77, 32, 0, 1, 0},
};

extern const check_op clbb__check_matmul;

static void mm_cases(case_list *l, int quick, clbb_dtype dtype) {
    int k = 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(MM_GEOMS); i++) {
        const mm_geom *g = &MM_GEOMS[i];
        if (quick && !g->quick) continue;
        const int variant = k++;
        for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
            check_case *c = check_push(l, &clbb__check_matmul, dtype);
            if (!c) return;
            mm_params *p = CHECK_PARAMS(c, mm_params);
            c->quick = g->quick;
            c->family = (clbb_kernel_family)f;
            c->act = (clbb_activation)(variant % CLBB_ACTIVATION_COUNT);
            c->views = !g->a_t && variant % 3 == 1;
            p->k = g->k;
            p->p = g->p;
            p->a_t = g->a_t;
            p->b_t = g->b_t;
            p->alpha = variant % 2 ? 1.0f / sqrtf((float)g->k) : 1.0f / (float)g->k;
            /* c->in: the dense parent of A (its transpose when a_t) */
            c->in = g->a_t ? (clbb_shape){g->n, g->c, g->k, g->m} : (clbb_shape){g->n, g->c, g->m, g->k};
            snprintf(c->name, sizeof c->name, "%s%s/%s", g->name, c->views ? "/view" : "",
                     clbb_kernel_family_name((clbb_kernel_family)f));
        }
    }
}

static const int PERM_T[4] = {0, 1, 3, 2};

static clbb_shape a_shape(const check_case *c) {
    const mm_params *p = CHECK_PARAMS(c, mm_params);
    clbb_shape a = c->in;
    if (p->a_t) {
        a.h = c->in.w;
        a.w = c->in.h;
    }
    return a;
}

static clbb_status mm_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = a_shape(c);
    o->w = CHECK_PARAMS(c, mm_params)->p;
    return CLBB_OK;
}

/* The harness permutes every input marked with one permutation: the
 * transpose of H and W, applied to A and / or B. */
static clbb_status mm_data(const check_case *c, uint64_t *rng, check_data *d) {
    const mm_params *p = CHECK_PARAMS(c, mm_params);
    const clbb_shape a = a_shape(c);
    d->num_inputs = 2;
    d->shape[0] = c->in;
    d->shape[1] = p->b_t ? (clbb_shape){a.n, a.c, p->p, p->k} : (clbb_shape){a.n, a.c, p->k, p->p};
    d->permuted[0] = p->a_t;
    d->permuted[1] = p->b_t;
    for (int i = 0; i < 4; i++) d->perm[i] = PERM_T[i];
    if (!(d->in[0] = check_rand(clbb_shape_numel(d->shape[0]), rng, -1, 1)) ||
        !(d->in[1] = check_rand(clbb_shape_numel(d->shape[1]), rng, -1, 1)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status mm_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    const mm_params *p = CHECK_PARAMS(c, mm_params);
    return clbb_matmul_create(ctx, p->p, p->alpha, c->act, &o, op);
}

static void mm_reference(const check_case *c, check_data *d) {
    const mm_params *p = CHECK_PARAMS(c, mm_params);
    const clbb_shape a = a_shape(c);
    float *at = NULL, *bt = NULL;
    const float *A = d->in[0], *B = d->in[1];
    if (p->a_t) {
        if (!(at = malloc(clbb_shape_numel(a) * sizeof *at))) return;
        clbb_ref_permute(d->shape[0], d->in[0], PERM_T, at);
        A = at;
    }
    if (p->b_t) {
        if (!(bt = malloc(clbb_shape_numel(d->shape[1]) * sizeof *bt))) {
            free(at);
            return;
        }
        clbb_ref_permute(d->shape[1], d->in[1], PERM_T, bt);
        B = bt;
    }
    clbb_ref_matmul(a.n, a.c, a.h, a.w, p->p, p->alpha, A, B, c->act, d->ref);
    free(at);
    free(bt);
}

static double mm_work(const check_case *c) {
    const clbb_shape a = a_shape(c);
    return (double)clbb_shape_numel(a) * CHECK_PARAMS(c, mm_params)->p;
}

/* Inputs in [-1, 1] and alpha 1/K or 1/sqrt(K) keep outputs O(0.1..1).
 * fp32 accumulation of K products (fma, in tile order) against the
 * reference's double: the error grows as sqrt(K) ulps of the terms' scale
 * (as conv2d's 4608-term layers: the same bounds and RMS floor). F16: the
 * output's rounding (2^-11 relative), the inputs rounded alike. */
const check_op clbb__check_matmul = {
    .name = "matmul",
    .cases = mm_cases,
    .out_shape = mm_out_shape,
    .make_data = mm_data,
    .create = mm_create,
    .reference = mm_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 4e-5, 1e-5}, [CLBB_PRECISION_FP16] = {2e-3, 2e-3, 2e-3}},
    .rms_floor = 0.1,
    .work = mm_work,
};
