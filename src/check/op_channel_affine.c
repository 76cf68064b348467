/* Conformance cases of channel_affine, both kernel families: every
 * combination of the mul / add / residual inputs over the element-wise
 * shapes and ContextBlock's real c3/c4 shapes, channel views, in place on
 * x and on the residual, every activation. */
#include <stdio.h>

#include "check.h"
#include "op_elt_shapes.h"

typedef struct ca_params {
    int has_mul, has_add;
} ca_params;

static const elt_geom CA_REAL[] = {
    {"gc_r50_c3", 1, 512, 100, 168, 0},
    {"gc_r50_c4", 1, 1024, 50, 84, 0},
};

/* (mul, add, residual) */
static const int CA_VARIANTS[][3] = {{1, 1, 1}, {1, 0, 0}, {0, 1, 0}, {1, 0, 1}, {0, 1, 1}, {0, 0, 1}};

extern const check_op clbb__check_channel_affine;

static void push_geom(case_list *l, clbb_dtype dtype, const elt_geom *g, int k) {
    const int *v = CA_VARIANTS[k % CLBB_ARRAY_SIZE(CA_VARIANTS)];
    /* in place on x, then on the residual, then out of place */
    const int placement = (k / 2) % 3;
    for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
        check_case *c = check_push(l, &clbb__check_channel_affine, dtype);
        if (!c) return;
        ca_params *p = CHECK_PARAMS(c, ca_params);
        c->quick = g->quick;
        c->in = (clbb_shape){g->n, g->c, g->h, g->w};
        c->family = (clbb_kernel_family)f;
        p->has_mul = v[0];
        p->has_add = v[1];
        c->residual = v[2];
        c->act = (clbb_activation)(k % CLBB_ACTIVATION_COUNT);
        if (placement == 0) c->inplace = 1;
        else if (placement == 1 && c->residual) c->inplace = 1 + 1 + v[0] + v[1];
        else c->views = k % 2;
        snprintf(c->name, sizeof c->name, "%s/%s%s%s%s%s/%s", g->name, v[0] ? "m" : "",
                 v[1] ? "a" : "", v[2] ? "r" : "", c->views ? "/view" : "",
                 c->inplace == 1 ? "/inplace" : c->inplace ? "/inplace_res" : "",
                 clbb_kernel_family_name((clbb_kernel_family)f));
    }
}

static void ca_cases(case_list *l, int quick, clbb_dtype dtype) {
    int k = 0;
    for (size_t i = 0; i < ELT_NUM_GEOMS; i++) {
        if (quick && !ELT_GEOMS[i].quick) continue;
        for (int j = 0; j < 3; j++) push_geom(l, dtype, &ELT_GEOMS[i], k++);
    }
    if (quick) return;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(CA_REAL); i++) push_geom(l, dtype, &CA_REAL[i], 0);
}

static clbb_status ca_data(const check_case *c, uint64_t *rng, check_data *d) {
    const ca_params *p = CHECK_PARAMS(c, ca_params);
    clbb_shape nc = c->in;
    nc.h = nc.w = 1;
    int k = 0;
    d->shape[k] = c->in;
    if (!(d->in[k++] = check_rand(clbb_shape_numel(c->in), rng, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    if (p->has_mul) {
        d->shape[k] = nc;
        if (!(d->in[k++] = check_rand(clbb_shape_numel(nc), rng, 0, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    }
    if (p->has_add) {
        d->shape[k] = nc;
        if (!(d->in[k++] = check_rand(clbb_shape_numel(nc), rng, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    }
    if (c->residual) {
        d->shape[k] = c->in;
        if (!(d->in[k++] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    d->num_inputs = k;
    return CLBB_OK;
}

static clbb_status ca_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    const ca_params *p = CHECK_PARAMS(c, ca_params);
    return clbb_channel_affine_create(ctx, p->has_mul, p->has_add, c->residual, c->act, &o, op);
}

static void ca_reference(const check_case *c, check_data *d) {
    const ca_params *p = CHECK_PARAMS(c, ca_params);
    int k = 1;
    const float *mul = p->has_mul ? d->in[k++] : NULL;
    const float *add = p->has_add ? d->in[k++] : NULL;
    const float *res = c->residual ? d->in[k] : NULL;
    clbb_ref_channel_affine(c->in, d->in[0], mul, add, res, c->act, d->ref);
}

/* The kernel computes x*mul + add (two roundings, or one fma) then + res
 * and the activation; the reference rounds once: a few ulps of the terms
 * (O(1)), so atol and rtol 5e-7 (hard-sigmoid's +3 and /6 add two more,
 * 2^-24 of 6). The terms cancel in part (x*mul + add + res of random
 * signs), so the output is smaller than they are and its relative L2 error
 * larger than their ulps: 2.7e-6 in a tiny case (seed 1796168598800688,
 * largest error 2.3e-8, 0.05 of the element bound), hence 1e-5 there while
 * the per-element bound stays at the terms' ulps. F16: the output's
 * rounding. */
const check_op clbb__check_channel_affine = {
    .name = "channel_affine",
    .cases = ca_cases,
    .out_shape = check_out_same_shape,
    .make_data = ca_data,
    .create = ca_create,
    .reference = ca_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 5e-7, 5e-7}, [CLBB_PRECISION_FP16] = {1e-3, 1e-6, 1e-3}},
};
