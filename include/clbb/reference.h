/**
 * @file clbb/reference.h
 * @brief Plain-C reference operators: the oracle that every OpenCL kernel is
 *        checked against. Dense NCHW host float arrays, double accumulation,
 *        nothing fused: each epilogue step is applied in order as written.
 *
 * The references take no context and return nothing: they trust their
 * arguments (shapes as computed by clbb_conv2d_output_shape() /
 * clbb_pool2d_output_shape(), arrays of the sizes those shapes give). A
 * conv or pooling reference given a descriptor and input shape that those
 * functions refuse writes nothing; NULL arrays other than the optional
 * ones documented below are not checked. Thread-safe (no state).
 *
 * Storage precision: the device rounds every stored activation to its
 * tensor's dtype. clbb_ref_quantize() applies that rounding to host data,
 * so a reference fed the same rounded inputs sees exactly what the device
 * saw; its output is exact (double accumulation, one rounding to float).
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
 * Rounds x[0..n) in place to the nearest value of @p dtype (round to
 * nearest even; F16 overflows to infinity), as a device store does. F32 is
 * a no-op.
 * @param dtype the storage type.
 * @param x     @p n floats, rounded in place.
 * @param n     number of floats.
 */
CLBB_API void clbb_ref_quantize(clbb_dtype dtype, float *x, size_t n);

/**
 * Convolution with every epilogue step in order:
 *   y = act(scale * (conv(x * gate) + bias) + shift + residual)
 * @param desc     the geometry (as clbb_conv2d_create()).
 * @param in       input shape.
 * @param x        N*C*H*W input floats.
 * @param weights  OIHW, out * in/groups * kh * kw floats.
 * @param bias     NULL or out_channels floats.
 * @param epilogue NULL for none; its scale/shift may be NULL (1 / 0); the
 *                 residual is added only when epilogue->residual is set.
 * @param residual output-shaped, or NULL.
 * @param gate     N x in_channels, or NULL (1).
 * @param y        output-shaped result.
 */
CLBB_API void clbb_ref_conv2d(const clbb_conv2d_desc *desc, clbb_shape in, const float *x,
                              const float *weights, const float *bias,
                              const clbb_epilogue *epilogue, const float *residual,
                              const float *gate, float *y);

/**
 * clbb_ref_conv2d() with clbb_conv2d_options.output_add's term:
 *   y = act(scale * (conv(x * gate) + bias) + shift + add[n, co] + residual)
 * (clbb_ref_conv2d() is this with add NULL).
 * @param desc,in,x,weights,bias,epilogue,residual,gate as clbb_ref_conv2d().
 * @param add      N x out_channels floats (the N x out_channels x 1 x 1
 *                 tensor), or NULL (0).
 * @param y        output-shaped result.
 */
CLBB_API void clbb_ref_conv2d_add(const clbb_conv2d_desc *desc, clbb_shape in, const float *x,
                                  const float *weights, const float *bias,
                                  const clbb_epilogue *epilogue, const float *residual,
                                  const float *gate, const float *add, float *y);

/**
 * Applies act(scale * v + shift + residual) in place over N x C x HW.
 * @param shape    the shape of @p y.
 * @param epilogue NULL for the identity; @p residual (NULL: none) is added
 *        whenever it is given.
 * @param residual NULL or @p shape floats.
 * @param y        @p shape floats, transformed in place.
 */
CLBB_API void clbb_ref_epilogue(clbb_shape shape, const clbb_epilogue *epilogue,
                                const float *residual, float *y);

/** Activation of one value.
 *  @param act the activation.
 *  @param v   the value.
 *  @return act(v), in double. */
CLBB_API double clbb_ref_activation(clbb_activation act, double v);

/**
 * Inference batch norm, y = act((x - mean) / sqrt(var + eps) * weight +
 * bias + residual); NULL arrays mean 0 / 1 / 1 / 0 / no residual. y may be x.
 * @param shape the shape of x, residual and y.
 * @param x     input.
 * @param mean,var,weight,bias per-channel statistics and affine (NULL: 0, 1, 1, 0).
 * @param eps   added to var.
 * @param residual NULL or @p shape floats.
 * @param act   the activation.
 * @param y     output.
 */
CLBB_API void clbb_ref_batch_norm(clbb_shape shape, const float *x, const float *mean,
                                  const float *var, const float *weight, const float *bias,
                                  float eps, const float *residual, clbb_activation act,
                                  float *y);

/**
 * Group norm over (C/groups, H, W) per sample (two-pass mean and variance
 * in double), then weight/bias per channel (NULL: 1 / 0), residual (NULL:
 * none) and act. y may be x.
 * @param shape the shape of x, residual and y.
 * @param groups number of groups (dividing C).
 * @param x     input.
 * @param weight,bias per-channel affine (NULL: 1, 0).
 * @param eps   added to the variance.
 * @param residual NULL or @p shape floats.
 * @param act   the activation.
 * @param y     output.
 */
