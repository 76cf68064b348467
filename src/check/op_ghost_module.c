/* Conformance cases of ghost_module: GhostNet's own modules (ghost1 with
 * ReLU, ghost2 with the SE gate and the residual, at the 112..7 maps,
 * batch 1 and 2), odd sizes across several tiles, a ratio-3 module whose
 * last cheap group is cut (Q < P * per), a 5x5 cheap kernel, channel
 * views of the input and output. */
#include <stdio.h>

#include "check.h"

typedef struct gm_geom {
    const char *name;
    int n, c, h, w, p, q, per, ks;
    clbb_activation act;
    int res, gate, quick;
} gm_geom;

typedef struct gm_params {
    clbb_ghost_module_desc d;
    int gate;
} gm_params;

#define RELU CLBB_ACTIVATION_RELU
#define NONE CLBB_ACTIVATION_NONE
static const gm_geom GM_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1, 1, 1, 3, NONE, 0, 0, 1},
    {"odd", 1, 5, 9, 11, 3, 3, 1, 3, RELU, 0, 0, 1},
    {"odd_tiles_b2", 2, 7, 37, 35, 5, 5, 1, 3, RELU, 0, 1, 1},
    {"ratio3_cut", 2, 6, 13, 17, 5, 7, 2, 3, NONE, 1, 1, 1},
    {"k5", 1, 8, 20, 19, 6, 6, 1, 5, RELU, 1, 0, 0},
    {"gn_b0_ghost2", 1, 16, 112, 112, 8, 8, 1, 3, NONE, 1, 0, 0},
    {"gn_b3_ghost2_se", 2, 72, 28, 28, 20, 20, 1, 3, NONE, 1, 1, 0},
    {"gn_b6_ghost1", 1, 80, 14, 14, 100, 100, 1, 3, RELU, 0, 0, 1},
    {"gn_b8_ghost2_se", 2, 960, 7, 7, 80, 80, 1, 3, NONE, 1, 1, 0},
    {"gn_b8_ghost1_b4", 4, 160, 7, 7, 480, 480, 1, 3, RELU, 0, 0, 0},
};
#undef RELU
#undef NONE

extern const check_op clbb__check_ghost_module;

static void gm_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(GM_GEOMS); i++) {
        const gm_geom *g = &GM_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            check_case *c = check_push(l, &clbb__check_ghost_module, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v;
            c->act = g->act;
            c->residual = g->res;
            gm_params *p = CHECK_PARAMS(c, gm_params);
            p->d = (clbb_ghost_module_desc){g->c, g->p, g->q, g->per, g->ks};
            p->gate = g->gate;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

static clbb_status gm_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    const clbb_ghost_module_desc *d = &CHECK_PARAMS(c, gm_params)->d;
    *o = (clbb_shape){c->in.n, d->primary_channels + d->cheap_channels, c->in.h, c->in.w};
    return CLBB_OK;
}

/* param[0..3]: the primary's weight, (no bias), scale, shift; [4..7] the cheap's */
enum { P_WP = 0, P_SP = 2, P_BP = 3, P_WC = 4, P_SC = 6, P_BC = 7 };
enum { IN_X, IN_RES };

static clbb_status gm_data(const check_case *c, uint64_t *rng, check_data *d) {
    const gm_params *p = CHECK_PARAMS(c, gm_params);
    CLBB_CHECK(check_conv_inputs(c, rng, d, p->gate));
    const int ks = p->d.cheap_kernel;
    CLBB_CHECK(check_conv_params(rng, (size_t)p->d.in_channels, p->d.primary_channels, 0, 1,
                                 d->param));
    return check_conv_params(rng, (size_t)ks * ks, p->d.cheap_channels, 0, 1, d->param + 4);
}

static clbb_status gm_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    const gm_params *p = CHECK_PARAMS(c, gm_params);
    clbb_op_options o;
    check_op_options(c, &o);
    float *const *w = d->param;
    return clbb_ghost_module_create(ctx, &p->d, w[P_WP], w[P_SP], w[P_BP], w[P_WC], w[P_SC],
                                    w[P_BC], c->act, c->residual, p->gate, &o, op);
}

static void gm_reference(const check_case *c, check_data *d) {
    const gm_params *p = CHECK_PARAMS(c, gm_params);
    float *const *w = d->param;
    const float *res = c->residual ? d->in[IN_RES] : NULL;
    const float *gate = p->gate ? d->in[IN_RES + c->residual] : NULL;
    clbb_ref_ghost_module(&p->d, c->in, d->in[IN_X], gate, w[P_WP], w[P_SP], w[P_BP], w[P_WC],
                          w[P_SC], w[P_BC], c->act, res, d->ref);
}

static double gm_work(const check_case *c) {
    const clbb_ghost_module_desc *d = &CHECK_PARAMS(c, gm_params)->d;
    return (double)c->in.n * c->in.h * c->in.w *
           ((double)d->in_channels * d->primary_channels +
            (double)d->cheap_channels * d->cheap_kernel * d->cheap_kernel);
}

/* F32: a primary dot product of up to 960 terms of O(1/sqrt(C)) products,
 * then a 9- or 25-term depthwise sum over it, as conv2d's (whose bounds
 * these are). F16: inputs, residual, gate and output are stored in half;
 * the primary stays fp32 in local memory, so what remains is the output's
 * rounding (2^-11 relative) on O(1) values. */
const check_op clbb__check_ghost_module = {
    .name = "ghost_module",
    .cases = gm_cases,
    .out_shape = gm_out_shape,
    .make_data = gm_data,
    .create = gm_create,
    .reference = gm_reference,
    .tol = {[CLBB_DTYPE_F32] = {1e-5, 4e-5, 1e-5}, [CLBB_DTYPE_F16] = {2e-3, 2e-3, 2e-3}},
    .rms_floor = 0.1,
    .work = gm_work,
};
