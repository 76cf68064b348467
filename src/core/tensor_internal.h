/* Tensor layout shared by the launchers (see clbb/tensor.h for the rules). */
#ifndef CLBB_CORE_TENSOR_INTERNAL_H
#define CLBB_CORE_TENSOR_INTERNAL_H

#include "internal.h"

struct clbb_tensor {
    clbb_context *ctx;
    cl_mem mem;
    clbb_shape shape;
    size_t offset;       /* floats */
    size_t batch_stride; /* floats */
    int owns;
};

/* Checks extents >= 1 and the element count fits 32-bit kernel indexing. */
clbb_status clbb__shape_check(clbb_context *ctx, clbb_shape s, const char *what);

/* 1 if the tensor's images are contiguous (batch_stride == C*H*W). */
int clbb__tensor_dense(const clbb_tensor *t);

#endif
