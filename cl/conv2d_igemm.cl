/* Implicit-GEMM convolution, and the batched K-major SGEMM that Winograd
 * reuses: one tiled GEMM core, two ways of feeding its B operand.
 *
 * The GEMM. Per batch index z (the conv group, or the Winograd point):
 *   C[M x NCOLS] = A[M x K] * B[K x NCOLS]
 * conv2d_igemm (IG_MODE 0): M = COUT_G, K = CIN_G*KH*KW, column = n*HO*WO +
 *   oh*WO + ow (batch folded into the columns so small feature maps still
 *   give the device enough tiles); B[k][col] is gathered from the NCHW input
 *   on the fly, k = (ci*KH + kh)*KW + kw, zero where the window reads
 *   padding, times gate[n, ci] with HAS_GATE. im2col never exists. The
 *   result goes through the epilogue act(acc + shift[co] [+ add[n, co]]
 *   [+ residual]) into y (add: an N x COUT x 1 x 1 tensor, HAS_ADD), or,
 *   with split K (IG_KSPLIT > 1), raw into part[split][co][col] for
 *   conv2d_igemm_splitk_reduce to sum and finish.
 * conv2d_igemm (IG_MODE 2): the deformable convolution (src/cl/deform_conv2d.c,
 *   mmcv's DeformConv2d / ModulatedDeformConv2d): the same GEMM, K tap-major
 *   (k = (kh*KW + kw)*CIN_G + ci, A packed so), with B[k][col]
 *   the bilinear sample of input channel ci at (oh*SH - PT + kh*DH + dy,
 *   ow*SW - PL + kw*DW + dx), dy/dx read from the offset tensor (channels
 *   dgi*2*KH*KW + 2*tap and the next, dgi = the deform group of the input
 *   channel), zero unless h > -1 && w > -1 && h < H && w < W, each of the
 *   four corners outside the image zero, times the mask (channel
 *   dgi*KH*KW + tap) with IG_MASK. The sample is made in the B loader, so no
 *   column buffer exists either. The sampling point is shared by every
 *   channel of a deform group: with the channels innermost in K it is made
 *   once per TK slice (IG_HOIST), and a B element costs its 4 corner loads.
 * gemm_kmajor_batched (IG_MODE 1): B is a dense [z][KP][ldb] matrix with
 *   ldb a multiple of TN and rows K..KP-1 zero; C is stored raw into
 *   [z][MROWS][ldb], rows >= MROWS dropped.
 *
 * A is packed by the launcher at create time, K-major and zero-padded:
 *   A[z][KP][MP], MP a multiple of TM (and of 4), KP a multiple of TK,
 * so A loads are unconditional, aligned float4s.
 *
 * One work-group: a TM x TN tile of C (rows m0 = get_group_id(1)*TM, columns
 * n0 = get_group_id(0)*TN; batch and K split from get_group_id(2)), looping
 * over its K range in TK-deep slices. Each slice of A (TK x TM) and B (TK x
 * TN) is staged in local memory, double-buffered: while the FMAs run on
 * slice t, the global loads of slice t+1 are in flight into registers,
 * which go to the other buffer afterwards; one barrier per slice.
 * One work-item (tid = ty*TDN + tx, TDM = TM/WM by TDN = TN/WN items): a
 * WM x WN register block of C, accumulated with fma in float. Its rows are
 * VM-wide runs strided by TDM*VM (row = (i*TDM + ty)*VM + v), its columns
 * VN-wide runs strided by TDN*VN, so per k it reads its A and B fragments
 * as WM/VM + WN/VN vector loads from local memory: the items of one row of
 * threads read consecutive vectors of B and one vector of A (a broadcast),
 * hence no bank conflicts without row padding, and consecutive items store
 * consecutive output columns. Local memory is laid out [k][m] and [k][n],
 * the way the global loads arrive (consecutive items write consecutive
 * words), so its stores are conflict-free too and need no padding column.
 * For its B gather an item owns fixed columns (tid % TN, + NT...) whose
 * (n, oh, ow) decomposition it does once; the (ci, kh, kw) of a K row is
 * divided by compile-time constants.
 *
 * Macros (required unless a default is given):
 *   TM TN TK WM WN  tile, powers of two; TM >= 4, TN >= 4, WM <= TM, WN <= TN
 *   KP MP           padded K and M of the packed A (multiples of TK, TM)
 *   IG_MODE         0 conv (default), 1 dense batched GEMM
 *   IG_UNROLL_K     1 (default): unroll the TK loop fully; 0 on CPUs, where
 *                   PoCL 3.1 miscompiles a fully unrolled block wider than
 *                   4x4 that runs for a single K slice (all-NaN output)
 *   mode 0: KH KW SH SW DH DW PT PL CIN_G COUT_G HAS_RES HAS_GATE ACT DTYPE (x,
 *           residual, gate, add, y; the split-K partials and mode 1's B and
 *           C are float); HAS_ADD (default 0; the launcher emits it only
 *           when set, so other programs keep their cache keys); every
 *           mode: WDTYPE (A's storage, common.cl);
 *           IG_NOPAD (1: all pads are zero, so no window leaves the input);
 *           IG_KSPLIT (default 1) K splits, IG_KPER (default KP/TK) slices
 *           per split
 *   mode 1: MROWS   rows of C that exist
 *   mode 2: as mode 0 (no HAS_GATE, HAS_ADD or IG_NOPAD), plus CPD (input channels
 *           per deform group) and IG_MASK (0 v1, 1 v2)
 * What the launcher guarantees:
 *   local size (TDM*TDN, 1, 1) (= reqd_work_group_size), within the
 *   device's limit, with 2*TK*(TM+TN)*4 bytes of local memory available;
 *   global size (ceil(NCOLS/TN)*TDM*TDN, ceil(M/TM), z), z = groups *
 *   IG_KSPLIT in mode 0 (split fastest), 16 in mode 1;
 *   every split is non-empty: (IG_KSPLIT - 1) * IG_KPER < KP/TK;
 *   part holds IG_KSPLIT * groups*COUT_G * NCOLS floats when IG_KSPLIT > 1;
 *   the reduce kernel runs on (NCOLS rounded up, groups*COUT_G) exactly;
 *   A (and in mode 1 B, with b_off and ldb multiples of 4) are float4-
 *   aligned; all offsets fit in int.
 *
 * Tensor cores (IG_MMA, NVIDIA only: inline PTX, see src/cl/mma.c): the
 * same tiles, loads and epilogue, with the slice's products made by
 * mma.sync.m16n8k8 TF32 instead of fmas. IG_MMA 1: one product of operands
 * rounded to TF32 (nearest, ties away, as cvt.rna); IG_MMA 3: each operand split into a TF32 high
 * part and a TF32 remainder, lo*hi + hi*lo + hi*hi (the lo*lo term, 2^-22
 * relative, is dropped): fp32-level accuracy at three times the products.
 * A warp owns a (8*WM) x (4*WN) sub-tile of WM/2 x WN/2 fragments of 16x8;
 * its lane (4g + t) holds, per fragment, rows g and g+8 and columns 2t and
 * 2t+1 of it (the PTX ISA's accumulator layout), i.e. a WM x WN register
 * block whose rows and columns IG_ROW / IG_COL name, so the epilogue and
 * split-K stores are the fma path's. Local rows are padded by 8 floats so
 * that a fragment load (lanes reading rows k+t, columns +g) hits 32
 * distinct banks. Needs WM, WN even, TM % (8*WM) == 0, TN % (4*WN) == 0,
 * TK % 8 == 0 (the launcher's mma tile fit).
 * IG_MMA 2 (fp16 precision): mma.sync.m16n8k16 with f16 operands and f32
 * accumulation. The slices in local memory hold half pairs, one uint per
 * (k even, k + 1) of a row or column (the f16x2 layout of the fragments),
 * so that a fragment register is one local load and a slice takes half the
 * local memory and half the loads of TF32's; the loaders convert each pair
 * once as they store it (cvt.rn.f16x2: exact for half inputs, nearest even
 * for float ones such as Winograd's transformed input or a deformable
 * sample). Rows are paired in the loaders' ownership (IG_PAIR_K), so one
 * work-item holds both rows of each pair. Needs TK % 16 == 0 too. */
