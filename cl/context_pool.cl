/* ContextBlock's attention pooling ('att'): per image n,
 *   logit[p] = bias + sum_c w[c] x[n,c,p],  a = softmax_p(logit),
 *   y[n,c] = sum_p x[n,c,p] a[p]            (p over H*W).
 *
 * GPU family: two kernels, x read once from memory.
 * context_pool_tile: one work-group of CP_LWS items per tile of CP_TP
 *   positions of image n, global (tiles * CP_LWS, N). Its items first
 *   split the channels CP_LWS / CP_TP ways for the tile's logits (each
 *   reads consecutive positions of a plane: coalesced), then take the
 *   tile's max m_t, e_p = exp(logit_p - m_t) and s_t = sum_p e_p, and
 *   each item walks whole channels' rows of the tile (c = item, item +
 *   CP_LWS, ...; CP_TP contiguous values, just read and still in cache)
 *   for the tile's partial sums part[t][c] = sum_p e_p x[n,c,p]. The
 *   workspace holds per (n, tile): C partial sums, then m_t and s_t.
 * context_pool_merge: one work-item per (c, n), global (C rounded, N):
 *   M = max_t m_t, y = sum_t part[t][c] e^(m_t - M) / sum_t s_t e^(m_t - M)
 *   (the online-softmax merge: no logit is ever written).
 *
 * CPU family, three kernels that read x twice and keep N*HW logits:
 * context_pool_logits_cpu: see there.
 * context_pool_softmax: one work-group of CP_LWS items per image, global
 *   (CP_LWS, N): max, sum of exp (local tree reductions), then
 *   a[p] = exp(logit[p] - max) / sum in place.
 * context_pool_sum_cpu: one work-item (local size 1) per (c, n), global
 *   (C, N): float8 dot product of the plane and a, scalar tail.
 * x is dense images (x_off, x_bs); y is N x C x 1 x 1 (y_off, y_bs).
 * Macros: CP_LWS, CP_TP (GPU family; CP_LWS a multiple of CP_TP), DTYPE. */

#ifdef CP_TP
#define CP_SPLIT (CP_LWS / CP_TP)
__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_tile(__global const st_t *x, int x_off, int x_bs, __global const float *restrict w,
                  float bias, __global float *restrict ws, int C, int HW) {
    __local float red[CP_LWS];
    __local float e[CP_TP];
    const int t = get_local_id(0), tile = get_group_id(0), n = get_global_id(1);
    const int tiles = get_num_groups(0), p0 = tile * CP_TP;
    const int lp = t % CP_TP, q = t / CP_TP, p = p0 + lp;
    const __global st_t *xn = x + x_off + n * x_bs;
    float l = 0.0f;
    if (p < HW)
        for (int c = q; c < C; c += CP_SPLIT) l = fma(w[c], LD(xn, c * HW + p), l);
    red[t] = l;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t < CP_TP) {
        float s = bias;
        for (int k = 0; k < CP_SPLIT; k++) s += red[k * CP_TP + t];
        e[t] = p0 + t < HW ? s : -INFINITY;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    /* every item takes the tile's max and sum itself: CP_TP local reads */
    float m = -INFINITY;
    for (int k = 0; k < CP_TP; k++) m = fmax(m, e[k]);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t < CP_TP) e[t] = exp(e[t] - m); /* exp(-inf) = 0 past the plane */
    barrier(CLK_LOCAL_MEM_FENCE);
    __global float *part = ws + ((size_t)n * tiles + tile) * (C + 2);
    if (t == 0) {
        float s = 0.0f;
        for (int k = 0; k < CP_TP; k++) s += e[k];
        part[C] = m;
        part[C + 1] = s;
    }
    const int np = min(CP_TP, HW - p0);
    for (int c = t; c < C; c += CP_LWS) {
        const __global st_t *xr = xn + c * HW + p0;
        float a = 0.0f;
        for (int k = 0; k < np; k++) a = fma(e[k], LD(xr, k), a);
        part[c] = a;
    }
}

__kernel void context_pool_merge(__global const float *restrict ws, __global st_t *y, int y_off,
                                 int y_bs, int C, int tiles) {
    const int c = get_global_id(0), n = get_global_id(1);
    if (c >= C) return;
    const __global float *wn = ws + (size_t)n * tiles * (C + 2);
    float m = -INFINITY;
    for (int t = 0; t < tiles; t++) m = fmax(m, wn[(size_t)t * (C + 2) + C]);
    float s = 0.0f, a = 0.0f;
    for (int t = 0; t < tiles; t++) {
        const __global float *pt = wn + (size_t)t * (C + 2);
        const float f = exp(pt[C] - m);
        s = fma(pt[C + 1], f, s);
        a = fma(pt[c], f, a);
    }
    ST(y, y_off + n * y_bs + c, a / s);
}
#endif

/* The CPU family's logits: one work-item (local size 1) per 64 positions
 * p0.. of image n, global (ceil(HW / 64), N); eight float8 accumulators
 * stay in registers while it walks the channels, reading 256 contiguous
 * bytes of each plane; the last, partial block is scalar. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
context_pool_logits_cpu(__global const st_t *x, int x_off, int x_bs,
                        __global const float *restrict w, float bias,
                        __global float *restrict logit, int C, int HW) {
    const int p0 = get_global_id(0) * 64, n = get_global_id(1);
    const __global st_t *xp = x + x_off + n * x_bs + p0;
    __global float *lp = logit + n * HW + p0;
    if (p0 + 64 <= HW) {
        float8 acc[8];
        for (int v = 0; v < 8; v++) acc[v] = bias;
        for (int c = 0; c < C; c++) {
            const float8 wc = w[c];
            for (int v = 0; v < 8; v++) acc[v] = fma(wc, LDN(8, v, xp + c * HW), acc[v]);
        }
        for (int v = 0; v < 8; v++) vstore8(acc[v], v, lp);
        return;
    }
    for (int p = 0; p < HW - p0; p++) {
        float l = bias;
        for (int c = 0; c < C; c++) l = fma(w[c], LD(xp, c * HW + p), l);
        lp[p] = l;
    }
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_softmax(__global float *restrict logit, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), n = get_global_id(1);
    __global float *l = logit + n * HW;
    float m = -INFINITY;
    for (int i = t; i < HW; i += CP_LWS) m = fmax(m, l[i]);
    red[t] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = CP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] = fmax(red[t], red[t + k]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float s = 0.0f;
    for (int i = t; i < HW; i += CP_LWS) s += exp(l[i] - m);
    red[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = CP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / red[0];
    for (int i = t; i < HW; i += CP_LWS) l[i] = exp(l[i] - m) * inv;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
context_pool_sum_cpu(__global const st_t *x, int x_off, int x_bs, __global const float *restrict a,
                     __global st_t *y, int y_off, int y_bs, int C, int HW) {
    const int c = get_global_id(0), n = get_global_id(1);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    const __global float *ap = a + n * HW;
    float8 s8 = 0.0f;
    int i = 0;
    for (; i + 8 <= HW; i += 8) s8 = fma(LDN(8, 0, xp + i), vload8(0, ap + i), s8);
    float4 s4 = s8.lo + s8.hi;
    float s = (s4.x + s4.y) + (s4.z + s4.w);
    for (; i < HW; i++) s = fma(LD(xp, i), ap[i], s);
    ST(y, y_off + n * y_bs + c, s);
}
