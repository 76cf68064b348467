/**
 * @file clbb/reference.h
 * @brief Plain-C reference operators: the oracle that every OpenCL kernel is
 *        checked against. Dense NCHW host arrays, double accumulation,
 *        nothing fused: each epilogue step is applied in order as written.
 *        Thread-safe (no state).
 */
#ifndef CLBB_REFERENCE_H
#define CLBB_REFERENCE_H

#include <stddef.h>

#include "ops.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Output shape of a convolution, floor((H + pads - d*(k-1) - 1)/s) + 1.
 * @return CLBB_ERR_INVALID_ARGUMENT (bad descriptor field, named in errbuf),
 *         CLBB_ERR_SHAPE (channels differ, output would be empty).
 */
CLBB_API clbb_status clbb_conv2d_output_shape(const clbb_conv2d_desc *desc, clbb_shape input,
                                     clbb_shape *output, char *errbuf, size_t errbuf_size);

/**
 * Checks a convolution descriptor: every extent >= 1, padding >= 0,
 * groups dividing both channel counts.
 */
CLBB_API clbb_status clbb_conv2d_desc_validate(const clbb_conv2d_desc *desc, char *errbuf,
                                      size_t errbuf_size);

/** Output shape of a pooling, with PyTorch's ceil_mode rule. */
CLBB_API clbb_status clbb_pool2d_output_shape(const clbb_pool2d_desc *desc, clbb_shape input,
                                     clbb_shape *output, char *errbuf, size_t errbuf_size);

/**
 * y = act(scale * (conv(x * gate) + bias) + shift + residual); any of
 * bias, epilogue (and its arrays), residual, gate may be NULL.
 */
CLBB_API void clbb_ref_conv2d(const clbb_conv2d_desc *desc, clbb_shape in, const float *x,
                     const float *weights, const float *bias, const clbb_epilogue *epilogue,
                     const float *residual, const float *gate, float *y);

/** Applies act(scale * v + shift + residual) in place over N x C x HW. */
CLBB_API void clbb_ref_epilogue(clbb_shape shape, const clbb_epilogue *epilogue,
                       const float *residual, float *y);

/** Activation of one value (double in, double out). */
CLBB_API double clbb_ref_activation(clbb_activation act, double v);

CLBB_API void clbb_ref_batch_norm(clbb_shape shape, const float *x, const float *mean, const float *var,
                         const float *weight, const float *bias, float eps,
                         const float *residual, clbb_activation act, float *y);

CLBB_API void clbb_ref_group_norm(clbb_shape shape, int groups, const float *x, const float *weight,
                         const float *bias, float eps, const float *residual,
                         clbb_activation act, float *y);

CLBB_API void clbb_ref_add(clbb_shape shape, const float *a, const float *b, clbb_activation act, float *y);

CLBB_API void clbb_ref_mul(clbb_shape shape, const float *x, const float *gate, float *y);

CLBB_API void clbb_ref_max_pool2d(const clbb_pool2d_desc *desc, clbb_shape in, const float *x, float *y);

CLBB_API void clbb_ref_avg_pool2d(const clbb_pool2d_desc *desc, clbb_shape in, const float *x, float *y);

CLBB_API void clbb_ref_global_avg_pool(clbb_shape in, const float *x, float *y);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_REFERENCE_H */
