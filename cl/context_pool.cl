/* ContextBlock's attention pooling ('att'): per image n,
 *   logit[p] = bias + sum_c w[c] x[n,c,p],  a = softmax_p(logit),
 *   y[n,c] = sum_p x[n,c,p] a[p]            (p over H*W).
 *
 * GPU family, up to CP_SMALL_C channels (the fused GCNet plan pools conv3's
 * input: 128-512 channels on ResNet-50), two kernels, since three launches
 * of a few microseconds each were most of the op's time there:
 * context_pool_logits_wg: work-group of CP_LWS items = tp positions x
 *   CP_LWS / tp channel groups (tp a power of two), global (ceil(HW / tp)
 *   * CP_LWS, N): item t sums channels g, g + groups, ... of position
 *   p0 + t % tp (consecutive items, consecutive positions: coalesced), the
 *   groups added in local memory; logit[n][p] = bias + sum, and the
 *   tile's max logit into tmax[n][tile].
 * context_pool_wsum_logits: work-group of CP_LWS items per (c, n), global
 *   (CP_LWS, C, N): M = the max of the tiles' maxima, then sum e^(l - M)
 *   and sum x e^(l - M) in one pass, four positions per item and step
 *   (the logits are the image's HW floats, cached), y = their ratio.
 * GPU family above that, three kernels, each wide enough to keep the GPU
 * busy (the earlier ones with a work-item per position, or a work-group per
 * image, were latency-bound at 1/5 of the memory bandwidth):
 * context_pool_logits_split: work-item per (position, channel split s),
 *   global (HW rounded, splits, N); partial logits lpart[n][s][p] over
 *   channels s*cps .. (coalesced: consecutive items, consecutive p).
 * context_pool_tile_stats: work-group of CP_LWS items per tile of CP_LWS
 *   positions, global (tiles * CP_LWS, N): logit = bias + sum_s lpart,
 *   the tile's max m_t, e[p] = exp(logit - m_t), s_t = sum e (local tree
 *   reductions); e and (m_t, s_t) into the workspace.
 * context_pool_wsum: work-group of CP_LWS items per (c, n), global
 *   (CP_LWS, C, N): M = max m_t, S = sum s_t e^(m_t - M) (every group
 *   reduces the few tile statistics itself), then the plane's dot product
 *   with a[p] = e[p] e^(m_t(p) - M) / S, strided over p, tree reduction.
 *
 * CPU family, three kernels over N*HW logits:
 * context_pool_logits_cpu: see there.
 * context_pool_softmax: one work-group of CP_LWS items per image, global
 *   (CP_LWS, N): max, sum of exp (local tree reductions), then
 *   a[p] = exp(logit[p] - max) / sum in place.
 * context_pool_sum_cpu: one work-item (local size 1) per (c, n), global
 *   (C, N): float8 dot product of the plane and a, scalar tail.
 * x is dense images (x_off, x_bs); y is N x C x 1 x 1 (y_off, y_bs).
 * Macros: CP_LWS (a power of two), DTYPE. */

