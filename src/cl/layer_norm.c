/* layer_norm op (cl/layer_norm.cl): one work-group per sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "op_internal.h"

#define LN_LWS 256

typedef struct ln_state {
    int32_t channels;
    float eps;
    clbb_activation act;
    cl_mem weight, bias;
    cl_kernel k;
} ln_state;

static clbb_status ln_reshape(clbb_op *op, clbb_shape in) {
    ln_state *s = op->impl;
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "layer_norm: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = in;
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 7.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * 2;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "layer_norm_l%d", LN_LWS);
    if (!s->k) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "LN_LWS", LN_LWS);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "layer_norm", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "layer_norm", &s->k));
    }
    return CLBB_OK;
}

static clbb_status ln_run(clbb_op *op) {
    ln_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    cl_int C = i.c, HW = i.h * i.w;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "layer_norm", CLBB_TENSOR_ARGS(&op->in[0]),
                                 sizeof(cl_mem), &s->weight, sizeof(cl_mem), &s->bias,
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C, sizeof(cl_int),
                                 &HW, sizeof(cl_float), &s->eps, CLBB_ARGS_END));
    size_t gws[2] = {LN_LWS, (size_t)i.n}, lws[2] = {LN_LWS, 1};
    return clbb__enqueue(op->ctx, s->k, 2, gws, lws, "layer_norm");
}

static void ln_destroy(clbb_op *op) {
    ln_state *s = op->impl;
    clbb__kernel_release(&s->k);
    clbb__buffer_release(op->ctx, s->weight);
    clbb__buffer_release(op->ctx, s->bias);
}

static const clbb_op_vtable LN_VT = {"layer_norm", CLBB_FAMILIES_GPU, ln_reshape, NULL, ln_run,
                                     ln_destroy};

clbb_status clbb_layer_norm_create(clbb_context *ctx, int32_t channels, const float *weight,
                                   const float *bias, float eps, clbb_activation act,
                                   const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "layer_norm: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, LN_VT.families, "layer_norm", &dtype, &family));
    if (channels < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "layer_norm: channels = %d", channels);
    if (!(eps > 0) || !isfinite(eps))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "layer_norm: eps = %g (must be > 0)",
                          (double)eps);
    CLBB_CHECK(clbb__activation_check(ctx, act, "layer_norm"));
    cl_mem wm, bm;
    CLBB_CHECK(clbb__norm_affine(ctx, "layer_norm", channels, weight, bias, &wm, &bm));
    clbb_op *op = NULL;
    clbb_status st = clbb__op_new(ctx, &LN_VT, sizeof(ln_state), 1, dtype, family, &op);
    if (st == CLBB_OK) {
        /* in place: the apply sweep follows both reductions */
        op->in_flags[0] |= CLBB_IN_ALIAS;
        ln_state *s = op->impl;
        s->channels = channels;
        s->eps = eps;
        s->act = act;
        s->weight = wm;
        s->bias = bm;
    } else {
        clbb__buffer_release(ctx, wm);
        clbb__buffer_release(ctx, bm);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
