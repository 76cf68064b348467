/**
 * @file clbb/ops.h
 * @brief Operators: create (packs parameters on the device) → reshape (input
 *        shape; picks and compiles the kernel; sizes the workspace) → setup
 *        (binds tensors) → run (enqueues; never blocks).
 *
 * Calls out of order return CLBB_ERR_INVALID_STATE. reshape may be called
 * again with another shape (setup must follow); setup may be called again
 * with other tensors of the reshaped shapes. A failed reshape leaves the op
 * needing a reshape, a failed setup leaves it needing a setup. Every op is
 * owned by the context that created it and used by one thread at a time;
 * the op borrows the bound tensors (they must outlive its runs) and copies
 * every host parameter array at create.
 *
 * Every op has one element type (clbb_op_options.dtype) for all of its
 * input and output tensors; parameters (weights, norm statistics) are given
 * as fp32 host arrays and kept in fp32 on the device; arithmetic
 * accumulates in fp32.
 *
 * Aliasing: an output may be the very same tensor as an input (same buffer,
 * offset, shape and strides) only where the op's create function says
 * "in place allowed"; any other overlap of an output with an input is
 * refused by clbb_op_setup() with CLBB_ERR_INVALID_ARGUMENT.
 *
 * Every op has a plain-C reference in clbb_ref_* (clbb/reference.h) that
 * accumulates in double; the conformance harness (clbb/check.h) compares
 * the two.
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
    CLBB_ACTIVATION_NONE = 0,  /**< identity */
    CLBB_ACTIVATION_RELU = 1,  /**< max(x, 0) */
    CLBB_ACTIVATION_RELU6 = 2, /**< min(max(x, 0), 6) */
    /** relu6(x + 3) / 6, GhostNet's SE gate. */
    CLBB_ACTIVATION_HARD_SIGMOID = 3,
    /** 1 / (1 + exp(-x)): DCNv2's mask, ContextBlock's channel_mul. */
    CLBB_ACTIVATION_SIGMOID = 4,
} clbb_activation;

/** Number of activations (for tables). */
#define CLBB_ACTIVATION_COUNT 5

/**
 * Kernel family: the same op has kernels shaped for GPUs (work-groups of
 * many items, local-memory tiles) and, for some ops, kernels shaped for CPU
 * devices (one work-item per work-group, explicit vectors). Both are
 * correct on every device; each is fast on its own kind.
 */
typedef enum clbb_kernel_family {
    /** The device's own: CPU kernels on CPU devices, GPU kernels elsewhere
     *  (the environment variable CLBB_CPU_KERNELS=0/1 overrides). */
    CLBB_KERNEL_FAMILY_AUTO = 0,
    CLBB_KERNEL_FAMILY_GPU = 1, /**< work-groups of many items, local-memory tiles */
    CLBB_KERNEL_FAMILY_CPU = 2, /**< one work-item per work-group, explicit vectors */
} clbb_kernel_family;

/** Name of a kernel family. Thread-safe.
 *  @param family any value.
 *  @return "auto", "gpu", "cpu" (static); NULL if unknown. */
CLBB_API const char *clbb_kernel_family_name(clbb_kernel_family family);

/**
 * The products a matrix op may use. FP32: IEEE fp32 multiplies (strict;
 * the default). TF32X3: tensor-core products of each operand split into a
 * TF32 high part and a TF32 remainder, three products (hi*hi + hi*lo +
 * lo*hi), accurate to fp32 level. TF32: one tensor-core product of TF32
 * operands (10-bit mantissa), fp32 accumulation. FP16: tensor-core products
 * of half operands, fp32 accumulation. Every mode accumulates in fp32. An
 * algorithm or device without matrix units for the mode computes the op
 * in strict fp32 instead (never less accurate); clbb_context_has_math()
 * says which modes a device runs, clbb_op_info() names the one an op got.
 */
typedef enum clbb_math {
    CLBB_MATH_FP32 = 0,   /**< strict fp32 products */
    CLBB_MATH_TF32X3 = 1, /**< 3 TF32 tensor-core products (fp32-level accuracy) */
    CLBB_MATH_TF32 = 2,   /**< 1 TF32 tensor-core product */
    CLBB_MATH_FP16 = 3,   /**< fp16 tensor-core products */
} clbb_math;

/** Number of math modes (for tables). */
#define CLBB_MATH_COUNT 4

/** Name of a math mode. Thread-safe.
 *  @param math any value.
 *  @return "fp32", "tf32x3", "tf32", "fp16" (static); NULL if unknown. */
CLBB_API const char *clbb_math_name(clbb_math math);

/**
 * Options every op takes (the last argument but one of its create
 * function; NULL for the defaults). Fill with clbb_op_options_init().
 */
typedef struct clbb_op_options {
    /** Element type of the op's tensors (default CLBB_DTYPE_F32). */
    clbb_dtype dtype;
    /** Kernel family (default AUTO). An op with one family runs it whatever
     *  is asked here. */
    clbb_kernel_family family;
    /** Products the op may use (default CLBB_MATH_FP32); see ::clbb_math.
     *  Of the ops created with these options only gen_attention has tensor-
     *  core kernels (TF32, FP16, GPU family); the others compute strictly. */
    clbb_math math;
} clbb_op_options;

/** Fills @p options with the defaults (F32, AUTO, FP32 math). Thread-safe.
 *  @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_op_options_init(clbb_op_options *options);

/**
 * Fused epilogue of an op producing y from a raw result r:
 *   y[n,c,h,w] = act(scale[c] * r + shift[c] + residual[n,c,h,w])
 * scale NULL means 1, shift NULL means 0, the residual term is present only
 * when @c residual is non-zero (then setup takes a residual tensor of the
 * output's shape).
 */
typedef struct clbb_epilogue {
    const float *scale;         /**< out_channels floats, or NULL (1) */
    const float *shift;         /**< out_channels floats, or NULL (0) */
    int residual;               /**< non-zero: add a residual input */
    clbb_activation activation; /**< applied last */
} clbb_epilogue;

