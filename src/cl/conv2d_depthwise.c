/* Depthwise convolution (groups == in == out channels): the GPU kernel
 * (cl/conv2d_depthwise.cl, OW_T outputs per work-item) and the CPU kernel
 * (cl/conv2d_depthwise_cpu.cl, vectors along the row of a padded copy). */
#include <stdio.h>
#include <string.h>

#include "conv2d_internal.h"

typedef struct dw_state {
    cl_mem w; /* [C][KH][KW], scale folded, in conv_wdtype */
    conv_pad pad;
    cl_kernel k;
    size_t gws[3], lws[3];
    int rb; /* CPU: rows per work-item */
    int lpad; /* CPU fp16: the padded float tile is made in local memory (LPAD) */
} dw_state;

/* the LPAD tile's budget: about a core's L1 data cache */
#define DW_LPAD_BYTES 32768

/* tuning keys, by family */
enum { DW_OW_T };
static const clbb_param_key GPU_KEYS[] = {{"OW_T", 1, 16, 0}};
enum { DW_VW };
static const clbb_param_key CPU_KEYS[] = {{"VW", 8, 16, 1}};
static const char *const GPU_CANDIDATES[] = {"", "OW_T=1", "OW_T=2", "OW_T=8", NULL};
static const char *const CPU_CANDIDATES[] = {"", "VW=16", NULL};

static const char *dw_unsupported(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                  clbb_dtype dtype) {
    (void)ctx;
    (void)dtype;
    if (d->groups != d->in_channels || d->groups != d->out_channels)
        return "depthwise needs groups == in_channels == out_channels";
    if (d->kernel_h * d->kernel_w > 81) return "depthwise holds at most 81 taps in registers";
    return NULL;
}

/* one output channel per input channel: nothing else beats it */
static int dw_score(const clbb_context *ctx, const clbb_conv2d_desc *d,
                    clbb_kernel_family f, int mma) {
    (void)mma;
    (void)ctx;
    (void)d;
    (void)f;
    return 40;
}

static clbb_status dw_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    dw_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    size_t n = (size_t)d->out_channels * d->kernel_h * d->kernel_w;
    return clbb__weights_upload(op->ctx, conv_wdtype(op), w, n, "conv2d weights", &a->w);
}

static clbb_status dw_cpu_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    dw_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape i = op->in_shape, o = op->out_shape;
    const int vw = conv_tuned(s, DW_VW, 8);
    int xh = i.h, xw = i.w;
    /* fp16: a float copy, converted once (-D XF, PAD_F32), or (LPAD) a
     * float tile each work-item makes in local memory (no gate: pad2d
     * applies that) */
    const int xf = op->dtype == CLBB_DTYPE_F16;
    const int pad = clbb__conv_needs_pad(s) || d->stride_w > 1 || xf;
    /* about 4096 outputs per work-item: PoCL pays per work-group */
    int rb = (4096 + o.w - 1) / o.w;
    if (rb > o.h) rb = o.h;
    a->lpad = 0;
    if (pad) {
        xh = (o.h - 1) * d->stride_h + (d->kernel_h - 1) * d->dilation_h + 1;
        /* + SW-1: the stride-2 load reads a 2*VW vector whose last lane is unused */
        xw = (o.w - 1) * d->stride_w + (d->kernel_w - 1) * d->dilation_w + 1 + d->stride_w - 1;
        const long row = (long)xw * 4, halo = (long)(d->kernel_h - 1) * d->dilation_h + 1;
        const long fit = ((long)DW_LPAD_BYTES / row - halo) / d->stride_h + 1;
        const unsigned long long lmem = op->ctx->info.local_mem_bytes;
        a->lpad = xf && !s->has_gate && fit >= 1 && (!lmem || lmem >= DW_LPAD_BYTES);
        if (a->lpad && rb > fit) rb = (int)fit;
        if (!a->lpad) CLBB_CHECK(clbb__conv_pad_prepare(op, &a->pad, xh, xw, xf));
    }
    a->pad.xh = xh;
    a->pad.xw = xw;
    if ((double)i.n * d->in_channels * xh * xw > 2147483647.0 ||
        (double)clbb_shape_numel(o) > 2147483647.0)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: this shape exceeds the CPU depthwise kernel's int indexing");
    char opts[256];
    clbb__conv_cpu_options(op, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "VW", vw);
    if (xf) clbb__opt_int(opts, sizeof opts, a->lpad ? "LPAD" : "XF", 1);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_depthwise_cpu", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_depthwise_cpu", &a->k));
    a->rb = rb;
    a->gws[0] = (size_t)((o.h + rb - 1) / rb);
    a->gws[1] = (size_t)o.c;
    a->gws[2] = (size_t)o.n;
    a->lws[0] = a->lws[1] = a->lws[2] = 1;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "depthwise_cpu_k%dx%ds%d_v%d",
             d->kernel_h, d->kernel_w, d->stride_h, vw);
    return CLBB_OK;
}

