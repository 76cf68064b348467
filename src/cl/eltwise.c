/* Element-wise ops: batch_norm (inference), add, mul (SE gate); launchers
 * of cl/eltwise.cl. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eltwise_internal.h"

#define ELT_VEC 4
#define ELT_VEC_F16_ADD 8
#define ELT_LWS0 256

/* Flat grid over each image's C x HW span (see cl/eltwise.cl). */
static void elt_sizes(clbb_shape s, int vec, size_t gws[3], size_t lws[3]) {
    size_t items = ((size_t)s.c * s.h * s.w + vec - 1) / vec;
    lws[0] = items >= 4 * ELT_LWS0 ? ELT_LWS0 : items >= 64 ? 64 : 16;
    lws[1] = 1;
    lws[2] = 1;
    gws[0] = clbb__round_up(items, lws[0]);
    gws[1] = (size_t)s.n;
    gws[2] = 1;
}

static clbb_status elt_program(clbb_context *ctx, clbb_dtype dtype, clbb_activation act,
                               int has_scale, int has_shift, int has_res, int vec,
                               const char *name, cl_kernel *out) {
    char opts[256];
    clbb__opt_dtype(opts, sizeof opts, dtype);
    clbb__opt_int(opts, sizeof opts, "ACT", act);
    clbb__opt_int(opts, sizeof opts, "HAS_SCALE", has_scale);
    clbb__opt_int(opts, sizeof opts, "HAS_SHIFT", has_shift);
    clbb__opt_int(opts, sizeof opts, "HAS_RES", has_res);
    clbb__opt_int(opts, sizeof opts, "VEC", vec);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(ctx, "eltwise", opts, &prog));
    return clbb__kernel_create(ctx, prog, name, out);
}

/* the CPU family: channel_affine_act_cpu (see cl/eltwise.cl) */
#define AFFINE_CPU_CHUNK 4096

clbb_status clbb__affine_kernel(clbb_context *ctx, clbb_dtype dtype, clbb_kernel_family family,
                                clbb_activation act, int has_scale, int has_shift, int has_res,
                                cl_kernel *out) {
    const int cpu = family == CLBB_KERNEL_FAMILY_CPU;
    return elt_program(ctx, dtype, act, has_scale, has_shift, has_res, ELT_VEC,
                       cpu ? "channel_affine_act_cpu" : "channel_affine_act", out);
}

clbb_status clbb__affine_enqueue(clbb_context *ctx, cl_kernel k, clbb_kernel_family family,
                                 const clbb_tensor *x, cl_mem scale, cl_mem shift,
                                 const clbb_tensor *res, const clbb_tensor *y, clbb_shape s) {
    if (!res) res = x;
    cl_int C = s.c, HW = s.h * s.w;
    const int cpu = family == CLBB_KERNEL_FAMILY_CPU;
    const char *name = cpu ? "channel_affine_act_cpu" : "channel_affine_act";
    cl_int ch = AFFINE_CPU_CHUNK;
    /* the CPU kernel's chunk argument; a size of 0 ends the list for the other */
    CLBB_CHECK(clbb__kernel_args(ctx, k, name, CLBB_TENSOR_ARGS(x), sizeof(cl_mem), &scale,
                                 sizeof(cl_mem), &shift, CLBB_TENSOR_ARGS(res),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &C, sizeof(cl_int), &HW,
                                 cpu ? sizeof ch : (size_t)0, (const void *)&ch, CLBB_ARGS_END));
    size_t gws[3], lws[3];
    if (cpu) {
        gws[0] = ((size_t)HW + ch - 1) / ch;
        gws[1] = (size_t)C;
        gws[2] = (size_t)s.n;
        lws[0] = lws[1] = lws[2] = 1;
        return clbb__enqueue(ctx, k, 3, gws, lws, name);
    }
    elt_sizes(s, ELT_VEC, gws, lws);
    return clbb__enqueue(ctx, k, 2, gws, lws, "channel_affine_act");
}

/* ---- batch_norm ---- */

typedef struct bn_state {
    int32_t channels;
    int has_res;
    clbb_activation act;
    cl_mem scale, shift;
    cl_kernel k;
} bn_state;

static clbb_status bn_reshape(clbb_op *op, clbb_shape in) {
    bn_state *s = op->impl;
    if (in.c != s->channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "batch_norm: input has %d channels, expected %d",
                          in.c, s->channels);
    op->out_shape = in;
    double n = (double)clbb_shape_numel(in);
    op->info.flops = 2.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * (2 + s->has_res);
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    snprintf(op->info.algorithm, sizeof op->info.algorithm,
             cpu ? "channel_affine_act_cpu" : "channel_affine_act");
    if (!s->k)
        CLBB_CHECK(clbb__affine_kernel(op->ctx, op->dtype, op->family, s->act, 1, 1, s->has_res,
                                       &s->k));
    return CLBB_OK;
}

static clbb_status bn_setup(clbb_op *op) {
    bn_state *s = op->impl;
    if (s->has_res) CLBB_CHECK(clbb__op_expect_shape(op, 1, op->out_shape, "residual"));
    return CLBB_OK;
}

static clbb_status bn_run(clbb_op *op) {
    bn_state *s = op->impl;
    return clbb__affine_enqueue(op->ctx, s->k, op->family, &op->in[0], s->scale, s->shift,
                                s->has_res ? &op->in[1] : NULL, &op->out, op->out_shape);
}

static void bn_destroy(clbb_op *op) {
    bn_state *s = op->impl;
    if (s->k) clReleaseKernel(s->k);
    clbb__buffer_release(op->ctx, s->scale);
    clbb__buffer_release(op->ctx, s->shift);
}