/** Convolution geometry. Weights are OIHW: [out][in/groups][kh][kw]. */
typedef struct clbb_conv2d_desc {
    int32_t in_channels;  /**< C of the input */
    int32_t out_channels; /**< C of the output */
    int32_t groups;       /**< dividing both channel counts (1: dense) */
    int32_t kernel_h;     /**< kernel height */
    int32_t kernel_w;     /**< kernel width */
    int32_t stride_h;     /**< vertical stride */
    int32_t stride_w;     /**< horizontal stride */
    int32_t dilation_h;   /**< vertical dilation (1: none) */
    int32_t dilation_w;   /**< horizontal dilation (1: none) */
    int32_t pad_top;      /**< zero rows above */
    int32_t pad_left;     /**< zero columns left */
    int32_t pad_bottom;   /**< zero rows below */
    int32_t pad_right;    /**< zero columns right */
} clbb_conv2d_desc;

/**
 * Checks a convolution descriptor: every extent >= 1 and <= 2^20, padding
 * >= 0 and <= 2^20, groups dividing both channel counts. Thread-safe.
 * @param desc the descriptor.
 * @param errbuf,errbuf_size receive a message naming the field (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL desc, a field out of
 *         range, groups not dividing the channels).
 */
CLBB_API clbb_status clbb_conv2d_desc_validate(const clbb_conv2d_desc *desc, char *errbuf,
                                               size_t errbuf_size);

/**
 * Output shape of a convolution, floor((H + pads - d*(k-1) - 1)/s) + 1.
 * Thread-safe.
 * @param desc   the descriptor.
 * @param input  the input shape.
 * @param output receives the output shape.
 * @param errbuf,errbuf_size receive a message naming the field (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL desc or output, a bad
 *         descriptor field, named in errbuf); CLBB_ERR_SHAPE (input
 *         channels differ from in_channels, output would be empty).
 */
CLBB_API clbb_status clbb_conv2d_output_shape(const clbb_conv2d_desc *desc, clbb_shape input,
                                              clbb_shape *output, char *errbuf,
                                              size_t errbuf_size);

/** Convolution algorithms. AUTO picks per shape and device. */
typedef enum clbb_conv_algo {
    CLBB_CONV_ALGO_AUTO = 0, /**< the best applicable one for the shape and device */
    /** Generic direct convolution: any geometry; one output per work-item. */
    CLBB_CONV_ALGO_DIRECT = 1,
    /** Implicit GEMM: local-memory tiles (GPU family) or a register-blocked
     *  micro-kernel (CPU family). */
    CLBB_CONV_ALGO_IMPLICIT_GEMM = 2,
    /** Direct depthwise kernel (groups == in == out, kernel area <= 81). */
    CLBB_CONV_ALGO_DEPTHWISE = 3,
    /** im2col (skipped for 1x1/s1/p0) + CLBlast SGEMM + epilogue kernel;
     *  F32 only. */
    CLBB_CONV_ALGO_GEMM_CLBLAST = 4,
    /** Winograd F(2x2,3x3) for 3x3 stride-1 dilation-1 ungrouped convs. */
    CLBB_CONV_ALGO_WINOGRAD = 5,
} clbb_conv_algo;

/** Number of algorithms (for tables). */
#define CLBB_CONV_ALGO_COUNT 6

/** Name of a convolution algorithm. Thread-safe.
 *  @param algo any value.
 *  @return "auto", "direct", "igemm", ... (static); NULL if unknown. */
CLBB_API const char *clbb_conv_algo_name(clbb_conv_algo algo);

/** Options of clbb_conv2d_create(). Fill with clbb_conv2d_options_init(). */
typedef struct clbb_conv2d_options {
    /** Element type of x, residual, gate, add and y (default F32). */
    clbb_dtype dtype;
    /** Kernel family (default AUTO); see clbb_conv2d_supports(). */
    clbb_kernel_family family;
    /** Algorithm (default AUTO). */
    clbb_conv_algo algo;
    /**
     * Kernel tuning parameters of the chosen algorithm and family,
     * "NAME=VALUE,..." (as written by `clbb tune`), or NULL for the
     * device's defaults. A name the algorithm's family does not take, a
     * malformed entry or a value out of its range is an error at create.
     * igemm GPU: TM TN TK WM WN (powers of two) KS; igemm CPU: VW MV RB NW
     * SB; depthwise GPU: OW_T; depthwise CPU: VW; winograd: TM TN TK WM
     * WN; direct and clblast take none.
     */
    const char *tuning;
    /**
     * Non-zero: the op multiplies input channel (n, c) by gate[n, c] as it
     * loads it (an SE gate fused into the consumer); setup then takes a
     * gate tensor of shape N x in_channels x 1 x 1 after the residual.
     */
    int input_gate;
    /**
     * Non-zero: the epilogue adds add[n, co] (a tensor of shape N x
     * out_channels x 1 x 1, the op's dtype) after the shift and before the
     * residual: y = act(scale * (conv + bias) + shift + add[n, co]
     * [+ residual]); setup then takes it after the residual and the gate.
     * Only the implicit GEMM (GPU and CPU families) computes it; other
     * algorithms report unsupported (AUTO picks among those that do). It
     * folds a per-image channel term (GCNet's channel_add context) into
     * the conv that precedes it.
     */
    int output_add;
    /** Products the op may use (default CLBB_MATH_FP32); see ::clbb_math.
     *  Only the GPU-family implicit GEMM and Winograd kernels have tensor-
     *  core variants; every other algorithm computes strictly. */
    clbb_math math;
} clbb_conv2d_options;

