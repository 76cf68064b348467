/**
 * @file clbb/ops.h
 * @brief Operators: create (packs parameters on the device) → reshape (input
 *        shape; picks and compiles the kernel; sizes the workspace) → setup
 *        (binds tensors) → run (enqueues; never blocks).
 *
 * Calls out of order return CLBB_ERR_INVALID_STATE. reshape may be called
 * again with another shape (setup must follow); setup may be called again
 * with other tensors of the reshaped shapes. Every op is owned by the context
 * that created it and used by one thread at a time.
 *
 * Every op has a plain-C reference in clbb_ref_* (clbb/reference.h) that
 * accumulates in double; the conformance harness compares the two.
 */
#ifndef CLBB_OPS_H
#define CLBB_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque operator handle. */
typedef struct clbb_op clbb_op;

/** Activation applied last in an epilogue. */
typedef enum clbb_activation {
    CLBB_ACTIVATION_NONE = 0,
    CLBB_ACTIVATION_RELU = 1,
    CLBB_ACTIVATION_RELU6 = 2,
    /** relu6(x + 3) / 6, GhostNet's SE gate. */
    CLBB_ACTIVATION_HARD_SIGMOID = 3,
} clbb_activation;

/**
 * Fused epilogue of an op producing y from a raw result r:
 *   y[n,c,h,w] = act(scale[c] * r + shift[c] + residual[n,c,h,w])
 * scale NULL means 1, shift NULL means 0, the residual term is present only
 * when @c residual is non-zero (then setup takes a residual tensor of the
 * output's shape).
 */
typedef struct clbb_epilogue {
    const float *scale;
    const float *shift;
    int residual;
    clbb_activation activation;
} clbb_epilogue;

/** Convolution geometry. Weights are OIHW: [out][in/groups][kh][kw]. */
typedef struct clbb_conv2d_desc {
    int32_t in_channels, out_channels, groups;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left, pad_bottom, pad_right;
} clbb_conv2d_desc;

/** Convolution algorithms. AUTO picks per shape and device. */
typedef enum clbb_conv_algo {
    CLBB_CONV_ALGO_AUTO = 0,
    /** Generic direct convolution: any geometry; one output per work-item. */
    CLBB_CONV_ALGO_DIRECT = 1,
    /** Implicit GEMM with local-memory tiles and register blocking. */
    CLBB_CONV_ALGO_IMPLICIT_GEMM = 2,
    /** Direct depthwise kernel (groups == in == out). */
    CLBB_CONV_ALGO_DEPTHWISE = 3,
    /** im2col (skipped for 1x1/s1/p0) + CLBlast SGEMM + epilogue kernel. */
    CLBB_CONV_ALGO_GEMM_CLBLAST = 4,
    /** Winograd F(2x2,3x3) for 3x3 stride-1 dilation-1 convolutions. */
    CLBB_CONV_ALGO_WINOGRAD = 5,
} clbb_conv_algo;

#define CLBB_CONV_ALGO_COUNT 6

/** Name of an algorithm ("direct", "igemm", ...); NULL if unknown. */
CLBB_API const char *clbb_conv_algo_name(clbb_conv_algo algo);

/** Options of clbb_conv2d_create(). Fill with clbb_conv2d_options_init(). */
typedef struct clbb_conv2d_options {
    clbb_conv_algo algo;
    /**
     * Kernel tuning parameters, "NAME=VALUE,..." (as written by `clbb tune`),
     * or NULL for the device's defaults. Unknown names are an error.
     */
    const char *tuning;
    /**
     * Non-zero: the op multiplies input channel (n, c) by gate[n, c] as it
     * loads it (an SE gate fused into the consumer); setup then takes a
     * gate tensor of shape N x in_channels x 1 x 1 after the residual.
     */
    int input_gate;
} clbb_conv2d_options;

CLBB_API void clbb_conv2d_options_init(clbb_conv2d_options *options);

