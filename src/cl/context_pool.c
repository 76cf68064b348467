/* context_pool op (cl/context_pool.cl): ContextBlock's attention pooling.
 * GPU family: per-tile logits, softmax statistics and partial sums in one
 * kernel (x read once), merged per channel by a second; CPU family:
 * logits, softmax and weighted sums in three kernels over N*HW floats. */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

#define CP_LWS 128
/* GPU tiles: 64 positions, the channels split two ways for the logits;
 * each tile's C partial sums cost 4*C bytes against its 64*C elements */
#define CP_GPU_LWS 128
#define CP_TP 64

typedef struct cp_state {
    int32_t channels;
    float bias;
    cl_mem weight, ws;
    cl_kernel k[3];
} cp_state;

static int cp_cpu(const clbb_op *op) { return op->family == CLBB_KERNEL_FAMILY_CPU; }

static const char *const CP_NAMES[2][3] = {
    {"context_pool_tile", "context_pool_merge", NULL},
    {"context_pool_logits_cpu", "context_pool_softmax", "context_pool_sum_cpu"}};

static size_t cp_tiles(clbb_shape in) { return ((size_t)in.h * in.w + CP_TP - 1) / CP_TP; }

static clbb_status cp_reshape(clbb_op *op, clbb_shape in) {
    cp_state *s = op->impl;
    const int cpu = cp_cpu(op);
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "context_pool: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = (clbb_shape){in.n, in.c, 1, 1};
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 4.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * ((cpu ? 2 : 1) * n + (double)in.n * in.c);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s",
             cpu ? "context_pool_3k_cpu" : "context_pool_tiles_t64");
    clbb__buffer_release(op->ctx, s->ws);
    s->ws = NULL;
    const size_t ws = cpu ? (size_t)in.n * in.h * in.w * sizeof(float)
                          : (size_t)in.n * cp_tiles(in) * ((size_t)in.c + 2) * sizeof(float);
    CLBB_CHECK(clbb__buffer_create(op->ctx, ws, CL_MEM_READ_WRITE, NULL, "context_pool workspace",
                                   &s->ws));
    op->info.workspace_bytes = ws;
    if (!s->k[0]) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "CP_LWS", cpu ? CP_LWS : CP_GPU_LWS);
        if (!cpu) clbb__opt_int(opts, sizeof opts, "CP_TP", CP_TP);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "context_pool", opts, &prog));
        for (int i = 0; i < 3 && CP_NAMES[cpu][i]; i++)
            CLBB_CHECK(clbb__kernel_create(op->ctx, prog, CP_NAMES[cpu][i], &s->k[i]));
    }
    return CLBB_OK;
}

static clbb_status cp_run_gpu(clbb_op *op) {
    cp_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    cl_int C = i.c, HW = i.h * i.w, tiles = (cl_int)cp_tiles(i);
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], CP_NAMES[0][0], CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->weight, sizeof(cl_float), &s->bias,
                                 sizeof(cl_mem), &s->ws, sizeof(cl_int), &C, sizeof(cl_int), &HW,
                                 CLBB_ARGS_END));
    size_t lws[2] = {CP_GPU_LWS, 1}, gws[2] = {(size_t)tiles * CP_GPU_LWS, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 2, gws, lws, CP_NAMES[0][0]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], CP_NAMES[0][1], sizeof(cl_mem), &s->ws,
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C, sizeof(cl_int),
                                 &tiles, CLBB_ARGS_END));
    lws[0] = 64;
    gws[0] = clbb__round_up((size_t)C, 64);
    return clbb__enqueue(op->ctx, s->k[1], 2, gws, lws, CP_NAMES[0][1]);
}

static clbb_status cp_run(clbb_op *op) {
    if (!cp_cpu(op)) return cp_run_gpu(op);
    cp_state *s = op->impl;
    const char *const *nm = CP_NAMES[1];
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    cl_int C = i.c, HW = i.h * i.w;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], nm[0], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->weight, sizeof(cl_float), &s->bias, sizeof(cl_mem), &s->ws,
                                 sizeof(cl_int), &C, sizeof(cl_int), &HW, CLBB_ARGS_END));
    size_t lws[2] = {1, 1}, gws[2] = {((size_t)HW + 63) / 64, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 2, gws, lws, nm[0]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], nm[1], sizeof(cl_mem), &s->ws, sizeof(cl_int),
                                 &HW, CLBB_ARGS_END));
    gws[0] = lws[0] = CP_LWS;
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[1], 2, gws, lws, nm[1]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[2], nm[2], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->ws, CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C,
                                 sizeof(cl_int), &HW, CLBB_ARGS_END));
    size_t g2[2] = {(size_t)C, (size_t)i.n}, l2[2] = {1, 1};
    return clbb__enqueue(op->ctx, s->k[2], 2, g2, l2, nm[2]);
}

static void cp_destroy(clbb_op *op) {
    cp_state *s = op->impl;
    for (int i = 0; i < 3; i++) clbb__kernel_release(&s->k[i]);
    clbb__buffer_release(op->ctx, s->weight);
    clbb__buffer_release(op->ctx, s->ws);
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