/** Fills @p options with the defaults (F32, AUTO family and algorithm, no
 *  tuning, no gate, no output add, FP32 math). Thread-safe.
 *  @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_conv2d_options_init(clbb_conv2d_options *options);

/**
 * Says whether clbb_conv2d_create() with these arguments would get a
 * kernel: the algorithm (options->algo, AUTO: whichever the device gets)
 * applies to the geometry, the dtype, the requested kernel family and
 * options->output_add on this context's device. Answers from the same algorithm descriptors the
 * launcher uses; does not build anything, and does not parse
 * options->tuning (create may still refuse it).
 * @param ctx     the context whose device is asked.
 * @param desc    the geometry.
 * @param options NULL for the defaults.
 * @param chosen  may be NULL; receives the algorithm AUTO resolves to.
 * @return CLBB_OK (supported); CLBB_ERR_UNSUPPORTED (with the reason in
 *         clbb_last_error()); CLBB_ERR_INVALID_ARGUMENT (NULL ctx or desc,
 *         a bad descriptor, an unknown algo, dtype or family, a tuning
 *         text of 256 characters or more).
 */
CLBB_API clbb_status clbb_conv2d_supports(clbb_context *ctx, const clbb_conv2d_desc *desc,
                                          const clbb_conv2d_options *options,
                                          clbb_conv_algo *chosen);

/**
 * Creates a 2-D convolution with a fused epilogue. Packs the weights on the
 * device (the epilogue scale folded into them, in float); builds nothing
 * (kernels are built at reshape).
 * @param ctx     the context the op runs on.
 * @param desc    the geometry (copied).
 * @param weights OIHW host array of out*(in/groups)*kh*kw floats (copied).
 * @param bias NULL or out_channels floats, added before the epilogue scale:
 *        y = act(scale * (conv + bias) + shift [+ add[n, co]] [+ residual]).
 * @param epilogue NULL for none; its arrays are copied.
 * @param options NULL for defaults.
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * Setup inputs: x [, residual] [, gate] [, add] (gate: options.input_gate,
 * N x in_channels x 1 x 1; add: options.output_add, N x out_channels x 1 x
 * 1; clbb_op_setup() refuses another shape with CLBB_ERR_SHAPE naming it);
 * dense images (channel views are fine). In place is not allowed: the
 * output may overlap no input.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, desc, weights or out
 *         NULL, a bad descriptor field or option, named; a bad activation;
 *         non-finite weights, bias, scale or shift; a tuning text that is
 *         malformed, too long, or names a key, value or register tile the
 *         family does not take); CLBB_ERR_UNSUPPORTED (the algorithm does
 *         not apply to the geometry or dtype, lacks the requested family
 *         or does not compute options.output_add, named; AUTO: none
 *         applies); CLBB_ERR_DEVICE_MEMORY (weight
 *         buffers); CLBB_ERR_DEVICE (mapping the CPU igemm weight buffer
 *         failed); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_conv2d_create(clbb_context *ctx, const clbb_conv2d_desc *desc,
                                        const float *weights, const float *bias,
                                        const clbb_epilogue *epilogue,
                                        const clbb_conv2d_options *options, clbb_op **out);

/**
 * Inference batch norm: y = act((x - mean) / sqrt(var + eps) * weight + bias
 * [+ residual]). Any array may be NULL (mean 0, var 1, weight 1, bias 0);
 * they are folded (in double) into a per-channel scale and shift at create
 * and not kept. Setup inputs: x [, residual]; dense images. In place
 * allowed (y == x or y == residual). Kernel families: GPU and CPU.
 * @param ctx     the context the op runs on.
 * @param channels C.
 * @param mean,var,weight,bias per-channel arrays or NULL.
 * @param eps      added to var.
 * @param residual non-zero: a residual input.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, channels
 *         < 1, eps < 0 or not finite, var + eps <= 0 or a non-finite
 *         statistic in some channel, a bad activation or option);
 *         CLBB_ERR_DEVICE_MEMORY (the scale/shift buffers);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_batch_norm_create(clbb_context *ctx, int32_t channels,
                                            const float *mean, const float *var,
                                            const float *weight, const float *bias, float eps,
                                            int residual, clbb_activation activation,
                                            const clbb_op_options *options, clbb_op **out);

/**
 * Group norm with per-sample statistics over (C/G, H, W) and per-channel
 * affine: y = act(norm(x) * weight + bias [+ residual]). weight/bias may be
 * NULL (1/0; copied). Setup inputs: x [, residual]; dense images. In place
 * allowed (y == x or y == residual). Its reshape allocates a small
 * statistics buffer (N x groups x 2 floats).
 * @param ctx     the context the op runs on.
 * @param channels C.
 * @param groups   number of groups.
 * @param weight,bias per-channel affine or NULL.
 * @param eps      added to the variance.
 * @param residual non-zero: a residual input.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, channels or
 *         groups < 1, groups not dividing channels, eps <= 0 or not finite,
 *         a non-finite affine value, a bad activation or option);
 *         CLBB_ERR_DEVICE_MEMORY (the weight/bias buffers);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_group_norm_create(clbb_context *ctx, int32_t channels, int32_t groups,
                                            const float *weight, const float *bias, float eps,
                                            int residual, clbb_activation activation,
                                            const clbb_op_options *options, clbb_op **out);

/**
 * y = act(a + b). Setup inputs: a, b (same shape; dense images). In place
 * allowed (y == a or y == b).
 * @param ctx     the context the op runs on.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, a bad
 *         activation or option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_add_create(clbb_context *ctx, clbb_activation activation,
                                     const clbb_op_options *options, clbb_op **out);

/**
 * Channel-wise multiply (SE gate): y[n,c,h,w] = x[n,c,h,w] * gate[n,c].
 * Setup inputs: x, gate (N x C x 1 x 1); dense images. In place allowed
 * (y == x).
 * @param ctx     the context the op runs on.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, a bad
 *         option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_mul_create(clbb_context *ctx, const clbb_op_options *options,
                                     clbb_op **out);

/** Pooling geometry (symmetric padding, as PyTorch). */
typedef struct clbb_pool2d_desc {
    int32_t kernel_h; /**< window height */
    int32_t kernel_w; /**< window width */
    int32_t stride_h; /**< vertical stride */
    int32_t stride_w; /**< horizontal stride */
    int32_t pad_h;    /**< rows of padding above and below */
    int32_t pad_w;    /**< columns of padding left and right */
    int ceil_mode;    /**< non-zero: PyTorch's ceil_mode=True */
    /** avg only: padded elements count in the divisor. */
    int count_include_pad;
} clbb_pool2d_desc;

