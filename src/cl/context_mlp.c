/* context_mlp op (cl/context_mlp.cl): ContextBlock's channel transform,
 * 1x1 conv -> LayerNorm + ReLU -> 1x1 conv [-> sigmoid] on N x C x 1 x 1
 * (to N x CO x 1 x 1; CO != C when the fused GCNet plan pools conv3's
 * input, src/models/plan_fuse.c), in two kernels over an N x P fp32
 * workspace. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

/* 8 rows of 32 lanes: 2048 channels make 256 work-groups */
#define CM_LWS 256
#define CM_LANES 32
#define CM_ROWS (CM_LWS / CM_LANES)
/* context_mlp_one where the first conv has at most CM1_MAX_PC weights
 * (every group reads them all from the cache) and its local arrays fit:
 * 32 rows of 8 lanes per group. On an H200 (fused GCNet plan, fp32):
 * 32 x 128 weights 9.3 us against 11.3 for two kernels, 64 x 256 14.8
 * against 13.3, 128 x 512 34 against 15.5: the group's serial hidden
 * layer grows faster than a launch costs. */
#define CM1_LANES 8
#define CM1_ROWS (CM_LWS / CM1_LANES)
#define CM1_MAX_PC 8192
#define CM1_MAX_C 2048
#define CM1_MAX_P 1024

typedef struct cm_state {
    int32_t channels, planes, out_channels;
    int one; /* context_mlp_one (w0 stored transposed) */
    float eps;
    clbb_activation act;
    cl_mem w0, b0, ln_w, ln_b, w1, b1, h;
    cl_kernel k_hidden, k_out;
} cm_state;

static int cm_one(int32_t c, int32_t p) {
    return (int64_t)c * p <= CM1_MAX_PC && c <= CM1_MAX_C && p <= CM1_MAX_P;
}

static clbb_status cm_reshape(clbb_op *op, clbb_shape in) {
    cm_state *s = op->impl;
    if (in.c != s->channels || in.h != 1 || in.w != 1)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE,
                          "context_mlp: input is %dx%dx%dx%d, expected N x %d x 1 x 1", in.n, in.c,
                          in.h, in.w, s->channels);
    op->out_shape = in;
    op->out_shape.c = s->out_channels;
    const double n = in.n, c = in.c, p = s->planes, co = s->out_channels;
    op->info.flops = n * (2.0 * (c + co) * p + 8.0 * p);
    op->info.bytes = 4.0 * ((c + co) * p + 3.0 * p + co) + clbb_dtype_size(op->dtype) * n * (c + co);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "context_mlp_%dk_l%d", s->one ? 1 : 2,
             CM_LWS);
    clbb__buffer_release(op->ctx, s->h);
    s->h = NULL;
    const size_t ws = s->one ? 0 : (size_t)in.n * s->planes * sizeof(float);
    if (ws)
        CLBB_CHECK(clbb__buffer_create(op->ctx, ws, CL_MEM_READ_WRITE, NULL, "context_mlp hidden",
                                       &s->h));
    op->info.workspace_bytes = ws;
    if (!s->k_out) {
        char opts[192];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "CM_LWS", CM_LWS);
        clbb__opt_int(opts, sizeof opts, "CM_LANES", CM_LANES);
        clbb__opt_int(opts, sizeof opts, "CM1_LANES", CM1_LANES);
        clbb__opt_int(opts, sizeof opts, "CM1_MAX_C", CM1_MAX_C);
        clbb__opt_int(opts, sizeof opts, "CM1_MAX_P", CM1_MAX_P);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "context_mlp", opts, &prog));
        if (s->one) {
            CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "context_mlp_one", &s->k_out));
        } else {
            CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "context_mlp_hidden", &s->k_hidden));
            CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "context_mlp_out", &s->k_out));
        }
    }
    return CLBB_OK;
}

static clbb_status cm_run(clbb_op *op) {
    cm_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    cl_int C = s->channels, P = s->planes, CO = s->out_channels;
    if (s->one) {
        cl_int pp = 1;
        while (pp < P && pp < CM_LWS) pp *= 2;
        CLBB_CHECK(clbb__kernel_args(
            op->ctx, s->k_out, "context_mlp_one", CLBB_TENSOR_ARGS(&op->in[0]), sizeof(cl_mem),
            &s->w0, sizeof(cl_mem), &s->b0, sizeof(cl_mem), &s->ln_w, sizeof(cl_mem), &s->ln_b,
            sizeof(cl_float), &s->eps, sizeof(cl_mem), &s->w1, sizeof(cl_mem), &s->b1,
            CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C, sizeof(cl_int), &P, sizeof(cl_int),
            &CO, sizeof(cl_int), &pp, CLBB_ARGS_END));
        const size_t lws[2] = {CM_LWS, 1};
        const size_t gws[2] = {(size_t)(CO + CM1_ROWS - 1) / CM1_ROWS * CM_LWS, (size_t)i.n};
        return clbb__enqueue(op->ctx, s->k_out, 2, gws, lws, "context_mlp_one");
    }
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_hidden, "context_mlp_hidden",
                                 CLBB_TENSOR_ARGS(&op->in[0]), sizeof(cl_mem), &s->w0,
                                 sizeof(cl_mem), &s->b0, sizeof(cl_mem), &s->h, sizeof(cl_int), &C,
                                 sizeof(cl_int), &P, CLBB_ARGS_END));
    size_t lws[2] = {CM_LWS, 1};
    size_t gws[2] = {(size_t)(P + CM_ROWS - 1) / CM_ROWS * CM_LWS, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_hidden, 2, gws, lws, "context_mlp_hidden"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_out, "context_mlp_out", sizeof(cl_mem), &s->h,
                                 sizeof(cl_mem), &s->ln_w, sizeof(cl_mem), &s->ln_b,
                                 sizeof(cl_float), &s->eps, sizeof(cl_mem), &s->w1, sizeof(cl_mem),
                                 &s->b1, CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &CO,
                                 sizeof(cl_int), &P, CLBB_ARGS_END));
    gws[0] = (size_t)(CO + CM_ROWS - 1) / CM_ROWS * CM_LWS;
    return clbb__enqueue(op->ctx, s->k_out, 2, gws, lws, "context_mlp_out");
}

