/* Winograd F(2x2, 3x3) convolution: the input and output transforms. The 16
 * GEMMs between them run in gemm_kmajor_batched (cl/conv2d_igemm.cl, built
 * with IG_MODE 1), on the filter transform U = G g G^T packed at create time.
 *
 * Tiles: output tile p = (n*TH + th)*TW + tw covers outputs (2th..2th+1,
 * 2tw..2tw+1) and reads the 4x4 input patch at (2th - PT, 2tw - PL); P =
 * N*TH*TW tiles, PP = P rounded up to the GEMM's TN.
 * Workspace: V[16][KP][PP] (transformed input, the GEMM's B; zero for
 * ci >= CIN and p >= P so the GEMM loads it without bounds checks), then
 * Mw[16][COUT][PP] (the GEMM's product).
 *
 * Macros: PT PL, CIN_G (= CIN), COUT_G (= COUT), KP (CIN rounded up to the
 * GEMM's TK), HAS_RES, HAS_GATE, ACT, DTYPE (x, gate, residual and y; the
 * workspace is float). */

/* Work-item: one (tile p, input channel ci) over the padded (PP, KP) grid;
 * writes V[xi][ci][p] for the 16 points xi, consecutive items consecutive p.
 * d = the patch (zero outside the input, times gate[n, ci]); V = B^T d B. */
__kernel void winograd_f2x2_3x3_input(__global const st_t *restrict x, int x_off, int x_bs,
                                      __global const st_t *restrict gate, int g_off, int g_bs,
                                      __global float *restrict v, int H, int W, int TH, int TW,
                                      int P, int PP) {
    const int p = get_global_id(0), ci = get_global_id(1);
    if (p >= PP || ci >= KP) return;
    float d[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) d[i][j] = 0.0f;
    if (p < P && ci < CIN_G) {
        const int n = p / (TH * TW), r = p - n * TH * TW;
        const int th = r / TW, tw = r - th * TW;
        const int ih0 = 2 * th - PT, iw0 = 2 * tw - PL;
        const __global st_t *xp = x + x_off + n * x_bs + ci * H * W;
#if HAS_GATE
        const mul_t gv = LDM(gate, g_off + n * g_bs + ci);
#else
        const mul_t gv = (mul_t)1.0f;
#endif
        for (int i = 0; i < 4; i++) {
            const int ih = ih0 + i;
            if ((uint)ih >= (uint)H) continue;
            for (int j = 0; j < 4; j++) {
                const int iw = iw0 + j;
                if ((uint)iw < (uint)W) d[i][j] = MULM(LDM(xp, ih * W + iw), gv);
            }
        }
    }
    /* B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], rows then columns */
    float t[4][4];
    for (int j = 0; j < 4; j++) {
        t[0][j] = d[0][j] - d[2][j];
        t[1][j] = d[1][j] + d[2][j];
        t[2][j] = d[2][j] - d[1][j];
        t[3][j] = d[1][j] - d[3][j];
    }
    __global float *vp = v + ci * PP + p;
    const int plane = KP * PP;
    for (int i = 0; i < 4; i++) {
        vp[(4 * i + 0) * plane] = t[i][0] - t[i][2];
        vp[(4 * i + 1) * plane] = t[i][1] + t[i][2];
        vp[(4 * i + 2) * plane] = t[i][2] - t[i][1];
        vp[(4 * i + 3) * plane] = t[i][1] - t[i][3];
    }
}

/* Work-item: one (tile p < P, output channel co); reads the 16 products
 * Mw[xi][co][p], Y = A^T m A with A^T = [1 1 1 0; 0 1 -1 -1], then the
 * epilogue per output inside the image (edge tiles drop their extra row or
 * column). */
__kernel void winograd_f2x2_3x3_output(__global const float *restrict mw, int m_off,
                                       __global const float *restrict shift,
                                       __global const st_t *restrict res, int r_off, int r_bs,
                                       __global st_t *restrict y, int y_off, int y_bs, int HO,
                                       int WO, int TH, int TW, int P, int PP) {
    const int p = get_global_id(0), co = get_global_id(1);
    if (p >= P || co >= COUT_G) return;
    const __global float *mp = mw + m_off + co * PP + p;
    const int plane = COUT_G * PP;
    float m[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) m[i][j] = mp[(4 * i + j) * plane];
    float t[2][4];
    for (int j = 0; j < 4; j++) {
        t[0][j] = m[0][j] + m[1][j] + m[2][j];
        t[1][j] = m[1][j] - m[2][j] - m[3][j];
    }
    const int n = p / (TH * TW), r = p - n * TH * TW;
    const int th = r / TW, tw = r - th * TW;
    const float b = shift[co];
    for (int i = 0; i < 2; i++) {
        const int oh = 2 * th + i;
        if (oh >= HO) break;
        const float o0 = t[i][0] + t[i][1] + t[i][2], o1 = t[i][1] - t[i][2] - t[i][3];
        for (int j = 0; j < 2; j++) {
            const int ow = 2 * tw + j;
            if (ow >= WO) break;
            const int sp = (co * HO + oh) * WO + ow;
            float val = (j ? o1 : o0) + b;
#if HAS_RES
            val += LD(res, r_off + n * r_bs + sp);
#endif
            ST(y, y_off + n * y_bs + sp, clbb_act(val));
        }
    }
}
