/* Implicit-GEMM convolution for CPU devices (PoCL): a register-blocked
 * micro-kernel with explicit vectors, one work-item per work-group.
 *
 * Per group g and image n: Y[Cout_g x HO*WO] = A[Cout_g x K] * B[K x HO*WO],
 * K = CIN_G*KH*KW, k = (ci*KH + kh)*KW + kw, B[k][(oh, ow)] = the input at
 * (ci, oh*SH + kh*DH - PT, ow*SW + kw*DW - PL) (zero in the padding).
 *
 * Why this shape: PoCL runs a work-group as a loop over its work-items and
 * vectorizes across them; a work-group of one item is compiled as plain
 * scalar-plus-explicit-vector code, so the floatVW types below become whole
 * AVX-512 (or AVX2) registers and the inner loop is a GotoBLAS micro-kernel:
 * per k, MV vector loads of A, NR = RB*NRW scalar broadcasts of B and
 * MV*NR vector FMAs into MV*NR accumulators that stay in registers for the
 * whole K loop. Output channels are the vector dimension: Cout is a
 * multiple of 16 in every ResNet layer, while the spatial sizes of the deep
 * layers (14x14, 7x7) are not, and those layers (K up to 4608) are where
 * the time goes.
 *
 * conv2d_igemm_cpu. One work-item (= one work-group, local size 1,1,1):
 *   output channels [mb*MV*VW, (mb+1)*MV*VW) of group g (MV vectors of VW
 *   channels) times an RB x NRW block of output positions (rows oh0 ..
 *   oh0+RB-1, columns ow0 .. ow0+NRW-1) of image n, over the whole K.
 *   Global size (NPB*NMB, 1, N*GROUPS): NPB = ceil(HO/RB)*ceil(WO/NRW)
 *   position blocks, NMB M blocks. Dimension 0 is cut into super-blocks of
 *   SB position blocks times all NMB M blocks, the position blocks fastest
 *   inside: PoCL hands each thread runs of consecutive work-groups, so a
 *   thread sweeps one A panel (MV vectors x K) over SB position blocks,
 *   then the next panel over the same blocks, whose input (sized by the
 *   launcher to fit a core's L2) stays in cache; A is read NPB/SB times.
 *   The last block of a row (or of the rows) is moved back to end at the
 *   edge (ow0 = WO - NRW): it recomputes and rewrites a few outputs with
 *   identical values instead of masking; hence NRW <= WO and RB <= HO.
 *   Channels past COUT_G are zero rows of A and are not stored.
 *   The input it reads has no padding: either x itself (no pads, no gate)
 *   or xp, the padded and gated copy made by pad2d_gate (cl/pad2d.cl), whose
 *   size XH x XW is passed in; so the inner loop has no bounds tests. The
 *   KH*KW taps and the input channels are one run-time loop (see there).
 *   Epilogue: act(acc + shift[co] [+ residual]) into y (channel views:
 *   y_off / y_bs); the stores run along positions of one channel, which
 *   LLVM's SLP vectorizer turns into transposes and short vector stores.
 *
 * A is packed at create (conv2d_igemm.c) as A[g][MPV][K][VW]: MPV vectors
 * of VW output channels per group (zero past COUT_G; MPV a multiple of 4 so
 * that any MV in {1, 2, 4} tiles it), each a K-long run of floatVW: per k
 * the MV loads of a work-item are one aligned vector from each of MV
 * sequential streams.
 *
 * Macros (all required): DTYPE; VW (4, 8 or 16), MV (1, 2 or 4), RB, NRW:
 * the register tile; SW: the column stride of its broadcasts (as an
 * argument, GhostNet's small-tile convs ran 20% slower); HAS_RES and ACT:
 * the epilogue, unrolled over the VW*MV*RB*NRW outputs of a work-item (as
 * run-time tests there, PoCL's code generation took 8 times longer: 2.1 s
 * instead of 0.27 s of CPU). Channel counts, groups, pads, the window
 * (KH KW), the row stride SH and dilations (DH DW) are arguments: they
 * only step pointers, and leaving them out of the options lets layers
 * share programs (on PoCL each program costs a front-end build and two
 * code generations on the first run, see docs/cold_start.md).
 * What the launcher guarantees: local size (1, 1, 1); global size as
 * above; MV*(RB*NRW + 1) + 1 <= 32 vector registers (accumulators, A
 * vectors and one broadcast; one more and LLVM spills accumulators in the
 * K loop); RB <= HO, NRW <= WO; XH >= (HO-1)*SH + (KH-1)*DH + 1, XW >=
 * (WO-1)*SW + (KW-1)*DW + 1; 1 <= SB; A float-VW aligned; every offset fits
 * in an int. */

typedef CLBB_CAT(float, VW) vw_t;
#define VW_STORE(v, p) CLBB_CAT(vstore, VW)((v), 0, (p))

