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
 *   KH*KW taps are a run-time loop (see there).
 *   Epilogue: act(acc + shift[co] [+ add[n, co]] [+ residual]) into y
 *   (channel views: y_off / y_bs; add, an N x COUT x 1 x 1 tensor with
 *   HAS_ADD, is one value per channel of the item's image, so it joins the
 *   shift); the stores run along positions of one channel, which
 *   LLVM's SLP vectorizer turns into transposes and short vector stores.
 *
 * A is packed at create (conv2d_igemm.c) as A[g][MPV][K][VW]: MPV vectors
 * of VW output channels per group (zero past COUT_G; MPV a multiple of 4 so
 * that any MV in {1, 2, 4} tiles it), each a K-long run of floatVW: per k
 * the MV loads of a work-item are one aligned vector from each of MV
 * sequential streams.
 *
 * Macros (all required): KH KW SH SW DH DW HAS_RES ACT DTYPE WDTYPE; VW (4, 8 or 16),
 * MV (1, 2 or 4), RB, NRW; HAS_ADD (default 0: emitted only when set, so
 * that the other programs keep their cache keys). Channel counts, groups
 * and pads are arguments: they do not shape the inner loop, and leaving
 * them out of the options lets one program serve many layers (ResNet-50
 * needs 11 instead of 21, which halves the time to load a model's programs
 * from the cache).
 * What the launcher guarantees: local size (1, 1, 1); global size as
 * above; MV*(RB*NRW + 1) + 1 <= 32 vector registers (accumulators, A
 * vectors and one broadcast; one more and LLVM spills accumulators in the
 * K loop); RB <= HO, NRW <= WO; XH >= (HO-1)*SH + (KH-1)*DH + 1, XW >=
 * (WO-1)*SW + (KW-1)*DW + 1; 1 <= SB; A float-VW aligned; every offset fits
 * in an int. */

typedef CLBB_CAT(float, VW) vw_t;
/* XF: x is a float copy (fp16 ops: pad2d converts the half input once,
 * so the K loop's broadcasts are plain float loads, as in fp32; converting
 * per tap cost fp16 2.5-4x the time of fp32 on PoCL) */
#ifndef XF
#define XF 0
#endif
#if XF
typedef float xs_t;
#else
typedef st_t xs_t;
#endif
#define VW_STORE(v, p) CLBB_CAT(vstore, VW)((v), 0, (p))
#ifndef HAS_ADD
#define HAS_ADD 0
#endif

static inline vw_t act_vw(vw_t v) { return CLBB_ACT(vw_t, v); }

