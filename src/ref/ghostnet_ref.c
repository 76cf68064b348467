/* Plain-C references of GhostNet's fused ops: the Ghost module (primary
 * 1x1 conv, cheap depthwise conv, concat) and the SE gate, each step
 * written out separately in double (the oracle of cl/ghost_module.cl and
 * cl/se_gate.cl). */
#include <stdlib.h>

#include "core/internal.h"

static double opt(const float *v, int i, double dflt) { return v ? (double)v[i] : dflt; }

void clbb_ref_ghost_module(const clbb_ghost_module_desc *d, clbb_shape s, const float *x,
                           const float *gate, const float *wp, const float *sp, const float *bp,
                           const float *wc, const float *sc, const float *bc,
                           clbb_activation act, const float *res, float *y) {
    const int C = d->in_channels, P = d->primary_channels, Q = d->cheap_channels;
    const int per = d->cheap_per_primary, ks = d->cheap_kernel, r = ks / 2;
    const size_t plane = (size_t)s.h * s.w, out_c = (size_t)P + Q;
    for (int n = 0; n < s.n; n++) {
        const float *xn = x + (size_t)n * C * plane;
        float *yn = y + (size_t)n * out_c * plane;
        for (int j = 0; j < P; j++)
            for (size_t p = 0; p < plane; p++) {
                double a = 0;
                for (int c = 0; c < C; c++)
                    a += (double)wp[(size_t)j * C + c] * xn[c * plane + p] *
                         opt(gate, n * C + c, 1.0);
                yn[j * plane + p] =
                    (float)clbb_ref_activation(act, a * opt(sp, j, 1.0) + opt(bp, j, 0.0));
            }
        for (int k = 0; k < Q; k++) {
            const float *src = yn + (size_t)(k / per) * plane;
            for (int oy = 0; oy < s.h; oy++)
                for (int ox = 0; ox < s.w; ox++) {
                    double a = 0;
                    for (int dy = 0; dy < ks; dy++)
                        for (int dx = 0; dx < ks; dx++) {
                            const int iy = oy + dy - r, ix = ox + dx - r;
                            if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                            a += (double)wc[(size_t)k * ks * ks + dy * ks + dx] *
                                 src[(size_t)iy * s.w + ix];
                        }
                    yn[(P + k) * plane + (size_t)oy * s.w + ox] =
                        (float)clbb_ref_activation(act, a * opt(sc, k, 1.0) + opt(bc, k, 0.0));
                }
        }
        if (res) /* after both halves: the cheap conv reads the primary before the add */
            for (size_t i = 0; i < out_c * plane; i++)
                yn[i] = (float)((double)yn[i] + res[(size_t)n * out_c * plane + i]);
    }
}

void clbb_ref_se_gate(clbb_shape s, const float *x, int32_t planes, const float *w0,
                      const float *b0, const float *w1, const float *b1, clbb_activation act,
                      float *y) {
    const int C = s.c, P = planes;
    const size_t plane = (size_t)s.h * s.w;
    double *m = malloc(((size_t)C + P) * sizeof *m);
    if (!m) return; /* as the other references: y left as it was (the check fails) */
    double *h = m + C;
    for (int n = 0; n < s.n; n++) {
        for (int c = 0; c < C; c++) {
            double a = 0;
            for (size_t p = 0; p < plane; p++) a += x[((size_t)n * C + c) * plane + p];
            m[c] = a / (double)plane;
        }
        for (int j = 0; j < P; j++) {
            double a = b0[j];
            for (int c = 0; c < C; c++) a += (double)w0[(size_t)j * C + c] * m[c];
            h[j] = a > 0 ? a : 0;
        }
        for (int c = 0; c < C; c++) {
            double a = b1[c];
            for (int j = 0; j < P; j++) a += (double)w1[(size_t)c * P + j] * h[j];
            y[(size_t)n * C + c] = (float)clbb_ref_activation(act, a);
        }
    }
}
