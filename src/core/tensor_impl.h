/* The layout of a tensor, for the core and the launchers (src/cl) only
 * (see clbb/tensor.h for the rules). */
#ifndef CLBB_CORE_TENSOR_IMPL_H
#define CLBB_CORE_TENSOR_IMPL_H

#include "context_impl.h"

struct clbb_tensor {
    clbb_context *ctx;
    cl_mem mem;
    clbb_shape shape;
    clbb_dtype dtype;
    size_t offset;        /* elements */
    int64_t stride[4];    /* elements, per dimension n c h w */
    int owns;
};

/* 1 if each image is dense: strides (any, H*W, W, 1). Every op reads and
 * writes such tensors; channel views keep the property. */
int clbb__tensor_dense_images(const clbb_tensor *t);
/* 1 if the whole tensor is dense (images dense and back to back). */
int clbb__tensor_dense(const clbb_tensor *t);
/* Elements from the first to one past the last element the tensor reaches. */
size_t clbb__tensor_extent(const clbb_tensor *t);
/* 1 if the two tensors share buffer bytes (a conservative interval test),
 * 2 if they are the same tensor (buffer, dtype, offset, shape, strides). */
int clbb__tensor_overlap(const clbb_tensor *a, const clbb_tensor *b);

#endif
