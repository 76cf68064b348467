/* Reference convolution: the oracle for every conv kernel. Double
 * accumulation; epilogue steps applied one after another as documented. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/internal.h"

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
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "conv2d: %s = %d (must be >= %d)",
                                  f[i].name, f[i].v, f[i].min);
        if (f[i].v > (1 << 20))
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT, "conv2d: %s = %d is too large",
                                  f[i].name, f[i].v);
    }
    if (d->in_channels % d->groups || d->out_channels % d->groups)
        return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: groups = %d does not divide in_channels = %d and "
                              "out_channels = %d",
                              d->groups, d->in_channels, d->out_channels);
    return CLBB_OK;
}

static int32_t out_extent(int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
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
    out->h = out_extent(in.h, d->kernel_h, d->stride_h, d->dilation_h, d->pad_top, d->pad_bottom);
    out->w = out_extent(in.w, d->kernel_w, d->stride_w, d->dilation_w, d->pad_left, d->pad_right);
    if (out->h < 1 || out->w < 1)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                              "conv2d: input %dx%d is smaller than the dilated kernel %dx%d",
                              in.h, in.w, d->dilation_h * (d->kernel_h - 1) + 1,
                              d->dilation_w * (d->kernel_w - 1) + 1);
    return CLBB_OK;
}

double clbb_ref_activation(clbb_activation act, double v) {
    switch (act) {
    case CLBB_ACTIVATION_RELU: return v > 0 ? v : 0;
    case CLBB_ACTIVATION_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case CLBB_ACTIVATION_HARD_SIGMOID: {
        double t = v + 3;
        t = t < 0 ? 0 : t > 6 ? 6 : t;
        return t / 6;
    }
    default: return v;
    }
}

void clbb_ref_epilogue(clbb_shape s, const clbb_epilogue *e, const float *residual, float *y) {
    size_t hw = (size_t)s.h * s.w;
    for (int32_t n = 0; n < s.n; n++)
        for (int32_t c = 0; c < s.c; c++) {
            double scale = e && e->scale ? e->scale[c] : 1.0;
            double shift = e && e->shift ? e->shift[c] : 0.0;
            size_t base = ((size_t)n * s.c + c) * hw;
            for (size_t i = 0; i < hw; i++) {
                double v = scale * y[base + i] + shift;
                if (residual) v += residual[base + i];
                y[base + i] = (float)clbb_ref_activation(e ? e->activation : CLBB_ACTIVATION_NONE, v);
            }
        }
}

void clbb_ref_conv2d(const clbb_conv2d_desc *d, clbb_shape in, const float *x, const float *w,
                     const float *bias, const clbb_epilogue *e, const float *residual,
                     const float *gate, float *y) {
    clbb_shape o;
    if (clbb_conv2d_output_shape(d, in, &o, NULL, 0) != CLBB_OK) return;
    const int cig = d->in_channels / d->groups, cog = d->out_channels / d->groups;
    const int KH = d->kernel_h, KW = d->kernel_w;
    for (int32_t n = 0; n < o.n; n++)
        for (int32_t co = 0; co < o.c; co++) {
            const int g = co / cog;
            const float *wp = w + (size_t)co * cig * KH * KW;
            for (int32_t oh = 0; oh < o.h; oh++)
                for (int32_t ow = 0; ow < o.w; ow++) {
                    double acc = 0;
                    for (int ci = 0; ci < cig; ci++) {
                        const int cin = g * cig + ci;
                        const float *xp = x + ((size_t)n * in.c + cin) * in.h * in.w;
                        double part = 0;
                        for (int kh = 0; kh < KH; kh++) {
                            int ih = oh * d->stride_h - d->pad_top + kh * d->dilation_h;
                            if (ih < 0 || ih >= in.h) continue;
                            for (int kw = 0; kw < KW; kw++) {
                                int iw = ow * d->stride_w - d->pad_left + kw * d->dilation_w;
                                if (iw < 0 || iw >= in.w) continue;
                                part += (double)xp[(size_t)ih * in.w + iw] *
                                        wp[((size_t)ci * KH + kh) * KW + kw];
                            }
                        }
                        acc += gate ? part * gate[(size_t)n * in.c + cin] : part;
                    }
                    if (bias) acc += bias[co];
                    double scale = e && e->scale ? e->scale[co] : 1.0;
                    double shift = e && e->shift ? e->shift[co] : 0.0;
                    double v = scale * acc + shift;
                    size_t idx = (((size_t)n * o.c + co) * o.h + oh) * o.w + ow;
                    if (residual && e && e->residual) v += residual[idx];
                    y[idx] = (float)clbb_ref_activation(e ? e->activation : CLBB_ACTIVATION_NONE, v);
                }
        }
}
