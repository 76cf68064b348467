/* Depthwise convolution (groups == in == out channels), direct.
 *
 * Work-item: OW_T consecutive outputs of one row (ow0 .. ow0+OW_T-1, oh) of
 * one (n, c) plane; global size (ceil(Wo/OW_T), Ho, N * C) rounded up by the
 * launcher. The KH x KW filter of the channel lives in registers; each input
 * row span is read once per work-item and reused across its OW_T outputs.
 *
 * Macros: KH KW SH SW DH DW PT PL, OW_T, HAS_RES, HAS_GATE, ACT, DTYPE, WDTYPE. */
#ifndef OW_T
#define OW_T 4
#endif
#define SPAN ((OW_T - 1) * SW + (KW - 1) * DW + 1)

__kernel void conv2d_depthwise(__global const st_t *restrict x, int x_off, int x_bs,
                               __global const wt_t *restrict w,
                               __global const float *restrict shift,
                               __global const st_t *restrict res, int r_off, int r_bs,
                               __global const st_t *restrict gate, int g_off, int g_bs,
                               __global st_t *restrict y, int y_off, int y_bs,
                               int C, int H, int W, int HO, int WO, int N) {
    const int owb = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    const int ow0 = owb * OW_T;
    if (ow0 >= WO || oh >= HO || nc >= N * C) return;
    const int n = nc / C, c = nc - n * C;
    const __global st_t *xp = x + x_off + n * x_bs + c * H * W;
    float wk[KH * KW];
    for (int i = 0; i < KH * KW; i++) wk[i] = WLD(w, c * KH * KW + i);
    acc_t acc[OW_T];
    for (int j = 0; j < OW_T; j++) acc[j] = 0.0f;
    const int iw0 = ow0 * SW - PL;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * SH - PT + kh * DH;
        if (ih < 0 || ih >= H) continue;
        float row[SPAN];
        for (int t = 0; t < SPAN; t++) {
            const int iw = iw0 + t;
            row[t] = (iw >= 0 && iw < W) ? LD(xp, ih * W + iw) : 0.0f;
        }
        for (int kw = 0; kw < KW; kw++)
            for (int j = 0; j < OW_T; j++)
                acc[j] = fma(row[j * SW + kw * DW], wk[kh * KW + kw], acc[j]);
    }
#if HAS_GATE
    const float gv = LD(gate, g_off + n * g_bs + c);
#endif
    const float b = shift[c];
    for (int j = 0; j < OW_T; j++) {
        const int ow = ow0 + j;
        if (ow >= WO) break;
#if HAS_GATE
        float v = acc[j] * gv + b;
#else
        float v = acc[j] + b;
#endif
        const int sp = (c * HO + oh) * WO + ow;
#if HAS_RES
        v += LD(res, r_off + n * r_bs + sp);
#endif
        ST(y, y_off + n * y_bs + sp, clbb_act(v));
    }
}