/**
 * Output shape of a pooling, with PyTorch's ceil_mode rule (the last window
 * must start inside the input or its left padding). N and C pass through.
 * Thread-safe.
 * @param desc   the geometry.
 * @param input  the input shape.
 * @param output receives the output shape.
 * @param errbuf,errbuf_size receive a message naming the field (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (desc or output NULL, a kernel
 *         or stride out of 1..4096, a padding out of 0..4096 or beyond half
 *         the kernel); CLBB_ERR_SHAPE (input smaller than the kernel).
 */
CLBB_API clbb_status clbb_pool2d_output_shape(const clbb_pool2d_desc *desc, clbb_shape input,
                                              clbb_shape *output, char *errbuf,
                                              size_t errbuf_size);

/**
 * Max pooling; padding is -inf (ignored). Setup inputs: x; dense images.
 * Not in place. The descriptor is copied.
 * @param ctx     the context the op runs on.
 * @param desc    the geometry.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, desc or out NULL, a bad
 *         geometry field, named; a bad option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_max_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *desc,
                                            const clbb_op_options *options, clbb_op **out);

/** Average pooling with PyTorch's divisor (count_include_pad). Setup
 *  inputs: x; dense images. Not in place. The descriptor is copied.
 * @param ctx     the context the op runs on.
 * @param desc    the geometry.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, desc or out NULL, a bad
 *          geometry field, named; a bad option); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_avg_pool2d_create(clbb_context *ctx, const clbb_pool2d_desc *desc,
                                            const clbb_op_options *options, clbb_op **out);

/** Global average pool to N x C x 1 x 1. Setup inputs: x; dense images.
 *  Not in place.
 * @param ctx     the context the op runs on.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, a bad
 *          option); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_global_avg_pool_create(clbb_context *ctx,
                                                 const clbb_op_options *options, clbb_op **out);

/**
 * Copy: y = x, for any layouts of x (a permuted or reshaped view) into a
 * dense-image y of the same shape: the op behind clbb_tensor_copy(), which
 * graphs use to make a transposed view contiguous. options->dtype is y's
 * element type; x may have any dtype (converted on the way), so the kernel
 * is built at setup, when x's dtype is known. Setup inputs: x. In place
 * allowed only as the identity (y == x: the run enqueues nothing).
 * @param ctx     the context the op runs on.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, a bad
 *         option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_copy_create(clbb_context *ctx, const clbb_op_options *options,
                                      clbb_op **out);

/**
 * Deformable convolution, mmcv's DeformConv2d (v1) and ModulatedDeformConv2d
 * (v2, @c modulated): every kernel tap (i, j) of output pixel (ho, wo)
 * samples the input bilinearly at
 *   (ho*stride_h - pad_top + i*dilation_h + dy, wo*stride_w - pad_left + j*dilation_w + dx)
 * where, for deform group g (input channel c is in group c / (C/deform_groups)),
 * dy is offset channel g*2*kh*kw + 2*(i*kw + j) and dx the next; a sample is
 * taken only when h > -1 && w > -1 && h < H && w < W, each bilinear corner
 * outside the image counting as zero; v2 multiplies it by mask channel
 * g*kh*kw + i*kw + j. Then as clbb_conv2d_create (groups, bias, epilogue).
 */
typedef struct clbb_deform_conv2d_desc {
    clbb_conv2d_desc conv; /**< the convolution's geometry */
    int32_t deform_groups; /**< >= 1, dividing conv.in_channels */
    int modulated;         /**< non-zero: DCNv2, a mask input */
    /** modulated only: the mask input holds logits and the op applies
     *  mmcv's sigmoid to them as it reads them, so that DCNv2's conv_offset
     *  is one conv whose output the op reads as it is (offset and mask
     *  slices of one value). 0: the mask is used as given. */
    int mask_sigmoid;
} clbb_deform_conv2d_desc;

/**
 * Output shape of a deformable convolution (as clbb_conv2d_output_shape).
 * Thread-safe.
 * @param desc   the geometry.
 * @param input  the input shape.
 * @param output receives the output shape.
 * @param errbuf,errbuf_size receive a message naming the field (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, a bad field, named);
 *         CLBB_ERR_SHAPE (channels, empty output).
 */
CLBB_API clbb_status clbb_deform_conv2d_output_shape(const clbb_deform_conv2d_desc *desc,
                                                     clbb_shape input, clbb_shape *output,
                                                     char *errbuf, size_t errbuf_size);

