/* Direct convolution, any geometry: the always-applicable fallback.
 *
 * Work-item: one output element (ow, oh, n * COUT + co); global size
 * (Wo, Ho, N * COUT) rounded up by the launcher, extra items return.
 * The epilogue adds shift[co] (bias, folded BN), an optional residual, then
 * ACT. Weights are OIHW with the epilogue scale already folded in.
 *
 * Macros: KH KW SH SW DH DW PT PL (pad top/left), CIN_G COUT_G (channels per
 * group), HAS_RES, HAS_GATE (input channel scale gate[n, ci], an N x CIN x 1 x 1 tensor),
 * DTYPE, WDTYPE (common.cl). */

__kernel void conv2d_direct(__global const st_t *restrict x, int x_off, int x_bs,
                            __global const wt_t *restrict w,
                            __global const float *restrict shift,
                            __global const st_t *restrict res, int r_off, int r_bs,
                            __global const st_t *restrict gate, int g_off, int g_bs,
                            __global st_t *restrict y, int y_off, int y_bs,
                            int CIN, int H, int W, int COUT, int HO, int WO, int N) {
    const int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= WO || oh >= HO || nc >= N * COUT) return;
    const int n = nc / COUT, co = nc - n * COUT;
    const int g = co / COUT_G;
    const __global st_t *xp = x + x_off + n * x_bs + g * CIN_G * H * W;
    const __global wt_t *wp = w + co * (CIN_G * KH * KW);
    const int ih0 = oh * SH - PT, iw0 = ow * SW - PL;
    acc_t acc = 0.0f;
    for (int ci = 0; ci < CIN_G; ci++) {
        acc_t part = 0.0f;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = ih0 + kh * DH;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = iw0 + kw * DW;
                if (iw < 0 || iw >= W) continue;
                part = fma(LD(xp, (ci * H + ih) * W + iw), WLD(wp, (ci * KH + kh) * KW + kw), part);
            }
        }
#if HAS_GATE
        acc = fma(part, LD(gate, g_off + n * g_bs + g * CIN_G + ci), acc);
#else
        acc += part;
#endif
    }
    acc_t v = acc + shift[co];
    const int sp = (co * HO + oh) * WO + ow;
#if HAS_RES
    v += LD(res, r_off + n * r_bs + sp);
#endif
    ST(y, y_off + n * y_bs + sp, clbb_act(v));
}
