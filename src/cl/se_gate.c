/* se_gate op (cl/se_gate.cl): GhostNet's SE gate, pool + conv_reduce +
 * ReLU + conv_expand + gate activation on N x C x H x W into N x C x 1 x 1,
 * one launch of one work-group per sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "op_internal.h"

#define SE_LWS 256

typedef struct se_state {
    int32_t channels, planes;
    clbb_activation act;
    int lp, lh, lo, parts;
    size_t local_bytes;
    cl_mem w0t, b0, w1t, b1;
    cl_kernel k;
} se_state;

/* lanes per output: the largest power of two with outputs * lanes <= SE_LWS (>= 1) */
static int lanes(int outputs) {
    int l = 1;
    while (l < 32 && (long)outputs * l * 2 <= SE_LWS) l *= 2;
    return l;
}

static clbb_status se_reshape(clbb_op *op, clbb_shape in) {
    se_state *s = op->impl;
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "se_gate: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = (clbb_shape){in.n, in.c, 1, 1};
    const int C = s->channels, P = s->planes;
    s->lp = lanes(C);
    s->lh = lanes(P);
    s->lo = lanes(C);
    s->parts = C * s->lp;
    if (P * s->lh > s->parts) s->parts = P * s->lh;
    s->local_bytes = ((size_t)s->parts + C + P) * sizeof(float);
    clbb_device_info info;
    CLBB_CHECK(clbb_context_device_info(op->ctx, &info));
    if (info.local_mem_bytes && s->local_bytes > info.local_mem_bytes)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "se_gate: %d channels and %d planes need %zu bytes of local memory, "
                          "the device has %llu",
                          C, P, s->local_bytes, (unsigned long long)info.local_mem_bytes);
    const double n = in.n, plane = (double)in.h * in.w;
    op->info.flops = n * (C * plane + 4.0 * C * P);
    op->info.bytes = clbb_dtype_size(op->dtype) * n * C * (plane + 1) + 4.0 * (2.0 * C * P + C + P);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "se_gate_1k_l%d", SE_LWS);
    if (!s->k) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "SE_LWS", SE_LWS);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "se_gate", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "se_gate", &s->k));
    }
    return CLBB_OK;
}

static clbb_status se_run(clbb_op *op) {
    se_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    cl_int C = s->channels, P = s->planes, HW = i.h * i.w, S = s->parts, lp = s->lp, lh = s->lh,
           lo = s->lo;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "se_gate", CLBB_TENSOR_ARGS(&op->in[0]),
                                 sizeof(cl_mem), &s->w0t, sizeof(cl_mem), &s->b0, sizeof(cl_mem),
                                 &s->w1t, sizeof(cl_mem), &s->b1, CLBB_TENSOR_ARGS(&op->out),
                                 s->local_bytes, NULL, sizeof(cl_int), &C, sizeof(cl_int), &P,
                                 sizeof(cl_int), &HW, sizeof(cl_int), &S, sizeof(cl_int), &lp,
                                 sizeof(cl_int), &lh, sizeof(cl_int), &lo, CLBB_ARGS_END));
    size_t lws[1] = {SE_LWS}, gws[1] = {(size_t)i.n * SE_LWS};
    return clbb__enqueue(op->ctx, s->k, 1, gws, lws, "se_gate");
}

static void se_destroy(clbb_op *op) {
    se_state *s = op->impl;
    clbb__kernel_release(&s->k);
    cl_mem m[] = {s->w0t, s->b0, s->w1t, s->b1};
    for (size_t k = 0; k < sizeof m / sizeof *m; k++) clbb__buffer_release(op->ctx, m[k]);
}

static const clbb_op_vtable SE_VT = {"se_gate", CLBB_FAMILIES_GPU, se_reshape, NULL, se_run,
                                     se_destroy};

static clbb_status se_finite(clbb_context *ctx, const char *what, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "se_gate: %s[%zu] is not finite",
                              what, i);
    return CLBB_OK;
}

/* rows x cols row-major into cols x rows */
static float *transposed(const float *a, size_t rows, size_t cols) {
    float *t = malloc(rows * cols * sizeof *t);
    for (size_t r = 0; t && r < rows; r++)
        for (size_t c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    return t;
}

clbb_status clbb_se_gate_create(clbb_context *ctx, int32_t channels, int32_t planes,
                                const float *w0, const float *b0, const float *w1,
                                const float *b1, clbb_activation act,
                                const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "se_gate: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, SE_VT.families, "se_gate", &dtype, &family));
    if (channels < 1 || planes < 1 || channels > (1 << 16) || planes > (1 << 16) ||
        (int64_t)channels * planes > (1 << 28))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "se_gate: channels = %d, planes = %d (each 1 .. 65536, product <= 2^28)",
                          channels, planes);
    if (!w0 || !b0 || !w1 || !b1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "se_gate: a conv weight or bias is NULL");
    CLBB_CHECK(clbb__activation_check(ctx, act, "se_gate"));
    const size_t C = (size_t)channels, P = (size_t)planes;
    CLBB_CHECK(se_finite(ctx, "w0", w0, C * P));
    CLBB_CHECK(se_finite(ctx, "b0", b0, P));
    CLBB_CHECK(se_finite(ctx, "w1", w1, C * P));
    CLBB_CHECK(se_finite(ctx, "b1", b1, C));
    float *w0t = transposed(w0, P, C), *w1t = transposed(w1, C, P);
    clbb_op *op = NULL;
    clbb_status st = w0t && w1t ? CLBB_OK
                                : clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "se_gate: out of host memory");
    if (st == CLBB_OK) st = clbb__op_new(ctx, &SE_VT, sizeof(se_state), 1, dtype, family, &op);
    if (st == CLBB_OK) {
        se_state *s = op->impl;
        s->channels = channels;
        s->planes = planes;
        s->act = act;
        st = clbb__buffer_from_host(ctx, w0t, C * P * 4, "se_gate w0", &s->w0t);
        if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, b0, P * 4, "se_gate b0", &s->b0);
        if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, w1t, C * P * 4, "se_gate w1", &s->w1t);
        if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, b1, C * 4, "se_gate b1", &s->b1);
    }
    free(w0t);
    free(w1t);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