/**
 * Creates a deformable convolution with a fused epilogue (as conv2d:
 * y = act(scale * (conv + bias) + shift [+ residual])). options: dtype and
 * family as for conv2d; math as clbb_conv2d_options.math (a kernel without
 * a tensor-core variant computes strictly; clbb_op_info() names what ran);
 * algo must be AUTO; input_gate and output_add must be 0; tuning:
 * GPU family TM TN TK WM WN KS (igemm's tile keys), CPU family MV NR NB CK
 * (vectors, positions per register block, blocks, channels per sample
 * chunk); another key is CLBB_ERR_INVALID_ARGUMENT.
 * Setup inputs: x, offset (N x 2*dg*kh*kw x Ho x Wo) [, mask (N x dg*kh*kw x
 * Ho x Wo), modulated only] [, residual]; channel views are fine (the
 * offsets and mask of DCNv2 are slices of one conv_offset output). Not in
 * place.
 * @param ctx      the context the op runs on.
 * @param desc     the geometry (copied).
 * @param weights,bias as clbb_conv2d_create() (copied).
 * @param epilogue NULL for none (copied).
 * @param options  NULL for the defaults.
 * @param out      receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, desc, weights or out
 *         NULL, a bad descriptor field or deform_groups, named; an algo
 *         other than AUTO, an input gate or output add, a bad tuning text,
 *         math or option, non-finite parameters); CLBB_ERR_DEVICE_MEMORY (weight buffers);
 *         CLBB_ERR_DEVICE (mapping the weight buffer);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_deform_conv2d_create(clbb_context *ctx,
                                               const clbb_deform_conv2d_desc *desc,
                                               const float *weights, const float *bias,
                                               const clbb_epilogue *epilogue,
                                               const clbb_conv2d_options *options,
                                               clbb_op **out);

/**
 * Softmax over the last axis: y[n,c,h,:] = softmax(scale * x[n,c,h,:]),
 * max-subtracted, accumulated in fp32. Views (a reshape of a slice) give the
 * other axes: ContextBlock's softmax over H*W is a softmax of the
 * N x 1 x 1 x HW reshape. Setup inputs: x (any strided view); y dense
 * images. In place allowed (y == x, a dense x). Kernel families: GPU and
 * CPU. Setup returns CLBB_ERR_UNSUPPORTED for a view reaching beyond
 * element 2^31-1.
 * @param ctx     the context the op runs on.
 * @param scale   multiplies x before the softmax.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, scale not
 *         finite, a bad option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_softmax_create(clbb_context *ctx, float scale,
                                         const clbb_op_options *options, clbb_op **out);

/**
 * Layer norm over (C, H, W) of each sample with a per-channel affine, as
 * mmcv's ContextBlock uses LayerNorm([planes, 1, 1]) (biased variance, eps
 * inside the square root): y = act(norm(x) * weight[c] + bias[c]).
 * weight/bias may be NULL (1/0; copied). Setup inputs: x; dense images. In
 * place allowed. Kernel family: GPU (one work-group per sample).
 * @param ctx     the context the op runs on.
 * @param channels C.
 * @param weight,bias per-channel affine or NULL.
 * @param eps      added to the variance.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, channels
 *         < 1, eps <= 0 or not finite, a non-finite affine value, a bad
 *         activation or option); CLBB_ERR_DEVICE_MEMORY (the weight/bias
 *         buffers); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_layer_norm_create(clbb_context *ctx, int32_t channels,
                                            const float *weight, const float *bias, float eps,
                                            clbb_activation activation,
                                            const clbb_op_options *options, clbb_op **out);

/**
 * Per-(sample, channel) affine: y = act(x * mul[n,c] + add[n,c] [+ residual])
 * (ContextBlock's fusion: channel_mul then channel_add, fused with the
 * block's residual and ReLU). Setup inputs: x [, mul (N x C x 1 x 1) if
 * has_mul] [, add (N x C x 1 x 1) if has_add] [, residual (x's shape)];
 * dense images. In place allowed (y == x or y == residual). Kernel
 * families: GPU and CPU.
 * @param ctx     the context the op runs on.
 * @param has_mul  non-zero: a mul input.
 * @param has_add  non-zero: an add input.
 * @param residual non-zero: a residual input.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, a bad
 *         activation or option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_channel_affine_create(clbb_context *ctx, int has_mul, int has_add,
                                                int residual, clbb_activation activation,
                                                const clbb_op_options *options,
                                                clbb_op **out);

/**
 * ContextBlock's attention pooling (pooling_type 'att') in one op:
 *   logit[n,p] = bias + sum_c weight[c] * x[n,c,p];  a = softmax_p(logit);
 *   y[n,c,0,0] = sum_p x[n,c,p] * a[n,p]   (p over H*W).
 * weight: channels floats (conv_mask.weight), copied. Setup inputs: x;
 * dense images; output N x C x 1 x 1. Not in place. Kernel families: GPU
 * and CPU. Its reshape allocates N x H*W floats of logits.
 * @param ctx     the context the op runs on.
 * @param channels C.
 * @param weight   @p channels floats.
 * @param bias     conv_mask's bias.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx, out or weight,
 *         channels < 1, a non-finite weight or bias, a bad option);
 *         CLBB_ERR_DEVICE_MEMORY (the weight buffer); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_context_pool_create(clbb_context *ctx, int32_t channels,
                                              const float *weight, float bias,
                                              const clbb_op_options *options, clbb_op **out);

/**
 * ContextBlock's channel transform (mmcv context_block.py: channel_add_conv
 * and channel_mul_conv) on a pooled context x (N x C x 1 x 1):
 *   h = w0 . x + b0;  g = relu(LayerNorm_P(h) * ln_weight + ln_bias);
 *   y = act(w1 . g + b1)   (y: N x CO x 1 x 1),
 * the LayerNorm over the P planes of each sample (biased variance, eps).
 * mmcv's module has CO = C; CO != C computes it on a context pooled from
 * the input of a 1x1 conv that the first weight absorbs (what clbb's GCNet
 * plan does). All arrays are copied; the op keeps no pointer.
 * @param ctx context.
 * @param channels C, the context's channels (>= 1).
 * @param planes P, the hidden planes (>= 1; C * P and CO * P <= 2^28).
 * @param out_channels CO, the output's channels (>= 1; ContextBlock: C).
 * @param w0 P x C floats (the first conv's weight, PyTorch order).
 * @param b0 P floats (its bias).
 * @param ln_weight P floats, or NULL for ones (the LayerNorm's weight).
 * @param ln_bias P floats, or NULL for zeros.
 * @param eps the LayerNorm's epsilon (> 0; mmcv: 1e-5).
 * @param w1 CO x P floats (the second conv's weight).
 * @param b1 CO floats (its bias).
 * @param act activation of the output (channel_mul: SIGMOID; channel_add: NONE).
 * @param options dtype and kernel family (NULL: defaults).
 * @param out receives the op (NULL on failure).
 * Setup inputs: x (N x C x 1 x 1). Not in place. Kernel family: GPU (runs on
 * every device). Its reshape allocates N x P floats. Thread safety: as every
 * op, one thread at a time per context.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx, out, w0, b0, w1 or b1,
 *         channels, planes or out_channels < 1 or a product too large, eps
 *         not > 0, a non-finite value (named with its index), a bad
 *         activation or option); CLBB_ERR_DEVICE_MEMORY (the parameter
 *         buffers); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_context_mlp_create(clbb_context *ctx, int32_t channels, int32_t planes,
                                             int32_t out_channels, const float *w0,
                                             const float *b0, const float *ln_weight,
                                             const float *ln_bias, float eps, const float *w1,
                                             const float *b1, clbb_activation act,
                                             const clbb_op_options *options,
                                             clbb_op **out);

/** Geometry of clbb_ghost_module_create(): GhostNet's Ghost module with a
 *  1x1 primary conv (stride 1, one group) and its cheap depthwise conv. */
