/* Reference ops of MMDetection's plugins (ContextBlock, NonLocal2d,
 * GeneralizedAttention): softmax, layer norm, per-(n, c) affine, attention
 * pooling and batched matmul, accumulated in double. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"

/* softmax of scale * x[0..len) into y (max-subtracted) */
static void softmax_row(size_t len, double scale, const float *x, double *tmp, float *y) {
    double m = -INFINITY, sum = 0;
    for (size_t i = 0; i < len; i++) {
        tmp[i] = scale * x[i];
        if (tmp[i] > m) m = tmp[i];
    }
    for (size_t i = 0; i < len; i++) {
        tmp[i] = exp(tmp[i] - m);
        sum += tmp[i];
    }
    for (size_t i = 0; i < len; i++) y[i] = (float)(tmp[i] / sum);
}

void clbb_ref_softmax(clbb_shape s, float scale, const float *x, float *y) {
    const size_t len = (size_t)s.w, rows = (size_t)s.n * s.c * s.h;
    double *tmp = malloc(len * sizeof *tmp);
    if (!tmp) return;
    for (size_t r = 0; r < rows; r++) softmax_row(len, scale, x + r * len, tmp, y + r * len);
    free(tmp);
}

void clbb_ref_layer_norm(clbb_shape s, const float *x, const float *weight, const float *bias,
                         float eps, clbb_activation act, float *y) {
    const size_t hw = (size_t)s.h * s.w, len = (size_t)s.c * hw;
    for (int32_t n = 0; n < s.n; n++) {
        const float *xp = x + (size_t)n * len;
        float *yp = y + (size_t)n * len;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < len; i++) sum += xp[i];
        const double mean = sum / (double)len;
        for (size_t i = 0; i < len; i++) sq += (xp[i] - mean) * (xp[i] - mean);
        const double inv = 1.0 / sqrt(sq / (double)len + (double)eps);
        for (size_t i = 0; i < len; i++) {
            const size_t c = i / hw;
            const double t = (xp[i] - mean) * inv * (weight ? weight[c] : 1.0) +
                             (bias ? bias[c] : 0.0);
            yp[i] = (float)clbb_ref_activation(act, t);
        }
    }
}

void clbb_ref_channel_affine(clbb_shape s, const float *x, const float *mul, const float *add,
                             const float *residual, clbb_activation act, float *y) {
    const size_t hw = (size_t)s.h * s.w;
    for (size_t nc = 0; nc < (size_t)s.n * s.c; nc++)
        for (size_t i = 0; i < hw; i++) {
            double t = x[nc * hw + i];
            if (mul) t *= mul[nc];
            if (add) t += add[nc];
            if (residual) t += residual[nc * hw + i];
            y[nc * hw + i] = (float)clbb_ref_activation(act, t);
        }
}

void clbb_ref_context_pool(clbb_shape s, const float *x, const float *weight, float bias,
                           float *y) {
    const size_t hw = (size_t)s.h * s.w;
    double *a = malloc((hw ? hw : 1) * sizeof *a);
    if (!a) return;
    for (int32_t n = 0; n < s.n; n++) {
        const float *xn = x + (size_t)n * s.c * hw;
        double m = -INFINITY, sum = 0;
        for (size_t p = 0; p < hw; p++) {
            double l = bias;
            for (int32_t c = 0; c < s.c; c++) l += (double)weight[c] * xn[(size_t)c * hw + p];
            a[p] = l;
            if (l > m) m = l;
        }
        for (size_t p = 0; p < hw; p++) {
            a[p] = exp(a[p] - m);
            sum += a[p];
        }
        for (int32_t c = 0; c < s.c; c++) {
            double acc = 0;
            for (size_t p = 0; p < hw; p++) acc += xn[(size_t)c * hw + p] * a[p];
            y[(size_t)n * s.c + c] = (float)(acc / sum);
        }
    }
    free(a);
}

void clbb_ref_context_mlp(int32_t n, int32_t c, int32_t planes, int32_t co, const float *x,
                          const float *w0, const float *b0, const float *ln_weight,
                          const float *ln_bias, float eps, const float *w1, const float *b1,
                          clbb_activation act, float *y) {
    double *h = malloc((size_t)(planes > 0 ? planes : 1) * sizeof *h);
    if (!h) return;
    for (int32_t s = 0; s < n; s++) {
        const float *xs = x + (size_t)s * c;
        double mean = 0, var = 0;
        for (int32_t j = 0; j < planes; j++) {
            double a = b0[j];
            for (int32_t k = 0; k < c; k++) a += (double)w0[(size_t)j * c + k] * xs[k];
            h[j] = a;
            mean += a;
        }
        mean /= planes;
        for (int32_t j = 0; j < planes; j++) var += (h[j] - mean) * (h[j] - mean);
        const double inv = 1.0 / sqrt(var / planes + (double)eps);
        for (int32_t j = 0; j < planes; j++) {
            const double g = (h[j] - mean) * inv * (ln_weight ? ln_weight[j] : 1.0) +
                             (ln_bias ? ln_bias[j] : 0.0);
            h[j] = g > 0 ? g : 0;
        }
        for (int32_t k = 0; k < co; k++) {
            double a = b1[k];
            for (int32_t j = 0; j < planes; j++) a += (double)w1[(size_t)k * planes + j] * h[j];
            y[(size_t)s * co + k] = (float)clbb_ref_activation(act, a);
        }
    }
    free(h);
}

void clbb_ref_matmul(int n, int c, int m, int k, int p, float alpha, const float *a,
                     const float *b, clbb_activation act, float *y) {
    double *row = malloc((p > 0 ? (size_t)p : 1) * sizeof *row);
    if (!row) return;
    for (size_t z = 0; z < (size_t)n * c; z++) {
        const float *az = a + z * m * k, *bz = b + z * k * p;
        float *yz = y + z * m * p;
        for (size_t i = 0; i < (size_t)m; i++) {
            for (size_t j = 0; j < (size_t)p; j++) row[j] = 0;
            for (size_t q = 0; q < (size_t)k; q++) {
                const double av = az[i * k + q];
                const float *br = bz + q * p;
                for (size_t j = 0; j < (size_t)p; j++) row[j] += av * br[j];
            }
            for (size_t j = 0; j < (size_t)p; j++)
                yz[i * p + j] = (float)clbb_ref_activation(act, alpha * row[j]);
        }
    }
    free(row);
}