static const clbb_op_vtable BN_VT = {"batch_norm", CLBB_FAMILIES_BOTH, bn_reshape, bn_setup,
                                     bn_run, bn_destroy};

/* In place: y may be x or the residual (each element is read before it is
 * written). */
static void allow_alias(clbb_op *op) {
    for (int i = 0; i < op->num_inputs; i++) op->in_flags[i] |= CLBB_IN_ALIAS;
}

clbb_status clbb_batch_norm_create(clbb_context *ctx, int32_t channels, const float *mean,
                                   const float *var, const float *weight, const float *bias,
                                   float eps, int residual, clbb_activation act,
                                   const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "batch_norm: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, BN_VT.families, "batch_norm", &dtype, &family));
    if (channels < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "batch_norm: channels = %d", channels);
    if (!(eps >= 0) || !isfinite(eps))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "batch_norm: eps = %g", (double)eps);
    CLBB_CHECK(clbb__activation_check(ctx, act, "batch_norm"));
    float *sc = malloc((size_t)channels * sizeof *sc), *sh = malloc((size_t)channels * sizeof *sh);
    if (!sc || !sh) {
        free(sc);
        free(sh);
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "batch_norm: out of host memory");
    }
    clbb_status st = clbb__bn_fold(ctx, channels, mean, var, weight, bias, eps, sc, sh);
    clbb_op *op = NULL;
    if (st == CLBB_OK)
        st = clbb__op_new(ctx, &BN_VT, sizeof(bn_state), 1 + (residual != 0), dtype, family, &op);
    if (st == CLBB_OK) {
        allow_alias(op);
        bn_state *s = op->impl;
        s->channels = channels;
        s->has_res = residual != 0;
        s->act = act;
        st = clbb__buffer_from_host(ctx, sc, (size_t)channels * 4, "batch_norm scale", &s->scale);
        if (st == CLBB_OK)
            st = clbb__buffer_from_host(ctx, sh, (size_t)channels * 4, "batch_norm shift", &s->shift);
    }
    free(sc);
    free(sh);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}

/* ---- add and mul ---- */

typedef struct bin_state {
    clbb_activation act;
    int is_mul;
    cl_kernel k;
} bin_state;

/* add in half: 8 elements a work-item, one 8-wide conversion each (see
 * add_act); mul and float keep 4 */
static int bin_vec(const clbb_op *op) {
    const bin_state *s = op->impl;
    return op->dtype == CLBB_DTYPE_F16 && !s->is_mul ? ELT_VEC_F16_ADD : ELT_VEC;
}

static clbb_status bin_reshape(clbb_op *op, clbb_shape in) {
    bin_state *s = op->impl;
    op->out_shape = in;
    double n = (double)clbb_shape_numel(in);
    op->info.flops = n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * (s->is_mul ? 2 : 3);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, s->is_mul ? "mul_channel" : "add_act");
    if (!s->k)
        CLBB_CHECK(elt_program(op->ctx, op->dtype, s->act, 0, 0, 0, bin_vec(op),
                               s->is_mul ? "mul_channel" : "add_act", &s->k));
    return CLBB_OK;
}

static clbb_status bin_setup(clbb_op *op) {
    bin_state *s = op->impl;
    clbb_shape want = op->in_shape;
    if (s->is_mul) want.h = want.w = 1;
    return clbb__op_expect_shape(op, 1, want, s->is_mul ? "gate" : "second input");
}

static clbb_status bin_run(clbb_op *op) {
    bin_state *s = op->impl;
    clbb_shape sh = op->out_shape;
    cl_int C = sh.c, HW = sh.h * sh.w;
    const char *name = s->is_mul ? "mul_channel" : "add_act";
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, name, CLBB_TENSOR_ARGS(&op->in[0]),
                                 CLBB_TENSOR_ARGS(&op->in[1]), CLBB_TENSOR_ARGS(&op->out),
                                 sizeof(cl_int), &C, sizeof(cl_int), &HW, CLBB_ARGS_END));
    size_t gws[3], lws[3];
    elt_sizes(sh, bin_vec(op), gws, lws);
    return clbb__enqueue(op->ctx, s->k, 2, gws, lws, name);
}

static void bin_destroy(clbb_op *op) {
    bin_state *s = op->impl;
    if (s->k) clReleaseKernel(s->k);
}

static const clbb_op_vtable ADD_VT = {"add", CLBB_FAMILIES_GPU, bin_reshape, bin_setup, bin_run,
                                      bin_destroy};
static const clbb_op_vtable MUL_VT = {"mul", CLBB_FAMILIES_GPU, bin_reshape, bin_setup, bin_run,
                                      bin_destroy};

static clbb_status bin_create(clbb_context *ctx, const clbb_op_vtable *vt, clbb_activation act,
                              const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: out is NULL", vt->type);
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, vt->families, vt->type, &dtype, &family));
    CLBB_CHECK(clbb__activation_check(ctx, act, vt->type));
    CLBB_CHECK(clbb__op_new(ctx, vt, sizeof(bin_state), 2, dtype, family, out));
    bin_state *s = (*out)->impl;
    s->act = act;
    s->is_mul = vt == &MUL_VT;
    /* add: y may be a or b; mul: y may be x (the gate has another shape) */
    (*out)->in_flags[0] |= CLBB_IN_ALIAS;
    if (!s->is_mul) (*out)->in_flags[1] |= CLBB_IN_ALIAS;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_add_create(clbb_context *ctx, clbb_activation act,
                            const clbb_op_options *options, clbb_op **out) {
    return bin_create(ctx, &ADD_VT, act, options, out);
}

clbb_status clbb_mul_create(clbb_context *ctx, const clbb_op_options *options, clbb_op **out) {
    return bin_create(ctx, &MUL_VT, CLBB_ACTIVATION_NONE, options, out);
}