static void cm_destroy(clbb_op *op) {
    cm_state *s = op->impl;
    clbb__kernel_release(&s->k_hidden);
    clbb__kernel_release(&s->k_out);
    cl_mem *m[] = {&s->w0, &s->b0, &s->ln_w, &s->ln_b, &s->w1, &s->b1, &s->h};
    for (size_t k = 0; k < sizeof m / sizeof *m; k++) clbb__buffer_release(op->ctx, *m[k]);
}

static const clbb_op_vtable CM_VT = {"context_mlp", CLBB_FAMILIES_GPU, cm_reshape, NULL, cm_run,
                                     cm_destroy};

/* The first non-finite value of an array, named, or CLBB_OK. */
static clbb_status cm_finite(clbb_context *ctx, const char *what, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "context_mlp: %s[%zu] is not finite", what, i);
    return CLBB_OK;
}

clbb_status clbb_context_mlp_create(clbb_context *ctx, int32_t channels, int32_t planes,
                                    int32_t out_channels, const float *w0, const float *b0,
                                    const float *ln_weight, const float *ln_bias, float eps,
                                    const float *w1, const float *b1, clbb_activation act,
                                    const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_mlp: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, CM_VT.families, "context_mlp", &dtype, &family));
    if (channels < 1 || planes < 1 || out_channels < 1 ||
        (int64_t)channels * planes > (1 << 28) || (int64_t)out_channels * planes > (1 << 28))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "context_mlp: channels = %d, planes = %d, out_channels = %d (each >= 1, "
                          "planes times either channel count <= 2^28)",
                          channels, planes, out_channels);
    if (!w0 || !b0 || !w1 || !b1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "context_mlp: a conv weight or bias is NULL");
    if (!(eps > 0) || !isfinite(eps))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_mlp: eps = %g (must be > 0)",
                          (double)eps);
    CLBB_CHECK(clbb__activation_check(ctx, act, "context_mlp"));
    const size_t cp = (size_t)channels * planes, cop = (size_t)out_channels * planes;
    CLBB_CHECK(cm_finite(ctx, "w0", w0, cp));
    CLBB_CHECK(cm_finite(ctx, "b0", b0, (size_t)planes));
    CLBB_CHECK(cm_finite(ctx, "w1", w1, cop));
    CLBB_CHECK(cm_finite(ctx, "b1", b1, (size_t)out_channels));
    clbb_op *op = NULL;
    cl_mem lw = NULL, lb = NULL;
    clbb_status st = clbb__norm_affine(ctx, "context_mlp", planes, ln_weight, ln_bias, &lw, &lb);
    if (st == CLBB_OK) st = clbb__op_new(ctx, &CM_VT, sizeof(cm_state), 1, dtype, family, &op);
    if (st != CLBB_OK) {
        clbb__buffer_release(ctx, lw);
        clbb__buffer_release(ctx, lb);
        return st;
    }
    cm_state *s = op->impl;
    s->channels = channels;
    s->planes = planes;
    s->out_channels = out_channels;
    s->one = cm_one(channels, planes);
    s->eps = eps;
    s->act = act;
    s->ln_w = lw;
    s->ln_b = lb;
    float *w0t = NULL;
    if (s->one && !(w0t = malloc(cp * sizeof *w0t)))
        st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "context_mlp: out of host memory");
    for (size_t j = 0; w0t && j < (size_t)planes; j++)
        for (size_t c = 0; c < (size_t)channels; c++) w0t[c * planes + j] = w0[j * channels + c];
    if (st == CLBB_OK)
        st = clbb__buffer_from_host(ctx, w0t ? w0t : w0, cp * 4, "context_mlp w0", &s->w0);
    free(w0t);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, b0, (size_t)planes * 4, "context_mlp b0", &s->b0);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, w1, cop * 4, "context_mlp w1", &s->w1);
    if (st == CLBB_OK)
        st = clbb__buffer_from_host(ctx, b1, (size_t)out_channels * 4, "context_mlp b1", &s->b1);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