typedef struct clbb_ghost_module_desc {
    int32_t in_channels;       /**< C of x (>= 1) */
    int32_t primary_channels;  /**< P, the primary conv's outputs (GhostNet: init_channels) */
    int32_t cheap_channels;    /**< Q, the cheap outputs kept (1 .. P * cheap_per_primary) */
    int32_t cheap_per_primary; /**< cheap outputs per primary channel (ratio - 1, >= 1) */
    int32_t cheap_kernel;      /**< odd KS of the cheap conv (pad KS / 2; GhostNet: 3) */
} clbb_ghost_module_desc;

/**
 * A Ghost module (huawei-noah ghostnet GhostModule with a 1x1 primary) in
 * one kernel: p = act(primary_scale * (Wp . (x * gate)) + primary_shift)
 * (N x P x H x W), c_k = act(cheap_scale_k * dw_k(p_{k / cheap_per_primary})
 * + cheap_shift_k) for k < Q (KS x KS depthwise, zero padding), and
 * y = concat(p, c) [+ residual] (N x (P + Q) x H x W; the residual is
 * added after the activation). BN is passed folded (scale, shift).
 * All arrays are copied; the op keeps no pointer.
 * @param ctx context.
 * @param desc the geometry.
 * @param primary_weight P x C floats (PyTorch's [P][C][1][1]).
 * @param primary_scale,primary_shift P floats each, or NULL (1, 0).
 * @param cheap_weight Q x KS x KS floats (PyTorch's [.][1][KS][KS], the first Q rows).
 * @param cheap_scale,cheap_shift Q floats each, or NULL (1, 0).
 * @param act activation of both halves.
 * @param residual non-zero: a residual input is added to y.
 * @param input_gate non-zero: x is multiplied by a gate input (N x C x 1 x 1) first.
 * @param options dtype and kernel family (NULL: defaults).
 * @param out receives the op (NULL on failure).
 * Setup inputs: x [, residual (y's shape)] [, gate]; dense images; not in
 * place. Kernel family: GPU (runs on every device). Thread safety: as every
 * op, one thread at a time per context.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx, out, desc or a
 *         weight, a bad geometry, a non-finite value (named), a bad
 *         activation or option); CLBB_ERR_UNSUPPORTED (at reshape: the tile
 *         does not fit the device's local memory); CLBB_ERR_DEVICE_MEMORY;
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_ghost_module_create(
    clbb_context *ctx, const clbb_ghost_module_desc *desc, const float *primary_weight,
    const float *primary_scale, const float *primary_shift, const float *cheap_weight,
    const float *cheap_scale, const float *cheap_shift, clbb_activation act, int residual,
    int input_gate, const clbb_op_options *options, clbb_op **out);

/**
 * GhostNet's squeeze-and-excitation gate (timm SqueezeExcite with
 * hard_sigmoid) in one kernel per sample: m = mean over H x W of x
 * (N x C), h = relu(w0 . m + b0) (N x P), y = act(w1 . h + b1)
 * (N x C x 1 x 1: the gate the next conv multiplies its input by).
 * All arrays are copied; the op keeps no pointer.
 * @param ctx context.
 * @param channels C (>= 1).
 * @param planes P, the reduced channels (>= 1; C * P <= 2^28).
 * @param w0,b0 P x C and P floats (conv_reduce).
 * @param w1,b1 C x P and C floats (conv_expand).
 * @param act activation of the gate (GhostNet: HARD_SIGMOID).
 * @param options dtype and kernel family (NULL: defaults).
 * @param out receives the op (NULL on failure).
 * Setup inputs: x (N x C x H x W). Kernel family: GPU (runs on every
 * device). Thread safety: as every op, one thread at a time per context.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx, out or array,
 *         channels or planes out of range, a non-finite value (named), a
 *         bad activation or option); CLBB_ERR_DEVICE_MEMORY;
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_se_gate_create(clbb_context *ctx, int32_t channels, int32_t planes,
                                        const float *w0, const float *b0, const float *w1,
                                        const float *b1, clbb_activation act,
                                        const clbb_op_options *options, clbb_op **out);

/**
 * Batched matrix product of two activations:
 *   y[n,c] = act(alpha * A[n,c] . B[n,c])  with A[n,c] M x K, B[n,c] K x P,
 * as 4-D tensors A: N x C x M x K, B: N x C x K x P, y: N x C x M x P. A and
 * B may be any strided views (a permuted view is a transpose, a reshape of
 * a slice a matrix of features x positions); y is dense. Accumulates in
 * fp32. Not in place. @p cols is P, B's columns (clbb_op_reshape sees only
 * A's shape, N x C x M x K, and returns N x C x M x P). Setup inputs: A, B.
 * Kernel families: GPU (local-memory tiles, loads along each view's
 * contiguous axis) and CPU (packed panels in the context's scratch, which
 * reshape reserves: (M + 7) * K + (P + 7) * K floats per matrix, and
 * CLBB_ERR_UNSUPPORTED past 2^31-1 of them). Setup returns
 * CLBB_ERR_UNSUPPORTED for a view reaching beyond element 2^31-1.
 * @param ctx     the context the op runs on.
 * @param cols    P, the columns of B.
 * @param alpha   scales the product.
 * @param activation applied last.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, cols < 1,
 *         alpha not finite, a bad activation or option).
 */
CLBB_API clbb_status clbb_matmul_create(clbb_context *ctx, int32_t cols, float alpha,
                                        clbb_activation activation,
                                        const clbb_op_options *options, clbb_op **out);

