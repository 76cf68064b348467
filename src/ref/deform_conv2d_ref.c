/* Reference deformable convolution (mmcv's DeformConv2d / ModulatedDeformConv2d,
 * read from mmcv/ops/csrc/pytorch/cpu/{deform_conv,modulated_deform_conv}.cpp):
 * the oracle of the deform_conv2d kernels. Samples in double, accumulates in
 * double, then bias and the epilogue as clbb_ref_conv2d. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"

/* mmcv's deformable_im2col_bilinear: each of the four corners outside the
 * image counts as zero; the caller has already checked h > -1, w > -1,
 * h < H, w < W. */
static double bilinear(const float *p, int H, int W, double h, double w) {
    const int hl = (int)floor(h), wl = (int)floor(w), hh = hl + 1, wh = wl + 1;
    const double lh = h - hl, lw = w - wl, uh = 1 - lh, uw = 1 - lw;
    double v1 = 0, v2 = 0, v3 = 0, v4 = 0;
    if (hl >= 0 && wl >= 0) v1 = p[(size_t)hl * W + wl];
    if (hl >= 0 && wh <= W - 1) v2 = p[(size_t)hl * W + wh];
    if (hh <= H - 1 && wl >= 0) v3 = p[(size_t)hh * W + wl];
    if (hh <= H - 1 && wh <= W - 1) v4 = p[(size_t)hh * W + wh];
    return uh * uw * v1 + uh * lw * v2 + lh * uw * v3 + lh * lw * v4;
}

void clbb_ref_deform_conv2d(const clbb_deform_conv2d_desc *desc, clbb_shape in,
                            const float *x, const float *offset, const float *mask,
                            const float *weights, const float *bias,
                            const clbb_epilogue *e, const float *residual, float *y) {
    clbb_shape o;
    if (clbb_deform_conv2d_output_shape(desc, in, &o, NULL, 0) != CLBB_OK) return;
    const clbb_conv2d_desc *d = &desc->conv;
    const int cig = d->in_channels / d->groups, cog = d->out_channels / d->groups;
    const int KH = d->kernel_h, KW = d->kernel_w, KK = KH * KW;
    const int dg = desc->deform_groups, cpd = in.c / dg;
    const size_t ohw = (size_t)o.h * o.w;
    /* the sampled column of one output pixel, every (cin, tap) */
    double *col = malloc((size_t)in.c * KK * sizeof *col);
    if (!col) return;
    for (int32_t n = 0; n < o.n; n++)
        for (int32_t oh = 0; oh < o.h; oh++)
            for (int32_t ow = 0; ow < o.w; ow++) {
                const size_t pix = (size_t)oh * o.w + ow;
                for (int c = 0; c < in.c; c++) {
                    const int g = c / cpd;
                    const float *xp = x + ((size_t)n * in.c + c) * in.h * in.w;
                    const float *op = offset + ((size_t)n * dg + g) * 2 * KK * ohw;
                    const float *mp = mask ? mask + ((size_t)n * dg + g) * KK * ohw : NULL;
                    for (int i = 0; i < KH; i++)
                        for (int j = 0; j < KW; j++) {
                            const int t = i * KW + j;
                            const double h = (double)oh * d->stride_h - d->pad_top +
                                             (double)i * d->dilation_h + op[(2 * t) * ohw + pix];
                            const double w = (double)ow * d->stride_w - d->pad_left +
                                             (double)j * d->dilation_w +
                                             op[(2 * t + 1) * ohw + pix];
                            double v = 0;
                            if (h > -1 && w > -1 && h < in.h && w < in.w)
                                v = bilinear(xp, in.h, in.w, h, w);
                            if (mp) {
                                const double mv = mp[t * ohw + pix];
                                v *= desc->mask_sigmoid ? 1.0 / (1.0 + exp(-mv)) : mv;
                            }
                            col[(size_t)c * KK + t] = v;
                        }
                }
                for (int32_t co = 0; co < o.c; co++) {
                    const int g = co / cog;
                    const float *wp = weights + (size_t)co * cig * KK;
                    const double *cp = col + (size_t)g * cig * KK;
                    double acc = 0;
                    for (int k = 0; k < cig * KK; k++) acc += cp[k] * wp[k];
                    if (bias) acc += bias[co];
                    const double scale = e && e->scale ? e->scale[co] : 1.0;
                    const double shift = e && e->shift ? e->shift[co] : 0.0;
                    double v = scale * acc + shift;
                    const size_t idx = ((size_t)n * o.c + co) * ohw + pix;
                    if (residual && e && e->residual) v += residual[idx];
                    y[idx] = (float)clbb_ref_activation(e ? e->activation : CLBB_ACTIVATION_NONE,
                                                        v);
                }
            }
    free(col);
}