CLBB_API void clbb_ref_group_norm(clbb_shape shape, int groups, const float *x,
                                  const float *weight, const float *bias, float eps,
                                  const float *residual, clbb_activation act, float *y);

/** y = act(a + b) over a shape. y may be a or b.
 *  @param shape the shape of a, b and y.
 *  @param a,b   the operands.
 *  @param act   the activation.
 *  @param y     output. */
CLBB_API void clbb_ref_add(clbb_shape shape, const float *a, const float *b, clbb_activation act,
                           float *y);

/** y[n,c,:,:] = x[n,c,:,:] * gate[n,c]. y may be x.
 *  @param shape the shape of x and y.
 *  @param x     input.
 *  @param gate  N x C floats.
 *  @param y     output. */
CLBB_API void clbb_ref_mul(clbb_shape shape, const float *x, const float *gate, float *y);

/** Max pooling (padding ignored, as -inf).
 *  @param desc the pooling geometry.
 *  @param in   input shape.
 *  @param x    input.
 *  @param y    output, of clbb_pool2d_output_shape()'s shape. */
CLBB_API void clbb_ref_max_pool2d(const clbb_pool2d_desc *desc, clbb_shape in, const float *x,
                                  float *y);

/** Average pooling with PyTorch's divisor rules.
 *  @param desc the pooling geometry.
 *  @param in   input shape.
 *  @param x    input.
 *  @param y    output, of clbb_pool2d_output_shape()'s shape. */
CLBB_API void clbb_ref_avg_pool2d(const clbb_pool2d_desc *desc, clbb_shape in, const float *x,
                                  float *y);

/** Mean of every (n, c) plane, into N x C x 1 x 1.
 *  @param in input shape.
 *  @param x  input.
 *  @param y  N x C floats. */
CLBB_API void clbb_ref_global_avg_pool(clbb_shape in, const float *x, float *y);

/** Deformable convolution (clbb_deform_conv2d_desc); offset N x 2*dg*kh*kw x
 *  Ho x Wo, mask N x dg*kh*kw x Ho x Wo or NULL (v1), residual as the output
 *  or NULL; epilogue as clbb_ref_conv2d.
 *  @param desc the geometry.
 *  @param in   input shape.
 *  @param x    input.
 *  @param offset,mask the offset and (DCNv2) mask inputs.
 *  @param weights,bias as clbb_deform_conv2d_create().
 *  @param epilogue,residual as clbb_ref_conv2d().
 *  @param y    output. */
CLBB_API void clbb_ref_deform_conv2d(const clbb_deform_conv2d_desc *desc, clbb_shape in,
                                     const float *x, const float *offset, const float *mask,
                                     const float *weights, const float *bias,
                                     const clbb_epilogue *epilogue, const float *residual,
                                     float *y);
/** Softmax over the last axis of a dense @p shape, of scale * x.
 *  @param shape the shape of x and y.
 *  @param scale multiplies x first.
 *  @param x     input.
 *  @param y     output. */
CLBB_API void clbb_ref_softmax(clbb_shape shape, float scale, const float *x, float *y);
/** Layer norm over (C, H, W) per sample.
 *  @param shape the shape of x and y.
 *  @param x     input.
 *  @param weight,bias per-channel affine or NULL (1, 0).
 *  @param eps   added to the variance.
 *  @param act   the activation.
 *  @param y     output. */
CLBB_API void clbb_ref_layer_norm(clbb_shape shape, const float *x, const float *weight,
                                  const float *bias, float eps, clbb_activation act, float *y);
/** y = act(x * mul[n,c] + add[n,c] + residual).
 *  @param shape the shape of x, residual and y.
 *  @param x     input.
 *  @param mul,add N x C floats or NULL (1, 0).
 *  @param residual NULL or @p shape floats.
 *  @param act   the activation.
 *  @param y     output. */
CLBB_API void clbb_ref_channel_affine(clbb_shape shape, const float *x, const float *mul,
                                      const float *add, const float *residual,
                                      clbb_activation act, float *y);
/** ContextBlock attention pooling (softmax over HW of conv_mask(x), then
 *  the weighted sum of x).
 *  @param shape the shape of x.
 *  @param x     input.
 *  @param weight C floats: conv_mask's weight.
 *  @param bias  conv_mask's bias.
 *  @param y     N x C floats. */
CLBB_API void clbb_ref_context_pool(clbb_shape shape, const float *x, const float *weight,
                                    float bias, float *y);