__kernel void context_pool_logits_split(__global const st_t *x, int x_off, int x_bs,
                                        __global const float *restrict w,
                                        __global float *restrict lpart, int C, int HW, int cps) {
    const int p = get_global_id(0), s = get_global_id(1), n = get_global_id(2);
    if (p >= HW) return;
    const __global st_t *xp = x + x_off + n * x_bs + p;
    const int c1 = min(C, (s + 1) * cps);
    float l = 0.0f;
    for (int c = s * cps; c < c1; c++) l = fma(w[c], LD(xp, c * HW), l);
    lpart[((size_t)n * get_global_size(1) + s) * HW + p] = l;
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_tile_stats(__global const float *restrict lpart, float bias, int splits,
                        __global float *restrict e, __global float *restrict stats, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), tile = get_group_id(0), n = get_global_id(1);
    const int p = get_global_id(0), tiles = get_num_groups(0);
    float l = -INFINITY;
    if (p < HW) {
        l = bias;
        for (int s = 0; s < splits; s++) l += lpart[((size_t)n * splits + s) * HW + p];
    }
    const float m = clbb_wg_max(red, t, CP_LWS, l);
    const float v = exp(l - m); /* 0 past the plane */
    if (p < HW) e[(size_t)n * HW + p] = v;
    const float s = clbb_wg_sum(red, t, CP_LWS, v);
    if (t == 0) {
        stats[2 * ((size_t)n * tiles + tile)] = m;
        stats[2 * ((size_t)n * tiles + tile) + 1] = s;
    }
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_wsum(__global const st_t *x, int x_off, int x_bs, __global const float *restrict e,
                  __global const float *restrict stats, int tiles, __global st_t *y, int y_off,
                  int y_bs, int C, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), c = get_global_id(1), n = get_global_id(2);
    const __global float *st = stats + 2 * (size_t)n * tiles;
    float m = -INFINITY;
    for (int i = t; i < tiles; i += CP_LWS) m = fmax(m, st[2 * i]);
    m = clbb_wg_max(red, t, CP_LWS, m);
    float s = 0.0f;
    for (int i = t; i < tiles; i += CP_LWS) s += st[2 * i + 1] * exp(st[2 * i] - m);
    const float inv = 1.0f / clbb_wg_sum(red, t, CP_LWS, s);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    const __global float *ep = e + (size_t)n * HW;
    float a = 0.0f;
    /* tile i covers positions i*CP_LWS ..: item t's i-th position is in tile i */
    for (int p = t, i = 0; p < HW; p += CP_LWS, i++)
        a = fma(LD(xp, p), ep[p] * exp(st[2 * i] - m), a);
    a = clbb_wg_sum(red, t, CP_LWS, a * inv);
    if (t == 0) ST(y, y_off + n * y_bs + c, a);
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_logits_wg(__global const st_t *x, int x_off, int x_bs,
                       __global const float *restrict w, float bias,
                       __global float *restrict logit, __global float *restrict tmax, int C,
                       int HW, int tp) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), n = get_global_id(1), groups = CP_LWS / tp;
    const int g = t / tp, p = get_group_id(0) * tp + (t - g * tp);
    float l = 0.0f;
    if (p < HW) {
        const __global st_t *xp = x + x_off + n * x_bs + p;
        for (int c = g; c < C; c += groups) l = fma(w[c], LD(xp, c * HW), l);
    }
    red[t] = l;
    barrier(CLK_LOCAL_MEM_FENCE);
    /* k a multiple of tp: t and t + k hold the same position */
    for (int k = CP_LWS / 2; k >= tp; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    l = t < tp && p < HW ? bias + red[t] : -INFINITY;
    if (t < tp && p < HW) logit[(size_t)n * HW + p] = l;
    /* the tile's max, so that the sums need not scan the logits twice */
    const float m = clbb_wg_max(red, t, CP_LWS, l);
    if (t == 0) tmax[(size_t)n * get_num_groups(0) + get_group_id(0)] = m;
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_wsum_logits(__global const st_t *x, int x_off, int x_bs,
                         __global const float *restrict logit,
                         __global const float *restrict tmax, int tiles, __global st_t *y,
                         int y_off, int y_bs, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), c = get_global_id(1), n = get_global_id(2);
    const __global float *lp = logit + (size_t)n * HW;
    float m = -INFINITY;
    for (int i = t; i < tiles; i += CP_LWS) m = fmax(m, tmax[(size_t)n * tiles + i]);
    m = clbb_wg_max(red, t, CP_LWS, m);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    /* four positions per item and step: four times the loads in flight of
     * a scalar loop (one work-group per channel leaves the GPU latency-
     * bound otherwise) */
    float4 s4 = 0.0f, a4 = 0.0f;
    const int hw4 = HW & ~3;
    for (int p = 4 * t; p < hw4; p += 4 * CP_LWS) {
        const float4 e = exp(vload4(0, lp + p) - m);
        s4 += e;
        a4 = fma(LDN(4, 0, xp + p), e, a4);
    }
    float s = (s4.x + s4.y) + (s4.z + s4.w), a = (a4.x + a4.y) + (a4.z + a4.w);
    for (int p = hw4 + t; p < HW; p += CP_LWS) {
        const float e = exp(lp[p] - m);
        s += e;
        a = fma(LD(xp, p), e, a);
    }
    s = clbb_wg_sum(red, t, CP_LWS, s);
    a = clbb_wg_sum(red, t, CP_LWS, a);
    if (t == 0) ST(y, y_off + n * y_bs + c, a / s);
}

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
    m = clbb_wg_max(red, t, CP_LWS, m);
    float s = 0.0f;
    for (int i = t; i < HW; i += CP_LWS) s += exp(l[i] - m);
    const float inv = 1.0f / clbb_wg_sum(red, t, CP_LWS, s);
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
