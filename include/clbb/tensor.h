/**
 * @file clbb/tensor.h
 * @brief 4-D tensors in device memory: an element type (::clbb_dtype), an
 *        NCHW shape, strides, and views (channel slices, reshapes,
 *        permutations) that share their parent's buffer.
 *
 * Layout: element (n, c, h, w) of a tensor lives at
 *   offset + n * stride[0] + c * stride[1] + h * stride[2] + w * stride[3]
 * elements of its dtype into its cl_mem. A tensor that owns its buffer is
 * dense: strides (C*H*W, H*W, W, 1) and offset 0. A channel view of a parent
 * with C' channels keeps the parent's strides and starts c0 channels in, so
 * that ops writing the view write a channel slice of the parent in place (a
 * free concat). Reshapes and permutations (for attention: (N, C, H*W) and
 * its transpose) change shape and strides only.
 *
 * Most ops read and write tensors whose images are dense (strides
 * (any, H*W, W, 1)), which is what channel views keep; an op documents
 * what it accepts and refuses other layouts with CLBB_ERR_UNSUPPORTED.
 * clbb_tensor_copy() reads any layout into a tensor with dense images.
 *
 * Ownership: a tensor from clbb_tensor_create() owns its buffer; wrapped
 * buffers and views borrow theirs (never retained), so a view must not be
 * used once its parent is destroyed.
 *
 * Threading: a tensor belongs to its context (see clbb/context.h).
 */
#ifndef CLBB_TENSOR_H
#define CLBB_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifndef CL_TARGET_OPENCL_VERSION
/** OpenCL API version of <CL/cl.h> (as in clbb/context.h). */
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Element type of a tensor's storage. Arithmetic always runs in float
 * (fp32 accumulation); F16 is IEEE binary16 storage read and written with
 * vload_half / vstore_half_rte, which every OpenCL 1.2 device has (no
 * cl_khr_fp16 needed).
 */
typedef enum clbb_dtype {
    CLBB_DTYPE_F32 = 0, /**< IEEE binary32 */
    CLBB_DTYPE_F16 = 1, /**< IEEE binary16 storage */
} clbb_dtype;

/** Number of dtypes (for tables). */
#define CLBB_DTYPE_COUNT 2

/** Bytes per element. Thread-safe.
 *  @param dtype any value.
 *  @return 4 or 2; 0 for an unknown dtype. */
CLBB_API size_t clbb_dtype_size(clbb_dtype dtype);

/** Name of a dtype. Thread-safe.
 *  @param dtype any value.
 *  @return "f32", "f16" (static); NULL for an unknown dtype. */
CLBB_API const char *clbb_dtype_name(clbb_dtype dtype);

/** NCHW shape; every extent is >= 1 in a valid tensor. */
typedef struct clbb_shape {
    int32_t n; /**< batch */
    int32_t c; /**< channels */
    int32_t h; /**< height */
    int32_t w; /**< width */
} clbb_shape;

/** Opaque tensor handle (owning tensor or view). */
typedef struct clbb_tensor clbb_tensor;

/**
 * Allocates a dense tensor on the context's device. Contents are undefined.
 * @param ctx    the owning context.
 * @param shape  extents, each >= 1, at most 2^31-1 elements in all.
 * @param dtype  element type.
 * @param out    receives the tensor (NULL on failure); free with
 *               clbb_tensor_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, an extent
 *         below 1, too many elements, unknown dtype);
 *         CLBB_ERR_DEVICE_MEMORY (the allocation failed or exceeds the
 *         device's max allocation); CLBB_ERR_OUT_OF_MEMORY (host).
 */
CLBB_API clbb_status clbb_tensor_create(clbb_context *ctx, clbb_shape shape, clbb_dtype dtype,
                                        clbb_tensor **out);

