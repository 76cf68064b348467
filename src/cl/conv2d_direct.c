/* Launcher of cl/conv2d_direct.cl: any geometry, one output per work-item. */
#include <string.h>

#include "conv2d_internal.h"

static int direct_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    (void)d;
    return 1;
}

static clbb_status direct_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    size_t n = (size_t)d->out_channels * (d->in_channels / d->groups) * d->kernel_h * d->kernel_w;
    return clbb__buffer_from_host(op->ctx, w, n * sizeof(float), "conv2d weights", &s->w);
}

static clbb_status direct_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    char opts[512];
    clbb__conv_options(s, opts, sizeof opts);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_direct", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_direct", &s->k[0]));
    clbb_shape o = op->out_shape;
    s->lws[0][0] = 16;
    s->lws[0][1] = 4;
    s->lws[0][2] = 1;
    s->gws[0][0] = clbb__round_up((size_t)o.w, 16);
    s->gws[0][1] = clbb__round_up((size_t)o.h, 4);
    s->gws[0][2] = (size_t)o.n * o.c;
    return CLBB_OK;
}

static clbb_status direct_run(clbb_op *op) {
    conv_state *s = op->impl;
    const conv_operands t = clbb__conv_operands(op);
    const clbb_tensor *x = t.x, *r = t.r, *g = t.g, *y = t.y;
    clbb_shape i = op->in_shape, o = op->out_shape;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], "conv2d_direct", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &i.c, sizeof(cl_int), &i.h,
                                 sizeof(cl_int), &i.w, sizeof(cl_int), &o.c, sizeof(cl_int), &o.h,
                                 sizeof(cl_int), &o.w, sizeof(cl_int), &o.n, CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, s->k[0], 3, s->gws[0], s->lws[0], "conv2d_direct");
}

const conv_algo_impl clbb__conv_direct = {CLBB_CONV_ALGO_DIRECT, "direct", direct_applicable,
                                          direct_pack, direct_reshape, direct_run};