#include "mma.cl"
#if IG_MMA
#define IG_LPAD 8
#else
#define IG_LPAD 0
#endif
/* rows of a local slice: k, or k pairs with IG_MMA 2 */
#if IG_MMA == 2
#define IG_LROWS (TK / 2)
#else
#define IG_LROWS TK
#endif
/* row strides of the local A [k][m] and B [k][n] slices */
#define AS_LD (TM + IG_LPAD)
#define BS_LD (TN + IG_LPAD)
#ifndef IG_MODE
#define IG_MODE 0
#endif
#ifndef IG_UNROLL_K
#define IG_UNROLL_K 1
#endif
#ifndef IG_KSPLIT
#define IG_KSPLIT 1
#endif
#ifndef IG_KPER
#define IG_KPER (KP / TK)
#endif
#ifndef HAS_ADD
#define HAS_ADD 0
#endif

#define TDM (TM / WM)
#define TDN (TN / WN)
#define NT (TDM * TDN)
#define VM (WM < 4 ? WM : 4)
#define VN (WN < 4 ? WN : 4)
#define NKT (KP / TK)

/* Vector loads of a slice W wide (A: W = TM, mode 1's B: W = TN): float4
 * e = tid + i*NT of the work-group, k = e / (W/4); with IG_MMA 2 load i
 * is row 2*(e / (W/4)) + (i & 1), e = tid + (i >> 1)*NT, so that loads
 * 2j and 2j + 1 of an item are the two rows of one pair. */
#if IG_MMA == 2
#define IG_VECS(w) (TK / 2 * (w) / 4)
#define IG_VLOADS(w) (2 * ((IG_VECS(w) + NT - 1) / NT))
#define IG_VE(i) (tid + ((i) >> 1) * NT)
#define IG_VK(e, i, w) (2 * ((e) / ((w) / 4)) + ((i) & 1))
#else
#define IG_VECS(w) (TK * (w) / 4)
#define IG_VLOADS(w) ((IG_VECS(w) + NT - 1) / NT)
#define IG_VE(i) (tid + (i) * NT)
#define IG_VK(e, i, w) ((e) / ((w) / 4))
#endif
/* A slice: TK*TM/4 float4s spread over the work-group */
#define A_VECS IG_VECS(TM)
#define A_LOADS IG_VLOADS(TM)
#if A_VECS % NT == 0
#define A_IN(e) 1
#else
#define A_IN(e) ((e) < A_VECS)
#endif

#if IG_MMA == 2
/* The vector loads r of a slice w wide (nloads of them, nvecs float4s in
 * all, see IG_VE / IG_VK) into local rows ld apart: loads 2j and 2j + 1
 * (rows k, k + 1) as four f16x2 words at pair row k/2. */
