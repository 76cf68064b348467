/* group_norm op: statistics kernel + apply kernel (cl/group_norm.cl). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "op_internal.h"

#define GN_LWS 128

typedef struct gn_state {
    int32_t channels, groups;
    float eps;
    int has_res;
    clbb_activation act;
    cl_mem weight, bias, stats;
    cl_kernel k_stats, k_apply;
} gn_state;

static clbb_status gn_reshape(clbb_op *op, clbb_shape in) {
    gn_state *s = op->impl;
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "group_norm: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = in;
    double n = (double)clbb_shape_numel(in);
    op->info.flops = 7.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * (2 + s->has_res);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "group_norm_2pass");
    clbb__buffer_release(op->ctx, s->stats);
    s->stats = NULL;
    CLBB_CHECK(clbb__buffer_create(op->ctx, (size_t)in.n * s->groups * 2 * sizeof(float),
                                   CL_MEM_READ_WRITE, NULL, "group_norm stats", &s->stats));
    op->info.workspace_bytes = (size_t)in.n * s->groups * 2 * sizeof(float);
    if (!s->k_stats) {
        char opts[256];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "GN_LWS", GN_LWS);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        clbb__opt_int(opts, sizeof opts, "HAS_RES", s->has_res);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "group_norm", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "group_norm_stats", &s->k_stats));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "group_norm_apply", &s->k_apply));
    }
    return CLBB_OK;
}

static clbb_status gn_setup(clbb_op *op) {
    gn_state *s = op->impl;
    if (s->has_res) CLBB_CHECK(clbb__op_expect_shape(op, 1, op->out_shape, "residual"));
    return CLBB_OK;
}

static clbb_status gn_run(clbb_op *op) {
    gn_state *s = op->impl;
    clbb_shape i = op->in_shape;
    cl_int G = s->groups, CG = s->channels / s->groups, HW = i.h * i.w;
    const clbb_tensor *x = &op->in[0], *r = s->has_res ? &op->in[1] : x;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_stats, "group_norm_stats", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->stats, sizeof(cl_int), &G, sizeof(cl_int), &CG,
                                 sizeof(cl_int), &HW, sizeof(cl_float), &s->eps, CLBB_ARGS_END));
    size_t gws[3] = {GN_LWS, (size_t)G, (size_t)i.n}, lws[3] = {GN_LWS, 1, 1};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_stats, 3, gws, lws, "group_norm_stats"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_apply, "group_norm_apply", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->stats, sizeof(cl_mem), &s->weight,
                                 sizeof(cl_mem), &s->bias, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &G, sizeof(cl_int), &CG,
                                 sizeof(cl_int), &HW, CLBB_ARGS_END));
    size_t lws2[2] = {256, 1};
    size_t gws2[2] = {clbb__round_up((size_t)HW * i.c, 256), (size_t)i.n};
    return clbb__enqueue(op->ctx, s->k_apply, 2, gws2, lws2, "group_norm_apply");
}

static void gn_destroy(clbb_op *op) {
    gn_state *s = op->impl;
    if (s->k_stats) clReleaseKernel(s->k_stats);
    if (s->k_apply) clReleaseKernel(s->k_apply);
    clbb__buffer_release(op->ctx, s->weight);
    clbb__buffer_release(op->ctx, s->bias);
    clbb__buffer_release(op->ctx, s->stats);
}

static const clbb_op_vtable GN_VT = {"group_norm", CLBB_FAMILIES_GPU, gn_reshape, gn_setup,
                                     gn_run, gn_destroy};

clbb_status clbb_group_norm_create(clbb_context *ctx, int32_t channels, int32_t groups,
                                   const float *weight, const float *bias, float eps,
                                   int residual, clbb_activation act,
                                   const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "group_norm: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, GN_VT.families, "group_norm", &dtype, &family));
    if (channels < 1 || groups < 1 || channels % groups)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "group_norm: num_groups = %d must divide channels = %d", groups, channels);
    if (!(eps > 0) || !isfinite(eps))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "group_norm: eps = %g (must be > 0)",
                          (double)eps);
    CLBB_CHECK(clbb__activation_check(ctx, act, "group_norm"));
    cl_mem wm, bm;
    CLBB_CHECK(clbb__norm_affine(ctx, "group_norm", channels, weight, bias, &wm, &bm));
    clbb_op *op = NULL;
    clbb_status st = clbb__op_new(ctx, &GN_VT, sizeof(gn_state), 1 + (residual != 0), dtype, family, &op);
    if (st == CLBB_OK) {
        /* in place: the statistics pass reads x before the apply pass
         * writes, which reads each element before writing it */
        for (int i = 0; i < op->num_inputs; i++) op->in_flags[i] |= CLBB_IN_ALIAS;
        gn_state *s = op->impl;
        s->channels = channels;
        s->groups = groups;
        s->eps = eps;
        s->has_res = residual != 0;
        s->act = act;
        s->weight = wm;
        s->bias = bm;
    } else {
        clbb__buffer_release(ctx, wm);
        clbb__buffer_release(ctx, bm);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
