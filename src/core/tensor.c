/* Tensors: owned buffers, wrapped caller buffers and views (channel slices,
 * reshapes, permutations); host transfers with dtype conversion for any
 * layout. */
#include <stdlib.h>
#include <string.h>

#include "tensor_impl.h"

size_t clbb_dtype_size(clbb_dtype d) {
    switch (d) {
    case CLBB_DTYPE_F32: return 4;
    case CLBB_DTYPE_F16: return 2;
    }
    return 0;
}

const char *clbb_dtype_name(clbb_dtype d) {
    switch (d) {
    case CLBB_DTYPE_F32: return "f32";
    case CLBB_DTYPE_F16: return "f16";
    }
    return NULL;
}

clbb_status clbb__dtype_check(clbb_context *ctx, clbb_dtype dtype, const char *what) {
    if (!clbb_dtype_name(dtype))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: dtype = %d is not a clbb_dtype",
                          what, (int)dtype);
    return CLBB_OK;
}

void clbb_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi) {
    if (x) clbb__fill_uniform(x, n, &seed, lo, hi);
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

static void dense_strides(clbb_shape s, int64_t st[4]) {
    st[3] = 1;
    st[2] = s.w;
    st[1] = (int64_t)s.h * s.w;
    st[0] = (int64_t)s.c * s.h * s.w;
}

int clbb__tensor_dense_images(const clbb_tensor *t) {
    return t->stride[3] == 1 && t->stride[2] == t->shape.w &&
           t->stride[1] == (int64_t)t->shape.h * t->shape.w;
}

int clbb__tensor_dense(const clbb_tensor *t) {
    return clbb__tensor_dense_images(t) &&
           (t->stride[0] == (int64_t)t->shape.c * t->shape.h * t->shape.w || t->shape.n == 1);
}

size_t clbb__tensor_extent(const clbb_tensor *t) {
    const int32_t dims[4] = {t->shape.n, t->shape.c, t->shape.h, t->shape.w};
    size_t e = 1;
    for (int i = 0; i < 4; i++) e += (size_t)(dims[i] - 1) * (size_t)t->stride[i];
    return e;
}

int clbb__tensor_overlap(const clbb_tensor *a, const clbb_tensor *b) {
    if (a->mem != b->mem) return 0;
    if (a->dtype == b->dtype && a->offset == b->offset && clbb__shape_eq(a->shape, b->shape) &&
        !memcmp(a->stride, b->stride, sizeof a->stride))
        return 2;
    const size_t ea = clbb_dtype_size(a->dtype), eb = clbb_dtype_size(b->dtype);
    if (ea == eb && a->stride[0] == b->stride[0] && clbb__tensor_dense_images(a) &&
        clbb__tensor_dense_images(b)) {
        /* channel views of one parent (a Ghost module's halves): image n
         * of each is one span, the spans repeat every batch stride, so
         * only images near each other can meet */
        const int64_t bs = a->stride[0];
        const int64_t la = (int64_t)a->shape.c * a->shape.h * a->shape.w;
        const int64_t lb = (int64_t)b->shape.c * b->shape.h * b->shape.w;
        const int64_t d = (int64_t)b->offset - (int64_t)a->offset;
        for (int32_t i = 0; i < a->shape.n; i++) {
            /* images j of b with start in (start_a - lb, start_a + la) */
            const int64_t sa = (int64_t)i * bs;
            for (int64_t j = (sa - lb - d) / bs - 1; j <= (sa + la - d) / bs + 1; j++) {
                if (j < 0 || j >= b->shape.n) continue;
                const int64_t sb = d + j * bs;
                if (sb < sa + la && sa < sb + lb) return 1;
            }
        }
        return 0;
    }
    const size_t a0 = a->offset * ea, a1 = a0 + clbb__tensor_extent(a) * ea;
    const size_t b0 = b->offset * eb, b1 = b0 + clbb__tensor_extent(b) * eb;
    return a0 < b1 && b0 < a1; /* any other layout: conservative */
}

static clbb_tensor *tensor_alloc(clbb_context *ctx) {
    clbb_tensor *t = calloc(1, sizeof *t);
    if (!t) clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tensor: out of host memory");
    return t;
}

clbb_status clbb_tensor_create(clbb_context *ctx, clbb_shape shape, clbb_dtype dtype,
                               clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_create: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    CLBB_CHECK(clbb__shape_check(ctx, shape, "clbb_tensor_create"));
    CLBB_CHECK(clbb__dtype_check(ctx, dtype, "clbb_tensor_create"));
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    clbb_status st = clbb__buffer_create(ctx, clbb_shape_numel(shape) * clbb_dtype_size(dtype),
                                         CL_MEM_READ_WRITE, NULL, "tensor", &t->mem);
    if (st != CLBB_OK) {
        free(t);
        return st;
    }
    t->ctx = ctx;
    t->shape = shape;
    t->dtype = dtype;
    dense_strides(shape, t->stride);
    t->owns = 1;
    *out = t;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_tensor_wrap(clbb_context *ctx, cl_mem buffer, size_t offset, clbb_shape shape,
                             clbb_dtype dtype, size_t batch_stride, clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!buffer) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: buffer is NULL");
    CLBB_CHECK(clbb__shape_check(ctx, shape, "clbb_tensor_wrap"));
    CLBB_CHECK(clbb__dtype_check(ctx, dtype, "clbb_tensor_wrap"));
    size_t chw = (size_t)shape.c * shape.h * shape.w;
    if (batch_stride == 0) batch_stride = chw;
    if (batch_stride < chw)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_wrap: batch_stride %zu is below C*H*W = %zu", batch_stride,
                          chw);
    size_t bytes = 0;
    cl_context owner = NULL;
    if (clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) != CL_SUCCESS ||
        clGetMemObjectInfo(buffer, CL_MEM_CONTEXT, sizeof owner, &owner, NULL) != CL_SUCCESS)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_tensor_wrap: buffer is not a cl_mem");
    if (owner != ctx->cl_ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_wrap: buffer belongs to another OpenCL context");
    const size_t esz = clbb_dtype_size(dtype);
    size_t last = offset + (size_t)(shape.n - 1) * batch_stride + chw;
    if (last > bytes / esz || last > (size_t)INT32_MAX)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "clbb_tensor_wrap: layout needs %zu %s elements, buffer holds %zu", last,
                          clbb_dtype_name(dtype), bytes / esz);
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    t->ctx = ctx;
    t->mem = buffer;
    t->shape = shape;
    t->dtype = dtype;
    t->offset = offset;
    dense_strides(shape, t->stride);
    t->stride[0] = (int64_t)batch_stride;
    *out = t;
    return clbb__done(ctx, CLBB_OK);
}

