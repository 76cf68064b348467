/* Reference norms, element-wise ops, pooling, permutation and storage
 * rounding (double accumulation). */
#include <math.h>

#include "core/internal.h"

void clbb_ref_batch_norm(clbb_shape s, const float *x, const float *mean, const float *var,
                         const float *weight, const float *bias, float eps, const float *residual,
                         clbb_activation act, float *y) {
    size_t hw = (size_t)s.h * s.w;
    for (int32_t n = 0; n < s.n; n++)
        for (int32_t c = 0; c < s.c; c++) {
            double m = mean ? mean[c] : 0, v = var ? var[c] : 1;
            double w = weight ? weight[c] : 1, b = bias ? bias[c] : 0;
            double inv = 1.0 / sqrt(v + (double)eps);
            size_t base = ((size_t)n * s.c + c) * hw;
            for (size_t i = 0; i < hw; i++) {
                double t = (x[base + i] - m) * inv * w + b;
                if (residual) t += residual[base + i];
                y[base + i] = (float)clbb_ref_activation(act, t);
            }
        }
}

void clbb_ref_group_norm(clbb_shape s, int groups, const float *x, const float *weight,
                         const float *bias, float eps, const float *residual, clbb_activation act,
                         float *y) {
    size_t hw = (size_t)s.h * s.w;
    int cg = s.c / groups;
    size_t len = (size_t)cg * hw;
    for (int32_t n = 0; n < s.n; n++)
        for (int g = 0; g < groups; g++) {
            size_t base = ((size_t)n * s.c + (size_t)g * cg) * hw;
            double sum = 0, sq = 0;
            for (size_t i = 0; i < len; i++) sum += x[base + i];
            double mean = sum / (double)len;
            for (size_t i = 0; i < len; i++) sq += (x[base + i] - mean) * (x[base + i] - mean);
            double inv = 1.0 / sqrt(sq / (double)len + (double)eps);
            for (size_t i = 0; i < len; i++) {
                int c = g * cg + (int)(i / hw);
                double t = (x[base + i] - mean) * inv * (weight ? weight[c] : 1.0) +
                           (bias ? bias[c] : 0.0);
                if (residual) t += residual[base + i];
                y[base + i] = (float)clbb_ref_activation(act, t);
            }
        }
}

void clbb_ref_add(clbb_shape s, const float *a, const float *b, clbb_activation act, float *y) {
    size_t n = clbb_shape_numel(s);
    for (size_t i = 0; i < n; i++) y[i] = (float)clbb_ref_activation(act, (double)a[i] + b[i]);
}

void clbb_ref_mul(clbb_shape s, const float *x, const float *gate, float *y) {
    size_t hw = (size_t)s.h * s.w;
    for (size_t nc = 0; nc < (size_t)s.n * s.c; nc++)
        for (size_t i = 0; i < hw; i++) y[nc * hw + i] = (float)((double)x[nc * hw + i] * gate[nc]);
}

static void pool(const clbb_pool2d_desc *d, clbb_shape in, const float *x, float *y, int is_max) {
    clbb_shape o;
    if (clbb_pool2d_output_shape(d, in, &o, NULL, 0) != CLBB_OK) return;
    for (size_t nc = 0; nc < (size_t)in.n * in.c; nc++) {
        const float *xp = x + nc * in.h * in.w;
        for (int oh = 0; oh < o.h; oh++)
            for (int ow = 0; ow < o.w; ow++) {
                int h0 = oh * d->stride_h - d->pad_h, w0 = ow * d->stride_w - d->pad_w;
                int h1 = h0 + d->kernel_h, w1 = w0 + d->kernel_w;
                if (h1 > in.h + d->pad_h) h1 = in.h + d->pad_h;
                if (w1 > in.w + d->pad_w) w1 = in.w + d->pad_w;
                int padded = (h1 - h0) * (w1 - w0);
                double acc = is_max ? -INFINITY : 0;
                int count = 0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) {
                        if (ih < 0 || ih >= in.h || iw < 0 || iw >= in.w) continue;
                        double v = xp[(size_t)ih * in.w + iw];
                        if (is_max)
                            acc = v > acc ? v : acc;
                        else
                            acc += v;
                        count++;
                    }
                if (!is_max) {
                    int div = d->count_include_pad ? padded : count;
                    acc = div > 0 ? acc / div : 0;
                }
                y[(nc * o.h + oh) * o.w + ow] = (float)acc;
            }
    }
}

void clbb_ref_max_pool2d(const clbb_pool2d_desc *d, clbb_shape in, const float *x, float *y) {
    pool(d, in, x, y, 1);
}

void clbb_ref_avg_pool2d(const clbb_pool2d_desc *d, clbb_shape in, const float *x, float *y) {
    pool(d, in, x, y, 0);
}

void clbb_ref_global_avg_pool(clbb_shape in, const float *x, float *y) {
    size_t hw = (size_t)in.h * in.w;
    for (size_t nc = 0; nc < (size_t)in.n * in.c; nc++) {
        double s = 0;
        for (size_t i = 0; i < hw; i++) s += x[nc * hw + i];
        y[nc] = (float)(s / (double)hw);
    }
}

void clbb_ref_quantize(clbb_dtype dtype, float *x, size_t n) {
    if (dtype != CLBB_DTYPE_F16) return;
    for (size_t i = 0; i < n; i++) x[i] = clbb__half_to_float(clbb__float_to_half(x[i]));
}

void clbb_ref_permute(clbb_shape in, const float *x, const int perm[4], float *y) {
    const int32_t dims[4] = {in.n, in.c, in.h, in.w};
    const size_t st[4] = {(size_t)in.c * in.h * in.w, (size_t)in.h * in.w, (size_t)in.w, 1};
    int32_t o[4];
    for (int i = 0; i < 4; i++) o[i] = dims[perm[i]];
    size_t k = 0;
    for (int32_t a = 0; a < o[0]; a++)
        for (int32_t b = 0; b < o[1]; b++)
            for (int32_t c = 0; c < o[2]; c++)
                for (int32_t d = 0; d < o[3]; d++)
                    y[k++] = x[a * st[perm[0]] + b * st[perm[1]] + c * st[perm[2]] +
                               d * st[perm[3]]];
}
