/* Shared pieces of GeneralizedAttention for the reference, the launcher and
 * the model builder: the descriptor's checks, the grids, mmcv's
 * local_constraint_map window and its position features (double). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int clbb__ga_desc_error(const clbb_gen_attention_desc *d, char *msg, size_t size) {
    const char *what = NULL;
    long v = 0;
    if (d->num_heads < 1) what = "num_heads", v = d->num_heads;
    else if (d->qk_dim < 1) what = "qk_dim", v = d->qk_dim;
    else if (d->v_dim < 1) what = "v_dim", v = d->v_dim;
    else if (d->attention_type > 15) what = "attention_type", v = (long)d->attention_type;
    else if (d->q_stride < 1) what = "q_stride", v = d->q_stride;
    else if (d->kv_stride < 1) what = "kv_stride", v = d->kv_stride;
    else if (clbb__ga_has_position(d->attention_type) &&
             (d->position_embedding_dim < 4 || d->position_embedding_dim % 4))
        what = "position_embedding_dim", v = d->position_embedding_dim;
    else if ((int64_t)d->num_heads * d->qk_dim > (1 << 20) ||
             (int64_t)d->num_heads * d->v_dim > (1 << 20) || d->position_embedding_dim > 16384)
        what = "channels", v = (long)d->num_heads * (d->qk_dim > d->v_dim ? d->qk_dim : d->v_dim);
    if (!what) return 0;
    if (msg && size)
        snprintf(msg, size, "gen_attention: %s = %ld is out of range%s", what, v,
                 !strcmp(what, "position_embedding_dim")
                     ? " (a position term needs a positive multiple of 4)"
                     : "");
    return 1;
}

void clbb__ga_grids(const clbb_gen_attention_desc *d, clbb_shape x, int *hq, int *wq, int *hk,
                    int *wk) {
    /* AvgPool2d(kernel 1, stride s): floor((H - 1) / s) + 1 */
    *hq = (x.h - 1) / d->q_stride + 1;
    *wq = (x.w - 1) / d->q_stride + 1;
    *hk = (x.h - 1) / d->kv_stride + 1;
    *wk = (x.w - 1) / d->kv_stride + 1;
}

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void clbb__ga_window(int i, int spatial_range, int kv_stride, int *lo, int *hi) {
    /* mmcv: map[iy, ix, max((iy - r) // s, 0) : (iy + r + 1) // s + 1, ...] = 0
     * (unmasked); the query index is the query grid's, whatever q_stride */
    int l = floor_div(i - spatial_range, kv_stride);
    *lo = l > 0 ? l : 0;
    *hi = floor_div(i + spatial_range + 1, kv_stride) + 1;
}

void clbb__ga_position_features(const float *fc, int heads, int dim, int feat_dim, int magnitude,
                                int nq, int q_stride, int nk, int kv_stride, double *out) {
    /* get_position_embedding: diff = (i*q_stride - j*kv_stride) * magnitude,
     * dim_mat[f] = 1000^((4/feat_dim) f), f < feat_dim/4; embedding =
     * [sin(diff/dim_mat), cos(diff/dim_mat)]; then the Linear (no bias) and
     * the division by sqrt(2) */
    const int quarter = feat_dim / 4, half = feat_dim / 2, oc = heads * dim;
    double emb[2 * 4096];
    double dm[4096];
    for (int f = 0; f < quarter && f < 4096; f++) dm[f] = pow(1000.0, (4.0 / feat_dim) * f);
    for (int i = 0; i < nq; i++)
        for (int j = 0; j < nk; j++) {
            const double diff = ((double)i * q_stride - (double)j * kv_stride) * magnitude;
            for (int f = 0; f < quarter; f++) {
                emb[f] = sin(diff / dm[f]);
                emb[quarter + f] = cos(diff / dm[f]);
            }
            for (int o = 0; o < oc; o++) {
                const float *w = fc + (size_t)o * half;
                double s = 0;
                for (int e = 0; e < half; e++) s += emb[e] * w[e];
                const int m = o / dim, d = o % dim;
                out[(((size_t)m * nq + i) * nk + j) * dim + d] = s / sqrt(2.0);
            }
        }
}