/** ContextBlock's channel transform (see clbb_context_mlp_create()):
 *  y = act(w1 . relu(LayerNorm(w0 . x + b0) * ln_weight + ln_bias) + b1).
 *  @param n,c,planes,co the samples, input channels, hidden planes and
 *                   output channels.
 *  @param x         n x c floats.
 *  @param w0,b0     planes x c and planes floats.
 *  @param ln_weight,ln_bias planes floats each, or NULL (ones, zeros).
 *  @param eps       the LayerNorm's epsilon.
 *  @param w1,b1     co x planes and co floats.
 *  @param act       the output's activation.
 *  @param y         n x co floats. */
CLBB_API void clbb_ref_context_mlp(int32_t n, int32_t c, int32_t planes, int32_t co,
                                   const float *x, const float *w0, const float *b0,
                                   const float *ln_weight, const float *ln_bias, float eps,
                                   const float *w1, const float *b1, clbb_activation act,
                                   float *y);
/** The Ghost module of clbb_ghost_module_create() (double accumulation).
 *  @param desc the geometry.
 *  @param shape x's shape (N x C x H x W).
 *  @param x,gate the input and the gate (N x C, or NULL: none).
 *  @param wp,sp,bp primary weight (P x C) and folded BN (P each, or NULL: 1, 0).
 *  @param wc,sc,bc cheap weight (Q x KS x KS) and folded BN (Q each, or NULL).
 *  @param act the activation of both halves.
 *  @param res the residual (y's shape) or NULL.
 *  @param y N x (P + Q) x H x W floats. */
CLBB_API void clbb_ref_ghost_module(const clbb_ghost_module_desc *desc, clbb_shape shape,
                                    const float *x, const float *gate, const float *wp,
                                    const float *sp, const float *bp, const float *wc,
                                    const float *sc, const float *bc, clbb_activation act,
                                    const float *res, float *y);
/** The SE gate of clbb_se_gate_create(): y = act(w1 . relu(w0 . mean_HW(x) + b0) + b1).
 *  @param shape x's shape.
 *  @param x     the input.
 *  @param planes P.
 *  @param w0,b0 P x C and P floats.
 *  @param w1,b1 C x P and C floats.
 *  @param act   the gate's activation.
 *  @param y     N x C floats. */
CLBB_API void clbb_ref_se_gate(clbb_shape shape, const float *x, int32_t planes, const float *w0,
                               const float *b0, const float *w1, const float *b1,
                               clbb_activation act, float *y);
/** y (N x C x M x P) = act(alpha * A (N x C x M x K) . B (N x C x K x P)), dense.
 *  @param n,c,m,k,p the extents.
 *  @param alpha the scale.
 *  @param a,b   the operands.
 *  @param act   the activation.
 *  @param y     output. */
CLBB_API void clbb_ref_matmul(int n, int c, int m, int k, int p, float alpha, const float *a,
                              const float *b, clbb_activation act, float *y);

/** y = x + bilinear resize of z to x's shape (clbb_upsample_add_create()).
 *  @param xs the shape of x and y.
 *  @param x  input.
 *  @param zs the shape of z.
 *  @param z  the map resized.
 *  @param y  output. */
CLBB_API void clbb_ref_upsample_add(clbb_shape xs, const float *x, clbb_shape zs, const float *z,
                                    float *y);

/** GeneralizedAttention's core (clbb_gen_attention_create), following mmcv's
 *  forward step by step in double: x_shape is the module input's shape,
 *  v/k/q as the op's inputs (k, q NULL where the type has none), y N x
 *  M*DV x Hq x Wq. A desc the op refuses writes nothing.
 *  @param desc    as clbb_gen_attention_create().
 *  @param x_shape the module input's shape.
 *  @param v,k,q   the op's inputs.
 *  @param appr_bias,geom_bias,appr_geom_fc_x,appr_geom_fc_y the op's
 *                 parameters and position features, as the op takes them.
 *  @param y       output. */
CLBB_API void clbb_ref_gen_attention(const clbb_gen_attention_desc *desc, clbb_shape x_shape,
                                     const float *v, const float *k, const float *q,
                                     const float *appr_bias, const float *geom_bias,
                                     const float *appr_geom_fc_x, const float *appr_geom_fc_y,
                                     float *y);

/**
 * Permutation of a dense tensor: output dimension i is input dimension
 * perm[i] (the dense copy of a clbb_tensor_view_permute() view). @p perm
 * must be a permutation of 0..3; y holds numel(in) floats.
 * @param in   input shape.
 * @param x    input.
 * @param perm the permutation.
 * @param y    output.
 */
CLBB_API void clbb_ref_permute(clbb_shape in, const float *x, const int perm[4], float *y);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_REFERENCE_H */