static inline void ig_store_pairs(__local uint4 *l, int tid, const float4 *r, int nloads,
                                  int nvecs, int w, int ld) {
#pragma unroll
    for (int i = 0; i < nloads; i += 2) {
        const int e = IG_VE(i);
        const float4 lo = r[i], hi = r[i + 1];
        if (e < nvecs)
            l[e / (w / 4) * (ld / 4) + e % (w / 4)] =
                (uint4)(ig_h2(lo.s0, hi.s0), ig_h2(lo.s1, hi.s1), ig_h2(lo.s2, hi.s2),
                        ig_h2(lo.s3, hi.s3));
    }
}
#endif

#if VM == 4
typedef float4 vm_t;
#define UNPACK_M(d, v) ((d)[0] = (v).s0, (d)[1] = (v).s1, (d)[2] = (v).s2, (d)[3] = (v).s3)
#elif VM == 2
typedef float2 vm_t;
#define UNPACK_M(d, v) ((d)[0] = (v).s0, (d)[1] = (v).s1)
#else
typedef float vm_t;
#define UNPACK_M(d, v) ((d)[0] = (v))
#endif
#if VN == 4
typedef float4 vn_t;
#define UNPACK_N(d, v) ((d)[0] = (v).s0, (d)[1] = (v).s1, (d)[2] = (v).s2, (d)[3] = (v).s3)
#elif VN == 2
typedef float2 vn_t;
#define UNPACK_N(d, v) ((d)[0] = (v).s0, (d)[1] = (v).s1)
#else
typedef float vn_t;
#define UNPACK_N(d, v) ((d)[0] = (v))
#endif

/* Global -> registers for the A slice starting at row kt of the batch. */
static inline void ig_load_a(__global const wt_t *a, int kt, int m0, int tid, float4 *ra) {
#pragma unroll
    for (int i = 0; i < A_LOADS; i++) {
        const int e = IG_VE(i);
        if (A_IN(e)) {
            const int k = IG_VK(e, i, TM), c = e % (TM / 4);
            ra[i] = WLDA(4, ((kt + k) * MP + m0) / 4 + c, a);
        }
    }
}

/* The vector loads r of a slice w wide (nloads, nvecs float4s in all)
 * into local rows ld apart, as floats (rounded to TF32 with IG_MMA 1) or,
 * with IG_MMA 2, as f16x2 pairs. The local arrays are 16-byte aligned and
 * ld a multiple of 4, so every float4 store is aligned whatever VM / VN. */
static inline void ig_store_slice(__local float4 *l, int tid, const float4 *r, int nloads,
                                  int nvecs, int w, int ld) {
#if IG_MMA == 2
    ig_store_pairs((__local uint4 *)l, tid, r, nloads, nvecs, w, ld);
#else
#pragma unroll
    for (int i = 0; i < nloads; i++) {
        const int e = IG_VE(i);
        if (e < nvecs) l[IG_VK(e, i, w) * (ld / 4) + e % (w / 4)] = IG_RND4(r[i]);
    }
#endif
}

static inline void ig_store_a(__local vm_t *as, int tid, const float4 *ra) {
    ig_store_slice((__local float4 *)as, tid, ra, A_LOADS, A_VECS, TM, AS_LD);
}

#if IG_MMA
#define IG_WGN (TN / (4 * WN)) /* warps across the tile's columns */

/* The products of one slice on tensor cores. ty is the row of the lane's
 * first accumulator (warp row + g), the lane's B column is its warp's
 * first column + g. */
/* the slices as T (float, or uint pairs), the lane's (g, t) and B column */
#define IG_FRAG_SETUP(T)                                                                      \
    (void)tx;                                                                                 \
    __local const T *as = (__local const T *)as_;                                             \
    __local const T *bs = (__local const T *)bs_;                                             \
    const int lane = get_local_id(0) & 31, g = lane >> 2, t = lane & 3;                       \
    const int bn = ((get_local_id(0) >> 5) % IG_WGN) * (4 * WN) + g
#if IG_MMA == 2
/* f16: local rows are k pairs, a k16 step is 8 of them; fragment register
 * q of A is pair row t (+4 for q >= 2), row r (+8 for odd q); of B, pair
 * row t (+4), column bn (the PTX ISA's m16n8k16 layouts) */
