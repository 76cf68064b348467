/* Pooling ops: max_pool2d, avg_pool2d, global_avg_pool (cl/pool2d.cl). */
#include <stdio.h>
#include <stdlib.h>

#include "op_internal.h"

#define GAP_LWS 64

typedef struct pool_state {
    clbb_pool2d_desc d;
    int kind; /* 0 max, 1 avg, 2 global avg */
    cl_kernel k;
    size_t gws[3], lws[3];
} pool_state;

static const char *const POOL_KERNELS[] = {"max_pool2d", "avg_pool2d", "global_avg_pool"};

static clbb_status pool_reshape(clbb_op *op, clbb_shape in) {
    pool_state *s = op->impl;
    char opts[256];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    if (s->kind == 2) {
        op->out_shape = (clbb_shape){in.n, in.c, 1, 1};
        clbb__opt_int(opts, sizeof opts, "GAP_LWS", GAP_LWS);
        s->lws[0] = GAP_LWS;
        s->lws[1] = s->lws[2] = 1;
        s->gws[0] = GAP_LWS;
        s->gws[1] = (size_t)in.c;
        s->gws[2] = (size_t)in.n;
        op->info.flops = (double)clbb_shape_numel(in);
    } else {
        char msg[256];
        clbb_status st = clbb_pool2d_output_shape(&s->d, in, &op->out_shape, msg, sizeof msg);
        if (st != CLBB_OK) return clbb__fail(op->ctx, st, "%s", msg);
        clbb__opt_int(opts, sizeof opts, "KH", s->d.kernel_h);
        clbb__opt_int(opts, sizeof opts, "KW", s->d.kernel_w);
        clbb__opt_int(opts, sizeof opts, "SH", s->d.stride_h);
        clbb__opt_int(opts, sizeof opts, "SW", s->d.stride_w);
        clbb__opt_int(opts, sizeof opts, "PH", s->d.pad_h);
        clbb__opt_int(opts, sizeof opts, "PW", s->d.pad_w);
        clbb__opt_int(opts, sizeof opts, "COUNT_PAD", s->d.count_include_pad != 0);
        clbb_shape o = op->out_shape;
        clbb__grid_per_output(o, s->gws, s->lws);
        op->info.flops = (double)clbb_shape_numel(o) * s->d.kernel_h * s->d.kernel_w;
    }
    op->info.bytes = (double)clbb_dtype_size(op->dtype) *
                     ((double)clbb_shape_numel(in) + (double)clbb_shape_numel(op->out_shape));
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s", POOL_KERNELS[s->kind]);
    if (s->k) clReleaseKernel(s->k);
    s->k = NULL;
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "pool2d", opts, &prog));
    return clbb__kernel_create(op->ctx, prog, POOL_KERNELS[s->kind], &s->k);
}

static clbb_status pool_run(clbb_op *op) {
    pool_state *s = op->impl;
    clbb_shape i = op->in_shape, o = op->out_shape;
    const char *name = POOL_KERNELS[s->kind];
    if (s->kind == 2) {
        cl_int HW = i.h * i.w;
        CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, name, CLBB_TENSOR_ARGS(&op->in[0]),
                                     CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &i.c,
                                     sizeof(cl_int), &HW, CLBB_ARGS_END));
    } else {
        CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, name, CLBB_TENSOR_ARGS(&op->in[0]),
                                     CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &i.c,
                                     sizeof(cl_int), &i.h, sizeof(cl_int), &i.w, sizeof(cl_int),
                                     &o.h, sizeof(cl_int), &o.w, sizeof(cl_int), &o.n, CLBB_ARGS_END));
    }
    return clbb__enqueue(op->ctx, s->k, 3, s->gws, s->lws, name);
}

static void pool_destroy(clbb_op *op) {
    pool_state *s = op->impl;
    if (s->k) clReleaseKernel(s->k);
}

static const clbb_op_vtable MAX_VT = {"max_pool2d", CLBB_FAMILIES_GPU, pool_reshape, NULL,
                                      pool_run, pool_destroy};
static const clbb_op_vtable AVG_VT = {"avg_pool2d", CLBB_FAMILIES_GPU, pool_reshape, NULL,
                                      pool_run, pool_destroy};
static const clbb_op_vtable GAP_VT = {"global_avg_pool", CLBB_FAMILIES_GPU, pool_reshape, NULL,
                                      pool_run, pool_destroy};

static clbb_status pool_create(clbb_context *ctx, const clbb_pool2d_desc *d, int kind,
                               const clbb_op_vtable *vt, const clbb_op_options *options,
                               clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: out is NULL", vt->type);
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, vt->families, vt->type, &dtype, &family));
    if (kind != 2) {
        if (!d) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: desc is NULL", vt->type);
        char msg[256];
        clbb_shape probe = {1, 1, 1 << 16, 1 << 16}, o;
        clbb_status st = clbb_pool2d_output_shape(d, probe, &o, msg, sizeof msg);
        if (st != CLBB_OK) return clbb__fail(ctx, st, "%s: %s", vt->type, msg);
    }
    CLBB_CHECK(clbb__op_new(ctx, vt, sizeof(pool_state), 1, dtype, family, out));
    pool_state *s = (*out)->impl;
    if (d) s->d = *d;
    s->kind = kind;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_max_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *d,
                                   const clbb_op_options *options, clbb_op **out) {
    return pool_create(ctx, d, 0, &MAX_VT, options, out);
}

clbb_status clbb_avg_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *d,
                                   const clbb_op_options *options, clbb_op **out) {
    return pool_create(ctx, d, 1, &AVG_VT, options, out);
}

clbb_status clbb_global_avg_pool_create(clbb_context *ctx, const clbb_op_options *options,
                                        clbb_op **out) {
    return pool_create(ctx, NULL, 2, &GAP_VT, options, out);
}
