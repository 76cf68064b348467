/* context_pool op (cl/context_pool.cl): ContextBlock's attention pooling.
 * GPU family: up to CP_SMALL_C channels, logits (channel groups added in
 * a work-group) and per-channel weighted sums with the softmax made from
 * the cached logits (two kernels); above, split-channel partial logits,
 * per-tile softmax statistics, per-channel weighted sums (x read twice,
 * every kernel thousands of work-groups wide); CPU family: logits, softmax
 * and weighted sums in three kernels over N*HW floats. */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

#define CP_LWS 128
#define CP_GPU_LWS 256
/* the partial logits' channel splits: enough work-items (N*HW*splits) to
 * cover a large GPU's latency, each summing at least 16 channels */
#define CP_TARGET_ITEMS 131072
/* the two-kernel GPU path up to this many channels (a work-group's groups
 * of at least 32 channels each: 16 groups of 16 positions at 512) */
#define CP_SMALL_C 512

typedef struct cp_state {
    int32_t channels;
    float bias;
    cl_mem weight, ws, e, stats;
    cl_kernel k[3];
} cp_state;

static int cp_cpu(const clbb_op *op) { return op->family == CLBB_KERNEL_FAMILY_CPU; }

enum { CP_PATH_SPLIT, CP_PATH_CPU, CP_PATH_SMALL };

static int cp_path(const clbb_op *op) {
    const cp_state *s = op->impl;
    return cp_cpu(op) ? CP_PATH_CPU : s->channels <= CP_SMALL_C ? CP_PATH_SMALL : CP_PATH_SPLIT;
}

static const char *const CP_NAMES[3][3] = {
    {"context_pool_logits_split", "context_pool_tile_stats", "context_pool_wsum"},
    {"context_pool_logits_cpu", "context_pool_softmax", "context_pool_sum_cpu"},
    {"context_pool_logits_wg", "context_pool_wsum_logits", NULL}};
static const char *const CP_ALGOS[3] = {"context_pool_split_l256", "context_pool_3k_cpu",
                                        "context_pool_2k_l256"};

/* positions per work-group of context_pool_logits_wg: CP_GPU_LWS / groups,
 * groups the largest power of two <= C / 32 (1 .. 16) */
static int cp_tile_positions(int c) {
    int groups = 1;
    while (groups < 16 && groups * 2 * 32 <= c) groups *= 2;
    return CP_GPU_LWS / groups;
}

static size_t cp_tiles(clbb_shape in) {
    return ((size_t)in.h * in.w + CP_GPU_LWS - 1) / CP_GPU_LWS;
}

static int cp_splits(clbb_shape in) {
    const double items = (double)in.n * in.h * in.w;
    int s = (int)ceil(CP_TARGET_ITEMS / items);
    const int max_s = in.c / 16 > 1 ? in.c / 16 : 1;
    return s < 1 ? 1 : s > max_s ? max_s : s;
}

static size_t cp_small_tiles(clbb_shape in) {
    const size_t tp = (size_t)cp_tile_positions(in.c);
    return ((size_t)in.h * in.w + tp - 1) / tp;
}

static clbb_status cp_buffers(clbb_op *op, size_t ws, size_t e, size_t stats) {
    cp_state *s = op->impl;
    const size_t sizes[3] = {ws, e, stats};
    cl_mem *bufs[3] = {&s->ws, &s->e, &s->stats};
    op->info.workspace_bytes = 0;
    for (int i = 0; i < 3; i++) {
        clbb__buffer_release(op->ctx, *bufs[i]);
        *bufs[i] = NULL;
        if (!sizes[i]) continue;
        CLBB_CHECK(clbb__buffer_create(op->ctx, sizes[i], CL_MEM_READ_WRITE, NULL,
                                       "context_pool workspace", bufs[i]));
        op->info.workspace_bytes += sizes[i];
    }
    return CLBB_OK;
}