/* The common checks of a view; on success *out is a copy of the parent
 * that does not own its buffer. */
static clbb_status view_begin(clbb_context *ctx, const clbb_tensor *parent, const char *fn,
                              clbb_tensor **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!parent) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: parent is NULL", fn);
    if (parent->ctx != ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: parent belongs to another context",
                          fn);
    clbb_tensor *t = tensor_alloc(ctx);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    *t = *parent;
    t->owns = 0;
    *out = t;
    return CLBB_OK;
}

clbb_status clbb_tensor_view_channels(clbb_context *ctx, const clbb_tensor *parent, int32_t c0,
                                      int32_t channels, clbb_tensor **out) {
    const char *fn = "clbb_tensor_view_channels";
    if (ctx && parent && parent->ctx == ctx && out &&
        (c0 < 0 || channels < 1 || c0 > parent->shape.c - channels)) {
        *out = NULL;
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "%s: channels [%d, %d) outside the parent's %d", fn, c0, c0 + channels,
                          parent->shape.c);
    }
    CLBB_CHECK(view_begin(ctx, parent, fn, out));
    (*out)->shape.c = channels;
    (*out)->offset = parent->offset + (size_t)c0 * (size_t)parent->stride[1];
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_tensor_view_reshape(clbb_context *ctx, const clbb_tensor *parent,
                                     clbb_shape shape, clbb_tensor **out) {
    const char *fn = "clbb_tensor_view_reshape";
    if (out) *out = NULL;
    if (ctx && parent && parent->ctx == ctx && out) {
        CLBB_CHECK(clbb__shape_check(ctx, shape, fn));
        const clbb_shape p = parent->shape;
        if (shape.n != p.n || clbb_shape_numel(shape) != clbb_shape_numel(p))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "%s: %dx%dx%dx%d cannot become %dx%dx%dx%d (same N and C*H*W "
                              "needed)",
                              fn, p.n, p.c, p.h, p.w, shape.n, shape.c, shape.h, shape.w);
        if (!clbb__tensor_dense_images(parent))
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "%s: the parent's images are not dense (a permuted view); copy it "
                              "first",
                              fn);
    }
    CLBB_CHECK(view_begin(ctx, parent, fn, out));
    (*out)->shape = shape;
    int64_t st[4];
    dense_strides(shape, st);
    st[0] = parent->stride[0];
    memcpy((*out)->stride, st, sizeof st);
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_tensor_view_permute(clbb_context *ctx, const clbb_tensor *parent,
                                     const int perm[4], clbb_tensor **out) {
    const char *fn = "clbb_tensor_view_permute";
    if (out) *out = NULL;
    if (ctx && out && parent && parent->ctx == ctx) {
        int seen = 0;
        for (int i = 0; perm && i < 4; i++)
            if (perm[i] >= 0 && perm[i] < 4) seen |= 1 << perm[i];
        if (!perm || seen != 15)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "%s: perm is not a permutation of 0..3", fn);
    }
    CLBB_CHECK(view_begin(ctx, parent, fn, out));
    const int32_t dims[4] = {parent->shape.n, parent->shape.c, parent->shape.h, parent->shape.w};
    clbb_tensor *t = *out;
    for (int i = 0; i < 4; i++) t->stride[i] = parent->stride[perm[i]];
    t->shape = (clbb_shape){dims[perm[0]], dims[perm[1]], dims[perm[2]], dims[perm[3]]};
    return clbb__done(ctx, CLBB_OK);
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
clbb_dtype clbb_tensor_dtype(const clbb_tensor *t) { return t ? t->dtype : CLBB_DTYPE_F32; }
cl_mem clbb_tensor_buffer(const clbb_tensor *t) { return t ? t->mem : NULL; }
size_t clbb_tensor_offset(const clbb_tensor *t) { return t ? t->offset : 0; }
size_t clbb_tensor_batch_stride(const clbb_tensor *t) { return t ? (size_t)t->stride[0] : 0; }
void clbb_tensor_strides(const clbb_tensor *t, int64_t strides[4]) {
    if (!strides) return;
    for (int i = 0; i < 4; i++) strides[i] = t ? t->stride[i] : 0;
}