static inline void ig_compute(__local const vm_t *as_, __local const vn_t *bs_, int tx, int ty,
                              float acc[WM][WN] IG_EMU_PARAM) {
    IG_FRAG_SETUP(uint);
IG_MMA_UNROLL
    for (int k = 0; k < TK / 2; k += 8) {
        uint bh[WN / 2][2];
IG_MMA_UNROLL
        for (int f = 0; f < WN / 2; f++) {
            bh[f][0] = bs[(k + t) * BS_LD + bn + 8 * f];
            bh[f][1] = bs[(k + t + 4) * BS_LD + bn + 8 * f];
        }
IG_MMA_UNROLL
        for (int e = 0; e < WM / 2; e++) {
            const int r = ty + 16 * e;
            const uint ah[4] = {as[(k + t) * AS_LD + r], as[(k + t) * AS_LD + r + 8],
                                as[(k + t + 4) * AS_LD + r], as[(k + t + 4) * AS_LD + r + 8]};
IG_MMA_UNROLL
            for (int f = 0; f < WN / 2; f++)
                IG_MMA_X(acc[2 * e][2 * f], acc[2 * e][2 * f + 1], acc[2 * e + 1][2 * f],
                         acc[2 * e + 1][2 * f + 1], ah, bh[f]);
        }
    }
}
#else
static inline void ig_compute(__local const vm_t *as_, __local const vn_t *bs_, int tx, int ty,
                              float acc[WM][WN] IG_EMU_PARAM) {
    IG_FRAG_SETUP(float);
IG_MMA_UNROLL
    for (int k = 0; k < TK; k += 8) {
        uint bh[WN / 2][2];
#if IG_MMA == 3
        uint bl[WN / 2][2];
#endif
IG_MMA_UNROLL
        for (int f = 0; f < WN / 2; f++) {
            const float v0 = bs[(k + t) * BS_LD + bn + 8 * f];
            const float v1 = bs[(k + t + 4) * BS_LD + bn + 8 * f];
#if IG_MMA == 3
            IG_SPLIT(v0, bh[f][0], bl[f][0]);
            IG_SPLIT(v1, bh[f][1], bl[f][1]);
#else
            bh[f][0] = as_uint(v0); /* rounded at the store (IG_RND) */
            bh[f][1] = as_uint(v1);
#endif
        }
IG_MMA_UNROLL
        for (int e = 0; e < WM / 2; e++) {
            const int r = ty + 16 * e;
            const float v[4] = {as[(k + t) * AS_LD + r], as[(k + t) * AS_LD + r + 8],
                                as[(k + t + 4) * AS_LD + r], as[(k + t + 4) * AS_LD + r + 8]};
            uint ah[4];
#if IG_MMA == 3
            uint al[4];
IG_MMA_UNROLL
            for (int q = 0; q < 4; q++) IG_SPLIT(v[q], ah[q], al[q]);
#else
IG_MMA_UNROLL
            for (int q = 0; q < 4; q++) ah[q] = as_uint(v[q]);
#endif
IG_MMA_UNROLL
            for (int f = 0; f < WN / 2; f++) {
#define IG_C acc[2 * e][2 * f], acc[2 * e][2 * f + 1], acc[2 * e + 1][2 * f], acc[2 * e + 1][2 * f + 1]
#if IG_MMA == 3
                /* the small terms first, so that they are not lost against the large one */
                IG_MMA_X(IG_C, al, bh[f]);
                IG_MMA_X(IG_C, ah, bl[f]);
#endif
                IG_MMA_X(IG_C, ah, bh[f]);
#undef IG_C
            }
        }
    }
}
#endif

/* Row and column of register (i, j): fragment i/2, j/2; rows g and g+8,
 * columns 2t and 2t+1 of it (ty = warp row + g, tx = warp column + 2t). */
#define IG_ROW(i, ty) ((ty) + 16 * ((i) >> 1) + 8 * ((i) & 1))
#define IG_COL(j, tx) ((tx) + 8 * ((j) >> 1) + ((j) & 1))
/* The lane's ty and tx (see IG_ROW / IG_COL). */
#define IG_LANE_TY(tid) ((((tid) >> 5) / IG_WGN) * (8 * WM) + (((tid) & 31) >> 2))
#define IG_LANE_TX(tid) ((((tid) >> 5) % IG_WGN) * (4 * WN) + 2 * ((tid) & 3))
#else
/* The FMAs of one slice: per k, WM/VM + WN/VN local vector loads feed
 * WM*WN fmas. */
static inline void ig_compute(__local const vm_t *as, __local const vn_t *bs, int tx, int ty,
                              float acc[WM][WN] IG_EMU_PARAM) {
#if IG_UNROLL_K
#pragma unroll
#endif
    for (int k = 0; k < TK; k++) {
        float af[WM], bf[WN];
#pragma unroll
        for (int i = 0; i < WM / VM; i++) {
            const vm_t v = as[k * (AS_LD / VM) + i * TDM + ty];
            UNPACK_M(af + i * VM, v);
        }
#pragma unroll
        for (int j = 0; j < WN / VN; j++) {
            const vn_t v = bs[k * (BS_LD / VN) + j * TDN + tx];
            UNPACK_N(bf + j * VN, v);
        }
#pragma unroll
        for (int i = 0; i < WM; i++)
#pragma unroll
            for (int j = 0; j < WN; j++) acc[i][j] = fma(af[i], bf[j], acc[i][j]);
    }
}

/* Row (within the tile) of register row i, column of register column j. */
#define IG_ROW(i, ty) ((((i) / VM) * TDM + (ty)) * VM + (i) % VM)
#define IG_COL(j, tx) ((((j) / VN) * TDN + (tx)) * VN + (j) % VN)
#define IG_LANE_TY(tid) ((tid) / TDN)
#define IG_LANE_TX(tid) ((tid) % TDN)
#endif

#if IG_MODE == 0 || IG_MODE == 2
/* ---------------------------------------------------------------- conv -- */
#if IG_MODE == 2
#undef HAS_GATE
#define HAS_GATE 0
#undef HAS_ADD
#define HAS_ADD 0
#undef IG_NOPAD
#define IG_NOPAD 0
#endif

#define KHW (KH * KW)
#define KDIM (CIN_G * KHW)
/* B slice: TK x TN scalars. With at least TN items, item tid owns column
 * tid % TN and every (NT/TN)-th row from tid / TN; with fewer, it owns
 * TN/NT columns tid + c*NT and every row. The column's decomposition into
 * (n, oh, ow) is then done once per work-item, not once per load. */
