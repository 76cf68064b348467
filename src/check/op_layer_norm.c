/* Conformance cases of layer_norm: ContextBlock's planes x 1 x 1 vectors
 * (a batch, odd and wide plane counts), whole images (odd sizes, a vector
 * edge, a ResNet layer), channel views, in place, every activation. */
#include <stdio.h>

#include "check.h"

typedef struct ln_geom {
    const char *name;
    int n, c, h, w, quick;
} ln_geom;

static const ln_geom LN_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1},        {"gc_planes_64", 2, 64, 1, 1, 1},
    {"gc_planes_odd", 3, 37, 1, 1, 0}, {"gc_planes_512", 1, 512, 1, 1, 0},
    {"odd", 2, 3, 7, 13, 1},       {"vec_edge", 1, 5, 1, 3, 0},
    {"r50_l1", 1, 256, 14, 14, 0}, {"batch4", 4, 16, 9, 9, 0},
};

extern const check_op clbb__check_layer_norm;

static void ln_cases(case_list *l, int quick, clbb_dtype dtype) {
    int k = 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(LN_GEOMS); i++) {
        const ln_geom *g = &LN_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 3; v++) {
            check_case *c = check_push(l, &clbb__check_layer_norm, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v == 1;
            c->inplace = v == 2;
            c->act = (clbb_activation)(k++ % CLBB_ACTIVATION_COUNT);
            snprintf(c->name, sizeof c->name, "%s%s", g->name,
                     v == 1 ? "/view" : v == 2 ? "/inplace" : "");
        }
    }
}

enum { P_WEIGHT, P_BIAS };

static clbb_status ln_data(const check_case *c, uint64_t *rng, check_data *d) {
    const size_t n = clbb_shape_numel(c->in), C = (size_t)c->in.c;
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (!(d->in[0] = check_rand(n, rng, -1, 3)) ||
        !(d->param[P_WEIGHT] = check_rand(C, rng, 0.5f, 1.5f)) ||
        !(d->param[P_BIAS] = check_rand(C, rng, -0.5f, 0.5f)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status ln_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_layer_norm_create(ctx, c->in.c, d->param[P_WEIGHT], d->param[P_BIAS], 1e-5f,
                                  c->act, &o, op);
}

static void ln_reference(const check_case *c, check_data *d) {
    clbb_ref_layer_norm(c->in, d->in[0], d->param[P_WEIGHT], d->param[P_BIAS], 1e-5f, c->act,
                        d->ref);
}

/* fp32 mean and variance over up to 50k elements in two passes (as
 * group_norm, whose bounds these are); an output near zero keeps the
 * absolute error of the normalized value (a few 1e-7). F16: the output's
 * rounding, 2^-11 relative. */
const check_op clbb__check_layer_norm = {
    .name = "layer_norm",
    .cases = ln_cases,
    .out_shape = check_out_same_shape,
    .make_data = ln_data,
    .create = ln_create,
    .reference = ln_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 5e-6, 5e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-4, 1e-3}},
};
