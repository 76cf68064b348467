/* Reference of GeneralizedAttention's core (mmcv's forward from the
 * projections to the value matmul), in double, step by step as mmcv writes
 * it: the energy of each term with its own broadcasting (the transposed
 * query of the appr-position y term, the '0010' shortcut), masked_fill,
 * softmax over keys, attention . value. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"

/* channel c of head m at position p of a (N, M*D, H*W) array */
#define AT(a, n, M, D, m, c, L, p) (a)[(((size_t)(n) * (M) + (m)) * (D) + (c)) * (L) + (p)]

void clbb_ref_gen_attention(const clbb_gen_attention_desc *desc, clbb_shape xs, const float *v,
                            const float *k, const float *q, const float *appr_bias,
                            const float *geom_bias, const float *fc_x, const float *fc_y,
                            float *y) {
    if (!desc || clbb__ga_desc_error(desc, NULL, 0)) return;
    const uint32_t t = desc->attention_type;
    const int b0 = t & 1, b1 = (t >> 1) & 1, b2 = (t >> 2) & 1, b3 = (t >> 3) & 1;
    const int M = desc->num_heads, D = desc->qk_dim, DV = desc->v_dim;
    int h, w, hk, wk;
    clbb__ga_grids(desc, xs, &h, &w, &hk, &wk);
    if (clbb__ga_transposed(t) && h != w) return;
    const int Lq = h * w, Lk = hk * wk;
    double *px = NULL, *py = NULL;
    if (b1 || b3) {
        px = malloc((size_t)M * w * wk * D * sizeof *px);
        py = malloc((size_t)M * h * hk * D * sizeof *py);
        if (!px || !py) goto done;
        clbb__ga_position_features(fc_x, M, D, desc->position_embedding_dim,
                                   desc->position_magnitude, w, desc->q_stride, wk,
                                   desc->kv_stride, px);
        clbb__ga_position_features(fc_y, M, D, desc->position_embedding_dim,
                                   desc->position_magnitude, h, desc->q_stride, hk,
                                   desc->kv_stride, py);
    }
    /* the saliency-only shortcut: one energy row (h = w = 1), broadcast by
     * mmcv's residual add */
    const int shortcut = t == 4;
    const int rows = shortcut ? 1 : Lq;
    double *e = malloc((size_t)rows * Lk * sizeof *e);
    if (!e) goto done;
#define PX(m, qx, kx, d) px[((((size_t)(m) * w + (qx)) * wk + (kx)) * D) + (d)]
#define PY(m, qy, ky, d) py[((((size_t)(m) * h + (qy)) * hk + (ky)) * D) + (d)]
    for (int n = 0; n < xs.n; n++)
        for (int m = 0; m < M; m++) {
            for (size_t i = 0; i < (size_t)rows * Lk; i++) e[i] = 0; /* torch.zeros */
            for (int i = 0; i < rows; i++) {
                const int qy = i / w, qx = i % w;
                for (int j = 0; j < Lk; j++) {
                    const int ky = j / wk, kx = j % wk;
                    double s = 0;
                    if (shortcut) {
                        for (int c = 0; c < D; c++)
                            s += (double)appr_bias[m * D + c] * AT(k, n, M, D, m, c, Lk, j);
                        e[j] = s;
                        continue;
                    }
                    if (b0 && b2) { /* (proj_query + appr_bias) . proj_key */
                        for (int c = 0; c < D; c++)
                            s += ((double)AT(q, n, M, D, m, c, Lq, i) + appr_bias[m * D + c]) *
                                 AT(k, n, M, D, m, c, Lk, j);
                    } else if (b0) {
                        for (int c = 0; c < D; c++)
                            s += (double)AT(q, n, M, D, m, c, Lq, i) * AT(k, n, M, D, m, c, Lk, j);
                    } else if (b2) { /* energy += appr_bias . key, over every query */
                        for (int c = 0; c < D; c++)
                            s += (double)appr_bias[m * D + c] * AT(k, n, M, D, m, c, Lk, j);
                    }
                    if (b1 && b3) { /* (q + geom_bias) . px  +  (q + geom_bias) . py */
                        double ex = 0, ey = 0;
                        for (int c = 0; c < D; c++) {
                            const double qg = (double)AT(q, n, M, D, m, c, Lq, i) + geom_bias[m * D + c];
                            ex += qg * PX(m, qx, kx, c);
                            ey += qg * PY(m, qy, ky, c);
                        }
                        s += ex + ey;
                    } else if (b1) {
                        /* energy_x: the query permuted to (w, h) and back; energy_y:
                         * matmul of the (w, h)-permuted query with py batched over
                         * h, so row a, column b reads the query at (qy=b, qx=a) */
                        const int ti = qx * w + qy;
                        double ex = 0, ey = 0;
                        for (int c = 0; c < D; c++) {
                            ex += (double)AT(q, n, M, D, m, c, Lq, i) * PX(m, qx, kx, c);
                            ey += (double)AT(q, n, M, D, m, c, Lq, ti) * PY(m, qy, ky, c);
                        }
                        s += ex + ey;
                    } else if (b3) { /* px . geom_bias  +  py . geom_bias */
                        double ex = 0, ey = 0;
                        for (int c = 0; c < D; c++) {
                            ex += PX(m, qx, kx, c) * geom_bias[m * D + c];
                            ey += PY(m, qy, ky, c) * geom_bias[m * D + c];
                        }
                        s += ex + ey;
                    }
                    e[(size_t)i * Lk + j] = s;
                }
            }
            for (int i = 0; i < rows; i++) {
                double *r = e + (size_t)i * Lk;
                if (desc->spatial_range >= 0) { /* masked_fill(map, -inf) */
                    int ylo, yhi, xlo, xhi;
                    clbb__ga_window(i / w, desc->spatial_range, desc->kv_stride, &ylo, &yhi);
                    clbb__ga_window(i % w, desc->spatial_range, desc->kv_stride, &xlo, &xhi);
                    for (int j = 0; j < Lk; j++) {
                        const int ky = j / wk, kx = j % wk;
                        if (ky < ylo || ky >= yhi || kx < xlo || kx >= xhi) r[j] = -INFINITY;
                    }
                }
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < Lk; j++) mx = r[j] > mx ? r[j] : mx;
                for (int j = 0; j < Lk; j++) sum += (r[j] = exp(r[j] - mx));
                for (int j = 0; j < Lk; j++) r[j] /= sum;
            }
            for (int c = 0; c < DV; c++)
                for (int i = 0; i < Lq; i++) {
                    const double *r = e + (size_t)(shortcut ? 0 : i) * Lk;
                    double s = 0;
                    for (int j = 0; j < Lk; j++) s += r[j] * AT(v, n, M, DV, m, c, Lk, j);
                    AT(y, n, M, DV, m, c, Lq, i) = (float)s;
                }
        }
    free(e);
