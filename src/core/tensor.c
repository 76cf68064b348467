/* Tensors: owned NCHW buffers, wrapped caller buffers, channel views. */
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"

size_t clbb_shape_numel(clbb_shape s) {
    if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1) return 0;
    return (size_t)s.n * (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

clbb_status clbb__shape_check(clbb_context *ctx, clbb_shape s, const char *what) {
    if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "%s: shape %dx%dx%dx%d has an extent below 1", what, s.n, s.c, s.h, s.w);
    if (clbb_shape_numel(s) > (size_t)INT32_MAX)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "%s: shape %dx%dx%dx%d has more than 2^31-1 elements", what, s.n, s.c,
                          s.h, s.w);
    return CLBB_OK;
}

static clbb_tensor *tensor_alloc(clbb_context *ctx) {
    clbb_tensor *t = calloc(1, sizeof *t);
    if (!t) clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tensor: out of host memory");
    return t;
}

clbb_status clbb_tensor_create(clbb_context *ctx, clbb_shape shape, clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_create: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    CLBB_CHECK(clbb__shape_check(ctx, shape, "clbb_tensor_create"));
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    size_t n = clbb_shape_numel(shape);
    clbb_status st = clbb__buffer_create(ctx, n * sizeof(float), CL_MEM_READ_WRITE, NULL,
                                         "tensor", &t->mem);
    if (st != CLBB_OK) {
        free(t);
        return st;
    }
    t->ctx = ctx;
    t->shape = shape;
    t->offset = 0;
    t->batch_stride = n / (size_t)shape.n;
    t->owns = 1;
    *out = t;
    return CLBB_OK;
}

clbb_status clbb_tensor_wrap(clbb_context *ctx, cl_mem buffer, size_t offset, clbb_shape shape,
                             size_t batch_stride, clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!buffer) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: buffer is NULL");
    CLBB_CHECK(clbb__shape_check(ctx, shape, "clbb_tensor_wrap"));
    size_t chw = (size_t)shape.c * shape.h * shape.w;
    if (batch_stride == 0) batch_stride = chw;
    if (batch_stride < chw)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_wrap: batch_stride %zu is below C*H*W = %zu", batch_stride,
                          chw);
    size_t bytes = 0;
    if (clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) != CL_SUCCESS)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: buffer is not a cl_mem");
    size_t last = offset + (size_t)(shape.n - 1) * batch_stride + chw;
    if (last > bytes / sizeof(float) || last > (size_t)INT32_MAX)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_wrap: layout needs %zu floats, buffer holds %zu", last,
                          bytes / sizeof(float));
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    t->ctx = ctx;
    t->mem = buffer;
    t->shape = shape;
    t->offset = offset;
    t->batch_stride = batch_stride;
    *out = t;
    return CLBB_OK;
}

clbb_status clbb_tensor_view_channels(clbb_context *ctx, const clbb_tensor *parent, int32_t c0,
                                      int32_t channels, clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_view_channels: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!parent)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_view_channels: parent is NULL");
    if (c0 < 0 || channels < 1 || c0 > parent->shape.c - channels)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_view_channels: channels [%d, %d) outside the parent's %d",
                          c0, c0 + channels, parent->shape.c);
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    *t = *parent;
    t->owns = 0;
    t->shape.c = channels;
    t->offset = parent->offset + (size_t)c0 * parent->shape.h * parent->shape.w;
    *out = t;
    return CLBB_OK;
}

void clbb_tensor_destroy(clbb_tensor *t) {
    if (!t) return;
    if (t->owns) clbb__buffer_release(t->ctx, t->mem);
    free(t);
}

clbb_shape clbb_tensor_shape(const clbb_tensor *t) {
    clbb_shape z = {0, 0, 0, 0};
    return t ? t->shape : z;
}
cl_mem clbb_tensor_buffer(const clbb_tensor *t) { return t ? t->mem : NULL; }
size_t clbb_tensor_offset(const clbb_tensor *t) { return t ? t->offset : 0; }
size_t clbb_tensor_batch_stride(const clbb_tensor *t) { return t ? t->batch_stride : 0; }

