/* Generic op lifecycle: state checks and tensor binding for every op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

clbb_status clbb__op_new(clbb_context *ctx, const clbb_op_vtable *vt, size_t impl_size,
                         int num_inputs, clbb_op **out) {
    *out = NULL;
    clbb_op *op = calloc(1, sizeof *op);
    void *impl = impl_size ? calloc(1, impl_size) : NULL;
    if (!op || (impl_size && !impl)) {
        free(op);
        free(impl);
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", vt->type);
    }
    op->vt = vt;
    op->ctx = ctx;
    op->impl = impl;
    op->num_inputs = num_inputs;
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
    return CLBB_OK;
}

static int same_shape(clbb_shape a, clbb_shape b) {
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

clbb_status clbb__op_expect_shape(clbb_op *op, int input, clbb_shape want, const char *what) {
    clbb_shape got = op->in[input].shape;
    if (!same_shape(got, want))
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "%s: %s is %dx%dx%dx%d, expected %dx%dx%dx%d",
                          op->vt->type, what, got.n, got.c, got.h, got.w, want.n, want.c, want.h,
                          want.w);
    return CLBB_OK;
}

clbb_status clbb_op_setup(clbb_op *op, const clbb_tensor *const *inputs, size_t num_inputs,
                          const clbb_tensor *output) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = op->ctx;
    const char *type = op->vt->type;
    if (op->state < CLBB_OP_RESHAPED)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "%s: setup before reshape", type);
    if ((int)num_inputs != op->num_inputs)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %zu inputs given, %d expected", type,
                          num_inputs, op->num_inputs);
    if (!inputs || !output)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is NULL", type,
                          !inputs ? "inputs" : "output");
    for (int i = 0; i < op->num_inputs; i++) {
        if (!inputs[i])
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: input %d is NULL", type, i);
        if (inputs[i]->ctx != ctx)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "%s: input %d belongs to another context", type, i);
    }
    if (output->ctx != ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: output belongs to another context",
                          type);
    op->state = CLBB_OP_RESHAPED;
    for (int i = 0; i < op->num_inputs; i++) {
        op->in[i] = *inputs[i];
        op->in[i].owns = 0;
    }
    op->out = *output;
    op->out.owns = 0;
    CLBB_CHECK(clbb__op_expect_shape(op, 0, op->in_shape, "input"));
    if (!same_shape(output->shape, op->out_shape))
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: output is %dx%dx%dx%d, expected %dx%dx%dx%d",
                          type, output->shape.n, output->shape.c, output->shape.h, output->shape.w,
                          op->out_shape.n, op->out_shape.c, op->out_shape.h, op->out_shape.w);
    if (op->vt->setup) CLBB_CHECK(op->vt->setup(op));
    op->state = CLBB_OP_READY;
    return CLBB_OK;
}

clbb_status clbb_op_run(clbb_op *op) {
    if (!op) return CLBB_ERR_INVALID_ARGUMENT;
    if (op->state != CLBB_OP_READY)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_STATE, "%s: run before %s", op->vt->type,
                          op->state == CLBB_OP_CREATED ? "reshape" : "setup");
    return op->vt->run(op);
}

void clbb_op_destroy(clbb_op *op) {
    if (!op) return;
    if (op->vt->destroy) op->vt->destroy(op);
    free(op->impl);
    free(op);
}

clbb_status clbb_op_get_info(const clbb_op *op, clbb_op_info *info) {
    if (!op || !info) return CLBB_ERR_INVALID_ARGUMENT;
    if (op->state < CLBB_OP_RESHAPED)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_STATE, "%s: info before reshape",
                          op->vt->type);
    *info = op->info;
    return CLBB_OK;
}

void clbb__opt_int(char *buf, size_t size, const char *name, long value) {
    size_t n = strlen(buf);
    if (n < size) snprintf(buf + n, size - n, " -D %s=%ld", name, value);
}