done:
    free(px);
    free(py);
}

/* PyTorch's area_pixel_compute_source_index for linear modes without
 * align_corners, then the neighbours and weights of upsample_bilinear2d. */
static void source(int o, int in, int out, int *i0, int *i1, double *l1) {
    double s = ((double)o + 0.5) * ((double)in / out) - 0.5;
    if (s < 0) s = 0;
    *i0 = (int)s;
    *i1 = *i0 + (*i0 < in - 1);
    *l1 = s - *i0;
}

void clbb_ref_upsample_add(clbb_shape xs, const float *x, clbb_shape zs, const float *z,
                           float *y) {
    for (int n = 0; n < xs.n; n++)
        for (int c = 0; c < xs.c; c++) {
            const float *zp = z + ((size_t)n * zs.c + c) * zs.h * zs.w;
            const size_t base = ((size_t)n * xs.c + c) * xs.h * xs.w;
            for (int h = 0; h < xs.h; h++) {
                int h0, h1, w0, w1;
                double lh, lw;
                source(h, zs.h, xs.h, &h0, &h1, &lh);
                for (int w = 0; w < xs.w; w++) {
                    source(w, zs.w, xs.w, &w0, &w1, &lw);
                    const double v =
                        (1 - lh) * ((1 - lw) * zp[h0 * zs.w + w0] + lw * zp[h0 * zs.w + w1]) +
                        lh * ((1 - lw) * zp[h1 * zs.w + w0] + lw * zp[h1 * zs.w + w1]);
                    y[base + (size_t)h * xs.w + w] = (float)(x[base + (size_t)h * xs.w + w] + v);
                }
            }
        }
}
