/* Deformable convolution for CPU devices (PoCL): mmcv's DeformConv2d (v1) and
 * ModulatedDeformConv2d (v2, IG_MASK), one work-item per work-group, explicit
 * vectors of output channels as in conv2d_igemm_cpu.cl.
 *
 * Per group g and image n: Y[Cout_g x HO*WO] = A[Cout_g x K] * B[K x HO*WO],
 * K = CIN_G*KH*KW, k = ci*KH*KW + tap, B[k][p] the bilinear sample of input
 * channel ci at (oh*SH - PT + kh*DH + dy, ow*SW - PL + kw*DW + dx): dy, dx
 * from offset channels dgi*2*KH*KW + 2*tap and the next (dgi the deform
 * group of the input channel), zero unless h > -1 && w > -1 && h < H &&
 * w < W, each of the four corners outside the image zero; times the mask
 * channel dgi*KH*KW + tap with IG_MASK.
 *
 * deform_conv2d_cpu. One work-item: NP consecutive output positions p0 ..
 * p0+NP-1 (of the flattened HO*WO plane; the last block is moved back to
 * end at HO*WO, rewriting a few outputs with identical values) of image n,
 * conv group g, times ALL COUT_G output channels, so that each sample is
 * made once and feeds every output channel:
 *   1. per deform group met, per (tap, position): the four corner indices
 *      and weights (the mask and the validity folded into the weights,
 *      indices clamped into the plane), in private memory;
 *   2. per chunk of CK input channels: the samples B[CK*KHW][NP] (4 loads
 *      and 4 FMAs each) into a private tile (L1), then for each of the
 *      NVL/MV panels of MV vectors of VW channels and each run of NR of
 *      the NP positions, the GotoBLAS micro-kernel of conv2d_igemm_cpu
 *      over the chunk (MV vector loads of A, NR broadcasts, MV*NR FMAs
 *      per k), its MV*NR accumulators loaded from and stored back to a
 *      private NVL x NP array (once per CK*KHW k: a few % of the
 *      traffic).
 * Global size (ceil(HO*WO/NP), NVL/VPS, N*GROUPS): dimension 1 splits the
 * output vectors in runs of VPS when the positions alone give too few
 * work-items (the deep layers' small maps), each split sampling again. Epilogue act(acc + shift[co]
 * [+ residual]) as conv2d_igemm_cpu.
 *
 * A is conv2d_igemm_cpu's packing (conv2d_igemm.c): A[g][MPV][K][VW].
 * Macros (all required): KH KW SH SW DH DW PT PL CIN_G COUT_G CPD (input
 * channels per deform group) HAS_RES IG_MASK ACT DTYPE WDTYPE; VW, MV, MPV (a
 * multiple of MV), NVL (the vectors holding COUT_G, rounded up to MV; <=
 * MPV), VPS (dividing NVL, a multiple of MV), NR, NP (a multiple of NR), CK (dividing CIN_G). What the launcher
 * guarantees: local size (1, 1, 1); NP <= HO*WO; MV*(NR+1)+1 <= the
 * vector registers (16 below AVX-512, 32 with it);
 * every offset fits in an int. */

typedef CLBB_CAT(float, VW) vw_t;
#define VW_STORE(v, p) CLBB_CAT(vstore, VW)((v), 0, (p))

