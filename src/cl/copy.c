/* The copy op (cl/copy.cl) and clbb_tensor_copy: any layout and dtype into
 * a dense-image tensor; dense same-dtype copies go to clEnqueueCopyBuffer. */
#include <stdio.h>
#include <string.h>

#include "op_internal.h"

#define COPY_LWS 256

typedef struct copy_state {
    cl_kernel k;
    cl_kernel kd; /* copy_dense: float into half, x dense per image (else NULL) */
    clbb_dtype src_dtype; /* of the kernels built */
    size_t gws[2], lws[2], gws_dense[2];
} copy_state;

static clbb_status copy_reshape(clbb_op *op, clbb_shape in) {
    copy_state *s = op->impl;
    op->out_shape = in;
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 0;
    op->info.bytes = n * 2.0 * (double)clbb_dtype_size(op->dtype);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "copy_strided");
    const size_t chw = (size_t)in.c * in.h * in.w;
    s->lws[0] = COPY_LWS;
    s->lws[1] = 1;
    s->gws[0] = clbb__round_up(chw, COPY_LWS);
    s->gws[1] = (size_t)in.n;
    s->gws_dense[0] = clbb__round_up((chw + 7) / 8, COPY_LWS);
    s->gws_dense[1] = (size_t)in.n;
    return CLBB_OK;
}

/* The kernel depends on the source dtype, which only setup knows. */
static clbb_status copy_setup(clbb_op *op) {
    copy_state *s = op->impl;
    const clbb_dtype src = op->in[0].dtype;
    if (s->k && s->src_dtype == src) return CLBB_OK;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->kd);
    char opts[96];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    clbb__opt_int(opts, sizeof opts, "SRC_DTYPE", src);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "copy", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "copy_strided", &s->k));
    if (src == CLBB_DTYPE_F32 && op->dtype == CLBB_DTYPE_F16)
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "copy_dense", &s->kd));
    s->src_dtype = src;
    return CLBB_OK;
}

static clbb_status copy_run(clbb_op *op) {
    copy_state *s = op->impl;
    const clbb_tensor *x = &op->in[0], *y = &op->out;
    if (clbb__tensor_overlap(x, y) == 2) return CLBB_OK; /* the identity */
    clbb_shape sh = op->out_shape;
    cl_int st[4];
    for (int i = 0; i < 4; i++) st[i] = (cl_int)x->stride[i];
    cl_int xoff = (cl_int)x->offset;
    if (s->kd && st[3] == 1 && st[2] == sh.w && st[1] == (cl_int)sh.h * sh.w) {
        cl_int chw = sh.c * sh.h * sh.w;
        CLBB_CHECK(clbb__kernel_args(op->ctx, s->kd, "copy_dense", sizeof(cl_mem), &x->mem,
                                     sizeof(cl_int), &xoff, sizeof(cl_int), &st[0],
                                     CLBB_TENSOR_ARGS(y), sizeof(cl_int), &chw, CLBB_ARGS_END));
        return clbb__enqueue(op->ctx, s->kd, 2, s->gws_dense, s->lws, "copy_dense");
    }
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "copy_strided", sizeof(cl_mem), &x->mem,
                                 sizeof(cl_int), &xoff, sizeof(cl_int), &st[0], sizeof(cl_int),
                                 &st[1], sizeof(cl_int), &st[2], sizeof(cl_int), &st[3],
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &sh.c, sizeof(cl_int), &sh.h,
                                 sizeof(cl_int), &sh.w, CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, s->k, 2, s->gws, s->lws, "copy_strided");
}

static void copy_destroy(clbb_op *op) {
    copy_state *s = op->impl;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->kd);
}

static const clbb_op_vtable COPY_VT = {"copy", CLBB_FAMILIES_GPU, copy_reshape, copy_setup,
                                       copy_run, copy_destroy};

clbb_status clbb_copy_create(clbb_context *ctx, const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "copy: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, COPY_VT.families, "copy", &dtype, &family));
    CLBB_CHECK(clbb__op_new(ctx, &COPY_VT, sizeof(copy_state), 1, dtype, family, out));
    (*out)->in_flags[0] = CLBB_IN_ANY_LAYOUT | CLBB_IN_ANY_DTYPE | CLBB_IN_ALIAS;
    return clbb__done(ctx, CLBB_OK);
}

/* Dense images of one dtype: one buffer copy, or one per image. */
static clbb_status copy_buffers(clbb_context *ctx, const clbb_tensor *src, const clbb_tensor *dst) {
    const size_t esz = clbb_dtype_size(src->dtype);
    const size_t chw = (size_t)src->shape.c * src->shape.h * src->shape.w;
    const int whole = clbb__tensor_dense(src) && clbb__tensor_dense(dst);
    cl_int err = CL_SUCCESS;
    for (int32_t n = 0; n < (whole ? 1 : src->shape.n) && err == CL_SUCCESS; n++) {
        size_t bytes = (whole ? chw * (size_t)src->shape.n : chw) * esz;
        err = clEnqueueCopyBuffer(ctx->queue, src->mem, dst->mem,
                                  (src->offset + (size_t)n * src->stride[0]) * esz,
                                  (dst->offset + (size_t)n * dst->stride[0]) * esz, bytes, 0,
                                  NULL, NULL);
    }
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "clbb_tensor_copy");
    return CLBB_OK;
}

clbb_status clbb_tensor_copy(clbb_context *ctx, const clbb_tensor *src, const clbb_tensor *dst) {
    const char *fn = "clbb_tensor_copy";
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!src || !dst)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !src ? "src" : "dst");
    if (src->ctx != ctx || dst->ctx != ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s belongs to another context", fn,
                          src->ctx != ctx ? "src" : "dst");
    clbb_shape a = src->shape, b = dst->shape;
    if (!clbb__shape_eq(a, b))
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: %dx%dx%dx%d into %dx%dx%dx%d", fn, a.n, a.c,
                          a.h, a.w, b.n, b.c, b.h, b.w);
    const int ov = clbb__tensor_overlap(src, dst);
    if (ov == 2) return clbb__done(ctx, CLBB_OK);
    if (ov == 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: src and dst overlap", fn);
    if (src->dtype == dst->dtype && clbb__tensor_dense_images(src) &&
        clbb__tensor_dense_images(dst)) {
        if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
            return clbb__fail(ctx, CLBB_ERR_DEVICE, "%s: injected enqueue failure", fn);
        return clbb__done(ctx, copy_buffers(ctx, src, dst));
    }
    clbb_op_options o;
    clbb_op_options_init(&o);
    o.dtype = dst->dtype;
    clbb_op *op = NULL;
    clbb_status st = clbb_copy_create(ctx, &o, &op);
    if (st == CLBB_OK) st = clbb_op_reshape(op, a, NULL);
    if (st == CLBB_OK) st = clbb_op_setup(op, &src, 1, dst);
    if (st == CLBB_OK) st = clbb_op_run(op);
    clbb_op_destroy(op);
    return clbb__done(ctx, st);
}
