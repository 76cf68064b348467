/* Direct convolution (cl/conv2d_direct.cl): any geometry, one output per
 * work-item; the always-applicable fallback and the check oracle's twin. */
#include <string.h>

#include "conv2d_internal.h"

typedef struct direct_state {
    cl_mem w; /* OIHW, scale folded */
    cl_kernel k;
    size_t gws[3], lws[3];
} direct_state;

static const char *direct_unsupported(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                      clbb_dtype dtype) {
    (void)ctx;
    (void)d;
    (void)dtype;
    return NULL;
}

/* the fallback: whatever else applies goes first */
static int direct_score(const clbb_context *ctx, const clbb_conv2d_desc *d,
                        clbb_kernel_family f, int mma) {
    (void)mma;
    (void)ctx;
    (void)d;
    (void)f;
    return 10;
}

static clbb_status direct_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    direct_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    size_t n = (size_t)d->out_channels * (d->in_channels / d->groups) * d->kernel_h * d->kernel_w;
    return clbb__buffer_from_host(op->ctx, w, n * sizeof(float), "conv2d weights", &a->w);
}

static clbb_status direct_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    direct_state *a = s->as;
    char opts[512];
    clbb__conv_options(op, opts, sizeof opts);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_direct", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_direct", &a->k));
    clbb__grid_per_output(op->out_shape, a->gws, a->lws);
    return CLBB_OK;
}

static clbb_status direct_run(clbb_op *op) {
    conv_state *s = op->impl;
    direct_state *a = s->as;
    const clbb_tensor *x = conv_x(op), *r = conv_or_x(op, conv_res(op)),
                      *g = conv_or_x(op, conv_gate(op)), *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    CLBB_CHECK(clbb__kernel_args(op->ctx, a->k, "conv2d_direct", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &a->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &i.c, sizeof(cl_int), &i.h, sizeof(cl_int), &i.w,
                                 sizeof(cl_int), &o.c, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &o.n, CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, a->k, 3, a->gws, a->lws, "conv2d_direct");
}

static void direct_release_kernels(clbb_op *op) {
    direct_state *a = ((conv_state *)op->impl)->as;
    clbb__kernel_release(&a->k);
}

static void direct_destroy(clbb_op *op) {
    direct_state *a = ((conv_state *)op->impl)->as;
    direct_release_kernels(op);
    clbb__buffer_release(op->ctx, a->w);
}

const conv_algo_desc clbb__conv_direct = {
    .id = CLBB_CONV_ALGO_DIRECT,
    .name = "direct",
    .unsupported = direct_unsupported,
    .auto_score = direct_score,
    .family = {[CLBB_KERNEL_FAMILY_GPU] = {1, NULL, 0, NULL}},
    .state_size = sizeof(direct_state),
    .pack = direct_pack,
    .reshape = direct_reshape,
    .run = direct_run,
    .release_kernels = direct_release_kernels,
    .destroy = direct_destroy,
};
