/* context_pool op (cl/context_pool.cl): ContextBlock's attention pooling,
 * logits, softmax and weighted sums in three kernels over a workspace of
 * N*HW floats. */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

#define CP_LWS 128

typedef struct cp_state {
    int32_t channels;
    float bias;
    cl_mem weight, logits;
    cl_kernel k_logits, k_softmax, k_sum;
} cp_state;

static const char *cp_sum_name(const clbb_op *op) {
    return op->family == CLBB_KERNEL_FAMILY_CPU ? "context_pool_sum_cpu" : "context_pool_sum";
}

static clbb_status cp_reshape(clbb_op *op, clbb_shape in) {
    cp_state *s = op->impl;
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "context_pool: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = (clbb_shape){in.n, in.c, 1, 1};
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 4.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * (2 * n + (double)in.n * in.c);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "context_pool_3k_%s",
             op->family == CLBB_KERNEL_FAMILY_CPU ? "cpu" : "gpu");
    clbb__buffer_release(op->ctx, s->logits);
    s->logits = NULL;
    const size_t ws = (size_t)in.n * in.h * in.w * sizeof(float);
    CLBB_CHECK(clbb__buffer_create(op->ctx, ws, CL_MEM_READ_WRITE, NULL, "context_pool logits",
                                   &s->logits));
    op->info.workspace_bytes = ws;
    if (!s->k_logits) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "CP_LWS", CP_LWS);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "context_pool", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "context_pool_logits", &s->k_logits));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "context_pool_softmax", &s->k_softmax));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, cp_sum_name(op), &s->k_sum));
    }
    return CLBB_OK;
}

static clbb_status cp_run(clbb_op *op) {
    cp_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    cl_int C = i.c, HW = i.h * i.w;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_logits, "context_pool_logits", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->weight, sizeof(cl_float), &s->bias,
                                 sizeof(cl_mem), &s->logits, sizeof(cl_int), &C, sizeof(cl_int),
                                 &HW, CLBB_ARGS_END));
    size_t lws[3] = {64, 1, 1}, gws[3] = {clbb__round_up((size_t)HW, 64), (size_t)i.n, 1};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_logits, 2, gws, lws, "context_pool_logits"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_softmax, "context_pool_softmax", sizeof(cl_mem),
                                 &s->logits, sizeof(cl_int), &HW, CLBB_ARGS_END));
    gws[0] = lws[0] = CP_LWS;
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_softmax, 2, gws, lws, "context_pool_softmax"));
    const char *name = cp_sum_name(op);
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_sum, name, CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->logits, CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C,
                                 sizeof(cl_int), &HW, CLBB_ARGS_END));
    if (op->family == CLBB_KERNEL_FAMILY_CPU) {
        size_t g2[2] = {(size_t)C, (size_t)i.n}, l2[2] = {1, 1};
        return clbb__enqueue(op->ctx, s->k_sum, 2, g2, l2, name);
    }
    size_t g3[3] = {CP_LWS, (size_t)C, (size_t)i.n}, l3[3] = {CP_LWS, 1, 1};
    return clbb__enqueue(op->ctx, s->k_sum, 3, g3, l3, name);
}

static void cp_destroy(clbb_op *op) {
    cp_state *s = op->impl;
    clbb__kernel_release(&s->k_logits);
    clbb__kernel_release(&s->k_softmax);
    clbb__kernel_release(&s->k_sum);
    clbb__buffer_release(op->ctx, s->weight);
    clbb__buffer_release(op->ctx, s->logits);
}

static const clbb_op_vtable CP_VT = {"context_pool", CLBB_FAMILIES_BOTH, cp_reshape, NULL, cp_run,
                                     cp_destroy};

clbb_status clbb_context_pool_create(clbb_context *ctx, int32_t channels, const float *weight,
                                     float bias, const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_pool: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, CP_VT.families, "context_pool", &dtype, &family));
    if (channels < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_pool: channels = %d", channels);
    if (!weight)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_pool: weight is NULL");
    if (!isfinite(bias))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "context_pool: bias is not finite");
    for (int32_t c = 0; c < channels; c++)
        if (!isfinite(weight[c]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "context_pool: weight of channel %d is not finite", c);
    clbb_op *op;
    CLBB_CHECK(clbb__op_new(ctx, &CP_VT, sizeof(cp_state), 1, dtype, family, &op));
    cp_state *s = op->impl;
    s->channels = channels;
    s->bias = bias;
    clbb_status st = clbb__buffer_from_host(ctx, weight, (size_t)channels * sizeof(float),
                                            "context_pool weight", &s->weight);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