#if NT >= TN
#define B_COLS 1
#define B_KSTEP (NT / TN)
#else
#define B_COLS (TN / NT)
#define B_KSTEP 1
#endif
/* IG_BROW(r): the item's r-th row of the slice; with IG_MMA 2 its rows
 * come in pairs (2p, 2p + 1), p = k0 + (r/2)*B_KSTEP (IG_PAIR_K) */
#if IG_MMA == 2
#define B_KROWS (2 * ((TK / 2 + B_KSTEP - 1) / B_KSTEP))
#define IG_BROW(r) (2 * (k0 + ((r) >> 1) * B_KSTEP) + ((r) & 1))
#define B_ALL_ROWS ((TK / 2) % B_KSTEP == 0)
#else
#define B_KROWS ((TK + B_KSTEP - 1) / B_KSTEP)
#define IG_BROW(r) (k0 + (r) * B_KSTEP)
#define B_ALL_ROWS (TK % B_KSTEP == 0)
#endif
#if B_ALL_ROWS
#define B_ROW_OK(r) 1
#else
#define B_ROW_OK(r) ((r) < TK)
#endif
#if KP == KDIM
#define B_K_OK(k) 1
#else
#define B_K_OK(k) ((k) < KDIM)
#endif
/* row offset that makes every bounds test of an out-of-range column fail */
#define IG_DEAD (-(1 << 28))

typedef struct ig_cols {
    int xo[B_COLS]; /* x offset of (n, g*CIN_G, ih0, iw0); may point outside */
    int ih[B_COLS], iw[B_COLS]; /* window origin; ih = IG_DEAD: no column */
#if IG_MODE == 2
    int oo[B_COLS], mo[B_COLS]; /* offset / mask element of (n, channel 0, oh, ow) */
#endif
#if HAS_GATE
    int go[B_COLS];
#endif
} ig_cols;

static inline void ig_load_b(__global const st_t *x, __global const st_t *gate,
                             const ig_cols *cs, int kt, int k0, int H, int W, int HW,
                             float *rb) {
    (void)H;
#pragma unroll
    for (int r = 0; r < B_KROWS; r++) {
        const int row = IG_BROW(r);
        const int k = kt + row;
        const int ci = k / KHW, kr = k - ci * KHW;
        const int kh = kr / KW, kw = kr - kh * KW;
        const int delta = ci * HW + kh * DH * W + kw * DW;
#pragma unroll
        for (int c = 0; c < B_COLS; c++) {
            float v = 0.0f;
#if IG_NOPAD
            /* every window lies inside the input: only the column and the
             * K padding can be out of range */
            const int ok = cs->ih[c] >= 0;
#else
            const int ih = cs->ih[c] + kh * DH, iw = cs->iw[c] + kw * DW;
            const int ok = (uint)ih < (uint)H && (uint)iw < (uint)W;
#endif
            if (ok & B_ROW_OK(row) & B_K_OK(k)) {
#if HAS_GATE
                v = MULM(LDM(x, cs->xo[c] + delta), LDM(gate, cs->go[c] + ci));
#else
                v = LD(x, cs->xo[c] + delta);
#endif
            }
            rb[r * B_COLS + c] = v;
        }
    }
}

#if IG_MODE == 2
/* B of the deformable conv: the bilinear sample (see the top). H, W and HWO
 * (the output plane) are run-time; grp is the conv group. K runs tap-major
 * here, k = tap * CIN_G + ci (the launcher packs A so), so that when CIN_G
 * and CPD are multiples of TK every row of a TK slice has one tap and one
 * deform group: the sampling point, its corners and their bilinear weights
 * (times the mask) are then made once per column and slice, and each of the
 * item's rows costs its four corner loads only (IG_HOIST). */