#define KHW (KH * KW)
#define NR (RB * NRW)
/* the input elements one row of a tap reads: columns 0, SW, ..., (NRW-1)*SW */
#define SPAN ((NRW - 1) * SW + 1)

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
conv2d_igemm_cpu(__global const xs_t *restrict x, int x_off, int x_bs, int XH, int XW,
                 __global const wt_t *restrict w, __global const float *restrict shift,
                 __global const st_t *restrict res, int r_off, int r_bs,
                 __global const st_t *restrict add, int a_off, int a_bs,
                 __global st_t *restrict y, int y_off, int y_bs, int HO, int WO, int NPB,
                 int NMB, int SB, int CIN_G, int COUT_G, int MPV, int GROUPS) {
    const int KDIM = CIN_G * KHW;
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
    const int XHW = XH * XW;

    __global const wt_t *a = w + (grp * MPV + mb * MV) * KDIM * VW;
    __global const xs_t *xb =
        x + x_off + n * x_bs + grp * CIN_G * XHW + oh0 * SH * XW + ow0 * SW;

    vw_t acc[NR][MV];
#pragma unroll
    for (int j = 0; j < NR; j++)
#pragma unroll
        for (int i = 0; i < MV; i++) acc[j][i] = (vw_t)0.0f;

    /* The taps of a KxK window are a run-time loop over an offset table:
     * unrolled, LLVM notices that tap (kh, kw+1) of column j reads what
     * tap (kh, kw) of column j+1 read, keeps those broadcasts live across
     * taps and spills the accumulators. */
#if KHW > 1
    int toff[KHW];
#pragma unroll
    for (int kh = 0; kh < KH; kh++)
#pragma unroll
        for (int kw = 0; kw < KW; kw++) toff[kh * KW + kw] = kh * DH * XW + kw * DW;
#endif
    for (int ci = 0; ci < CIN_G; ci++) {
        __global const xs_t *xc = xb + ci * XHW;
        __global const wt_t *ac = a + ci * KHW * VW;
#if KHW > 1
#pragma unroll 1
        for (int t = 0; t < KHW; t++) {
            __global const xs_t *xt = xc + toff[t];
#else
        {
            const int t = 0;
            __global const xs_t *xt = xc;
#endif
            vw_t av[MV];
#pragma unroll
            for (int i = 0; i < MV; i++) av[i] = WLDA(VW, i * KDIM + t, ac);
#pragma unroll
            for (int r = 0; r < RB; r++) {
                __global const xs_t *xr = xt + r * SH * XW;
#if DTYPE == 1 && !XF
                /* half input: the row's span converted in vectors first,
                 * then broadcast (a scalar vload_half per broadcast made
                 * fp16 3-10x slower than fp32 on PoCL) */
                float xs[SPAN];
                CLBB_LD_RUN(SPAN, xr, xs);
#define XB(j) xs[(j) * SW]
#elif XF
#define XB(j) xr[(j) * SW]
#else
#define XB(j) LD(xr, (j) * SW)
#endif
#pragma unroll
                for (int j = 0; j < NRW; j++) {
                    const vw_t bv = (vw_t)XB(j);
#pragma unroll
                    for (int i = 0; i < MV; i++)
                        acc[r * NRW + j][i] = fma(av[i], bv, acc[r * NRW + j][i]);
                }
            }
        }
    }

    const int HWO = HO * WO;
#if DTYPE == 1
    /* half: per A vector and row, the NRW accumulator vectors (VW channels
     * each) go to private memory once, shift and activation applied as
     * vectors when there is no residual; each channel's row is then read
     * back from there and stored as F16C vectors. Extracting every lane
     * from registers made the small-K convs (GhostNet's K = 16..80 1x1s) 10-15%
     * slower in fp16 than in fp32. */
#pragma unroll
    for (int i = 0; i < MV; i++) {
        const int m0 = (mb * MV + i) * VW, mc = min(VW, COUT_G - m0);
        float bt[VW];
#pragma unroll
        for (int l = 0; l < VW; l++) {
            const int co = grp * COUT_G + m0 + l;
#if HAS_ADD
            bt[l] = l < mc ? shift[co] + LD(add, a_off + n * a_bs + co) : 0.0f;
#else
            bt[l] = l < mc ? shift[co] : 0.0f;
#endif
        }
#if !HAS_RES
        const vw_t bv = CLBB_CAT(vload, VW)(0, bt);
#endif
#pragma unroll
        for (int r = 0; r < RB; r++) {
            float T[NRW * VW];
#pragma unroll
            for (int j = 0; j < NRW; j++) {
#if HAS_RES
                VW_STORE(acc[r * NRW + j][i], T + j * VW);
#else
                VW_STORE(act_vw(acc[r * NRW + j][i] + bv), T + j * VW);
#endif
            }
            const int p0 = (oh0 + r) * WO + ow0;
#pragma unroll
            for (int l = 0; l < VW; l++) {
                if (l >= mc) break;
                const int co = grp * COUT_G + m0 + l;
                float ov[NRW];
#if HAS_RES
                CLBB_LD_RUN(NRW, res + r_off + n * r_bs + co * HWO + p0, ov);
#pragma unroll
                for (int j = 0; j < NRW; j++) ov[j] = clbb_act(T[j * VW + l] + bt[l] + ov[j]);
#else
#pragma unroll
                for (int j = 0; j < NRW; j++) ov[j] = T[j * VW + l];
#endif
                CLBB_ST_RUN(NRW, ov, y + y_off + n * y_bs + co * HWO + p0);
            }
        }
    }
#else
#pragma unroll
    for (int i = 0; i < MV; i++) {
        const int m0 = (mb * MV + i) * VW;
#pragma unroll
        for (int l = 0; l < VW; l++) {
            const int m = m0 + l;
            if (m >= COUT_G) break;
            const int co = grp * COUT_G + m;
#if HAS_ADD
            const float b = shift[co] + LD(add, a_off + n * a_bs + co);
#else
            const float b = shift[co];
#endif
            __global st_t *yc = y + y_off + n * y_bs + co * HWO;
#if HAS_RES
            __global const st_t *rc = res + r_off + n * r_bs + co * HWO;
#endif
#pragma unroll
            for (int r = 0; r < RB; r++) {
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
#endif
}