/**
 * Fused attention, flash style (online softmax: the Lq x Lk scores never
 * reach memory), for NonLocal2d's embedded_gaussian and
 * GeneralizedAttention's appearance term:
 *   y[n,c] = (softmax_rows(scale * Q[n,c] . K[n,c]) . V[n,c])^T
 * with Q: N x C x Lq x D, K: N x C x D x Lk (Lk = @p keys), V: N x C x Lk x
 * Dv (Dv = @p value_channels), any strided views; y: N x C x Dv x Lq dense,
 * channels first, so that NonLocal2d's Q = theta^T, K = phi, V = g^T give
 * the NCHW map (N x 1 x inter x HW) directly. The same result as matmul ->
 * softmax -> matmul. Accumulates in fp32. Not in place. Kernel family: CPU
 * only (a GPU context runs the CPU kernel; use the three ops there). On
 * PoCL it is about as fast as the three ops (both are bound by the same
 * FMAs) and saves their Lq x Lk scores (70 MB at NonLocal2d's c4). Its
 * reshape reserves the packed operands in the context's scratch
 * (CLBB_ERR_UNSUPPORTED past 2^31-1 floats); setup returns
 * CLBB_ERR_UNSUPPORTED for a view reaching beyond element 2^31-1.
 * @param ctx     the context the op runs on.
 * @param keys    Lk.
 * @param value_channels Dv.
 * @param scale   multiplies the scores before the softmax.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL ctx or out, keys or
 *         value_channels < 1, value_channels > 1024, scale not finite, a
 *         bad option); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_attention_create(clbb_context *ctx, int32_t keys,
                                           int32_t value_channels, float scale,
                                           const clbb_op_options *options, clbb_op **out);

/**
 * Residual plus bilinear resize: y = x + resize(z) with x, y N x C x H x W
 * and z N x C x Hz x Wz of any size, resized as PyTorch's F.interpolate(z,
 * size=(H, W), mode='bilinear', align_corners=False) does (source
 * coordinate (o + 0.5) * Hz/H - 0.5 clamped at 0, the far neighbour
 * clamped at the edge). GeneralizedAttention's q_stride > 1 tail. Setup
 * inputs: x, z; dense images (channel views allowed); clbb_op_reshape()
 * takes x's shape. In place allowed (y == x).
 * @param ctx     the context the op runs on.
 * @param options NULL for the defaults (F32, AUTO family).
 * @param out     receives the op (NULL on failure); free with clbb_op_destroy().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or out NULL, a bad
 *         option); CLBB_ERR_OUT_OF_MEMORY. Setup: CLBB_ERR_SHAPE when z's
 *         batch or channels differ from x's.
 */
CLBB_API clbb_status clbb_upsample_add_create(clbb_context *ctx, const clbb_op_options *options,
                                              clbb_op **out);

/** Terms of mmcv's GeneralizedAttention energy: bit i is character i of its
 *  attention_type string ('1000' is CLBB_GEN_ATTENTION_APPR_APPR). */
enum {
    CLBB_GEN_ATTENTION_APPR_APPR = 1, /**< '1000': query . key */
    CLBB_GEN_ATTENTION_APPR_POS = 2,  /**< '0100': query . relative position */
    CLBB_GEN_ATTENTION_BIAS_APPR = 4, /**< '0010': appr_bias . key */
    CLBB_GEN_ATTENTION_BIAS_POS = 8,  /**< '0001': geom_bias . relative position */
};

/** The attention core of mmcv's GeneralizedAttention (its 1x1 convs, the
 *  kv/q subsampling, proj_conv and the gamma residual are separate ops). */
typedef struct clbb_gen_attention_desc {
    int32_t num_heads;       /**< M >= 1 */
    int32_t qk_dim;          /**< D >= 1: query/key channels per head (mmcv: C / M) */
    int32_t v_dim;           /**< DV >= 1: value channels per head (mmcv: C / M) */
    uint32_t attention_type; /**< CLBB_GEN_ATTENTION_* bits, 0..15 (0: uniform weights) */
    int32_t spatial_range;   /**< < 0: none; >= 0: mmcv's local_constraint_map */
    int32_t q_stride;        /**< >= 1: the query grid subsamples x by it */
    int32_t kv_stride;       /**< >= 1: the key/value grid subsamples x by it */
    int32_t position_embedding_dim; /**< feat_dim: > 0 and a multiple of 4 when a
                                          position term is used (mmcv: C when its
                                          argument is <= 0) */
    int32_t position_magnitude;     /**< multiplier of the coordinate differences */
} clbb_gen_attention_desc;