/* IG_MASK_SIG: the mask input holds logits (DCNv2's conv_offset output) */
#if defined(IG_MASK_SIG) && IG_MASK_SIG
#define IG_MASK_VAL(m) (1.0f / (1.0f + exp(-(m))))
#else
#define IG_MASK_VAL(m) (m)
#endif
#if CIN_G % TK == 0 && CPD % TK == 0
#define IG_HOIST 1
#else
#define IG_HOIST 0
#endif
static inline void ig_load_b_deform(__global const st_t *x, __global const st_t *off,
                                    __global const st_t *msk, const ig_cols *cs, int kt, int k0,
                                    int H, int W, int HW, int HWO, int grp, float *rb) {
#if IG_HOIST
    const int tap = kt / CIN_G, ci0 = kt - tap * CIN_G;
    const int kh = tap / KW, kw = tap - kh * KW;
    const int dgi = (grp * CIN_G + ci0) / CPD;
    const int oc = (dgi * 2 * KHW + 2 * tap) * HWO;
#if IG_MASK
    const int mc = (dgi * KHW + tap) * HWO;
#endif
#pragma unroll
    for (int c = 0; c < B_COLS; c++) {
        /* corner weights (0 where a corner, or the whole sample, is out) */
        float c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f;
        int i1 = 0, base = 0;
        if (cs->ih[c] != IG_DEAD) {
            const float h = (float)(cs->ih[c] + kh * DH) + LD(off, cs->oo[c] + oc);
            const float w = (float)(cs->iw[c] + kw * DW) + LD(off, cs->oo[c] + oc + HWO);
            if (h > -1.0f && w > -1.0f && h < (float)H && w < (float)W) {
                const float hf = floor(h), wf = floor(w);
                const int hl = (int)hf, wl = (int)wf;
                const float lh = h - hf, lw = w - wf, uh = 1.0f - lh, uw = 1.0f - lw;
#if IG_MASK
                const float mv = IG_MASK_VAL(LD(msk, cs->mo[c] + mc));
#else
                const float mv = 1.0f;
#endif
                const int t = hl >= 0, b = hl + 1 < H, l = wl >= 0, rt = wl + 1 < W;
                c1 = t & l ? uh * uw * mv : 0.0f;
                c2 = t & rt ? uh * lw * mv : 0.0f;
                c3 = b & l ? lh * uw * mv : 0.0f;
                c4 = b & rt ? lh * lw * mv : 0.0f;
                i1 = hl * W + wl;
                base = cs->xo[c] + ci0 * HW;
            }
        }
        /* a corner of weight 0 is not loaded (it may lie outside the plane) */
#pragma unroll
        for (int r = 0; r < B_KROWS; r++) {
            const int row = IG_BROW(r);
            const int p = base + row * HW + i1;
            float v = 0.0f;
            if (B_ROW_OK(row)) {
                if (c1 != 0.0f) v += c1 * LD(x, p);
                if (c2 != 0.0f) v += c2 * LD(x, p + 1);
                if (c3 != 0.0f) v += c3 * LD(x, p + W);
                if (c4 != 0.0f) v += c4 * LD(x, p + W + 1);
            }
            rb[r * B_COLS + c] = v;
        }
    }
#else
#pragma unroll
    for (int r = 0; r < B_KROWS; r++) {
        const int row = IG_BROW(r);
        const int k = kt + row;
        const int tap = k / CIN_G, ci = k - tap * CIN_G;
        const int kh = tap / KW, kw = tap - kh * KW;
        const int dgi = (grp * CIN_G + ci) / CPD;
        const int oc = (dgi * 2 * KHW + 2 * tap) * HWO;
#if IG_MASK
        const int mc = (dgi * KHW + tap) * HWO;
#endif
#pragma unroll
        for (int c = 0; c < B_COLS; c++) {
            float v = 0.0f;
            if ((cs->ih[c] != IG_DEAD) & B_ROW_OK(row) & B_K_OK(k)) {
                const float h = (float)(cs->ih[c] + kh * DH) + LD(off, cs->oo[c] + oc);
                const float w = (float)(cs->iw[c] + kw * DW) + LD(off, cs->oo[c] + oc + HWO);
                if (h > -1.0f && w > -1.0f && h < (float)H && w < (float)W) {
                    const float hf = floor(h), wf = floor(w);
                    const int hl = (int)hf, wl = (int)wf;
                    const float lh = h - hf, lw = w - wf, uh = 1.0f - lh, uw = 1.0f - lw;
                    const int base = cs->xo[c] + ci * HW;
                    const int t = hl >= 0, b = hl + 1 < H, l = wl >= 0, rt = wl + 1 < W;
                    const float v1 = t & l ? LD(x, base + hl * W + wl) : 0.0f;
                    const float v2 = t & rt ? LD(x, base + hl * W + wl + 1) : 0.0f;
                    const float v3 = b & l ? LD(x, base + (hl + 1) * W + wl) : 0.0f;
                    const float v4 = b & rt ? LD(x, base + (hl + 1) * W + wl + 1) : 0.0f;
                    v = uh * uw * v1 + uh * lw * v2 + lh * uw * v3 + lh * lw * v4;
#if IG_MASK
                    v *= IG_MASK_VAL(LD(msk, cs->mo[c] + mc));
#endif
                }
            }
            rb[r * B_COLS + c] = v;
        }
    }
#endif
}
#define IG_LOAD_B(kt) ig_load_b_deform(x, off, msk, &cs, (kt), k0, H, W, HW, HWO, grp, rb)
#else
#define IG_LOAD_B(kt) ig_load_b(x, gate, &cs, (kt), k0, H, W, HW, rb)
#endif

static inline void ig_store_b(__local vn_t *bs, int col0, int k0, const float *rb) {
#if IG_MMA == 2
    __local uint *b = (__local uint *)bs;
#pragma unroll
    for (int r = 0; r < B_KROWS; r += 2) {
        const int row = IG_BROW(r);
        if (B_ROW_OK(row))
#pragma unroll
            for (int c = 0; c < B_COLS; c++)
                b[row / 2 * BS_LD + col0 + c * NT] =
                    ig_h2(rb[r * B_COLS + c], rb[(r + 1) * B_COLS + c]);
    }
#else
    __local float *b = (__local float *)bs;
#pragma unroll
    for (int r = 0; r < B_KROWS; r++) {
        const int row = IG_BROW(r);
        if (B_ROW_OK(row))
#pragma unroll
            for (int c = 0; c < B_COLS; c++) b[row * BS_LD + col0 + c * NT] = IG_RND(rb[r * B_COLS + c]);
    }
#endif
}