/**
 * Wraps part of a caller's buffer as a dense-image tensor (borrowed: clbb
 * never releases it; it must outlive the tensor).
 * @param ctx          the owning context.
 * @param buffer       a buffer of the context's OpenCL context.
 * @param shape        extents, each >= 1.
 * @param dtype        element type of the buffer's data.
 * @param offset       first element, in elements of @p dtype.
 * @param batch_stride elements between images; 0 means C * H * W.
 * @param out          receives the tensor (NULL on failure); free with
 *                     clbb_tensor_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, out or buffer NULL, an
 *         extent below 1, more than 2^31-1 elements, unknown dtype,
 *         batch_stride < C * H * W, buffer not a cl_mem or not of the
 *         context's OpenCL context, the layout does not fit the buffer or
 *         reaches past element 2^31-1); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_wrap(clbb_context *ctx, cl_mem buffer, size_t offset,
                                      clbb_shape shape, clbb_dtype dtype, size_t batch_stride,
                                      clbb_tensor **out);

/**
 * View of channels [c0, c0 + channels) of @p parent (which may itself be a
 * view). The view shares the parent's buffer and keeps its strides; the
 * parent (and its buffer) must outlive it. Free with clbb_tensor_destroy().
 * @param ctx      the context of @p parent.
 * @param parent   the tensor viewed.
 * @param c0       first channel.
 * @param channels number of channels.
 * @param out      receives the view (NULL on failure).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, the parent belongs to
 *         another context, an empty or out-of-bounds range);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_view_channels(clbb_context *ctx, const clbb_tensor *parent,
                                               int32_t c0, int32_t channels, clbb_tensor **out);

/**
 * View of @p parent with another shape of the same batch size and the same
 * C*H*W per image, e.g. (N, C, H, W) as (N, C, 1, H*W). The parent's
 * images must be dense (a channel view of a wider tensor is, a permuted
 * view is not). Borrows the buffer as clbb_tensor_view_channels() does.
 * @param ctx    the context of @p parent.
 * @param parent the tensor viewed.
 * @param shape  the view's shape.
 * @param out    receives the view (NULL on failure).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, other context, an
 *         extent below 1, a shape with another N or element count);
 *         CLBB_ERR_UNSUPPORTED (the parent's images are not dense);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_view_reshape(clbb_context *ctx, const clbb_tensor *parent,
                                              clbb_shape shape, clbb_tensor **out);

/**
 * View with permuted dimensions: dimension i of the view is dimension
 * perm[i] of @p parent (0 n, 1 c, 2 h, 3 w), e.g. {0, 3, 2, 1} turns an
 * (N, C, 1, HW) tensor into its (N, HW, 1, C) transpose. Borrows the
 * buffer as clbb_tensor_view_channels() does; most ops refuse the result
 * (copy it dense with clbb_tensor_copy()).
 * @param ctx    the context of @p parent.
 * @param parent the tensor viewed.
 * @param perm   the permutation.
 * @param out    receives the view (NULL on failure).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, other context, perm
 *         not a permutation of 0..3); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_view_permute(clbb_context *ctx, const clbb_tensor *parent,
                                              const int perm[4], clbb_tensor **out);

/** Destroys a tensor or view (releases the buffer if owned; a view's
 *  parent is not affected).
 *  @param t the tensor; NULL: no-op. */
CLBB_API void clbb_tensor_destroy(clbb_tensor *t);

/** Shape of a tensor.
 *  @param t the tensor.
 *  @return its shape; {0,0,0,0} for NULL. */
CLBB_API clbb_shape clbb_tensor_shape(const clbb_tensor *t);

/** Element type of a tensor.
 *  @param t the tensor.
 *  @return its dtype; CLBB_DTYPE_F32 for NULL. */
CLBB_API clbb_dtype clbb_tensor_dtype(const clbb_tensor *t);

/** Underlying buffer, for custom kernels.
 *  @param t the tensor.
 *  @return the buffer (borrowed: do not release it); NULL for NULL. */
CLBB_API cl_mem clbb_tensor_buffer(const clbb_tensor *t);
/** First element of the tensor in its buffer.
 *  @param t the tensor.
 *  @return the offset in elements of its dtype; 0 for NULL. */
CLBB_API size_t clbb_tensor_offset(const clbb_tensor *t);
/** Elements between two images of the tensor.
 *  @param t the tensor.
 *  @return the batch stride in elements; 0 for NULL. */
CLBB_API size_t clbb_tensor_batch_stride(const clbb_tensor *t);
/** Per-dimension strides (n, c, h, w) in elements.
 *  @param t the tensor (NULL: strides set to 0).
 *  @param strides receives the four strides; NULL: no-op. */
CLBB_API void clbb_tensor_strides(const clbb_tensor *t, int64_t strides[4]);

/** Number of elements of a shape. Thread-safe.
 *  @param shape any shape.
 *  @return N*C*H*W; 0 if any extent < 1. */
CLBB_API size_t clbb_shape_numel(clbb_shape shape);

