/* Reference convolution: the oracle for every conv kernel. Double
 * accumulation; epilogue steps applied one after another as documented. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"

double clbb_ref_activation(clbb_activation act, double v) {
    switch (act) {
    case CLBB_ACTIVATION_RELU: return v > 0 ? v : 0;
    case CLBB_ACTIVATION_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case CLBB_ACTIVATION_HARD_SIGMOID: {
        double t = v + 3;
        t = t < 0 ? 0 : t > 6 ? 6 : t;
        return t / 6;
    }
    case CLBB_ACTIVATION_SIGMOID: return 1 / (1 + exp(-v));
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
    clbb_ref_conv2d_add(d, in, x, w, bias, e, residual, gate, NULL, y);
}

void clbb_ref_conv2d_add(const clbb_conv2d_desc *d, clbb_shape in, const float *x,
                         const float *w, const float *bias, const clbb_epilogue *e,
                         const float *residual, const float *gate, const float *add, float *y) {
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
                    if (add) v += add[(size_t)n * o.c + co];
                    size_t idx = (((size_t)n * o.c + co) * o.h + oh) * o.w + ow;
                    if (residual && e && e->residual) v += residual[idx];
                    y[idx] = (float)clbb_ref_activation(e ? e->activation : CLBB_ACTIVATION_NONE, v);
                }
        }
}
