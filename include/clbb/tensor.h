/**
 * @file clbb/tensor.h
 * @brief NCHW float32 tensors in device memory, and channel-offset views.
 *
 * Layout: element (n, c, h, w) of a tensor lives at
 *   offset + n * batch_stride + c * H * W + h * W + w
 * floats into its cl_mem. A tensor that owns its buffer has
 * batch_stride = C * H * W and offset 0. A channel view of a parent with C'
 * channels keeps the parent's batch_stride (C' * H * W) and starts c0
 * channels in, so that ops writing the view write a channel slice of the
 * parent in place (a free concat).
 */
#ifndef CLBB_TENSOR_H
#define CLBB_TENSOR_H

#include <stddef.h>
#include <stdint.h>

/* clbb needs OpenCL 1.2 only; define it earlier to target another version. */
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** NCHW shape; every extent is >= 1 in a valid tensor. */
typedef struct clbb_shape {
    int32_t n, c, h, w;
} clbb_shape;

/** Opaque tensor handle (owning tensor or view). */
typedef struct clbb_tensor clbb_tensor;

/**
 * Allocates a dense NCHW tensor on the context's device. Contents are
 * undefined.
 * @return CLBB_OK, CLBB_ERR_INVALID_ARGUMENT (NULL, extent < 1, more than
 *         2^31-1 elements), CLBB_ERR_DEVICE_MEMORY, CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_create(clbb_context *ctx, clbb_shape shape, clbb_tensor **out);

/**
 * Wraps part of a caller's buffer as a tensor (borrowed: never released).
 * @param offset first element, in floats.
 * @param batch_stride floats between images; 0 means C * H * W.
 * @return CLBB_ERR_INVALID_ARGUMENT if the layout does not fit the buffer
 *         or batch_stride < C * H * W.
 */
CLBB_API clbb_status clbb_tensor_wrap(clbb_context *ctx, cl_mem buffer, size_t offset,
                             clbb_shape shape, size_t batch_stride, clbb_tensor **out);

/**
 * Creates a view of channels [c0, c0 + channels) of @p parent (which may
 * itself be a view). The view shares the parent's buffer; the parent must
 * outlive it.
 * @return CLBB_ERR_INVALID_ARGUMENT if the range is empty or out of bounds.
 */
CLBB_API clbb_status clbb_tensor_view_channels(clbb_context *ctx, const clbb_tensor *parent,
                                      int32_t c0, int32_t channels, clbb_tensor **out);

/** Destroys a tensor or view (releases the buffer if owned). NULL: no-op. */
CLBB_API void clbb_tensor_destroy(clbb_tensor *t);

/** Shape of a tensor. */
CLBB_API clbb_shape clbb_tensor_shape(const clbb_tensor *t);

/** Underlying buffer, element offset and batch stride (for custom kernels). */
CLBB_API cl_mem clbb_tensor_buffer(const clbb_tensor *t);
CLBB_API size_t clbb_tensor_offset(const clbb_tensor *t);
CLBB_API size_t clbb_tensor_batch_stride(const clbb_tensor *t);

/** Number of elements N*C*H*W of a shape (0 if any extent < 1). */
CLBB_API size_t clbb_shape_numel(clbb_shape shape);

/**
 * Copies @p count floats of dense NCHW host data into the tensor (blocking).
 * @p count must equal the tensor's N*C*H*W.
 */
CLBB_API clbb_status clbb_tensor_write(clbb_context *ctx, clbb_tensor *t, const float *data, size_t count);

/** Copies the tensor into dense NCHW host memory (blocking). */
CLBB_API clbb_status clbb_tensor_read(clbb_context *ctx, const clbb_tensor *t, float *data, size_t count);

/**
 * Enqueues a copy of @p src into @p dst (same shape; either may be a view).
 * Asynchronous: ordered on the context's queue like any op.
 * @return CLBB_ERR_SHAPE if the shapes differ.
 */
CLBB_API clbb_status clbb_tensor_copy(clbb_context *ctx, const clbb_tensor *src, const clbb_tensor *dst);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_TENSOR_H */