int clbb__tensor_dense(const clbb_tensor *t) {
    return t->batch_stride == (size_t)t->shape.c * t->shape.h * t->shape.w;
}

static clbb_status transfer(clbb_context *ctx, const clbb_tensor *t, float *data, size_t count,
                            int write) {
    const char *fn = write ? "clbb_tensor_write" : "clbb_tensor_read";
    if (!ctx || !t || !data)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !t ? "tensor" : "data");
    size_t chw = (size_t)t->shape.c * t->shape.h * t->shape.w;
    if (count != chw * (size_t)t->shape.n)
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: count %zu differs from the tensor's %zu", fn,
                          count, chw * (size_t)t->shape.n);
    if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
        return clbb__fail(ctx, CLBB_ERR_DEVICE, "%s: injected enqueue failure", fn);
    cl_int err = CL_SUCCESS;
    if (clbb__tensor_dense(t)) {
        size_t off = t->offset * sizeof(float), bytes = count * sizeof(float);
        err = write ? clEnqueueWriteBuffer(ctx->queue, t->mem, CL_TRUE, off, bytes, data, 0, NULL, NULL)
                    : clEnqueueReadBuffer(ctx->queue, t->mem, CL_TRUE, off, bytes, data, 0, NULL, NULL);
    } else {
        for (int32_t n = 0; n < t->shape.n && err == CL_SUCCESS; n++) {
            size_t off = (t->offset + (size_t)n * t->batch_stride) * sizeof(float);
            float *p = data + (size_t)n * chw;
            err = write ? clEnqueueWriteBuffer(ctx->queue, t->mem, CL_TRUE, off, chw * sizeof(float), p, 0, NULL, NULL)
                        : clEnqueueReadBuffer(ctx->queue, t->mem, CL_TRUE, off, chw * sizeof(float), p, 0, NULL, NULL);
        }
    }
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, write ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer");
    return CLBB_OK;
}

clbb_status clbb_tensor_write(clbb_context *ctx, clbb_tensor *t, const float *data, size_t count) {
    return transfer(ctx, t, (float *)data, count, 1);
}

clbb_status clbb_tensor_read(clbb_context *ctx, const clbb_tensor *t, float *data, size_t count) {
    return transfer(ctx, t, data, count, 0);
}

clbb_status clbb_tensor_copy(clbb_context *ctx, const clbb_tensor *src, const clbb_tensor *dst) {
    if (!ctx || !src || !dst)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_copy: %s is NULL",
                          !src ? "src" : "dst");
    clbb_shape a = src->shape, b = dst->shape;
    if (a.n != b.n || a.c != b.c || a.h != b.h || a.w != b.w)
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "clbb_tensor_copy: %dx%dx%dx%d into %dx%dx%dx%d",
                          a.n, a.c, a.h, a.w, b.n, b.c, b.h, b.w);
    if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
        return clbb__fail(ctx, CLBB_ERR_DEVICE, "clbb_tensor_copy: injected enqueue failure");
    size_t chw = (size_t)a.c * a.h * a.w;
    int whole = clbb__tensor_dense(src) && clbb__tensor_dense(dst);
    cl_int err = CL_SUCCESS;
    for (int32_t n = 0; n < (whole ? 1 : a.n) && err == CL_SUCCESS; n++) {
        size_t bytes = (whole ? chw * (size_t)a.n : chw) * sizeof(float);
        err = clEnqueueCopyBuffer(ctx->queue, src->mem, dst->mem,
                                  (src->offset + (size_t)n * src->batch_stride) * sizeof(float),
                                  (dst->offset + (size_t)n * dst->batch_stride) * sizeof(float),
                                  bytes, 0, NULL, NULL);
    }
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "clbb_tensor_copy");
    return CLBB_OK;
}