/**
 * Creates a 2-D convolution with a fused epilogue.
 * @param weights OIHW host array of out*(in/groups)*kh*kw floats (copied).
 * @param bias NULL or out_channels floats, added before the epilogue scale:
 *        y = act(scale * (conv + bias) + shift [+ residual]).
 * @param epilogue NULL for none.
 * @param options NULL for defaults.
 * Setup inputs: x [, residual] [, gate].
 * @return CLBB_OK, CLBB_ERR_INVALID_ARGUMENT (naming the field),
 *         CLBB_ERR_UNSUPPORTED (algorithm not applicable to the geometry),
 *         CLBB_ERR_DEVICE_MEMORY, CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_conv2d_create(clbb_context *ctx, const clbb_conv2d_desc *desc,
                               const float *weights, const float *bias,
                               const clbb_epilogue *epilogue,
                               const clbb_conv2d_options *options, clbb_op **out);

/**
 * Inference batch norm: y = act((x - mean) / sqrt(var + eps) * weight + bias
 * [+ residual]). Setup inputs: x [, residual]. Any array may be NULL
 * (mean 0, var 1, weight 1, bias 0). In-place (output == x) is allowed.
 */
CLBB_API clbb_status clbb_batch_norm_create(clbb_context *ctx, int32_t channels,
                                   const float *mean, const float *var,
                                   const float *weight, const float *bias, float eps,
                                   int residual, clbb_activation activation, clbb_op **out);

/**
 * Group norm with per-sample statistics over (C/G, H, W) and per-channel
 * affine: y = act(norm(x) * weight + bias [+ residual]). weight/bias may be
 * NULL (1/0). Setup inputs: x [, residual]. In-place is allowed.
 */
CLBB_API clbb_status clbb_group_norm_create(clbb_context *ctx, int32_t channels, int32_t groups,
                                   const float *weight, const float *bias, float eps,
                                   int residual, clbb_activation activation, clbb_op **out);

/** y = act(a + b). Setup inputs: a, b (same shape). In-place allowed. */
CLBB_API clbb_status clbb_add_create(clbb_context *ctx, clbb_activation activation, clbb_op **out);

/**
 * Channel-wise multiply (SE gate): y[n,c,h,w] = x[n,c,h,w] * gate[n,c].
 * Setup inputs: x, gate (N x C x 1 x 1). In-place allowed.
 */
CLBB_API clbb_status clbb_mul_create(clbb_context *ctx, clbb_op **out);

/** Pooling geometry (symmetric padding, as PyTorch). */
typedef struct clbb_pool2d_desc {
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int ceil_mode;
    /** avg only: padded elements count in the divisor. */
    int count_include_pad;
} clbb_pool2d_desc;

/** Max pooling; padding is -inf (ignored). Setup inputs: x. */
CLBB_API clbb_status clbb_max_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *desc, clbb_op **out);

/** Average pooling. Setup inputs: x. */
CLBB_API clbb_status clbb_avg_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *desc, clbb_op **out);

/** Global average pool to N x C x 1 x 1. Setup inputs: x. */
CLBB_API clbb_status clbb_global_avg_pool_create(clbb_context *ctx, clbb_op **out);

/**
 * Binds the op to an input shape: validates it, chooses and compiles the
 * kernel, computes the output shape.
 * @return CLBB_ERR_SHAPE naming the mismatch (e.g. channels), CLBB_ERR_BUILD.
 */
CLBB_API clbb_status clbb_op_reshape(clbb_op *op, clbb_shape input, clbb_shape *output);

/**
 * Binds tensors. @p inputs lists the op's inputs in the order its create
 * function documents; shapes must match the last reshape.
 * @return CLBB_ERR_INVALID_STATE before reshape, CLBB_ERR_SHAPE,
 *         CLBB_ERR_INVALID_ARGUMENT (wrong count, NULL).
 */
CLBB_API clbb_status clbb_op_setup(clbb_op *op, const clbb_tensor *const *inputs, size_t num_inputs,
                          const clbb_tensor *output);

/** Enqueues the op on the context's queue. CLBB_ERR_INVALID_STATE before setup. */
CLBB_API clbb_status clbb_op_run(clbb_op *op);

/** Destroys an op. NULL: no-op. */
CLBB_API void clbb_op_destroy(clbb_op *op);

/** What an op is and costs at its current shape (for benchmarks). */
typedef struct clbb_op_info {
    const char *type;      /**< "conv2d", "max_pool2d", ... */
    char algorithm[96];    /**< chosen kernel variant, e.g. "igemm_t64x64" */
    double flops;          /**< floating-point operations (2 per MAC) */
    double bytes;          /**< minimum bytes moved (inputs read, output written) */
    size_t workspace_bytes;/**< device scratch held by the op */
} clbb_op_info;

/** Fills @p info; valid after reshape. */
CLBB_API clbb_status clbb_op_get_info(const clbb_op *op, clbb_op_info *info);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_OPS_H */