#define KHW (KH * KW)
#define KDIM (CIN_G * KHW)
#define KC (CK * KHW)

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
deform_conv2d_cpu(__global const st_t *restrict x, int x_off, int x_bs,
                  __global const st_t *restrict off, int o_off, int o_bs,
                  __global const st_t *restrict msk, int m_off, int m_bs,
                  __global const wt_t *restrict w, __global const float *restrict shift,
                  __global const st_t *restrict res, int r_off, int r_bs,
                  __global st_t *restrict y, int y_off, int y_bs, int H, int W, int HO, int WO,
                  int GROUPS) {
    const int HWO = HO * WO, HW = H * W;
    const int p0 = min((int)get_global_id(0) * NP, HWO - NP);
    const int z = get_global_id(2), n = z / GROUPS, grp = z - n * GROUPS;
    __global const st_t *xg = x + x_off + n * x_bs + grp * CIN_G * HW;
    __global const st_t *og = off + o_off + n * o_bs + p0;
#if IG_MASK
    __global const st_t *mg = msk + m_off + n * m_bs + p0;
#endif
    /* this item's output vectors [vs, vs + VPS) of the NVL */
    const int vs = get_global_id(1) * VPS;
    __global const wt_t *a = w + (grp * MPV + vs) * KDIM * VW;

    /* sampling of the current deform group: corner index and weight */
    int cidx[KHW][NP][4];
    float cwt[KHW][NP][4];
    float bt[KC][NP];
    vw_t accs[VPS][NP];
    for (int v = 0; v < VPS; v++)
        for (int j = 0; j < NP; j++) accs[v][j] = (vw_t)0.0f;
    int cur = -1;

    for (int c0 = 0; c0 < CIN_G; c0 += CK) {
        for (int cl = 0; cl < CK; cl++) {
            const int ci = c0 + cl, dgi = (grp * CIN_G + ci) / CPD;
            if (dgi != cur) {
                cur = dgi;
                for (int t = 0; t < KHW; t++) {
                    const int kh = t / KW, kw = t - kh * KW;
                    __global const st_t *oy = og + (dgi * 2 * KHW + 2 * t) * HWO;
#if IG_MASK
                    __global const st_t *mt = mg + (dgi * KHW + t) * HWO;
#endif
                    for (int j = 0; j < NP; j++) {
                        const int p = p0 + j, oh = p / WO, ow = p - oh * WO;
                        const float h = (float)(oh * SH - PT + kh * DH) + LD(oy, j);
                        const float wv = (float)(ow * SW - PL + kw * DW) + LD(oy + HWO, j);
                        const int in = h > -1.0f && wv > -1.0f && h < (float)H && wv < (float)W;
                        const float hf = floor(h), wf = floor(wv);
                        const int hl = in ? (int)hf : 0, wl = in ? (int)wf : 0;
                        const float lh = h - hf, lw = wv - wf;
#if IG_MASK && defined(IG_MASK_SIG) && IG_MASK_SIG
                        /* logits: DCNv2's conv_offset output as it is */
                        const float s = in ? 1.0f / (1.0f + exp(-LD(mt, j))) : 0.0f;
#elif IG_MASK
                        const float s = in ? LD(mt, j) : 0.0f;
#else
                        const float s = in ? 1.0f : 0.0f;
#endif
                        const int tt = hl >= 0, bb = hl + 1 < H, ll = wl >= 0, rr = wl + 1 < W;
                        const int h0 = max(hl, 0), h1 = min(hl + 1, H - 1);
                        const int w0 = max(wl, 0), w1 = min(wl + 1, W - 1);
                        cidx[t][j][0] = h0 * W + w0;
                        cidx[t][j][1] = h0 * W + w1;
                        cidx[t][j][2] = h1 * W + w0;
                        cidx[t][j][3] = h1 * W + w1;
                        cwt[t][j][0] = tt & ll ? s * (1.0f - lh) * (1.0f - lw) : 0.0f;
                        cwt[t][j][1] = tt & rr ? s * (1.0f - lh) * lw : 0.0f;
                        cwt[t][j][2] = bb & ll ? s * lh * (1.0f - lw) : 0.0f;
                        cwt[t][j][3] = bb & rr ? s * lh * lw : 0.0f;
                    }
                }
            }
            __global const st_t *xc = xg + ci * HW;
            for (int t = 0; t < KHW; t++)
                for (int j = 0; j < NP; j++)
                    bt[cl * KHW + t][j] = cwt[t][j][0] * LD(xc, cidx[t][j][0]) +
                                          cwt[t][j][1] * LD(xc, cidx[t][j][1]) +
                                          cwt[t][j][2] * LD(xc, cidx[t][j][2]) +
                                          cwt[t][j][3] * LD(xc, cidx[t][j][3]);
        }
        /* run-time loops (unroll 1) around an unrolled NR x MV block of
         * accumulators that fits the vector registers */
#pragma unroll 1
        for (int v0 = 0; v0 < VPS; v0 += MV) {
            __global const wt_t *ak = a + (v0 * KDIM + c0 * KHW) * VW;
#pragma unroll 1
            for (int j0 = 0; j0 < NP; j0 += NR) {
                vw_t acc[NR][MV];
#pragma unroll
                for (int j = 0; j < NR; j++)
#pragma unroll
                    for (int i = 0; i < MV; i++) acc[j][i] = accs[v0 + i][j0 + j];
#pragma unroll 1
                for (int k = 0; k < KC; k++) {
                    vw_t av[MV];
#pragma unroll
                    for (int i = 0; i < MV; i++) av[i] = WLDA(VW, i * KDIM + k, ak);
#pragma unroll
                    for (int j = 0; j < NR; j++) {
                        const vw_t bv = (vw_t)bt[k][j0 + j];
#pragma unroll
                        for (int i = 0; i < MV; i++) acc[j][i] = fma(av[i], bv, acc[j][i]);
                    }
                }
#pragma unroll
                for (int j = 0; j < NR; j++)
#pragma unroll
                    for (int i = 0; i < MV; i++) accs[v0 + i][j0 + j] = acc[j][i];
            }
        }
    }

    for (int v = 0; v < VPS; v++) {
        for (int l = 0; l < VW; l++) {
            const int m = (vs + v) * VW + l;
            if (m >= COUT_G) break;
            const int co = grp * COUT_G + m;
            const float b = shift[co];
            __global st_t *yc = y + y_off + n * y_bs + co * HWO + p0;
#if HAS_RES
            __global const st_t *rc = res + r_off + n * r_bs + co * HWO + p0;
#endif
            for (int j = 0; j < NP; j++) {
                float tv[VW];
                VW_STORE(accs[v][j], tv);
                float val = tv[l] + b;
#if HAS_RES
                val += LD(rc, j);
#endif
                ST(yc, j, clbb_act(val));
            }
        }
    }
}