static cl_int enqueue_rw(clbb_context *ctx, cl_mem mem, int write, size_t off, size_t bytes,
                         void *host) {
    return write ? clEnqueueWriteBuffer(ctx->queue, mem, CL_TRUE, off, bytes, host, 0, NULL, NULL)
                 : clEnqueueReadBuffer(ctx->queue, mem, CL_TRUE, off, bytes, host, 0, NULL, NULL);
}

/* Dense host data in the tensor's dtype <-> the tensor, any layout: in one
 * transfer when dense, per image when the images are, else through the
 * span the tensor covers (read, and for writes patched and written back;
 * the queue is in order and the calls block, so nothing runs between). */
static clbb_status transfer_raw(clbb_context *ctx, const clbb_tensor *t, void *data, int write,
                                const char *fn) {
    const size_t esz = clbb_dtype_size(t->dtype), count = clbb_shape_numel(t->shape);
    const size_t chw = (size_t)t->shape.c * t->shape.h * t->shape.w;
    cl_int err = CL_SUCCESS;
    if (clbb__tensor_dense(t)) {
        err = enqueue_rw(ctx, t->mem, write, t->offset * esz, count * esz, data);
    } else if (clbb__tensor_dense_images(t)) {
        for (int32_t n = 0; n < t->shape.n && err == CL_SUCCESS; n++)
            err = enqueue_rw(ctx, t->mem, write, (t->offset + (size_t)n * t->stride[0]) * esz,
                             chw * esz, (char *)data + (size_t)n * chw * esz);
    } else {
        const size_t span = clbb__tensor_extent(t);
        char *tmp = malloc(span * esz);
        if (!tmp) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
        err = enqueue_rw(ctx, t->mem, 0, t->offset * esz, span * esz, tmp);
        size_t i = 0;
        for (int32_t n = 0; n < t->shape.n && err == CL_SUCCESS; n++)
            for (int32_t c = 0; c < t->shape.c; c++)
                for (int32_t h = 0; h < t->shape.h; h++)
                    for (int32_t w = 0; w < t->shape.w; w++, i++) {
                        size_t e = (size_t)(n * t->stride[0] + c * t->stride[1] +
                                            h * t->stride[2] + w * t->stride[3]);
                        if (write) memcpy(tmp + e * esz, (char *)data + i * esz, esz);
                        else memcpy((char *)data + i * esz, tmp + e * esz, esz);
                    }
        if (err == CL_SUCCESS && write) err = enqueue_rw(ctx, t->mem, 1, t->offset * esz, span * esz, tmp);
        free(tmp);
    }
    if (err != CL_SUCCESS)
        return clbb__cl_fail(ctx, err, write ? "clEnqueueWriteBuffer" : "clEnqueueReadBuffer");
    return CLBB_OK;
}

