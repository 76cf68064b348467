/* Conformance cases of context_mlp: ContextBlock's real transforms on
 * ResNet-50 (ratio 1/16 and 1/4 at c3-c5, channel_add and channel_mul's
 * sigmoid), a batch, odd channel and plane counts, one plane (its
 * LayerNorm is all bias), channel views of the context. */
#include <math.h>
#include <stdio.h>

#include "check.h"

typedef struct cm_geom {
    const char *name;
    int n, c, p;
    clbb_activation act;
    int quick;
} cm_geom;

typedef struct cm_params {
    int planes;
} cm_params;

static const cm_geom CM_GEOMS[] = {
    {"one", 1, 1, 1, CLBB_ACTIVATION_NONE, 1},
    {"odd", 3, 7, 3, CLBB_ACTIVATION_SIGMOID, 1},
    {"odd_wide", 2, 300, 77, CLBB_ACTIVATION_NONE, 0},
    {"gc_r16_c3", 1, 512, 32, CLBB_ACTIVATION_NONE, 0},
    {"gc_r16_c4_mul", 2, 1024, 64, CLBB_ACTIVATION_SIGMOID, 0},
    {"gc_r16_c5", 1, 2048, 128, CLBB_ACTIVATION_NONE, 0},
    {"gc_r4_c5", 2, 2048, 512, CLBB_ACTIVATION_NONE, 0},
    {"ratio_1", 1, 64, 64, CLBB_ACTIVATION_SIGMOID, 1},
};

extern const check_op clbb__check_context_mlp;

static void cm_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(CM_GEOMS); i++) {
        const cm_geom *g = &CM_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            check_case *c = check_push(l, &clbb__check_context_mlp, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, 1, 1};
            c->views = v;
            c->act = g->act;
            CHECK_PARAMS(c, cm_params)->planes = g->p;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

enum { P_W0, P_B0, P_LNW, P_LNB, P_W1, P_B1 };

/* weights of variance 1/fan_in: h and y are O(1), as in a trained block */
static clbb_status cm_data(const check_case *c, uint64_t *rng, check_data *d) {
    const size_t C = (size_t)c->in.c, P = (size_t)CHECK_PARAMS(c, cm_params)->planes;
    const float r0 = sqrtf(3.0f / (float)C), r1 = sqrtf(6.0f / (float)P);
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (!(d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)) ||
        !(d->param[P_W0] = check_rand(P * C, rng, -r0, r0)) ||
        !(d->param[P_B0] = check_rand(P, rng, -0.5f, 0.5f)) ||
        !(d->param[P_LNW] = check_rand(P, rng, 0.5f, 1.5f)) ||
        !(d->param[P_LNB] = check_rand(P, rng, -0.5f, 0.5f)) ||
        !(d->param[P_W1] = check_rand(C * P, rng, -r1, r1)) ||
        !(d->param[P_B1] = check_rand(C, rng, -0.5f, 0.5f)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status cm_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    float *const *p = d->param;
    return clbb_context_mlp_create(ctx, c->in.c, CHECK_PARAMS(c, cm_params)->planes, p[P_W0],
                                   p[P_B0], p[P_LNW], p[P_LNB], 1e-5f, p[P_W1], p[P_B1], c->act,
                                   &o, op);
}

static void cm_reference(const check_case *c, check_data *d) {
    float *const *p = d->param;
    clbb_ref_context_mlp(c->in.n, c->in.c, CHECK_PARAMS(c, cm_params)->planes, d->in[0], p[P_W0],
                         p[P_B0], p[P_LNW], p[P_LNB], 1e-5f, p[P_W1], p[P_B1], c->act, d->ref);
}

static double cm_work(const check_case *c) {
    return 2.0 * c->in.n * c->in.c * CHECK_PARAMS(c, cm_params)->planes;
}

/* Two fp32 dot products of up to 2048 and 512 terms of unit scale around
 * a LayerNorm whose inputs are O(1) (it divides by their deviation, about
 * 0.5-1 here, so it does not amplify): a few 1e-7 on O(1) outputs; the
 * bounds leave an order of magnitude. F16: the output's rounding, 2^-11
 * relative, on O(1) values. */
const check_op clbb__check_context_mlp = {
    .name = "context_mlp",
    .cases = cm_cases,
    .out_shape = check_out_same_shape,
    .make_data = cm_data,
    .create = cm_create,
    .reference = cm_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 1e-5, 1e-5}, [CLBB_PRECISION_FP16] = {1e-3, 1e-3, 1e-3}},
    .rms_floor = 0.1,
    .work = cm_work,
};
