/* upsample_add op: residual plus bilinear resize (cl/upsample.cl). */
#include <stdio.h>

#include "op_internal.h"

typedef struct up_state {
    cl_kernel k;
} up_state;

static clbb_status up_reshape(clbb_op *op, clbb_shape in) {
    up_state *s = op->impl;
    op->out_shape = in;
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 8.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * 2.25;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "upsample_bilinear_add");
    if (s->k) return CLBB_OK;
    char opts[128];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "upsample", opts, &prog));
    return clbb__kernel_create(op->ctx, prog, "upsample_add", &s->k);
}

static clbb_status up_setup(clbb_op *op) {
    const clbb_shape x = op->in_shape, z = clbb_tensor_shape(&op->in[1]);
    if (z.n != x.n || z.c != x.c)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE,
                          "upsample_add: z is %dx%dx%dx%d, x %dx%dx%dx%d (batch and channels "
                          "must agree)",
                          z.n, z.c, z.h, z.w, x.n, x.c, x.h, x.w);
    return CLBB_OK;
}

static clbb_status up_run(clbb_op *op) {
    up_state *s = op->impl;
    const clbb_shape o = op->out_shape, z = clbb_tensor_shape(&op->in[1]);
    cl_float sh = (float)z.h / (float)o.h, sw = (float)z.w / (float)o.w;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "upsample_add", CLBB_TENSOR_ARGS(&op->in[0]),
                                 CLBB_TENSOR_ARGS(&op->in[1]), CLBB_TENSOR_ARGS(&op->out),
                                 sizeof(cl_int), &o.c, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &z.h, sizeof(cl_int), &z.w, sizeof(cl_float), &sh,
                                 sizeof(cl_float), &sw, CLBB_ARGS_END));
    size_t gws[3], lws[3];
    clbb__grid_per_output(o, gws, lws);
    return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "upsample_add");
}

static void up_destroy(clbb_op *op) {
    up_state *s = op->impl;
    clbb__kernel_release(&s->k);
}

static const clbb_op_vtable UP_VT = {"upsample_add", CLBB_FAMILIES_GPU, up_reshape, up_setup,
                                     up_run, up_destroy};

clbb_status clbb_upsample_add_create(clbb_context *ctx, const clbb_op_options *options,
                                     clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "upsample_add: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, UP_VT.families, "upsample_add", &dtype, &family));
    CLBB_CHECK(clbb__op_new(ctx, &UP_VT, sizeof(up_state), 2, dtype, family, out));
    (*out)->in_flags[0] |= CLBB_IN_ALIAS;
    return clbb__done(ctx, CLBB_OK);
}
