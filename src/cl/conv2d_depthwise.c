/* Launcher of cl/conv2d_depthwise.cl (groups == in == out channels). */
#include <stdio.h>

#include "conv2d_internal.h"

static int dw_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    return d->groups == d->in_channels && d->groups == d->out_channels &&
           d->kernel_h * d->kernel_w <= 81;
}

static clbb_status dw_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    size_t n = (size_t)d->out_channels * d->kernel_h * d->kernel_w;
    return clbb__buffer_from_host(op->ctx, w, n * sizeof(float), "conv2d weights", &s->w);
}

static clbb_status dw_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    clbb_shape o = op->out_shape;
    int owt = clbb__tuning_int(s->tuning, "OW_T", o.w >= 4 ? 4 : o.w);
    if (owt < 1 || owt > 16)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: tuning OW_T = %d (1..16)",
                          owt);
    char opts[512];
    clbb__conv_options(s, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "OW_T", owt);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_depthwise", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_depthwise", &s->k[0]));
    size_t wb = ((size_t)o.w + owt - 1) / owt;
    s->lws[0][0] = wb >= 16 ? 16 : wb >= 8 ? 8 : 4;
    s->lws[0][1] = 64 / s->lws[0][0];
    s->lws[0][2] = 1;
    s->gws[0][0] = clbb__round_up(wb, s->lws[0][0]);
    s->gws[0][1] = clbb__round_up((size_t)o.h, s->lws[0][1]);
    s->gws[0][2] = (size_t)o.n * o.c;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "depthwise_k%dx%ds%d_ow%d",
             s->d.kernel_h, s->d.kernel_w, s->d.stride_h, owt);
    return CLBB_OK;
}

static clbb_status dw_run(clbb_op *op) {
    conv_state *s = op->impl;
    const clbb_tensor *x = &op->in[0];
    const clbb_tensor *r = s->has_res ? &op->in[1] : x;
    const clbb_tensor *g = s->has_gate ? &op->in[1 + s->has_res] : x;
    const clbb_tensor *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], "conv2d_depthwise", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &i.c, sizeof(cl_int), &i.h, sizeof(cl_int), &i.w,
                                 sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int), &o.n, CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, s->k[0], 3, s->gws[0], s->lws[0], "conv2d_depthwise");
}

const conv_algo_impl clbb__conv_depthwise = {CLBB_CONV_ALGO_DEPTHWISE, "depthwise", dw_applicable,
                                             dw_pack, dw_reshape, dw_run};
