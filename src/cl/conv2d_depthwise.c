/* Launcher of cl/conv2d_depthwise.cl (groups == in == out channels). */
#include <stdio.h>
#include <string.h>

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

/* CPU devices: cl/conv2d_depthwise_cpu.cl on a padded copy of the input.
 * params: [P_CPU] whether this path runs, [P_XH] x [P_XW] the padded
 * plane, [P_RB] rows per work-item. */
enum { P_CPU, P_XH, P_XW, P_RB };

static int dw_cpu_wanted(const clbb_op *op) {
    const conv_state *s = op->impl;
    const int cpu = op->ctx->cpu_kernels;
    return clbb__tuning_int(s->tuning, "CPU", cpu) != 0;
}

static clbb_status dw_cpu_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape i = op->in_shape, o = op->out_shape;
    const int vw = clbb__tuning_int(s->tuning, "VW", 8);
    if (vw != 8 && vw != 16)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: tuning VW = %d (8 or 16)",
                          vw);
    int xh = i.h, xw = i.w;
    const int pad = clbb__conv_needs_pad(s) || d->stride_w > 1;
    if (pad) {
        xh = (o.h - 1) * d->stride_h + (d->kernel_h - 1) * d->dilation_h + 1;
        /* + SW-1: the stride-2 load reads a 2*VW vector whose last lane is unused */
        xw = (o.w - 1) * d->stride_w + (d->kernel_w - 1) * d->dilation_w + 1 + d->stride_w - 1;
        CLBB_CHECK(clbb__conv_pad_prepare(op, xh, xw));
    }
    if ((double)i.n * d->in_channels * xh * xw > 2147483647.0 ||
        (double)clbb_shape_numel(o) > 2147483647.0)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: this shape exceeds the CPU depthwise kernel's int indexing");
    char opts[256];
    clbb__conv_cpu_options(s, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "VW", vw);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_depthwise_cpu", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_depthwise_cpu", &s->k[1]));
    /* about 4096 outputs per work-item: PoCL pays per work-group */
    int rb = (4096 + o.w - 1) / o.w;
    if (rb > o.h) rb = o.h;
    s->params[P_CPU] = 1;
    s->params[P_XH] = xh;
    s->params[P_XW] = xw;
    s->params[P_RB] = rb;
    s->gws[1][0] = (size_t)((o.h + rb - 1) / rb);
    s->gws[1][1] = (size_t)o.c;
    s->gws[1][2] = (size_t)o.n;
    s->lws[1][0] = s->lws[1][1] = s->lws[1][2] = 1;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "depthwise_cpu_k%dx%ds%d_v%d",
             d->kernel_h, d->kernel_w, d->stride_h, vw);
    return CLBB_OK;
}

static clbb_status dw_cpu_run(clbb_op *op) {
    conv_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const conv_operands t = clbb__conv_operands(op);
    clbb_shape o = op->out_shape;
    cl_int xh = s->params[P_XH], xw = s->params[P_XW];
    cl_mem xm;
    cl_int xoff, xbs;
    CLBB_CHECK(clbb__conv_pad_run(op, xh, xw, &xm, &xoff, &xbs));
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[1], "conv2d_depthwise_cpu", sizeof(cl_mem), &xm,
                                 sizeof(cl_int), &xoff, sizeof(cl_int), &xbs, sizeof(cl_int), &xh,
                                 sizeof(cl_int), &xw, sizeof(cl_mem), &s->w, sizeof(cl_mem),
                                 &s->shift, CLBB_TENSOR_ARGS(t.r), CLBB_TENSOR_ARGS(t.y),
                                 sizeof(cl_int), &o.c, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &s->params[P_RB], CLBB_ARGS_END));
    return clbb__enqueue(ctx, s->k[1], 3, s->gws[1], s->lws[1], "conv2d_depthwise_cpu");
}

static clbb_status dw_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    s->params[P_CPU] = 0;
    if (dw_cpu_wanted(op)) return dw_cpu_reshape(op);
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
    if (s->params[P_CPU]) return dw_cpu_run(op);
    const conv_operands t = clbb__conv_operands(op);
    const clbb_tensor *x = t.x, *r = t.r, *g = t.g, *y = t.y;
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
