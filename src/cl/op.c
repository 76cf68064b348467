/* Generic op lifecycle: options, state checks and tensor binding (shapes,
 * dtypes, layouts and aliasing) for every op. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

void clbb_op_options_init(clbb_op_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->dtype = CLBB_DTYPE_F32;
    o->family = CLBB_KERNEL_FAMILY_AUTO;
}

clbb_kernel_family clbb__resolve_family(const clbb_context *ctx, clbb_kernel_family requested,
                                        unsigned families) {
    clbb_kernel_family f = requested == CLBB_KERNEL_FAMILY_AUTO ? clbb__default_family(ctx) : requested;
    if (families & CLBB_FAMILY_BIT(f)) return f;
    return (families & CLBB_FAMILIES_GPU) ? CLBB_KERNEL_FAMILY_GPU : CLBB_KERNEL_FAMILY_CPU;
}

clbb_status clbb__op_options(clbb_context *ctx, const clbb_op_options *o, unsigned families,
                             const char *type, clbb_dtype *dtype, clbb_kernel_family *family) {
    clbb_op_options d;
    clbb_op_options_init(&d);
    if (o) d = *o;
    CLBB_CHECK(clbb__dtype_check(ctx, d.dtype, type));
    if (!clbb_kernel_family_name(d.family))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: options.family = %d", type,
                          (int)d.family);
    if (!clbb_math_name(d.math))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: options.math = %d", type,
                          (int)d.math);
    *dtype = d.dtype;
    *family = clbb__resolve_family(ctx, d.family, families);
    return CLBB_OK;
}

clbb_status clbb__activation_check(clbb_context *ctx, clbb_activation act, const char *what) {
    if ((int)act < 0 || act >= CLBB_ACTIVATION_COUNT)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: activation = %d", what, (int)act);
    return CLBB_OK;
}

clbb_status clbb__op_new(clbb_context *ctx, const clbb_op_vtable *vt, size_t impl_size,
                         int num_inputs, clbb_dtype dtype, clbb_kernel_family family,
                         clbb_op **out) {
    *out = NULL;
    clbb_op *op = calloc(1, sizeof *op);
    void *impl = impl_size ? calloc(1, impl_size) : NULL;
    clbb_tensor *in = calloc((size_t)num_inputs, sizeof *in);
    unsigned *flags = calloc((size_t)num_inputs, sizeof *flags);
    if (!op || (impl_size && !impl) || !in || !flags) {
        free(op);
        free(impl);
        free(in);
        free(flags);
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", vt->type);
    }
    op->vt = vt;
    op->ctx = ctx;
    op->impl = impl;
    op->in = in;
    op->in_flags = flags;
    op->num_inputs = num_inputs;
    op->dtype = dtype;
    op->family = family;
    op->info.type = vt->type;
    *out = op;
    return CLBB_OK;
}

clbb_status clbb_op_reshape(clbb_op *op, clbb_shape in, clbb_shape *out) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = op->ctx;
    op->state = CLBB_OP_CREATED;
    CLBB_CHECK(clbb__shape_check(ctx, in, op->vt->type));
    op->in_shape = in;
    clbb_status st = op->vt->reshape(op, in);
    if (st != CLBB_OK) return st;
    if (clbb_shape_numel(op->out_shape) > (size_t)INT32_MAX)
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: output has more than 2^31-1 elements",
                          op->vt->type);
    op->state = CLBB_OP_RESHAPED;
    if (out) *out = op->out_shape;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb__op_expect_shape(clbb_op *op, int input, clbb_shape want, const char *what) {
    clbb_shape got = op->in[input].shape;
    if (!clbb__shape_eq(got, want))
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "%s: %s is %dx%dx%dx%d, expected %dx%dx%dx%d",
                          op->vt->type, what, got.n, got.c, got.h, got.w, want.n, want.c, want.h,
                          want.w);
    return CLBB_OK;
}

clbb_status clbb__op_expect_res_gate(clbb_op *op, int has_res, int has_gate) {
    int i = 1;
    if (has_res) CLBB_CHECK(clbb__op_expect_shape(op, i++, op->out_shape, "residual"));
    if (has_gate) {
        clbb_shape g = {op->in_shape.n, op->in_shape.c, 1, 1};
        CLBB_CHECK(clbb__op_expect_shape(op, i, g, "gate"));
    }
    return CLBB_OK;
}

/* Dtype, layout and aliasing of one bound tensor (input i, or the output
 * for i < 0). */
