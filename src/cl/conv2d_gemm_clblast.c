/* im2col + CLBlast SGEMM + epilogue kernel: the convolution a user would
 * write with a BLAS, kept both as an algorithm (1x1 convolutions on devices
 * where CLBlast's tuned GEMM wins) and as the benchmark baseline.
 *
 * Per image n and group g: Y[n, g] (Cout_g x P) = W_g (Cout_g x K) x
 * col_g (K x P), P = Ho * Wo, K = Cin_g * KH * KW. A 1x1 / stride-1 /
 * unpadded conv without gate skips im2col and reads x directly. */
#include <pthread.h>
#include <stdio.h>

#include <clblast_c.h>

#include "conv2d_internal.h"
#include "eltwise_internal.h"

typedef struct clblast_state {
    cl_mem w; /* OIHW, scale folded: row-major Cout x K per group */
    cl_kernel im2col, affine;
} clblast_state;

static const char *gemm_unsupported(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                    clbb_dtype dtype) {
    if (dtype != CLBB_DTYPE_F32) return "CLBlast's SGEMM reads and writes float";
    /* CLBlast sizes its work-groups from its database of the real device,
     * beyond the reach of a profile's limits */
    if (ctx && clbb_context_profile(ctx))
        return "CLBlast plans for the real device, not a device profile";
    /* Depthwise convolutions would become one 1-row GEMM per channel: no
     * BLAS user would write that, so the baseline leaves them to a direct
     * kernel. */
    if (d->groups == d->in_channels && d->groups == d->out_channels && d->groups > 1)
        return "a depthwise conv is no GEMM";
    return NULL;
}

/* the baseline: never picked by AUTO */
static int gemm_score(const clbb_context *ctx, const clbb_conv2d_desc *d,
                      clbb_kernel_family f, int mma) {
    (void)mma;
    (void)ctx;
    (void)d;
    (void)f;
    return 0;
}

/* CLBlast 1.5 keeps a process-wide kernel database and program cache that
 * two threads initializing at once corrupt (a heap-use-after-free in
 * Routine::InitDatabase under ASan with two contexts; CLBlast issue #486).
 * clbb itself has no global state; this lock only serializes calls into
 * CLBlast's. */
static pthread_mutex_t clblast_lock = PTHREAD_MUTEX_INITIALIZER;

static int direct_input(const conv_state *s) {
    const clbb_conv2d_desc *d = &s->d;
    return d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_top == 0 && d->pad_left == 0 && d->pad_bottom == 0 && d->pad_right == 0 &&
           !s->has_gate;
}

static clbb_status gemm_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    clblast_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    size_t n = (size_t)d->out_channels * (d->in_channels / d->groups) * d->kernel_h * d->kernel_w;
    return clbb__buffer_from_host(op->ctx, w, n * sizeof(float), "conv2d weights", &a->w);
}

static clbb_status gemm_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    clblast_state *a = s->as;
    clbb_shape o = op->out_shape;
    const clbb_conv2d_desc *d = &s->d;
    if (!direct_input(s)) {
        char opts[512];
        clbb__conv_options(op, opts, sizeof opts);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "im2col", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "im2col", &a->im2col));
        s->ws_bytes = (size_t)d->in_channels * d->kernel_h * d->kernel_w * o.h * o.w * sizeof(float);
        CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d im2col workspace"));
    }
    CLBB_CHECK(clbb__affine_kernel(op->ctx, CLBB_DTYPE_F32, clbb__default_family(op->ctx), s->act, 0, 1, s->has_res,
                                   &a->affine));
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%sclblast_sgemm",
             direct_input(s) ? "" : "im2col+");
    return CLBB_OK;
}

