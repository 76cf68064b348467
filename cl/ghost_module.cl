/* GhostNet's Ghost module in one kernel (SPEC A §3.3): the primary 1x1 conv
 * + BN + act and the cheap depthwise KS x KS conv + BN + act over its
 * output, both halves of the concat written, [+ residual], where the
 * unfused path took two launches and a third for the residual of the
 * primary half (the cheap conv reads that half before the add).
 *
 * One work-group: a TH x TW tile of one sample for GM_CB primary channels
 * (j0 .. j0 + GM_CB - 1) and the cheap channels they feed. Phase 1: every
 * item takes pixels of the tile grown by the cheap conv's halo R = KS / 2,
 * computes the GM_CB primary outputs there (dot products over C, weights
 * uniform across the group: broadcast reads), split over ks parts of C
 * where the tile has fewer pixels than the group has items (7x7 maps:
 * a 960-term sum per item was the critical path), partial sums reduced in
 * local memory; the tile keeps them (0 outside the image: the cheap
 * conv's zero padding). Halo
 * pixels are recomputed by the neighbouring tiles ((TH+2R)(TW+2R) / TH TW
 * of the primary's work; none where the tile is the whole image, as at
 * GhostNet's 14x14 and 7x7 stages). Phase 2: every item takes (channel,
 * pixel) of the tile, writes the primary output and its cheap outputs.
 * Cheap channel k reads primary channel k / per; only the first Q are
 * kept (the module's slice to its out channels).
 * Grid: (tiles * GM_LWS, ceil(P / GM_CB), N), work-groups of GM_LWS.
 * wp: transposed, [C][Pp] with Pp = P rounded up to GM_CB (zero rows);
 * sp, bp: [Pp] folded BN of the primary; wc [Q][KS*KS], sc, bc [Q].
 * tile: (1 + ks) * GM_CB * (TH + 2R) * (TW + 2R) floats (the tile, then the partials).
 * Macros: GM_LWS, GM_CB, KS, ACT, HAS_GATE (x * gate[n, c] read),
 * HAS_RES (y += residual after the activation), DTYPE. */

#define R (KS / 2)

__kernel __attribute__((reqd_work_group_size(GM_LWS, 1, 1))) void
ghost_module(__global const st_t *x, int x_off, int x_bs, __global const st_t *gate, int g_off,
             int g_bs, __global const st_t *res, int r_off, int r_bs, __global st_t *y, int y_off,
             int y_bs, __global const float *restrict wp, __global const float *restrict sp,
             __global const float *restrict bp, __global const float *restrict wc,
             __global const float *restrict sc, __global const float *restrict bc,
             __local float *tile, int ks, int C, int P, int Pp, int Q, int per, int H, int W, int TH,
             int TW, int tiles_w) {
    const int t = get_local_id(0), tid = get_group_id(0);
    const int j0 = get_group_id(1) * GM_CB, n = get_group_id(2);
    const int ty0 = tid / tiles_w * TH, tx0 = tid % tiles_w * TW;
    const int hw = TW + 2 * R, hn = (TH + 2 * R) * hw, plane = H * W;
    /* the halo tile clipped to the image: what phase 1 computes */
    const int y0 = max(ty0 - R, 0), y1 = min(ty0 + TH + R, H);
    const int x0 = max(tx0 - R, 0), x1 = min(tx0 + TW + R, W);
    const int cw = x1 - x0, cn = (y1 - y0) * cw;
    __local float *part = tile + GM_CB * hn;
    const __global st_t *xn = x + x_off + n * x_bs;
    for (int q = t; q < GM_CB * hn; q += GM_LWS) tile[q] = 0.0f;
    for (int e = t; e < cn * ks; e += GM_LWS) {
        const int q = e % cn, part_k = e / cn;
        const int c0 = part_k * C / ks, c1 = (part_k + 1) * C / ks;
        float acc[GM_CB];
        for (int b = 0; b < GM_CB; b++) acc[b] = 0.0f;
        const __global st_t *xp = xn + (y0 + q / cw) * W + x0 + q % cw;
        const __global float *w = wp + (size_t)c0 * Pp + j0;
        for (int c = c0; c < c1; c++, w += Pp) {
            float v = LD(xp, c * plane);
#if HAS_GATE
            v *= LD(gate, g_off + n * g_bs + c);
#endif
            for (int b = 0; b < GM_CB; b++) acc[b] = fma(w[b], v, acc[b]);
        }
        for (int b = 0; b < GM_CB; b++) part[(part_k * GM_CB + b) * cn + q] = acc[b];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = t; e < GM_CB * cn; e += GM_LWS) {
        const int b = e / cn, q = e % cn;
        float a = 0.0f;
        for (int k = 0; k < ks; k++) a += part[(k * GM_CB + b) * cn + q];
        const int ly = y0 + q / cw - (ty0 - R), lx = x0 + q % cw - (tx0 - R);
        tile[b * hn + ly * hw + lx] = clbb_act(fma(a, sp[j0 + b], bp[j0 + b]));
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int tn = TH * TW;
    const __global st_t *rn = res + r_off + n * r_bs;
    __global st_t *yn = y + y_off + n * y_bs;
    (void)rn;
    for (int e = t; e < GM_CB * tn; e += GM_LWS) {
        const int b = e / tn, p = e % tn, j = j0 + b;
        const int py = p / TW, px = p % TW, oy = ty0 + py, ox = tx0 + px;
        if (j >= P || oy >= H || ox >= W) continue;
        const __local float *tb = tile + b * hn;
        const int pix = oy * W + ox;
        float v = tb[(py + R) * hw + px + R];
#if HAS_RES
        v += LD(rn, j * plane + pix);
#endif
        ST(yn, j * plane + pix, v);
        for (int r = 0; r < per; r++) {
            const int k = j * per + r;
            if (k >= Q) break;
            const __global float *wk = wc + k * (KS * KS);
            float a = 0.0f;
            for (int dy = 0; dy < KS; dy++)
                for (int dx = 0; dx < KS; dx++)
                    a = fma(wk[dy * KS + dx], tb[(py + dy) * hw + px + dx], a);
            float o = clbb_act(fma(a, sc[k], bc[k]));
#if HAS_RES
            o += LD(rn, (P + k) * plane + pix);
#endif
            ST(yn, (P + k) * plane + pix, o);
        }
    }
}
