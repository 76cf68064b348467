/* Conformance cases of se_gate: GhostNet's SE blocks (blocks 3, 4, 6.3,
 * 6.4, 7 and 8 at their maps, hard_sigmoid), a batch, odd channel, plane
 * and map sizes, more channels than work-items, channel views. */
#include <math.h>
#include <stdio.h>

#include "check.h"

typedef struct se_geom {
    const char *name;
    int n, c, h, w, p;
    clbb_activation act;
    int quick;
} se_geom;

typedef struct se_params {
    int planes;
} se_params;

#define HSIG CLBB_ACTIVATION_HARD_SIGMOID
static const se_geom SE_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1, CLBB_ACTIVATION_NONE, 1},
    {"odd_b3", 3, 7, 5, 9, 3, HSIG, 1},
    {"wide_odd", 2, 301, 3, 7, 77, CLBB_ACTIVATION_SIGMOID, 1},
    {"gn_b3_se", 1, 72, 28, 28, 20, HSIG, 1},
    {"gn_b4_se_b2", 2, 120, 28, 28, 32, HSIG, 0},
    {"gn_b6_4_se", 1, 672, 14, 14, 168, HSIG, 0},
    {"gn_b8_se_b4", 4, 960, 7, 7, 240, HSIG, 0},
};
#undef HSIG

extern const check_op clbb__check_se_gate;

static void se_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(SE_GEOMS); i++) {
        const se_geom *g = &SE_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            check_case *c = check_push(l, &clbb__check_se_gate, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v;
            c->act = g->act;
            CHECK_PARAMS(c, se_params)->planes = g->p;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

static clbb_status se_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = (clbb_shape){c->in.n, c->in.c, 1, 1};
    return CLBB_OK;
}

enum { P_W0, P_B0, P_W1, P_B1 };

/* the mean of U(-1, 1) over H x W is small: inputs offset by a per-sample
 * uniform, weights of variance 1/fan_in, so h and y are O(1) */
static clbb_status se_data(const check_case *c, uint64_t *rng, check_data *d) {
    const size_t C = (size_t)c->in.c, P = (size_t)CHECK_PARAMS(c, se_params)->planes;
    const float r0 = sqrtf(9.0f / (float)C), r1 = sqrtf(6.0f / (float)P);
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (!(d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)) ||
        !(d->param[P_W0] = check_rand(P * C, rng, -r0, r0)) ||
        !(d->param[P_B0] = check_rand(P, rng, -0.5f, 0.5f)) ||
        !(d->param[P_W1] = check_rand(C * P, rng, -r1, r1)) ||
        !(d->param[P_B1] = check_rand(C, rng, -0.5f, 0.5f)))
        return CLBB_ERR_OUT_OF_MEMORY;
    const size_t plane = (size_t)c->in.h * c->in.w;
    for (size_t k = 0; k < C * (size_t)c->in.n; k++) { /* channel means spread over (-1, 1) */
        const float off = d->param[P_B0][k % P] * 1.5f;
        for (size_t p = 0; p < plane; p++) d->in[0][k * plane + p] = 0.5f * d->in[0][k * plane + p] + off;
    }
    return CLBB_OK;
}

static clbb_status se_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    float *const *p = d->param;
    return clbb_se_gate_create(ctx, c->in.c, CHECK_PARAMS(c, se_params)->planes, p[P_W0], p[P_B0],
                               p[P_W1], p[P_B1], c->act, &o, op);
}

static void se_reference(const check_case *c, check_data *d) {
    float *const *p = d->param;
    clbb_ref_se_gate(c->in, d->in[0], CHECK_PARAMS(c, se_params)->planes, p[P_W0], p[P_B0],
                     p[P_W1], p[P_B1], c->act, d->ref);
}

static double se_work(const check_case *c) {
    return (double)c->in.n * c->in.c * ((double)c->in.h * c->in.w + 2.0 * CHECK_PARAMS(c, se_params)->planes);
}

/* F32: a mean of up to 784 terms, then dot products of up to 960 and 240
 * terms of unit scale: a few 1e-7 on O(1) outputs (context_mlp's bounds).
 * F16: the input and output are stored in half: the output's rounding,
 * 2^-11 relative, and the mean of rounded inputs (the reference reads the
 * same rounded inputs). */
const check_op clbb__check_se_gate = {
    .name = "se_gate",
    .cases = se_cases,
    .out_shape = se_out_shape,
    .make_data = se_data,
    .create = se_create,
    .reference = se_reference,
    .tol = {[CLBB_DTYPE_F32] = {1e-5, 1e-5, 1e-5}, [CLBB_DTYPE_F16] = {1e-3, 1e-3, 1e-3}},
    .rms_floor = 0.1,
    .work = se_work,
};
