/* Conformance cases of add (with every activation) and mul (the SE gate),
 * over the element-wise shapes, dense and as channel views. */
#include <stdio.h>

#include "check.h"
#include "op_elt_shapes.h"

extern const check_op clbb__check_add, clbb__check_mul;

static void bin_cases(case_list *l, int quick, clbb_dtype dtype, const check_op *op) {
    static const clbb_activation acts[] = {CLBB_ACTIVATION_NONE, CLBB_ACTIVATION_RELU,
                                           CLBB_ACTIVATION_RELU6, CLBB_ACTIVATION_HARD_SIGMOID,
                                           CLBB_ACTIVATION_SIGMOID};
    int k = 0;
    for (size_t i = 0; i < ELT_NUM_GEOMS; i++) {
        const elt_geom *g = &ELT_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            check_case *c = check_push(l, op, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v;
            c->act = op == &clbb__check_add ? acts[k % CLBB_ARRAY_SIZE(acts)] : CLBB_ACTIVATION_NONE;
            k++;
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

static void add_cases(case_list *l, int quick, clbb_dtype dtype) {
    bin_cases(l, quick, dtype, &clbb__check_add);
}
static void mul_cases(case_list *l, int quick, clbb_dtype dtype) {
    bin_cases(l, quick, dtype, &clbb__check_mul);
}

static clbb_status bin_data(const check_case *c, uint64_t *rng, check_data *d) {
    const int mul = c->op == &clbb__check_mul;
    d->num_inputs = 2;
    d->shape[0] = d->shape[1] = c->in;
    if (mul) d->shape[1].h = d->shape[1].w = 1;
    if (!(d->in[0] = check_rand(clbb_shape_numel(d->shape[0]), rng, -1, 1)) ||
        !(d->in[1] = check_rand(clbb_shape_numel(d->shape[1]), rng, mul ? 0 : -1, 1)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status add_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_add_create(ctx, c->act, &o, op);
}

static void add_reference(const check_case *c, check_data *d) {
    clbb_ref_add(c->in, d->in[0], d->in[1], c->act, d->ref);
}

static clbb_status mul_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_mul_create(ctx, &o, op);
}

static void mul_reference(const check_case *c, check_data *d) {
    clbb_ref_mul(c->in, d->in[0], d->in[1], d->ref);
}

/* add: the float sum rounds once (2^-24 relative), hard-sigmoid adds the
 * roundings of +3 and /6 (2^-24 of 6, absolute, after the /6): atol and
 * rtol 2e-7 (seen: 0.72 of 1e-7 + 1e-7 on an H200). F16: the output's
 * rounding. mul of two floats rounds exactly as the reference's double
 * product rounded to float: bit-exact. */
const check_op clbb__check_add = {
    .name = "add",
    .cases = add_cases,
    .out_shape = check_out_same_shape,
    .make_data = bin_data,
    .create = add_create,
    .reference = add_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-6, 2e-7, 2e-7}, [CLBB_PRECISION_FP16] = {1e-3, 1e-6, 1e-3}},
};

const check_op clbb__check_mul = {
    .name = "mul",
    .cases = mul_cases,
    .out_shape = check_out_same_shape,
    .make_data = bin_data,
    .create = mul_create,
    .reference = mul_reference,
    .tol = {[CLBB_PRECISION_FP32] = {0, 0, 0}, [CLBB_PRECISION_FP16] = {1e-3, 1e-6, 1e-3}},
};
