/* Conformance cases of context_mlp: ContextBlock's real transforms on
 * ResNet-50 (ratio 1/16 and 1/4 at c3-c5, channel_add and channel_mul's
 * sigmoid), the fused GCNet plan's (the context of conv3's input, C/4
 * channels in, C out), a batch, odd channel and plane counts, one plane
 * (its LayerNorm is all bias), channel views of the context; both paths
 * (one kernel up to 8192 first-conv weights, two above). */
#include <math.h>
#include <stdio.h>

#include "check.h"

typedef struct cm_geom {
    const char *name;
    int n, c, p, co; /* co 0: c */
    clbb_activation act;
    int quick;
} cm_geom;

typedef struct cm_params {
    int planes, out_channels;
} cm_params;

static const cm_geom CM_GEOMS[] = {
    {"one", 1, 1, 1, 0, CLBB_ACTIVATION_NONE, 1},
    {"odd", 3, 7, 3, 0, CLBB_ACTIVATION_SIGMOID, 1},
    {"odd_wide", 2, 300, 77, 0, CLBB_ACTIVATION_NONE, 0},
    {"gc_r16_c3", 1, 512, 32, 0, CLBB_ACTIVATION_NONE, 0},
    {"gc_r16_c4_mul", 2, 1024, 64, 0, CLBB_ACTIVATION_SIGMOID, 0},
    {"gc_r16_c5", 1, 2048, 128, 0, CLBB_ACTIVATION_NONE, 0},
    {"gc_r4_c5", 2, 2048, 512, 0, CLBB_ACTIVATION_NONE, 0},
    {"ratio_1", 1, 64, 64, 0, CLBB_ACTIVATION_SIGMOID, 1},
    {"widen_odd", 3, 5, 3, 19, CLBB_ACTIVATION_NONE, 1},
    {"narrow_odd", 2, 33, 4, 7, CLBB_ACTIVATION_SIGMOID, 1},
    {"fused_r16_c3", 1, 128, 32, 512, CLBB_ACTIVATION_NONE, 0},
    {"fused_r16_c5", 2, 512, 128, 2048, CLBB_ACTIVATION_NONE, 0},
    {"fused_r4_c5", 1, 512, 512, 2048, CLBB_ACTIVATION_NONE, 0},
    /* the one-kernel path's edges: planes over a group (two passes), a
     * context over its local array (two kernels) */
    {"planes_300", 2, 16, 300, 0, CLBB_ACTIVATION_SIGMOID, 1},
    {"context_2100", 1, 2100, 8, 0, CLBB_ACTIVATION_NONE, 0},
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
            CHECK_PARAMS(c, cm_params)->out_channels = g->co ? g->co : g->c;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

enum { P_W0, P_B0, P_LNW, P_LNB, P_W1, P_B1 };

/* weights of variance 1/fan_in: h and y are O(1), as in a trained block */
static clbb_status cm_data(const check_case *c, uint64_t *rng, check_data *d) {
    const size_t C = (size_t)c->in.c, P = (size_t)CHECK_PARAMS(c, cm_params)->planes,
                 CO = (size_t)CHECK_PARAMS(c, cm_params)->out_channels;
    const float r0 = sqrtf(3.0f / (float)C), r1 = sqrtf(6.0f / (float)P);
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (!(d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)) ||
        !(d->param[P_W0] = check_rand(P * C, rng, -r0, r0)) ||
        !(d->param[P_B0] = check_rand(P, rng, -0.5f, 0.5f)) ||
        !(d->param[P_LNW] = check_rand(P, rng, 0.5f, 1.5f)) ||
        !(d->param[P_LNB] = check_rand(P, rng, -0.5f, 0.5f)) ||
        !(d->param[P_W1] = check_rand(CO * P, rng, -r1, r1)) ||
        !(d->param[P_B1] = check_rand(CO, rng, -0.5f, 0.5f)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status cm_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    float *const *p = d->param;
    const cm_params *q = CHECK_PARAMS(c, cm_params);
    return clbb_context_mlp_create(ctx, c->in.c, q->planes, q->out_channels, p[P_W0], p[P_B0],
                                   p[P_LNW], p[P_LNB], 1e-5f, p[P_W1], p[P_B1], c->act, &o, op);
}

static void cm_reference(const check_case *c, check_data *d) {
    float *const *p = d->param;
    const cm_params *q = CHECK_PARAMS(c, cm_params);
    clbb_ref_context_mlp(c->in.n, c->in.c, q->planes, q->out_channels, d->in[0], p[P_W0], p[P_B0],
                         p[P_LNW], p[P_LNB], 1e-5f, p[P_W1], p[P_B1], c->act, d->ref);
}

static clbb_status cm_out_shape(const check_case *c, clbb_shape *out, char *msg, size_t n) {
    (void)msg;
    (void)n;
    *out = c->in;
    out->c = CHECK_PARAMS(c, cm_params)->out_channels;
    return CLBB_OK;
}

static double cm_work(const check_case *c) {
    const cm_params *q = CHECK_PARAMS(c, cm_params);
    return 1.0 * c->in.n * (c->in.c + q->out_channels) * q->planes;
}

/* Two fp32 dot products of up to 2048 and 512 terms of unit scale around
 * a LayerNorm whose inputs are O(1) (it divides by their deviation, about
 * 0.5-1 here, so it does not amplify): a few 1e-7 on O(1) outputs; the
 * bounds leave an order of magnitude. F16: the output's rounding, 2^-11
 * relative, on O(1) values. */
const check_op clbb__check_context_mlp = {
    .name = "context_mlp",
    .cases = cm_cases,
    .out_shape = cm_out_shape,
    .make_data = cm_data,
    .create = cm_create,
    .reference = cm_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 1e-5, 1e-5}, [CLBB_PRECISION_FP16] = {1e-3, 1e-3, 1e-3}},
    .rms_floor = 0.1,
    .work = cm_work,
};