static clbb_status check_tensor(clbb_op *op, int i, const clbb_tensor *t, const clbb_tensor *out) {
    clbb_context *ctx = op->ctx;
    const char *type = op->vt->type;
    const unsigned flags = i < 0 ? 0 : op->in_flags[i];
    char what[32];
    if (i < 0) snprintf(what, sizeof what, "output");
    else snprintf(what, sizeof what, "input %d", i);
    if (t->ctx != ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s belongs to another context",
                          type, what);
    if (t->dtype != op->dtype && !(flags & CLBB_IN_ANY_DTYPE))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is %s, the op is %s", type, what,
                          clbb_dtype_name(t->dtype), clbb_dtype_name(op->dtype));
    if (!(flags & CLBB_IN_ANY_LAYOUT) && !clbb__tensor_dense_images(t))
        return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                          "%s: %s is a strided view (images not dense); copy it first", type,
                          what);
    if (i >= 0) {
        int ov = clbb__tensor_overlap(t, out);
        if (ov == 1 || (ov == 2 && !(flags & CLBB_IN_ALIAS)))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "%s: the output %s input %d, and this op cannot run in place", type,
                              ov == 2 ? "is" : "overlaps", i);
    }
    return CLBB_OK;
}

clbb_status clbb_op_setup(clbb_op *op, const clbb_tensor *const *inputs, size_t num_inputs,
                          const clbb_tensor *output) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = op->ctx;
    const char *type = op->vt->type;
    if (op->state < CLBB_OP_RESHAPED)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "%s: setup before reshape", type);
    op->state = CLBB_OP_RESHAPED;
    if ((int)num_inputs != op->num_inputs)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %zu inputs given, %d expected", type,
                          num_inputs, op->num_inputs);
    if (!inputs || !output)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is NULL", type,
                          !inputs ? "inputs" : "output");
    for (int i = 0; i < op->num_inputs; i++)
        if (!inputs[i])
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: input %d is NULL", type, i);
    CLBB_CHECK(check_tensor(op, -1, output, output));
    for (int i = 0; i < op->num_inputs; i++) CLBB_CHECK(check_tensor(op, i, inputs[i], output));
    for (int i = 0; i < op->num_inputs; i++) {
        op->in[i] = *inputs[i];
        op->in[i].owns = 0;
    }
    op->out = *output;
    op->out.owns = 0;
    CLBB_CHECK(clbb__op_expect_shape(op, 0, op->in_shape, "input"));
    if (!clbb__shape_eq(output->shape, op->out_shape))
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: output is %dx%dx%dx%d, expected %dx%dx%dx%d",
                          type, output->shape.n, output->shape.c, output->shape.h, output->shape.w,
                          op->out_shape.n, op->out_shape.c, op->out_shape.h, op->out_shape.w);
    if (op->vt->setup) CLBB_CHECK(op->vt->setup(op));
    op->state = CLBB_OP_READY;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_op_run(clbb_op *op) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    if (op->state != CLBB_OP_READY)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_STATE, "%s: run before %s", op->vt->type,
                          op->state == CLBB_OP_CREATED ? "reshape" : "setup");
    return clbb__done(op->ctx, op->vt->run(op));
}

void clbb_op_destroy(clbb_op *op) {
    if (!op) return;
    if (op->vt->destroy) op->vt->destroy(op);
    free(op->impl);
    free(op->in);
    free(op->in_flags);
    free(op);
}

clbb_status clbb_op_get_info(const clbb_op *op, clbb_op_info *info) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    if (!info) return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: info is NULL", op->vt->type);
    if (op->state < CLBB_OP_RESHAPED)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_STATE, "%s: info before reshape",
                          op->vt->type);
    *info = op->info;
    return clbb__done(op->ctx, CLBB_OK);
}

void clbb__opt_int(char *buf, size_t size, const char *name, long value) {
    clbb__strlcatf(buf, size, " -D %s=%ld", name, value);
}

void clbb__opt_dtype(char *buf, size_t size, clbb_dtype dtype) {
    buf[0] = '\0';
    clbb__opt_int(buf, size, "DTYPE", dtype);
}

clbb_status clbb__norm_affine(clbb_context *ctx, const char *what, int32_t channels,
                              const float *weight, const float *bias, cl_mem *w_mem,
                              cl_mem *b_mem) {
    *w_mem = *b_mem = NULL;
    float *w = malloc((size_t)channels * 4), *b = malloc((size_t)channels * 4);
    clbb_status st = (w && b) ? CLBB_OK
                              : clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", what);
    for (int32_t c = 0; st == CLBB_OK && c < channels; c++) {
        w[c] = weight ? weight[c] : 1.0f;
        b[c] = bias ? bias[c] : 0.0f;
        if (!isfinite(w[c]) || !isfinite(b[c]))
            st = clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: channel %d affine is not finite",
                            what, c);
    }
    char name[64];
    snprintf(name, sizeof name, "%s weight", what);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, w, (size_t)channels * 4, name, w_mem);
    snprintf(name, sizeof name, "%s bias", what);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, b, (size_t)channels * 4, name, b_mem);
    free(w);
    free(b);
    if (st != CLBB_OK) {
        if (*w_mem) clbb__buffer_release(ctx, *w_mem);
        if (*b_mem) clbb__buffer_release(ctx, *b_mem);
        *w_mem = *b_mem = NULL;
    }
    return st;
}