static clbb_status dw_cpu_run(clbb_op *op) {
    conv_state *s = op->impl;
    dw_state *a = s->as;
    clbb_context *ctx = op->ctx;
    const clbb_tensor *r = conv_or_x(op, conv_res(op)), *y = &op->out;
    clbb_shape o = op->out_shape;
    cl_int xh = a->pad.xh, xw = a->pad.xw;
    cl_mem xm;
    cl_int xoff, xbs;
    CLBB_CHECK(clbb__conv_pad_run(op, &a->pad, &xm, &xoff, &xbs));
    /* LPAD: the input's geometry and the tile follow (a size of 0 ends the
     * list otherwise) */
    cl_int h = op->in_shape.h, w = op->in_shape.w, pt = s->d.pad_top, pl = s->d.pad_left;
    const size_t lp = a->lpad ? sizeof(cl_int) : 0;
    const size_t tile = (size_t)((a->rb - 1) * s->d.stride_h +
                                 (s->d.kernel_h - 1) * s->d.dilation_h + 1) *
                        (size_t)xw * sizeof(float);
    CLBB_CHECK(clbb__kernel_args(ctx, a->k, "conv2d_depthwise_cpu", sizeof(cl_mem), &xm,
                                 sizeof(cl_int), &xoff, sizeof(cl_int), &xbs, sizeof(cl_int), &xh,
                                 sizeof(cl_int), &xw, sizeof(cl_mem), &a->w, sizeof(cl_mem),
                                 &s->shift, CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &o.c, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &a->rb, lp, (const void *)&h, lp,
                                 (const void *)&w, lp, (const void *)&pt, lp, (const void *)&pl,
                                 a->lpad ? tile : 0, (const void *)NULL, CLBB_ARGS_END));
    return clbb__enqueue(ctx, a->k, 3, a->gws, a->lws, "conv2d_depthwise_cpu");
}

static clbb_status dw_reshape(clbb_op *op) {
    if (op->family == CLBB_KERNEL_FAMILY_CPU) return dw_cpu_reshape(op);
    conv_state *s = op->impl;
    dw_state *a = s->as;
    clbb_shape o = op->out_shape;
    const int owt = conv_tuned(s, DW_OW_T, o.w >= 4 ? 4 : o.w);
    char opts[512];
    clbb__conv_options(op, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "OW_T", owt);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_depthwise", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_depthwise", &a->k));
    size_t wb = ((size_t)o.w + owt - 1) / owt;
    a->lws[0] = wb >= 16 ? 16 : wb >= 8 ? 8 : 4;
    a->lws[1] = 64 / a->lws[0];
    a->lws[2] = 1;
    a->gws[0] = clbb__round_up(wb, a->lws[0]);
    a->gws[1] = clbb__round_up((size_t)o.h, a->lws[1]);
    a->gws[2] = (size_t)o.n * o.c;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "depthwise_k%dx%ds%d_ow%d",
             s->d.kernel_h, s->d.kernel_w, s->d.stride_h, owt);
    return CLBB_OK;
}

static clbb_status dw_run(clbb_op *op) {
    if (op->family == CLBB_KERNEL_FAMILY_CPU) return dw_cpu_run(op);
    conv_state *s = op->impl;
    dw_state *a = s->as;
    const clbb_tensor *x = conv_x(op), *r = conv_or_x(op, conv_res(op)),
                      *g = conv_or_x(op, conv_gate(op)), *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    CLBB_CHECK(clbb__kernel_args(op->ctx, a->k, "conv2d_depthwise", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &a->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &i.c, sizeof(cl_int), &i.h, sizeof(cl_int), &i.w,
                                 sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int), &o.n,
                                 CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, a->k, 3, a->gws, a->lws, "conv2d_depthwise");
}

static void dw_release_kernels(clbb_op *op) {
    dw_state *a = ((conv_state *)op->impl)->as;
    clbb__kernel_release(&a->k);
    clbb__conv_pad_release(&a->pad);
}

static void dw_destroy(clbb_op *op) {
    dw_state *a = ((conv_state *)op->impl)->as;
    dw_release_kernels(op);
    clbb__buffer_release(op->ctx, a->w);
}

const conv_algo_desc clbb__conv_depthwise = {
    .id = CLBB_CONV_ALGO_DEPTHWISE,
    .name = "depthwise",
    .unsupported = dw_unsupported,
    .auto_score = dw_score,
    .family = {[CLBB_KERNEL_FAMILY_GPU] = {1, GPU_KEYS, CLBB_ARRAY_SIZE(GPU_KEYS), GPU_CANDIDATES},
               [CLBB_KERNEL_FAMILY_CPU] = {1, CPU_KEYS, CLBB_ARRAY_SIZE(CPU_KEYS), CPU_CANDIDATES}},
    .state_size = sizeof(dw_state),
    .pack = dw_pack,
    .reshape = dw_reshape,
    .run = dw_run,
    .release_kernels = dw_release_kernels,
    .destroy = dw_destroy,
};