__kernel __attribute__((reqd_work_group_size(NT, 1, 1))) void
conv2d_igemm(__global const st_t *restrict x, int x_off, int x_bs,
             __global const wt_t *restrict w, __global const float *restrict shift,
             __global const st_t *restrict res, int r_off, int r_bs,
             __global const st_t *restrict gate, int g_off, int g_bs,
             __global const st_t *restrict add, int a_off, int a_bs,
#if IG_MODE == 2
             __global const st_t *restrict off, int o_off, int o_bs,
             __global const st_t *restrict msk, int m_off, int m_bs,
#endif
             __global st_t *restrict y, int y_off, int y_bs,
             __global float *restrict part, int H, int W, int HO, int WO, int NCOLS) {
    /* 16-byte aligned whatever VM and VN: IG_MMA 2 stores uint4s */
    __local vm_t as[2][IG_LROWS * AS_LD / VM] __attribute__((aligned(16)));
    __local vn_t bs[2][IG_LROWS * BS_LD / VN] __attribute__((aligned(16)));
    IG_EMU_LOCAL
    const int tid = get_local_id(0);
    const int tx = IG_LANE_TX(tid), ty = IG_LANE_TY(tid);
    const int n0 = get_group_id(0) * TN, m0 = get_group_id(1) * TM;
    const int grp = get_group_id(2) / IG_KSPLIT;
    /* this work-group's K slices [t0, t1); never empty (launcher) */
    const int split = get_group_id(2) - grp * IG_KSPLIT;
    const int t0 = split * IG_KPER, t1 = min(NKT, t0 + IG_KPER);
    const int HW = H * W, HWO = HO * WO;
    __global const wt_t *a = w + grp * (KP * MP);

    /* this item's B columns, decomposed once */
    const int col0 = tid % TN, k0 = tid / TN;
    ig_cols cs;
#pragma unroll
    for (int c = 0; c < B_COLS; c++) {
        const int col = n0 + col0 + c * NT;
        cs.xo[c] = 0;
        cs.ih[c] = IG_DEAD;
        cs.iw[c] = 0;
#if IG_MODE == 2
        cs.oo[c] = cs.mo[c] = 0;
#endif
#if HAS_GATE
        cs.go[c] = 0;
#endif
        if (col < NCOLS) {
            const int n = col / HWO, p = col - n * HWO;
            const int oh = p / WO, ow = p - oh * WO;
            cs.ih[c] = oh * SH - PT;
            cs.iw[c] = ow * SW - PL;
#if IG_MODE == 2
            cs.xo[c] = x_off + n * x_bs + grp * CIN_G * HW;
            cs.oo[c] = o_off + n * o_bs + p;
            cs.mo[c] = m_off + n * m_bs + p;
#else
            cs.xo[c] = x_off + n * x_bs + grp * CIN_G * HW + cs.ih[c] * W + cs.iw[c];
#endif
#if HAS_GATE
            cs.go[c] = g_off + n * g_bs + grp * CIN_G;
#endif
        }
    }

    float4 ra[A_LOADS];
    float rb[B_KROWS * B_COLS];
    ig_load_a(a, t0 * TK, m0, tid, ra);
    IG_LOAD_B(t0 * TK);
    ig_store_a(as[0], tid, ra);
    ig_store_b(bs[0], col0, k0, rb);
    barrier(CLK_LOCAL_MEM_FENCE);
    float acc[WM][WN];
#pragma unroll
    for (int i = 0; i < WM; i++)
#pragma unroll
        for (int j = 0; j < WN; j++) acc[i][j] = 0.0f;
    /* every slice but the last prefetches the next one into registers while
     * its FMAs run; the last is peeled off so the loop body has no branch */
    for (int t = t0; t < t1 - 1; t++) {
        const int cur = (t - t0) & 1;
        ig_load_a(a, (t + 1) * TK, m0, tid, ra);
        IG_LOAD_B((t + 1) * TK);
        ig_compute(as[cur], bs[cur], tx, ty, acc IG_EMU_ARG);
        ig_store_a(as[cur ^ 1], tid, ra);
        ig_store_b(bs[cur ^ 1], col0, k0, rb);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    ig_compute(as[(t1 - 1 - t0) & 1], bs[(t1 - 1 - t0) & 1], tx, ty, acc IG_EMU_ARG);

#if IG_KSPLIT > 1
    /* split K: raw partial sums part[split][co][col]; the epilogue runs in
     * conv2d_igemm_splitk_reduce */
    const int cout = get_num_groups(2) / IG_KSPLIT * COUT_G;
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + IG_ROW(i, ty);
        if (m >= COUT_G) continue;
        __global float *prow = part + (split * cout + grp * COUT_G + m) * NCOLS;
#if IG_MMA
        /* column pairs as 2-wide stores where aligned (see the epilogue) */
        const int even = !(((split * cout + grp * COUT_G + m) * NCOLS) & 1);
#pragma unroll
        for (int j = 0; j < WN; j += 2) {
            const int col = n0 + IG_COL(j, tx);
            if (even && col + 1 < NCOLS) {
                vstore2((float2)(acc[i][j], acc[i][j + 1]), 0, prow + col);
            } else {
                if (col < NCOLS) prow[col] = acc[i][j];
                if (col + 1 < NCOLS) prow[col + 1] = acc[i][j + 1];
            }
        }
#else
#pragma unroll
        for (int j = 0; j < WN; j++) {
            const int col = n0 + IG_COL(j, tx);
            if (col < NCOLS) prow[col] = acc[i][j];
        }
#endif
    }
#else
    /* epilogue: columns decomposed once, then row by row */
    int yo[WN];
#if HAS_RES
    int ro[WN];
#endif
#if HAS_ADD
    int ao[WN];
#endif
#pragma unroll
    for (int j = 0; j < WN; j++) {
        const int col = n0 + IG_COL(j, tx);
        const int n = col / HWO, p = col - n * HWO;
        yo[j] = col < NCOLS ? y_off + n * y_bs + p : -1;
#if HAS_RES
        ro[j] = r_off + n * r_bs + p;
#endif
#if HAS_ADD
        ao[j] = a_off + n * a_bs;
#endif
    }
#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + IG_ROW(i, ty);
        if (m >= COUT_G) continue;
        const int co = grp * COUT_G + m;
        const float b = shift[co];
#pragma unroll
        for (int j = 0; j < WN; j++) {
            if (yo[j] < 0) continue;
            float v = acc[i][j] + b;
#if HAS_ADD
            v += LD(add, ao[j] + co);
#endif
#if HAS_RES
            v += LD(res, ro[j] + co * HWO);
#endif
            ST(y, yo[j] + co * HWO, clbb_act(v));
        }
    }
