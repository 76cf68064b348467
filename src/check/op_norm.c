/* Conformance cases of batch_norm (both kernel families) and group_norm:
 * the element-wise shapes, as dense tensors and as channel views, with
 * every activation and with and without a residual. */
#include <stdio.h>

#include "check.h"
#include "op_elt_shapes.h"

typedef struct norm_params {
    int groups; /* group_norm */
} norm_params;

extern const check_op clbb__check_batch_norm, clbb__check_group_norm;

static const clbb_activation ACTS[] = {CLBB_ACTIVATION_NONE, CLBB_ACTIVATION_RELU,
                                       CLBB_ACTIVATION_RELU6, CLBB_ACTIVATION_HARD_SIGMOID,
                                       CLBB_ACTIVATION_SIGMOID};

static void norm_cases(case_list *l, int quick, clbb_dtype dtype, const check_op *op) {
    const int bn = op == &clbb__check_batch_norm;
    int k = 0;
    for (size_t i = 0; i < ELT_NUM_GEOMS; i++) {
        const elt_geom *g = &ELT_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            const int variant = k++;
            /* batch_norm has a CPU kernel family: both are checked */
            for (int f = bn ? CLBB_KERNEL_FAMILY_GPU : CLBB_KERNEL_FAMILY_AUTO;
                 f <= (bn ? CLBB_KERNEL_FAMILY_CPU : CLBB_KERNEL_FAMILY_AUTO); f++) {
                check_case *c = check_push(l, op, dtype);
                if (!c) return;
                c->quick = g->quick;
                c->in = (clbb_shape){g->n, g->c, g->h, g->w};
                c->views = v;
                c->family = (clbb_kernel_family)f;
                c->act = ACTS[variant % CLBB_ARRAY_SIZE(ACTS)];
                c->residual = variant % 2;
                if (!bn) {
                    static const int gs[] = {1, 2, 4, 8, 16, 32};
                    int grp = 1;
                    for (int j = 5; j >= 0; j--)
                        if (g->c % gs[j] == 0 && (variant + 1 + j) % 2 == 0) {
                            grp = gs[j];
                            break;
                        }
                    CHECK_PARAMS(c, norm_params)->groups = grp;
                }
                snprintf(c->name, sizeof c->name, "%s%s%s%s", g->name, v ? "/view" : "",
                         bn ? "/" : "", bn ? clbb_kernel_family_name((clbb_kernel_family)f) : "");
            }
        }
    }
}

static void bn_cases(case_list *l, int quick, clbb_dtype dtype) {
    norm_cases(l, quick, dtype, &clbb__check_batch_norm);
}
static void gn_cases(case_list *l, int quick, clbb_dtype dtype) {
    norm_cases(l, quick, dtype, &clbb__check_group_norm);
}

enum { P_WEIGHT, P_BIAS, P_MEAN, P_VAR };

static clbb_status norm_data(const check_case *c, uint64_t *rng, check_data *d) {
    const size_t n = clbb_shape_numel(c->in), C = (size_t)c->in.c;
    d->num_inputs = 1 + c->residual;
    d->shape[0] = d->shape[1] = c->in;
    if (!(d->in[0] = check_rand(n, rng, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    if (c->residual && !(d->in[1] = check_rand(n, rng, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    if (!(d->param[P_WEIGHT] = check_rand(C, rng, 0.5f, 1.5f)) ||
        !(d->param[P_BIAS] = check_rand(C, rng, -0.5f, 0.5f)))
        return CLBB_ERR_OUT_OF_MEMORY;
    if (c->op == &clbb__check_batch_norm &&
        (!(d->param[P_MEAN] = check_rand(C, rng, -0.5f, 0.5f)) ||
         !(d->param[P_VAR] = check_rand(C, rng, 0.25f, 2.0f))))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status bn_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_batch_norm_create(ctx, c->in.c, d->param[P_MEAN], d->param[P_VAR],
                                  d->param[P_WEIGHT], d->param[P_BIAS], 1e-5f, c->residual, c->act,
                                  &o, op);
}

static void bn_reference(const check_case *c, check_data *d) {
    clbb_ref_batch_norm(c->in, d->in[0], d->param[P_MEAN], d->param[P_VAR], d->param[P_WEIGHT],
                        d->param[P_BIAS], 1e-5f, c->residual ? d->in[1] : NULL, c->act, d->ref);
}

static clbb_status gn_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_group_norm_create(ctx, c->in.c, CHECK_PARAMS(c, norm_params)->groups,
                                  d->param[P_WEIGHT], d->param[P_BIAS], 1e-5f, c->residual, c->act,
                                  &o, op);
}

static void gn_reference(const check_case *c, check_data *d) {
    clbb_ref_group_norm(c->in, CHECK_PARAMS(c, norm_params)->groups, d->in[0], d->param[P_WEIGHT],
                        d->param[P_BIAS], 1e-5f, c->residual ? d->in[1] : NULL, c->act, d->ref);
}

/* BN runs folded, x * a + (b - m * a): an output near zero loses a few
 * ulps to the cancellation, relative to it (seen: 1.9e-6 on a one-element
 * case under oclgrind), hence the atol; absolute errors are a few 1e-7.
 * The terms are O(1) (x in [-1, 1], |x - m| / sqrt(var) * w up to ~4.5),
 * so the relative L2 error is floored at an RMS of 0.1: a one-element
 * case whose output cancelled to 8e-4 failed it at 1.04e-5 with an error
 * of 8e-9 (PoCL's CPU kernel, seed 1796227999319369, a sanitizer run).
 * GN: fp32 mean and variance over up to 50k elements (two passes). F16:
 * the output's rounding, 2^-11 relative. */
const check_op clbb__check_batch_norm = {
    .name = "batch_norm",
    .cases = bn_cases,
    .out_shape = check_out_same_shape,
    .make_data = norm_data,
    .create = bn_create,
    .reference = bn_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 2e-6, 2e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-4, 1e-3}},
    .rms_floor = 0.1,
};

const check_op clbb__check_group_norm = {
    .name = "group_norm",
    .cases = gn_cases,
    .out_shape = check_out_same_shape,
    .make_data = norm_data,
    .create = gn_create,
    .reference = gn_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 5e-6, 5e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-4, 1e-3}},
};