static clbb_status cp_reshape(clbb_op *op, clbb_shape in) {
    cp_state *s = op->impl;
    const int cpu = cp_cpu(op), path = cp_path(op);
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "context_pool: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = (clbb_shape){in.n, in.c, 1, 1};
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 4.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * (2 * n + (double)in.n * in.c);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s", CP_ALGOS[path]);
    const size_t nhw = (size_t)in.n * in.h * in.w * sizeof(float);
    if (path == CP_PATH_CPU)
        CLBB_CHECK(cp_buffers(op, nhw, 0, 0));
    else if (path == CP_PATH_SMALL)
        CLBB_CHECK(cp_buffers(op, nhw, 0, cp_small_tiles(in) * (size_t)in.n * sizeof(float)));
    else
        CLBB_CHECK(cp_buffers(op, nhw * (size_t)cp_splits(in), nhw,
                              (size_t)in.n * cp_tiles(in) * 2 * sizeof(float)));
    if (!s->k[0]) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "CP_LWS", cpu ? CP_LWS : CP_GPU_LWS);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "context_pool", opts, &prog));
        for (int i = 0; i < 3 && CP_NAMES[path][i]; i++)
            CLBB_CHECK(clbb__kernel_create(op->ctx, prog, CP_NAMES[path][i], &s->k[i]));
    }
    return CLBB_OK;
}

static clbb_status cp_run_gpu(clbb_op *op) {
    cp_state *s = op->impl;
    const char *const *nm = CP_NAMES[CP_PATH_SPLIT];
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    const int splits = cp_splits(i);
    cl_int C = i.c, HW = i.h * i.w, tiles = (cl_int)cp_tiles(i), S = splits;
    cl_int cps = (C + splits - 1) / splits;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], nm[0], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->weight, sizeof(cl_mem), &s->ws, sizeof(cl_int), &C,
                                 sizeof(cl_int), &HW, sizeof(cl_int), &cps, CLBB_ARGS_END));
    size_t l3[3] = {64, 1, 1};
    size_t g3[3] = {clbb__round_up((size_t)HW, 64), (size_t)splits, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 3, g3, l3, nm[0]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], nm[1], sizeof(cl_mem), &s->ws, sizeof(cl_float),
                                 &s->bias, sizeof(cl_int), &S, sizeof(cl_mem), &s->e,
                                 sizeof(cl_mem), &s->stats, sizeof(cl_int), &HW, CLBB_ARGS_END));
    size_t l2[2] = {CP_GPU_LWS, 1}, g2[2] = {(size_t)tiles * CP_GPU_LWS, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[1], 2, g2, l2, nm[1]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[2], nm[2], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->e, sizeof(cl_mem), &s->stats, sizeof(cl_int), &tiles,
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C, sizeof(cl_int),
                                 &HW, CLBB_ARGS_END));
    l3[0] = CP_GPU_LWS;
    g3[0] = CP_GPU_LWS;
    g3[1] = (size_t)C;
    return clbb__enqueue(op->ctx, s->k[2], 3, g3, l3, nm[2]);
}

static clbb_status cp_run_small(clbb_op *op) {
    cp_state *s = op->impl;
    const char *const *nm = CP_NAMES[CP_PATH_SMALL];
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    cl_int C = i.c, HW = i.h * i.w, tp = cp_tile_positions(i.c);
    cl_int tiles = (cl_int)cp_small_tiles(i);
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], nm[0], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->weight, sizeof(cl_float), &s->bias, sizeof(cl_mem), &s->ws,
                                 sizeof(cl_mem), &s->stats, sizeof(cl_int), &C, sizeof(cl_int),
                                 &HW, sizeof(cl_int), &tp, CLBB_ARGS_END));
    size_t l2[2] = {CP_GPU_LWS, 1};
    size_t g2[2] = {(size_t)tiles * CP_GPU_LWS, (size_t)i.n};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 2, g2, l2, nm[0]));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], nm[1], CLBB_TENSOR_ARGS(x), sizeof(cl_mem),
                                 &s->ws, sizeof(cl_mem), &s->stats, sizeof(cl_int), &tiles,
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &HW,
                                 CLBB_ARGS_END));
    size_t l3[3] = {CP_GPU_LWS, 1, 1}, g3[3] = {CP_GPU_LWS, (size_t)C, (size_t)i.n};
    return clbb__enqueue(op->ctx, s->k[1], 3, g3, l3, nm[1]);
}

static clbb_status cp_run(clbb_op *op) {
    const int path = cp_path(op);
    if (path == CP_PATH_SMALL) return cp_run_small(op);
    if (path == CP_PATH_SPLIT) return cp_run_gpu(op);
    cp_state *s = op->impl;
    const char *const *nm = CP_NAMES[CP_PATH_CPU];
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
    clbb__buffer_release(op->ctx, s->e);
    clbb__buffer_release(op->ctx, s->stats);
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