#define NR (RB * NRW)

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
conv2d_igemm_cpu(__global const st_t *restrict x, int x_off, int x_bs, int XH, int XW,
                 __global const vw_t *restrict w, __global const float *restrict shift,
                 __global const st_t *restrict res, int r_off, int r_bs,
                 __global st_t *restrict y, int y_off, int y_bs, int HO, int WO, int NPB,
                 int NMB, int SB, int CIN_G, int COUT_G, int MPV, int GROUPS, int KH, int KW,
                 int SH, int DH, int DW) {
    const int KDIM = CIN_G * KH * KW;
    const int ncw = (WO + NRW - 1) / NRW;
    /* dim 0 runs over super-blocks of SB position blocks x all NMB M
     * blocks, position blocks fastest inside (see the header) */
    const int lin = get_global_id(0), z = get_global_id(2);
    const int sb = lin / (SB * NMB), rest = lin - sb * SB * NMB;
    const int rows = min(SB, NPB - sb * SB);
    const int mb = rest / rows, pb = sb * SB + rest - mb * rows;
    const int rb = pb / ncw, cw = pb - rb * ncw;
    const int oh0 = min(rb * RB, HO - RB), ow0 = min(cw * NRW, WO - NRW);
    const int n = z / GROUPS, grp = z - n * GROUPS;
    const int XHW = XH * XW, SHXW = SH * XW, DHXW = DH * XW;

    __global const vw_t *a = w + (grp * MPV + mb * MV) * KDIM;
    __global const st_t *xb =
        x + x_off + n * x_bs + grp * CIN_G * XHW + oh0 * SHXW + ow0 * SW;

    vw_t acc[NR][MV];
#pragma unroll
    for (int j = 0; j < NR; j++)
#pragma unroll
        for (int i = 0; i < MV; i++) acc[j][i] = (vw_t)0.0f;

    /* One run-time loop over k = (ci*KH + kh)*KW + kw with the input
     * address stepped along (kw, then kh, then ci): A is one sequential
     * stream per vector, and the taps stay a loop (unrolled, LLVM notices
     * that tap (kh, kw+1) of column j reads what tap (kh, kw) of column
     * j+1 read, keeps those broadcasts live across taps and spills the
     * accumulators). Sizes, strides and dilations are arguments: they
     * only step pointers, and leaving them out of the options lets one
     * program serve every layer with the same tile. */
    /* one k: MV vector loads of A, RB*NRW broadcasts of the input at xt,
     * MV*RB*NRW FMAs */
#define IG_STEP(xt, k)                                                                  \
    {                                                                                   \
        vw_t av[MV];                                                                    \
        _Pragma("unroll") for (int i = 0; i < MV; i++) av[i] = a[i * KDIM + (k)];       \
        _Pragma("unroll") for (int r = 0; r < RB; r++) {                                \
            __global const st_t *xr = (xt) + r * SHXW;                                  \
            _Pragma("unroll") for (int j = 0; j < NRW; j++) {                           \
                const vw_t bv = (vw_t)LD(xr, j * SW);                                   \
                _Pragma("unroll") for (int i = 0; i < MV; i++)                          \
                    acc[r * NRW + j][i] = fma(av[i], bv, acc[r * NRW + j][i]);          \
            }                                                                           \
        }                                                                               \
    }
    if (KH * KW == 1) {
        /* 1x1: k is the input channel (most of GhostNet's convs, whose
         * small tiles make the stepping below a third of the loop) */
#pragma unroll 1
        for (int k = 0; k < KDIM; k++) IG_STEP(xb + k * XHW, k)
    } else {
        __global const st_t *xc = xb, *xrow = xb, *xt = xb;
        int kw = 0, kh = 0;
#pragma unroll 1
        for (int k = 0; k < KDIM; k++) {
            IG_STEP(xt, k)
            if (++kw < KW) {
                xt += DW;
            } else {
                kw = 0;
                if (++kh < KH) {
                    xrow += DHXW;
                } else {
                    kh = 0;
                    xc += XHW;
                    xrow = xc;
                }
                xt = xrow;
            }
        }
    }

    const int HWO = HO * WO;
#pragma unroll
    for (int i = 0; i < MV; i++) {
        const int m0 = (mb * MV + i) * VW;
#pragma unroll
        for (int l = 0; l < VW; l++) {
            const int m = m0 + l;
            if (m >= COUT_G) break;
            const int co = grp * COUT_G + m;
            const float b = shift[co];
            __global st_t *yc = y + y_off + n * y_bs + co * HWO;
#if HAS_RES
            __global const st_t *rc = res + r_off + n * r_bs + co * HWO;
#endif
#pragma unroll
            for (int r = 0; r < RB; r++)
#pragma unroll
                for (int j = 0; j < NRW; j++) {
                    float t[VW];
                    VW_STORE(acc[r * NRW + j][i], t);
                    const int p = (oh0 + r) * WO + ow0 + j;
                    float v = t[l] + b;
#if HAS_RES
                    v += LD(rc, p);
#endif
                    ST(yc, p, clbb_act(v));
                }
        }
    }
}