/**
 * Copies @p count floats of dense NCHW host data into the tensor,
 * converting to its dtype (round to nearest even for F16; values beyond
 * the F16 range become infinities). Blocking: the data may be reused on
 * return. Any layout (a tensor whose images are not dense is read back,
 * patched and written whole over the span it covers).
 * @param ctx   the tensor's context.
 * @param t     the destination.
 * @param data  @p count floats.
 * @param count must be N*C*H*W of the tensor.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, t or data NULL, the
 *         tensor belongs to another context); CLBB_ERR_SHAPE (count
 *         differs from N*C*H*W); CLBB_ERR_DEVICE (the transfer failed);
 *         CLBB_ERR_DEVICE_MEMORY (the driver reported an allocation failure
 *         for the transfer); CLBB_ERR_OUT_OF_MEMORY (the F16 or strided
 *         staging copy).
 */
CLBB_API clbb_status clbb_tensor_write_f32(clbb_context *ctx, clbb_tensor *t, const float *data,
                                           size_t count);

/** Copies the tensor into dense NCHW host floats (converting from its
 *  dtype). Blocking, so it waits for the ops enqueued before it. Any
 *  layout.
 *  @param ctx,t the tensor and its context.
 *  @param data  receives @p count floats.
 *  @param count must be N*C*H*W of the tensor.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, another context's
 *          tensor); CLBB_ERR_SHAPE (count differs from N*C*H*W);
 *          CLBB_ERR_DEVICE; CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_OUT_OF_MEMORY
 *          (as clbb_tensor_write_f32()). */
CLBB_API clbb_status clbb_tensor_read_f32(clbb_context *ctx, const clbb_tensor *t, float *data,
                                          size_t count);

/** Copies @p count elements of dense NCHW host data already in the
 *  tensor's dtype (uint16_t bit patterns for F16). Blocking. Any layout.
 *  @param ctx,t the tensor and its context.
 *  @param data  @p count elements.
 *  @param count must be N*C*H*W of the tensor.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT; CLBB_ERR_SHAPE;
 *          CLBB_ERR_DEVICE; CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_OUT_OF_MEMORY
 *          (a strided tensor's staging copy), as clbb_tensor_write_f32(). */
CLBB_API clbb_status clbb_tensor_write_raw(clbb_context *ctx, clbb_tensor *t, const void *data,
                                           size_t count);

/** Reads the tensor into dense NCHW host data of its dtype (@p count
 *  elements). Blocking. Any layout.
 *  @param ctx,t the tensor and its context.
 *  @param data  receives @p count elements.
 *  @param count must be N*C*H*W of the tensor.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT; CLBB_ERR_SHAPE;
 *          CLBB_ERR_DEVICE; CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_OUT_OF_MEMORY
 *          (a strided tensor's staging copy), as clbb_tensor_write_f32(). */
CLBB_API clbb_status clbb_tensor_read_raw(clbb_context *ctx, const clbb_tensor *t, void *data,
                                          size_t count);

/**
 * Enqueues a copy of @p src into @p dst: same shape, any layout of src,
 * dst with dense images (a channel view is fine), any dtypes (converted
 * on the way). Asynchronous: ordered on the context's queue like any op.
 * The two must not overlap unless identical (then nothing is enqueued).
 * Same-dtype dense-image copies use clEnqueueCopyBuffer; the others build
 * and run the copy op (clbb_copy_create()).
 * @param ctx the context of both tensors.
 * @param src the source.
 * @param dst the destination.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, another context's
 *         tensor, partly overlapping tensors); CLBB_ERR_SHAPE (the shapes
 *         differ); CLBB_ERR_UNSUPPORTED (dst's images are not dense);
 *         CLBB_ERR_BUILD (the copy kernel); CLBB_ERR_DEVICE (kernel
 *         creation or an enqueue failed); CLBB_ERR_DEVICE_MEMORY (as
 *         reported by the driver); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_tensor_copy(clbb_context *ctx, const clbb_tensor *src,
                                      const clbb_tensor *dst);

/**
 * Host helper: fills x[0..n) with uniform floats in [lo, hi) from a
 * splitmix64 stream started at @p seed: the inputs `clbb run --shape
 * --seed` uses, reproducible anywhere. Thread-safe.
 * @param x    @p n floats to fill; NULL: no-op.
 * @param n    number of floats.
 * @param seed stream start.
 * @param lo,hi the range.
 */
CLBB_API void clbb_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_TENSOR_H */