/**
 * GeneralizedAttention's energy, masked softmax over the keys and weighted
 * sum of the values, in one op that never stores the Lq x Lk matrix (online
 * softmax over key tiles). For the module input x (N x C x H x W), the query
 * grid is Hq = (H-1)/q_stride + 1 by Wq, the key grid Hk = (H-1)/kv_stride + 1
 * by Wk; for head m, query (qy, qx) and key (ky, kx):
 *   energy = [bit 0] q.k + [bit 2] appr_bias.k
 *          + [bit 1] q.px(qx,kx) + [bit 1] q'.py(qy,ky)
 *          + [bit 3] geom_bias.(px(qx,kx) + py(qy,ky))
 * with q, k the head's D channels at those positions, px = appr_geom_fc_x
 * applied to mmcv's sin/cos embedding of (qx*q_stride - kx*kv_stride) *
 * position_magnitude (wave length 1000), divided by sqrt(2) (py likewise
 * from rows, appr_geom_fc_y); q' is q except that for types with bit 1 set
 * and bit 3 clear mmcv reads the query at the transposed position (qx, qy),
 * which needs Hq == Wq. With spatial_range >= 0 keys outside mmcv's
 * local_constraint_map window of (qy, qx) get -inf. Then
 *   y[n, m*DV + c, qy, qx] = sum_k softmax_k(energy) v[n, m*DV + c, ky, kx].
 * '0010' alone gives every query the row of query (0, 0), masked as that
 * query is (mmcv computes one row at h = w = 1 and broadcasts it). The position features are computed on the host in double at
 * reshape (they depend only on the weights and the grids).
 *
 * @param ctx            the context the op runs on.
 * @param desc           the attention's geometry and type (copied).
 * @param appr_bias      M*D floats when bit 2 is set, else ignored (copied).
 * @param geom_bias      M*D floats when bit 3 is set, else ignored (copied).
 * @param appr_geom_fc_x M*D x feat_dim/2 (Linear weight, row-major) when bit
 *                       1 or 3 is set, else ignored (copied).
 * @param appr_geom_fc_y likewise for the rows.
 * @param options        dtype and family (GPU: work-group tiles in local
 *                       memory for D, DV <= 64 where the device's local memory
 *                       holds them, else the CPU kernel; CPU: one work-item per
 *                       query, explicit vectors). NULL: defaults.
 * @param out            receives the op (NULL on failure); free with
 *                       clbb_op_destroy().
 * Setup inputs, in order: x (the module input, N x C x H x W: read for its
 * shape only), v (N x M*DV x Hk x Wk), then k (N x M*D x Hk x Wk) when bit 0
 * or 2 is set, then q (N x M*D x Hq x Wq) when bit 0 or 1 is set; dense
 * images (channel views allowed). Output N x M*DV x Hq x Wq. Not in place.
 * clbb_op_reshape() takes x's shape and refuses (CLBB_ERR_SHAPE) a
 * non-square query grid for the transposed types.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL out, desc or a needed
 *         array, a field out of range, named; a non-finite parameter);
 *         CLBB_ERR_UNSUPPORTED (F16 on a device without it);
 *         CLBB_ERR_OUT_OF_MEMORY; CLBB_ERR_DEVICE_MEMORY (parameter
 *         buffers).
 */
CLBB_API clbb_status clbb_gen_attention_create(clbb_context *ctx,
                                               const clbb_gen_attention_desc *desc,
                                               const float *appr_bias, const float *geom_bias,
                                               const float *appr_geom_fc_x,
                                               const float *appr_geom_fc_y,
                                               const clbb_op_options *options, clbb_op **out);

/**
 * Binds the op to an input shape: validates it, chooses and compiles the
 * kernel (the copy op's waits for setup), sizes the workspace (the
 * context's shared scratch grows if needed), computes the output shape.
 * @param op     the op.
 * @param input  the input shape (for ops with several inputs, the one their
 *               create function names).
 * @param output receives the output shape; may be NULL.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL op, an extent below 1,
 *         more than 2^31-1 input elements, a tuning the shape or device
 *         cannot take, e.g. a tile too wide for the work-group or local
 *         memory limits); CLBB_ERR_SHAPE naming the mismatch (channels, an
 *         input smaller than the kernel, more than 2^31-1 output
 *         elements); CLBB_ERR_UNSUPPORTED (the shape exceeds the kernel's
 *         indexing); CLBB_ERR_BUILD; CLBB_ERR_DEVICE (kernel creation
 *         failed); CLBB_ERR_DEVICE_MEMORY (workspace, group_norm
 *         statistics); CLBB_ERR_OUT_OF_MEMORY (program cache).
 */
CLBB_API clbb_status clbb_op_reshape(clbb_op *op, clbb_shape input, clbb_shape *output);

/**
 * Binds tensors (borrowed: they must outlive the op's runs, or the next
 * setup). @p inputs lists the op's inputs in the order its create function
 * documents; shapes must match the last reshape and dtypes the op's dtype
 * (the copy op's input: any dtype).
 * @param op         the op.
 * @param inputs     @p num_inputs tensors.
 * @param num_inputs their number.
 * @param output     the output tensor, of the shape reshape returned.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL op, inputs or output,
 *         wrong count, a NULL input, another context's tensor, a dtype
 *         other than the op's, an output overlapping an input where the op
 *         cannot run in place); CLBB_ERR_INVALID_STATE (before reshape);
 *         CLBB_ERR_SHAPE (a shape differs); CLBB_ERR_UNSUPPORTED (a layout
 *         the op does not read or write); the copy op, which builds its
 *         kernel here: CLBB_ERR_BUILD; CLBB_ERR_DEVICE;
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_op_setup(clbb_op *op, const clbb_tensor *const *inputs,
                                   size_t num_inputs, const clbb_tensor *output);

/** Enqueues the op on the context's queue (one or more kernels; never
 *  waits for them).
 *  @param op the op.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL); CLBB_ERR_INVALID_STATE
 *          (before setup, or after a failed reshape or setup);
 *          CLBB_ERR_DEVICE (setting an argument or an enqueue failed,
 *          CLBlast's SGEMM failed); CLBB_ERR_UNSUPPORTED (a launch beyond
 *          the max work-group size or, under a device profile, the local
 *          memory the context plans with: the message names the limit); CLBB_ERR_DEVICE_MEMORY (the driver
 *          reported an allocation failure at enqueue);
 *          CLBB_ERR_OUT_OF_MEMORY (recording a profiling event). */
CLBB_API clbb_status clbb_op_run(clbb_op *op);

/** Destroys an op (the tensors it was bound to are not affected).
 *  @param op the op; NULL: no-op. */
CLBB_API void clbb_op_destroy(clbb_op *op);

/** What an op is and costs at its current shape (for benchmarks). */
typedef struct clbb_op_info {
    const char *type;      /**< "conv2d", "max_pool2d", ... */
    char algorithm[96];    /**< chosen kernel variant, e.g. "igemm_t64x64" */
    double flops;          /**< floating-point operations (2 per MAC) */
    double bytes;          /**< minimum bytes moved (inputs read, output written) */
    size_t workspace_bytes;/**< device scratch held by the op */
} clbb_op_info;

/** Fills @p info; valid after reshape (info->type is a static string).
 *  @param op   the op.
 *  @param info receives the description.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL); CLBB_ERR_INVALID_STATE
 *          (before reshape). */
CLBB_API clbb_status clbb_op_get_info(const clbb_op *op, clbb_op_info *info);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_OPS_H */