static clbb_status gemm_run(clbb_op *op) {
    conv_state *s = op->impl;
    clblast_state *a = s->as;
    clbb_context *ctx = op->ctx;
    const clbb_conv2d_desc *d = &s->d;
    const clbb_tensor *x = conv_x(op), *y = &op->out, *g = conv_or_x(op, conv_gate(op));
    clbb_shape i = op->in_shape, o = op->out_shape;
    const size_t P = (size_t)o.h * o.w, cig = d->in_channels / d->groups,
                 cog = d->out_channels / d->groups, K = cig * d->kernel_h * d->kernel_w;
    cl_mem ws = clbb__scratch(ctx);
    for (int32_t n = 0; n < i.n; n++) {
        cl_mem bmem = x->mem;
        size_t boff = x->offset + (size_t)n * x->stride[0], ldb = (size_t)i.h * i.w;
        if (!direct_input(s)) {
            cl_int nn = n;
            CLBB_CHECK(clbb__kernel_args(ctx, a->im2col, "im2col", CLBB_TENSOR_ARGS(x),
                                         CLBB_TENSOR_ARGS(g), sizeof(cl_mem), &ws,
                                         sizeof(cl_int), &nn, sizeof(cl_int), &i.c, sizeof(cl_int),
                                         &i.h, sizeof(cl_int), &i.w, sizeof(cl_int), &o.h,
                                         sizeof(cl_int), &o.w, CLBB_ARGS_END));
            size_t lws[2] = {64, 1};
            size_t gws[2] = {clbb__round_up(P, 64), (size_t)d->in_channels * d->kernel_h * d->kernel_w};
            CLBB_CHECK(clbb__enqueue(ctx, a->im2col, 2, gws, lws, "im2col"));
            bmem = ws;
            boff = 0;
            ldb = P;
        }
        for (int32_t gi = 0; gi < d->groups; gi++) {
            cl_event *evp, ev;
            CLBB_CHECK(clbb__enqueue_begin(ctx, "CLBlastSgemm", &evp, &ev));
            size_t b_off = boff + (size_t)gi * (direct_input(s) ? cig * ldb : K * P);
            pthread_mutex_lock(&clblast_lock);
            CLBlastStatusCode rc = CLBlastSgemm(
                CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, cog, P, K, 1.0f,
                a->w, (size_t)gi * cog * K, K, bmem, b_off, ldb, 0.0f, y->mem,
                y->offset + (size_t)n * y->stride[0] + (size_t)gi * cog * P, P, &ctx->queue, evp);
            pthread_mutex_unlock(&clblast_lock);
            if (rc != CLBlastSuccess)
                return clbb__fail(ctx, CLBB_ERR_DEVICE, "CLBlastSgemm (m=%zu n=%zu k=%zu) failed: %d",
                                  cog, P, K, (int)rc);
            CLBB_CHECK(clbb__enqueue_end(ctx, ev));
        }
    }
    return clbb__affine_enqueue(ctx, a->affine, clbb__default_family(ctx), y, NULL, s->shift, conv_res(op), y, o);
}

static void gemm_release_kernels(clbb_op *op) {
    clblast_state *a = ((conv_state *)op->impl)->as;
    clbb__kernel_release(&a->im2col);
    clbb__kernel_release(&a->affine);
}

static void gemm_destroy(clbb_op *op) {
    clblast_state *a = ((conv_state *)op->impl)->as;
    gemm_release_kernels(op);
    clbb__buffer_release(op->ctx, a->w);
}

const conv_algo_desc clbb__conv_gemm_clblast = {
    .id = CLBB_CONV_ALGO_GEMM_CLBLAST,
    .name = "clblast",
    .unsupported = gemm_unsupported,
    .auto_score = gemm_score,
    .family = {[CLBB_KERNEL_FAMILY_GPU] = {1, NULL, 0, NULL}},
    .state_size = sizeof(clblast_state),
    .pack = gemm_pack,
    .reshape = gemm_reshape,
    .run = gemm_run,
    .release_kernels = gemm_release_kernels,
    .destroy = gemm_destroy,
};