static clbb_status transfer_check(clbb_context *ctx, const clbb_tensor *t, const void *data,
                                  size_t count, const char *fn) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!t || !data)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !t ? "tensor" : "data");
    if (t->ctx != ctx)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: the tensor belongs to another context",
                          fn);
    if (count != clbb_shape_numel(t->shape))
        return clbb__fail(ctx, CLBB_ERR_SHAPE, "%s: count %zu differs from the tensor's %zu", fn,
                          count, clbb_shape_numel(t->shape));
    if (clbb__fault_hit(ctx, CLBB_FAULT_ENQUEUE))
        return clbb__fail(ctx, CLBB_ERR_DEVICE, "%s: injected enqueue failure", fn);
    return CLBB_OK;
}

clbb_status clbb_tensor_write_raw(clbb_context *ctx, clbb_tensor *t, const void *data,
                                  size_t count) {
    CLBB_CHECK(transfer_check(ctx, t, data, count, "clbb_tensor_write_raw"));
    return clbb__done(ctx, transfer_raw(ctx, t, (void *)data, 1, "clbb_tensor_write_raw"));
}

clbb_status clbb_tensor_read_raw(clbb_context *ctx, const clbb_tensor *t, void *data,
                                 size_t count) {
    CLBB_CHECK(transfer_check(ctx, t, data, count, "clbb_tensor_read_raw"));
    return clbb__done(ctx, transfer_raw(ctx, t, data, 0, "clbb_tensor_read_raw"));
}

clbb_status clbb_tensor_write_f32(clbb_context *ctx, clbb_tensor *t, const float *data,
                                  size_t count) {
    const char *fn = "clbb_tensor_write_f32";
    CLBB_CHECK(transfer_check(ctx, t, data, count, fn));
    if (t->dtype == CLBB_DTYPE_F32) return clbb__done(ctx, transfer_raw(ctx, t, (void *)data, 1, fn));
    uint16_t *h = malloc(count * sizeof *h);
    if (!h) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    for (size_t i = 0; i < count; i++) h[i] = clbb__float_to_half(data[i]);
    clbb_status st = transfer_raw(ctx, t, h, 1, fn);
    free(h);
    return clbb__done(ctx, st);
}

clbb_status clbb_tensor_read_f32(clbb_context *ctx, const clbb_tensor *t, float *data,
                                 size_t count) {
    const char *fn = "clbb_tensor_read_f32";
    CLBB_CHECK(transfer_check(ctx, t, data, count, fn));
    if (t->dtype == CLBB_DTYPE_F32) return clbb__done(ctx, transfer_raw(ctx, t, data, 0, fn));
    uint16_t *h = malloc(count * sizeof *h);
    if (!h) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    clbb_status st = transfer_raw(ctx, t, h, 0, fn);
    for (size_t i = 0; st == CLBB_OK && i < count; i++) data[i] = clbb__half_to_float(h[i]);
    free(h);
    return clbb__done(ctx, st);
}
