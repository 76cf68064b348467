/* Geometry of the ops: descriptor checks and output shapes. They belong to
 * no kernel and no reference, so every layer above the core can use them
 * (the launchers, the references, the graph's shape inference). */
#include <stdint.h>

#include "internal.h"

clbb_status clbb_conv2d_desc_validate(const clbb_conv2d_desc *d, char *eb, size_t es) {
    if (!d) return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "conv2d: desc is NULL");
    struct { const char *name; int32_t v; int32_t min; } f[] = {
        {"in_channels", d->in_channels, 1}, {"out_channels", d->out_channels, 1},
        {"groups", d->groups, 1},           {"kernel_h", d->kernel_h, 1},
        {"kernel_w", d->kernel_w, 1},       {"stride_h", d->stride_h, 1},
        {"stride_w", d->stride_w, 1},       {"dilation_h", d->dilation_h, 1},
        {"dilation_w", d->dilation_w, 1},   {"pad_top", d->pad_top, 0},
        {"pad_left", d->pad_left, 0},       {"pad_bottom", d->pad_bottom, 0},
        {"pad_right", d->pad_right, 0},
    };
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(f); i++) {
        if (f[i].v < f[i].min)
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "conv2d: %s = %d (must be >= %d)", f[i].name, f[i].v, f[i].min);
        if (f[i].v > (1 << 20))
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "conv2d: %s = %d is too large", f[i].name, f[i].v);
    }
    if (d->in_channels % d->groups || d->out_channels % d->groups)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: groups = %d does not divide in_channels = %d and "
                              "out_channels = %d",
                              d->groups, d->in_channels, d->out_channels);
    return CLBB_OK;
}

static int32_t conv_extent(int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
    int64_t span = (int64_t)in + p0 + p1 - (int64_t)d * (k - 1) - 1;
    if (span < 0) return 0;
    return (int32_t)(span / s + 1);
}

clbb_status clbb_conv2d_output_shape(const clbb_conv2d_desc *d, clbb_shape in, clbb_shape *out,
                                     char *eb, size_t es) {
    CLBB_CHECK(clbb_conv2d_desc_validate(d, eb, es));
    if (!out) return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "conv2d: output is NULL");
    if (in.c != d->in_channels)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "conv2d: input has %d channels, expected %d",
                              in.c, d->in_channels);
    out->n = in.n;
    out->c = d->out_channels;
    out->h = conv_extent(in.h, d->kernel_h, d->stride_h, d->dilation_h, d->pad_top, d->pad_bottom);
    out->w = conv_extent(in.w, d->kernel_w, d->stride_w, d->dilation_w, d->pad_left, d->pad_right);
    if (out->h < 1 || out->w < 1)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                              "conv2d: input %dx%d is smaller than the dilated kernel %dx%d",
                              in.h, in.w, d->dilation_h * (d->kernel_h - 1) + 1,
                              d->dilation_w * (d->kernel_w - 1) + 1);
    return CLBB_OK;
}

clbb_status clbb_deform_conv2d_output_shape(const clbb_deform_conv2d_desc *desc,
                                             clbb_shape in, clbb_shape *output, char *eb,
                                             size_t es) {
    if (!desc)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "deform_conv2d: desc is NULL");
    const int32_t dg = desc->deform_groups, cin = desc->conv.in_channels;
    if (dg < 1 || dg > (1 << 20) || (cin > 0 && cin % dg))
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "deform_conv2d: deform_groups = %d (must be >= 1 and divide "
                              "in_channels = %d)",
                              dg, cin);
    return clbb_conv2d_output_shape(&desc->conv, in, output, eb, es);
}

static int32_t pool_extent(int32_t in, int32_t k, int32_t s, int32_t p, int ceil_mode) {
    int64_t span = (int64_t)in + 2 * p - k;
    if (span < 0) return 0;
    int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    /* PyTorch: the last window must start inside the input or left padding */
    if (ceil_mode && (out - 1) * s >= (int64_t)in + p) out--;
    return (int32_t)out;
}

clbb_status clbb_pool2d_output_shape(const clbb_pool2d_desc *d, clbb_shape in, clbb_shape *out,
                                     char *eb, size_t es) {
    if (!d || !out)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "pool2d: NULL argument");
    struct { const char *n; int32_t v, min; } f[] = {
        {"kernel_h", d->kernel_h, 1}, {"kernel_w", d->kernel_w, 1}, {"stride_h", d->stride_h, 1},
        {"stride_w", d->stride_w, 1}, {"pad_h", d->pad_h, 0},       {"pad_w", d->pad_w, 0}};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(f); i++)
        if (f[i].v < f[i].min || f[i].v > 4096)
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "pool2d: %s = %d", f[i].n,
                                  f[i].v);
    if (2 * d->pad_h > d->kernel_h || 2 * d->pad_w > d->kernel_w)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "pool2d: padding %dx%d exceeds half the kernel %dx%d", d->pad_h,
                              d->pad_w, d->kernel_h, d->kernel_w);
    *out = in;
    out->h = pool_extent(in.h, d->kernel_h, d->stride_h, d->pad_h, d->ceil_mode);
    out->w = pool_extent(in.w, d->kernel_w, d->stride_w, d->pad_w, d->ceil_mode);
    if (out->h < 1 || out->w < 1)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                              "pool2d: input %dx%d is smaller than the kernel %dx%d", in.h, in.w,
                              d->kernel_h, d->kernel_w);
    return CLBB_OK;
}

size_t clbb_shape_numel(clbb_shape s) {
    if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1) return 0;
    return (size_t)s.n * (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

int clbb__shape_eq(clbb_shape a, clbb_shape b) {
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}