#endif
}

/* Split-K epilogue. Work-item: one output (col, co) over global size
 * (NCOLS rounded up, COUT); sums the IG_KSPLIT partials in split order, then
 * act(sum + shift[co] [+ add[n, co]] [+ residual]). */
__kernel void conv2d_igemm_splitk_reduce(__global const float *restrict part,
                                         __global const float *restrict shift,
                                         __global const st_t *restrict res, int r_off, int r_bs,
                                         __global const st_t *restrict add, int a_off, int a_bs,
                                         __global st_t *restrict y, int y_off, int y_bs,
                                         int HWO, int NCOLS) {
    const int col = get_global_id(0), co = get_global_id(1);
    if (col >= NCOLS) return;
    const int cout = get_global_size(1);
    float v = 0.0f;
    for (int s = 0; s < IG_KSPLIT; s++) v += part[(s * cout + co) * NCOLS + col];
    v += shift[co];
    const int n = col / HWO, p = col - n * HWO;
#if HAS_ADD
    v += LD(add, a_off + n * a_bs + co);
#endif
#if HAS_RES
    v += LD(res, r_off + n * r_bs + co * HWO + p);
#endif
    ST(y, y_off + n * y_bs + co * HWO + p, clbb_act(v));
}

#else
/* ------------------------------------------------- dense batched GEMM -- */

#define B_VECS IG_VECS(TN)
#define B_LOADS IG_VLOADS(TN)
#if B_VECS % NT == 0
#define B_IN(e) 1
#else
#define B_IN(e) ((e) < B_VECS)
#endif

static inline void ig_load_bd(__global const float4 *b, int kt, int ldb, int tid,
                              float4 *rb) {
#pragma unroll
    for (int i = 0; i < B_LOADS; i++) {
        const int e = IG_VE(i);
        if (B_IN(e)) {
            const int k = IG_VK(e, i, TN), c = e % (TN / 4);
            rb[i] = b[(kt + k) * (ldb / 4) + c];
        }
    }
}

static inline void ig_store_bd(__local vn_t *bs, int tid, const float4 *rb) {
    ig_store_slice((__local float4 *)bs, tid, rb, B_LOADS, B_VECS, TN, BS_LD);
}

__kernel __attribute__((reqd_work_group_size(NT, 1, 1))) void
gemm_kmajor_batched(__global const wt_t *restrict amat, __global const float4 *restrict bmat,
                    int b_off, __global float *restrict cmat, int c_off, int ldb) {
    /* 16-byte aligned whatever VM and VN: IG_MMA 2 stores uint4s */
    __local vm_t as[2][IG_LROWS * AS_LD / VM] __attribute__((aligned(16)));
    __local vn_t bs[2][IG_LROWS * BS_LD / VN] __attribute__((aligned(16)));
    IG_EMU_LOCAL
    const int tid = get_local_id(0);
    const int tx = IG_LANE_TX(tid), ty = IG_LANE_TY(tid);
    const int n0 = get_group_id(0) * TN, m0 = get_group_id(1) * TM, z = get_group_id(2);
    __global const wt_t *a = amat + z * (KP * MP);
    /* b_off and ldb are multiples of 4 (launcher) */
    __global const float4 *b = bmat + (b_off + z * KP * ldb + n0) / 4;

    float4 ra[A_LOADS], rb[B_LOADS];
    ig_load_a(a, 0, m0, tid, ra);
    ig_load_bd(b, 0, ldb, tid, rb);
    ig_store_a(as[0], tid, ra);
    ig_store_bd(bs[0], tid, rb);
    barrier(CLK_LOCAL_MEM_FENCE);
    float acc[WM][WN];
#pragma unroll
    for (int i = 0; i < WM; i++)
#pragma unroll
        for (int j = 0; j < WN; j++) acc[i][j] = 0.0f;
    for (int t = 0; t < NKT - 1; t++) {
        const int cur = t & 1;
        ig_load_a(a, (t + 1) * TK, m0, tid, ra);
        ig_load_bd(b, (t + 1) * TK, ldb, tid, rb);
        ig_compute(as[cur], bs[cur], tx, ty, acc IG_EMU_ARG);
        ig_store_a(as[cur ^ 1], tid, ra);
        ig_store_bd(bs[cur ^ 1], tid, rb);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    ig_compute(as[(NKT - 1) & 1], bs[(NKT - 1) & 1], tx, ty, acc IG_EMU_ARG);

#pragma unroll
    for (int i = 0; i < WM; i++) {
        const int m = m0 + IG_ROW(i, ty);
        if (m >= MROWS) continue;
        __global float *crow = cmat + c_off + (z * MROWS + m) * ldb + n0;
#pragma unroll
        for (int j = 0; j < WN; j++) crow[IG_COL(j, tx)] = acc[i][j];
    }
}
#endif
