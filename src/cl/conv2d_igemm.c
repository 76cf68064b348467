/* Implicit-GEMM convolution, two kernel families:
 *   GPU (cl/conv2d_igemm.cl): local-memory tiles of a GEMM core that
 *     conv2d_winograd.c shares for its 16 batched GEMMs;
 *   CPU (cl/conv2d_igemm_cpu.cl): a register-blocked micro-kernel.
 *
 * Per group g: Y_g[Cout_g x N*Ho*Wo] = W_g[Cout_g x Cin_g*KH*KW] * im2col(x)_g,
 * with im2col gathered inside the kernel. GPU: the weights are packed at
 * create time K-major and zero-padded to the tile (A[g][KP][MP]), which
 * fixes TM and TK then; TN, the register block, a smaller TM that divides
 * the packed one and the K split (KS) are picked at reshape, when the
 * number of columns is known. Tuning text "TM=..,TN=..,TK=..,WM=..,WN=..,
 * KS=.." overrides any of them (powers of two but KS).
 *
 * applicable: every geometry except depthwise (groups == in == out), where
 * each group is a 1-row GEMM: a tile would be at least 3/4 zero rows and the
 * depthwise kernel is the right tool. Small per-group M (ResNeXt's 4, a
 * ghost module's 2) is handled by shrinking TM to 4 and widening TN. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_igemm_internal.h"

typedef struct igemm_state {
    cl_mem w;
    ig_pack pk;   /* GPU: how A was packed */
    int vw, mpv;  /* CPU: A[g][MPV][K][VW] */
    cl_kernel conv, reduce;
    conv_pad pad; /* CPU */
    size_t gws[2][3], lws[2][3];
    int t[IG_NTILE];   /* GPU: the tile of the last reshape */
    int npb, nmb, sb;  /* CPU: position blocks, M blocks, super-block */
    int xh, xw;        /* CPU: the input plane the kernel reads */
} igemm_state;

const clbb_param_key clbb__ig_tile_keys[IG_NTILE] = {
    {"TM", 4, 256, 1}, {"TN", 4, 512, 1}, {"TK", 1, 64, 1},
    {"WM", 1, 16, 1},  {"WN", 1, 16, 1},  {"KS", 1, 64, 0},
};

/* Tuning keys of the CPU micro-kernel. */
enum { CPU_VW, CPU_MV, CPU_RB, CPU_NW, CPU_SB, CPU_NKEYS };
static const clbb_param_key CPU_KEYS[CPU_NKEYS] = {
    {"VW", 4, 16, 1}, {"MV", 1, 4, 1}, {"RB", 1, 16, 0}, {"NW", 1, 31, 0}, {"SB", 1, 1 << 20, 0},
};

/* What the tuner tries. Partial strings leave the rest (TN, split-K) to
 * the shape policy. */
static const char *const GPU_CANDIDATES[] = {
    "",         "TM=128,WM=8", "TM=64,WM=4", "TM=64,WM=8", "TM=32,WM=4", "TK=8", "KS=1", "KS=2",
    "KS=4",     "TM=128,TN=128,TK=16,WM=8,WN=8", "TM=128,TN=64,TK=16,WM=8,WN=4",
    "TM=64,TN=128,TK=16,WM=4,WN=8", "TM=64,TN=64,TK=8,WM=8,WN=8", NULL};
static const char *const CPU_CANDIDATES[] = {
    "", "MV=1", "MV=2", "MV=4", "VW=8", "MV=2,RB=1,NW=14", "MV=2,RB=2,NW=7", "MV=1,RB=2,NW=14",
    /* SB is a kernel argument: no build, so cheap to try */
    "SB=1", "SB=4", NULL};

static long pow2_ceil(long v) {
    long p = 1;
    while (p < v) p <<= 1;
    return p;
}

/* Per-vendor starting tile. Why these:
 * NVIDIA: 256 threads of 8x4 outputs; 128 rows amortise each gathered B
 *   element over many output channels (the gather, not the FMA, is the
 *   expensive part of a B load); 24 KiB of double-buffered local memory and
 *   80-95 registers (no spills, sm_90) give two work-groups per SM. On an
 *   H200 this runs ResNet-50's batch-32 layers at 25-35 TFLOP/s, level with
 *   cuDNN's fp32 (TF32 off) kernels. clbb__igemm_fit moves to 128x128 / 8x8
 *   for gather-free B operands and splits K for small grids.
 * AMD / Intel / other GPUs: 256 threads of 4x4 (moderate registers, a
 *   wave64 or SIMD16 machine stays busy).
 * ARM Mali / Adreno: same 64x64 but TK 8: their "local" memory is cached
 *   global memory or small, and 16 accumulators fit the register file at
 *   full occupancy.
 * CPU (PoCL, the GPU family there): 64 work-items of 8x8 on 64x64 tiles: a
 *   work-group is a loop over work-items there, so few fat items (whose 8x8
 *   block PoCL keeps in vector registers) beat many thin ones; 16 KiB of
 *   tiles stay in L1. Measured on a 2-core AVX-512 PoCL: 2-4x faster than
 *   32x32 / 4x4. */
const conv_default clbb__ig_tile_defaults[] = {
    {CLBB_VENDOR_NVIDIA, "TM=128,TN=64,TK=16,WM=8,WN=4,KS=1"},
    {CLBB_VENDOR_ARM, "TM=64,TN=64,TK=8,WM=4,WN=4,KS=1"},
    {CLBB_VENDOR_QUALCOMM, "TM=64,TN=64,TK=8,WM=4,WN=4,KS=1"},
    {CLBB_VENDOR_CPU, "TM=64,TN=64,TK=16,WM=8,WN=8,KS=1"},
    {CLBB_VENDOR_OTHER, "TM=64,TN=64,TK=16,WM=4,WN=4,KS=1"},
};

/* The defaults row of this device as tile ints. The rows are constants
 * checked by the test of this table, so a parse failure cannot happen. */
static void vendor_defaults(const clbb_context *ctx, int t[IG_NTILE]) {
    const char *text = clbb__conv_default_params(ctx, clbb__ig_tile_defaults);
    if (clbb__params_parse(text, clbb__ig_tile_keys, IG_NTILE, t, "igemm defaults", NULL, 0) !=
        CLBB_OK)
        abort();
}

void clbb__igemm_tuned(const conv_state *s, int n, int tuned[IG_NTILE]) {
    for (int i = 0; i < IG_NTILE; i++) tuned[i] = i < n && s->tuned[i] > 0 ? s->tuned[i] : 0;
}

void clbb__igemm_pack_tile(const clbb_context *ctx, const int tuned[IG_NTILE], int M, int K,
                           ig_pack *pk) {
    int d[IG_NTILE];
    vendor_defaults(ctx, d);
    /* rows past M cost FMAs and a launch slot: no larger than M needs */
    long m = pow2_ceil(M < 4 ? 4 : M);
    pk->tm = tuned[IG_TM] ? tuned[IG_TM] : (int)(m < d[IG_TM] ? m : d[IG_TM]);
    long k = pow2_ceil(K);
    pk->tk = tuned[IG_TK] ? tuned[IG_TK] : (int)(k < d[IG_TK] ? k : d[IG_TK]);
    pk->mp = (M + pk->tm - 1) / pk->tm * pk->tm;
    pk->kp = (K + pk->tk - 1) / pk->tk * pk->tk;
}

static long num_groups(long M, int tm, long ncols, int tn, long batches) {
    return (M + tm - 1) / tm * ((ncols + tn - 1) / tn) * batches;
}

/* Splits of K (>= 1) that bring wgs work-groups up to target, each split
 * keeping at least min_slices slices of TK so its prologue and epilogue
 * stay small next to its FMAs; then rounded so that no split is empty. */
static int pick_split(long wgs, long target, int nkt, int min_slices) {
    long ks = (target + wgs - 1) / wgs, most = nkt / min_slices < 64 ? nkt / min_slices : 64;
    if (ks > most) ks = most;
    if (ks < 2) return 1;
    long per = (nkt + ks - 1) / ks;
    return (int)((nkt + per - 1) / per);
}

static void set_tile(int t[IG_NTILE], int tm, int tn, int tk, int wm, int wn, int ks) {
    t[IG_TM] = tm;
    t[IG_TN] = tn;
    t[IG_TK] = tk;
    t[IG_WM] = wm;
    t[IG_WN] = wn;
    t[IG_KS] = ks;
}

/* A K split of ks > 1 (tuned or picked) checked against the algorithm and
 * rounded so that no split is empty. */
static clbb_status settle_split(clbb_context *ctx, int split_k, int nkt, int *ks) {
    if (*ks <= 1) return CLBB_OK;
    if (!split_k)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tuning KS=%d: this algorithm has no split-K", *ks);
    if (*ks > nkt) *ks = nkt;
    const int per = (nkt + *ks - 1) / *ks;
    *ks = (nkt + per - 1) / per; /* no empty split */
    return CLBB_OK;
}

clbb_status clbb__igemm_fit(clbb_context *ctx, const int tuned[IG_NTILE], int M,
                            const ig_pack *pk, long ncols, long batches, int split_k, int cheap_b,
                            int t[IG_NTILE]) {
    int d[IG_NTILE];
    vendor_defaults(ctx, d);
    const clbb_device_info *info = &ctx->info;
    const int nkt = pk->kp / pk->tk;
    int tm = pk->tm, tk = pk->tk, ks = tuned[IG_KS] ? tuned[IG_KS] : 1;
    /* a narrow tile gets narrow register blocks, so that it still has
     * several rows of work-items to spread the B gather over */
    int wm = tuned[IG_WM] ? tuned[IG_WM] : (tm / 4 < d[IG_WM] ? (tm / 4 > 0 ? tm / 4 : 1) : d[IG_WM]);
    int wn = tuned[IG_WN] ? tuned[IG_WN] : d[IG_WN];
    int tn = tuned[IG_TN] ? tuned[IG_TN] : d[IG_TN];
    if (!tuned[IG_TN]) {
        /* short M: widen the tile in N to keep the default thread count */
        const int want = (d[IG_TM] / d[IG_WM]) * (d[IG_TN] / d[IG_WN]);
        while ((tm / wm) * (tn / wn) < want && tn < 256) tn *= 2;
        /* no wider than the columns there are */
        const long cap = pow2_ceil(ncols < 4 ? 4 : ncols);
        while (tn > 4 && tn / 2 >= cap) tn /= 2;
        if (!tuned[IG_WN] && wn > tn) wn = tn;
        /* NVIDIA, B loads without a gather (1x1 convs, Winograd's dense
         * GEMM), 128 rows and a grid that still fills the device: 8x8
         * blocks on 128x128 halve the local-memory traffic per FMA (5-12%
         * on ResNet-50's 1x1s at batch 32 on an H200); with a real gather
         * each B element costs more than it saves */
        if (cheap_b && ctx->vendor == CLBB_VENDOR_NVIDIA && tm == 128 && !tuned[IG_WN] &&
            ncols >= 128 && info->compute_units &&
            num_groups(M, tm, ncols, 128, batches) >= 2L * info->compute_units) {
            tn = 128;
            wn = 8;
        }
    }
    /* A GPU wants at least two work-groups per compute unit. Splitting K
     * keeps the tile (and its FMA-to-load ratio) and costs one pass over a
     * KS x M x NCOLS workspace, so it comes first; narrower tiles only when
     * K is too short to split enough (1x1 convs on small maps). */
    if (info->is_gpu && !tuned[IG_TN] && !tuned[IG_KS]) {
        const long target = 2L * (info->compute_units ? info->compute_units : 1);
        for (;;) {
            const long wgs = num_groups(M, tm, ncols, tn, batches);
            ks = split_k ? pick_split(wgs, target, nkt, 4) : 1;
            if (wgs * ks >= target) break;
            if (tn > 32) {
                tn /= 2;
            } else if (!tuned[IG_TM] && tm > 32) {
                tm /= 2;
                if (!tuned[IG_WM] && wm > tm / 4) wm = tm / 4;
            } else {
                break;
            }
        }
        if (!tuned[IG_WN] && wn > tn) wn = tn;
        /* a shrunken tile must not shrink the work-group to a warp or two:
         * give up register-block size instead (latency, not FMA issue, is
         * what limits these small grids) */
        while ((tm / wm) * (tn / wn) < 128) {
            if (!tuned[IG_WM] && wm > 1 && (wm >= wn || tuned[IG_WN])) wm /= 2;
            else if (!tuned[IG_WN] && wn > 1) wn /= 2;
            else break;
        }
    }
    CLBB_CHECK(settle_split(ctx, split_k, nkt, &ks));
    if (wm > tm || wn > tn || tm % 4)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tile TM=%d TN=%d WM=%d WN=%d: need WM <= TM, WN <= TN", tm,
                          tn, wm, wn);
    /* work-group size limit: fatten the register blocks we were not told */
    size_t maxwg = info->max_work_group_size ? info->max_work_group_size : 256;
    while ((size_t)(tm / wm) * (tn / wn) > maxwg) {
        if (!tuned[IG_WN] && wn < 8 && wn < tn) wn *= 2;
        else if (!tuned[IG_WM] && wm < 8 && wm < tm) wm *= 2;
        else
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tile %dx%d with %dx%d blocks needs %d work-items; the "
                              "device allows %zu",
                              tm, tn, wm, wn, (tm / wm) * (tn / wn), maxwg);
    }
    size_t lmem = 2u * (size_t)tk * (tm + tn) * sizeof(float);
    uint64_t lmax = info->local_mem_bytes ? info->local_mem_bytes : 16384;
    while (lmem > lmax) {
        if (tuned[IG_TN] || tn <= 4 || tn / 2 < wn)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tile %dx%dx%d needs %zu bytes of local memory; the "
                              "device has %llu",
                              tm, tn, tk, lmem, (unsigned long long)lmax);
        tn /= 2;
        lmem = 2u * (size_t)tk * (tm + tn) * sizeof(float);
    }
    set_tile(t, tm, tn, tk, wm, wn, ks);
    return CLBB_OK;
}

/* The constraints of IG_MMA (cl/conv2d_igemm.cl) and the device's limits;
 * mma 2 (f16 products) keeps half pairs in local memory and steps K by 16. */
static int mma_tile_ok(const clbb_device_info *info, const ig_pack *pk, int tm, int tn, int tk,
                       int wm, int wn, int mma) {
    if (wm < 2 || wn < 2 || wm % 2 || wn % 2 || tm < 16 || tm % (8 * wm) || tn % (4 * wn) ||
        tk % (mma == 2 ? 16 : 8) || pk->tm % tm)
        return 0;
    const size_t nt = (size_t)(tm / wm) * (tn / wn);
    const size_t lmem = 2u * (size_t)tk * (tm + 8 + tn + 8) * (mma == 2 ? 2 : sizeof(float));
    const size_t maxwg = info->max_work_group_size ? info->max_work_group_size : 256;
    const uint64_t lmax = info->local_mem_bytes ? info->local_mem_bytes : 16384;
    return nt <= maxwg && lmem <= lmax;
}

int clbb__igemm_mma(clbb_op *op, const ig_pack *pk, int M) {
    const conv_state *s = op->impl;
    if (op->family != CLBB_KERNEL_FAMILY_GPU || s->math == CLBB_MATH_FP32) return 0;
    /* fragments are 16 rows by 8 deep: a GEMM of fewer rows (ResNeXt's
     * 4-channel groups) would waste most of each product, and a packing
     * shallower than 8 cannot feed one */
    if (M < 16 || pk->tm < 16 || pk->tk % 8) return 0;
    if (!clbb_context_has_math(op->ctx, s->math)) return 0;
    /* FP16: f16 products (m16n8k16) where the packing is 16 deep; else the
     * TF32 unit, on which half operands are exact (11 significant bits
     * both): as accurate, slower */
    const int mma = s->math == CLBB_MATH_TF32X3 ? 3 : s->math == CLBB_MATH_FP16 && !(pk->tk % 16) ? 2 : 1;
    /* a tuned tile the tensor cores cannot run keeps the strict kernel
     * (more accurate, never less) */
    const int *tu = s->tuned;
    if (tu[IG_TM] > 0 || tu[IG_TN] > 0 || tu[IG_WM] > 0 || tu[IG_WN] > 0) {
        const int tm = tu[IG_TM] > 0 ? tu[IG_TM] : pk->tm, tn = tu[IG_TN] > 0 ? tu[IG_TN] : 128;
        const int wm = tu[IG_WM] > 0 ? tu[IG_WM] : tm >= 64 ? 8 : tm / 8;
        const int wn = tu[IG_WN] > 0 ? tu[IG_WN] : tn >= 32 ? 8 : tn / 4;
        if (!mma_tile_ok(&op->ctx->info, pk, tm, tn, pk->tk, wm, wn, mma)) return 0;
    }
    return mma;
}

clbb_status clbb__igemm_fit_mma(clbb_context *ctx, const int tuned[IG_NTILE], int M,
                                const ig_pack *pk, long ncols, long batches, int split_k, int mma,
                                int t[IG_NTILE]) {
    const clbb_device_info *info = &ctx->info;
    const int nkt = pk->kp / pk->tk, tk = pk->tk;
    int tm = tuned[IG_TM] ? tuned[IG_TM] : pk->tm;
    if (tm > 128) tm = 128;
    int tn = tuned[IG_TN] ? tuned[IG_TN] : 128;
    int ks = tuned[IG_KS] ? tuned[IG_KS] : 1;
    if (!tuned[IG_TN]) {
        const long cap = pow2_ceil(ncols < 8 ? 8 : ncols);
        while (tn > 8 && tn / 2 >= cap) tn /= 2;
    }
    /* Two work-groups per SM: split K first (it keeps the tile), then
     * narrower tiles, as the fma path does. But with a dense B (igemm) a
     * grid of a wave or more is not split (its tiles' 8 warps of tensor-core
     * products keep an SM busy; a split costs a pass over the partials and
     * a launch); short of a wave, a narrower tile that fills one wave is
     * taken before splits of fewer than 8 slices, and rows are never halved
     * (a 64-row tile lost to splits of 4 slices everywhere). H200 fp16,
     * 1x3x800x1344 (ms, this rule against the two waves): 512 -> 128 1x1 at
     * 16800 columns (132 groups) 0.032 whole against 0.058 in 2 splits;
     * 512 -> 2048 at 1050 (144) 0.045 against 0.076; GeneralizedAttention's
     * 256 -> 256 at 4200, 16 slices: 128x64 whole 0.031 against 128x128 in
     * 4 splits 0.038; its stride-2 key conv at 1050, 16 slices: 128x32 in
     * 4 splits 0.021 against 64x32 whole 0.044. Tiles of 32 rows (DCN's
     * conv_offset) and the deformable conv (its B a bilinear gather: it
     * lost 0.003-0.027 per layer unsplit) keep the two waves.
     * CLBB_IG_WAVES=2 restores them for igemm too (timings). */
    if (!tuned[IG_TN] && !tuned[IG_KS]) {
        const char *we = getenv("CLBB_IG_WAVES");
        const int legacy = we && !strcmp(we, "2");
        const long cus = info->compute_units ? info->compute_units : 1, target = 2L * cus;
        const int dense = split_k == IG_SPLIT_SHORT && tm > 32 && !legacy;
        for (;;) {
            const long wgs = num_groups(M, tm, ncols, tn, batches);
            if (dense && wgs >= cus) {
                ks = 1;
                break;
            }
            ks = split_k ? pick_split(wgs, target, nkt, dense ? 8 : 4) : 1;
            if (wgs * ks >= target) break;
            if (tn > 32) tn /= 2;
            else if (dense) {
                ks = pick_split(wgs, target, nkt, 4);
                break;
            } else if (!tuned[IG_TM] && tm > 32) tm /= 2;
            else break;
        }
    }
    CLBB_CHECK(settle_split(ctx, split_k, nkt, &ks));
    /* warp tiles of 64x32 (8x8 accumulators a lane) where the tile allows */
    int wm = tuned[IG_WM] ? tuned[IG_WM] : tm >= 64 ? 8 : tm / 8;
    int wn = tuned[IG_WN] ? tuned[IG_WN] : tn >= 32 ? 8 : tn / 4;
    if (!mma_tile_ok(info, pk, tm, tn, tk, wm, wn, mma))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tensor-core tile TM=%d TN=%d TK=%d WM=%d WN=%d: needs WM, WN "
                          "even, TM %% (8 WM) == 0, TN %% (4 WN) == 0, TK %% 8 == 0 (16 for fp16) and the "
                          "device's work-group and local-memory limits",
                          tm, tn, tk, wm, wn);
    set_tile(t, tm, tn, tk, wm, wn, ks);
    return CLBB_OK;
}

void clbb__igemm_options(const clbb_context *ctx, const int t[IG_NTILE], const ig_pack *pk,
                         char *buf, size_t size) {
    for (int i = 0; i < IG_KS; i++) clbb__opt_int(buf, size, clbb__ig_tile_keys[i].name, t[i]);
    clbb__opt_int(buf, size, "KP", pk->kp);
    clbb__opt_int(buf, size, "MP", pk->mp);
    /* see IG_UNROLL_K in the kernel */
    clbb__opt_int(buf, size, "IG_UNROLL_K",
                  !(clbb__context_vendor(ctx) == CLBB_VENDOR_CPU || ctx->info.is_cpu));
    if (clbb__mma_emulated(ctx)) clbb__opt_int(buf, size, "IG_MMA_EMU", 1);
}

const char *clbb__igemm_mma_name(const char *base, const clbb_op *op, int mma) {
    /* [strict, TF32, 3xTF32, fp16 (f16 products, or half operands on the TF32 unit)] */
    static const char *const IGEMM[] = {"igemm", "igemm_tf32", "igemm_tf32x3", "igemm_fp16"};
    static const char *const WINO[] = {"winograd_f2x2_3x3", "winograd_f2x2_3x3_tf32",
                                       "winograd_f2x2_3x3_tf32x3", "winograd_f2x2_3x3_fp16"};
    static const char *const DEFORM[] = {"deform_igemm", "deform_igemm_tf32",
                                         "deform_igemm_tf32x3", "deform_igemm_fp16"};
    const char *const *names = !strcmp(base, "igemm") ? IGEMM : !strcmp(base, "winograd") ? WINO
                                                                                     : DEFORM;
    const conv_state *s = op->impl;
    if (!mma) return names[0];
    return names[mma == 3 ? 2 : s->math == CLBB_MATH_FP16 ? 3 : 1];
}

clbb_status clbb__igemm_upload_packed(clbb_op *op, float *packed, size_t n, const char *what,
                                      cl_mem *w) {
    clbb_status st = clbb__weights_upload(op->ctx, conv_wdtype(op), packed, n, what, w);
    free(packed);
    return st;
}

/* ------------------------------------------------------------------------ */
/* The CPU micro-kernel (cl/conv2d_igemm_cpu.cl). */

/* Vector registers of the target (AVX-512: 32). A work-item holds MV*NR
 * accumulators, MV vectors of A and one broadcast B value (LLVM folds the
 * broadcast into the FMA's memory operand only when MV == 1): one more and
 * the register allocator spills accumulators inside the K loop. */
#define CPU_REGS 32
#define CPU_REGS_USED(mv, nr) ((mv) * ((nr) + 1) + 1)

/* The device's native float vector width (16 with AVX-512, 8 with AVX2, 4
 * with SSE or NEON): default vectors are no wider, and below AVX-512 the
 * tile search assumes 16 vector registers (AVX2, SSE). Measured only on
 * AVX-512; the narrower defaults follow the same register arithmetic. */
int clbb__cpu_native_width(const clbb_context *ctx) {
    cl_uint w = 16;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) !=
        CL_SUCCESS)
        w = 16;
    return w >= 16 ? 16 : w >= 8 ? 8 : 4;
}
/* Bytes of input a super-block of position blocks may touch (see
 * cpu_reshape): half of a 2 MiB L2, the rest for A panels and output */
#define CPU_B_BUDGET (1024.0 * 1024)

int clbb__igemm_cpu_vw(const clbb_context *ctx, int tuned_vw, int M) {
    /* the narrowest vector of 4, 8 or 16 channels that holds M, else 16:
     * one FMA instruction whatever its width, so for wide M padding lanes
     * cost less than more instructions would, but narrow groups (ResNeXt's
     * M = 4 or 8) ran 1.6-1.8x faster in float4/float8 than in half-empty
     * float16 (less A traffic, no 512-bit clock penalty) */
    const int native = clbb__cpu_native_width(ctx);
    int vw = tuned_vw > 0 ? tuned_vw : M <= 4 ? 4 : M <= 8 ? 8 : 16;
    if (tuned_vw <= 0 && vw > native) vw = native;
    return vw;
}

clbb_status clbb__igemm_cpu_pack(clbb_op *op, const float *w, int G, int M, int K, int vw,
                                 int *mpv_out, cl_mem *out) {
    const int nv = (M + vw - 1) / vw;
    /* a multiple of 4 vectors, so that MV in {1, 2, 4} tiles it */
    const int mpv = (nv + 3) / 4 * 4;
    size_t n = (size_t)G * mpv * K * vw;
    const int half = conv_wdtype(op) == CLBB_DTYPE_F16;
    void *mapped;
    CLBB_CHECK(clbb__buffer_map_new(op->ctx, n * (half ? 2 : 4), "conv2d igemm cpu weights", out,
                                    &mapped));
    /* OIHW [g*M + m][k] -> [g][m / VW][k][m % VW], written in order, zero
     * past M; half weights rounded to nearest even (clbb__weights_upload) */
    float *p = mapped;
    uint16_t *ph = mapped;
    size_t e = 0;
    for (int g = 0; g < G; g++)
        for (int v = 0; v < mpv; v++) {
            const int m0 = v * vw, live = M - m0 < 0 ? 0 : M - m0 < vw ? M - m0 : vw;
            const float *src = live ? w + ((size_t)g * M + m0) * K : w;
            for (int k = 0; k < K; k++, e += vw)
                for (int l = 0; l < vw; l++) {
                    const float x = l < live ? src[(size_t)l * K + k] : 0.0f;
                    if (half) ph[e + l] = clbb__float_to_half(x);
                    else p[e + l] = x;
                }
        }
    *mpv_out = mpv;
    return clbb__buffer_unmap(op->ctx, *out, mapped);
}

static clbb_status cpu_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    const int G = d->groups, M = d->out_channels / G;
    const int K = (d->in_channels / G) * d->kernel_h * d->kernel_w;
    const int mv = s->tuned[CPU_MV], rb = s->tuned[CPU_RB], nw = s->tuned[CPU_NW];
    if (mv > 0 && rb > 0 && nw > 0 && CPU_REGS_USED(mv, rb * nw) > CPU_REGS)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tuning MV=%d RB=%d NW=%d needs %d vector registers; at most "
                          "%d",
                          mv, rb, nw, CPU_REGS_USED(mv, rb * nw), CPU_REGS);
    a->vw = clbb__igemm_cpu_vw(op->ctx, s->tuned[CPU_VW], M);
    return clbb__igemm_cpu_pack(op, w, G, M, K, a->vw, &a->mpv, &a->w);
}

/* Relative cost of a work-item tile over the whole output, in cycles of an
 * AVX-512 core: per k, the larger of its FMAs (2 ports), its loads (2
 * ports; MV vectors of A, NR broadcasts of B) and the A bytes it pulls
 * from L2 once its A panel no longer fits L1 (~16 B/cycle sustained), plus
 * loop overhead; per tile an epilogue of a few cycles per output and
 * PoCL's per-work-group overhead. Tiles that run past the output (edge
 * blocks moved back) pay for the whole tile. Measured on ResNet-50 on a
 * 2-core AVX-512 PoCL: MV=2 with 14 positions wins nearly everywhere; 7x7
 * maps with long K prefer 2 rows of 7 (A reuse) to 1 row of 7. */
static double cpu_cost(long K, int nv, int mv, int rb, int nw, int ho, int wo, int vw) {
    const int nr = rb * nw;
    const double tiles = (double)((nv + mv - 1) / mv) * ((ho + rb - 1) / rb) * ((wo + nw - 1) / nw);
    const double fma = mv * nr / 2.0, ld = (mv + nr) * 0.6;
    const double l2 = (double)K * mv * vw * 4 > 32768 ? mv * vw * 4 / 16.0 : 0;
    double per_k = fma > ld ? fma : ld;
    if (l2 > per_k) per_k = l2;
    return tiles * (K * (per_k + 1.0) + 2.5 * mv * vw * nr + 400.0);
}

static clbb_status cpu_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape i = op->in_shape, o = op->out_shape;
    const int G = d->groups, M = d->out_channels / G, cin_g = d->in_channels / G;
    const long K = (long)cin_g * d->kernel_h * d->kernel_w;
    const int vw = a->vw, mpv = a->mpv, nv = (M + vw - 1) / vw;
    const int tmv = s->tuned[CPU_MV], trb = s->tuned[CPU_RB], tnw = s->tuned[CPU_NW];
    /* register budget in vectors of VW floats (a tile given whole in the
     * tuning text was checked against CPU_REGS at create) */
    const int native = clbb__cpu_native_width(op->ctx);
    int regs = native >= 16 ? CPU_REGS : 16;
    if (vw > native) regs = regs * native / vw;
    if (regs < 8) regs = 8;
    if (tmv > 0 && trb > 0 && tnw > 0) regs = CPU_REGS;
    int best[3] = {0, 0, 0};
    double best_cost = 0;
    for (int mv = 4; mv >= 1; mv /= 2) {
        if (mpv % mv || (tmv > 0 && mv != tmv)) continue;
        for (int rb = 1; rb <= o.h && rb <= 16; rb++) {
            if (trb > 0 && rb != trb) continue;
            for (int nw = 1; nw <= o.w && nw <= 31; nw++) {
                if (tnw > 0 && nw != tnw) continue;
                if (CPU_REGS_USED(mv, rb * nw) > regs) break;
                double c = cpu_cost(K, nv, mv, rb, nw, o.h, o.w, vw);
                if (!best[0] || c < best_cost) {
                    best_cost = c;
                    best[0] = mv, best[1] = rb, best[2] = nw;
                }
            }
        }
    }
    if (!best[0])
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tuning '%s': no CPU tile with MV dividing %d vectors, RB <= "
                          "%d rows and NW <= %d columns",
                          s->tuning, mpv, o.h, o.w);
    const int mv = best[0], rb = best[1], nw = best[2];
    /* fp16: the input is converted to a float copy once (pad2d, PAD_F32),
     * not once per tap in the K loop (-D XF); but a 1x1 map (SE convs)
     * converts its one column in the loop: there the copy's launch cost
     * more than the conv (GhostNet: 0.003-0.034 ms against 0.001-0.024) */
    const int xf = op->dtype == CLBB_DTYPE_F16 && (clbb__conv_needs_pad(s) || i.h * i.w > 1);
    const int pad = clbb__conv_needs_pad(s) || xf;
    int xh = i.h, xw = i.w;
    if (clbb__conv_needs_pad(s)) {
        xh = (o.h - 1) * d->stride_h + (d->kernel_h - 1) * d->dilation_h + 1;
        xw = (o.w - 1) * d->stride_w + (d->kernel_w - 1) * d->dilation_w + 1;
    }
    const double xfl = (double)i.n * d->in_channels * xh * xw;
    const double nblk = (double)((o.h + rb - 1) / rb) * ((o.w + nw - 1) / nw);
    if (xfl > (double)INT_MAX || (double)G * mpv * K * vw > (double)INT_MAX ||
        (double)clbb_shape_numel(o) > (double)INT_MAX || nblk * ((nv + mv - 1) / mv) > 1e9)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: this shape exceeds the CPU igemm kernel's int indexing");
    char opts[256];
    clbb__conv_cpu_options(op, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "VW", vw);
    clbb__opt_int(opts, sizeof opts, "MV", mv);
    clbb__opt_int(opts, sizeof opts, "RB", rb);
    clbb__opt_int(opts, sizeof opts, "NRW", nw);
    if (xf) clbb__opt_int(opts, sizeof opts, "XF", 1);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm_cpu", opts, &prog));
    if (pad) CLBB_CHECK(clbb__conv_pad_prepare(op, &a->pad, xh, xw, xf));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm_cpu", &a->conv));
    /* super-blocks of position blocks whose input footprint stays in a
     * core's L2 while every M block's A panel passes over them once */
    const double bfoot = (xf ? 4.0 : (double)clbb_dtype_size(op->dtype)) * cin_g *
                         ((rb - 1) * d->stride_h + (d->kernel_h - 1) * d->dilation_h + 1) *
                         ((nw - 1) * d->stride_w + (d->kernel_w - 1) * d->dilation_w + 1);
    double sbd = CPU_B_BUDGET / bfoot;
    const int sbk = s->tuned[CPU_SB] > 0 ? s->tuned[CPU_SB]
                                         : (sbd < 1 ? 1 : sbd > nblk ? (int)nblk : (int)sbd);
    const int nmb = (nv + mv - 1) / mv;
    a->gws[0][0] = (size_t)nblk * nmb;
    a->gws[0][1] = 1;
    a->gws[0][2] = (size_t)i.n * G;
    a->lws[0][0] = a->lws[0][1] = a->lws[0][2] = 1;
    a->xh = xh;
    a->xw = xw;
    a->npb = (int)nblk;
    a->nmb = nmb;
    a->sb = sbk;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "igemm_cpu_v%dx%d_p%dx%d", vw, mv,
             rb, nw);
    return CLBB_OK;
}

static clbb_status cpu_run(clbb_op *op) {
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    clbb_context *ctx = op->ctx;
    const clbb_tensor *r = conv_or_x(op, conv_res(op)), *ad = conv_or_x(op, conv_add(op)),
                      *y = &op->out;
    clbb_shape o = op->out_shape;
    cl_int xh = a->xh, xw = a->xw;
    cl_int groups = s->d.groups, cin_g = s->d.in_channels / groups,
           cout_g = s->d.out_channels / groups;
    cl_mem xm;
    cl_int xoff, xbs;
    CLBB_CHECK(clbb__conv_pad_run(op, &a->pad, &xm, &xoff, &xbs));
    CLBB_CHECK(clbb__kernel_args(ctx, a->conv, "conv2d_igemm_cpu", sizeof(cl_mem), &xm,
                                 sizeof(cl_int), &xoff, sizeof(cl_int), &xbs, sizeof(cl_int), &xh,
                                 sizeof(cl_int), &xw, sizeof(cl_mem), &a->w, sizeof(cl_mem),
                                 &s->shift, CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(ad),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &a->npb, sizeof(cl_int), &a->nmb,
                                 sizeof(cl_int), &a->sb, sizeof(cl_int), &cin_g, sizeof(cl_int),
                                 &cout_g, sizeof(cl_int), &a->mpv, sizeof(cl_int), &groups,
                                 CLBB_ARGS_END));
    return clbb__enqueue(ctx, a->conv, 3, a->gws[0], a->lws[0], "conv2d_igemm_cpu");
}

/* ------------------------------------------------------------------------ */
/* The GPU kernel (cl/conv2d_igemm.cl). */

static const char *igemm_unsupported(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                     clbb_dtype dtype) {
    (void)ctx;
    (void)dtype;
    if (d->groups == d->in_channels && d->groups == d->out_channels && d->groups > 1)
        return "a depthwise conv is a 1-row GEMM per channel: use depthwise";
    return NULL;
}

/* the general workhorse: below depthwise and winograd where they apply */
static int igemm_score(const clbb_context *ctx, const clbb_conv2d_desc *d,
                       clbb_kernel_family f, int mma) {
    (void)mma;
    (void)ctx;
    (void)d;
    (void)f;
    return 20;
}

clbb_status clbb__igemm_gpu_pack(clbb_op *op, const float *w, int G, int M, int K,
                                 const int tuned[IG_NTILE], ig_pack *pk, cl_mem *out) {
    clbb__igemm_pack_tile(op->ctx, tuned, M, K, pk);
    const int mp = pk->mp, kp = pk->kp;
    size_t n = (size_t)G * kp * mp;
    float *p = calloc(n, sizeof *p);
    if (!p) return clbb__fail(op->ctx, CLBB_ERR_OUT_OF_MEMORY, "conv2d: out of host memory");
    /* OIHW [g*M + m][k] -> [g][k][m]: a K-slice of the tile is then one
     * contiguous run of MP floats per k */
    for (int g = 0; g < G; g++)
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++)
                p[((size_t)g * kp + k) * mp + m] = w[((size_t)g * M + m) * K + k];
    return clbb__igemm_upload_packed(op, p, n, "conv2d igemm weights", out);
}

static clbb_status gpu_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    int tuned[IG_NTILE];
    clbb__igemm_tuned(s, IG_NTILE, tuned);
    const int G = d->groups, M = d->out_channels / G;
    const int K = (d->in_channels / G) * d->kernel_h * d->kernel_w;
    return clbb__igemm_gpu_pack(op, w, G, M, K, tuned, &a->pk, &a->w);
}

static clbb_status igemm_pack(clbb_op *op, const float *w) {
    return op->family == CLBB_KERNEL_FAMILY_CPU ? cpu_pack(op, w) : gpu_pack(op, w);
}

clbb_status clbb__igemm_conv_kernels(clbb_op *op, const ig_pack *pk, const int t[IG_NTILE],
                                     const char *extra, const char *name, cl_kernel *conv,
                                     cl_kernel *reduce, size_t gws[2][3], size_t lws[2][3]) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels / d->groups;
    const long ncols = (long)o.n * o.h * o.w;
    const int ks = t[IG_KS], nkt = pk->kp / t[IG_TK];
    char opts[768];
    clbb__conv_options(op, opts, sizeof opts);
    clbb__igemm_options(op->ctx, t, pk, opts, sizeof opts);
    clbb__strlcatf(opts, sizeof opts, "%s", extra);
    clbb__opt_int(opts, sizeof opts, "IG_KSPLIT", ks);
    clbb__opt_int(opts, sizeof opts, "IG_KPER", (nkt + ks - 1) / ks);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm", conv));
    if (ks > 1) {
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm_splitk_reduce", reduce));
        s->ws_bytes = (size_t)ks * d->out_channels * (size_t)ncols * sizeof(float);
        CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d igemm split-K partials"));
        lws[1][0] = 64;
        lws[1][1] = lws[1][2] = 1;
        gws[1][0] = clbb__round_up((size_t)ncols, 64);
        gws[1][1] = (size_t)d->out_channels;
        gws[1][2] = 1;
    }
    const size_t nt = (size_t)(t[IG_TM] / t[IG_WM]) * (t[IG_TN] / t[IG_WN]);
    lws[0][0] = nt;
    lws[0][1] = lws[0][2] = 1;
    gws[0][0] = (size_t)((ncols + t[IG_TN] - 1) / t[IG_TN]) * nt;
    gws[0][1] = (size_t)((M + t[IG_TM] - 1) / t[IG_TM]);
    gws[0][2] = (size_t)d->groups * ks;
    int len = snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s_t%dx%dx%d_w%dx%d", name,
                       t[IG_TM], t[IG_TN], t[IG_TK], t[IG_WM], t[IG_WN]);
    if (ks > 1 && len > 0 && (size_t)len < sizeof op->info.algorithm)
        snprintf(op->info.algorithm + len, sizeof op->info.algorithm - len, "_ks%d", ks);
    return CLBB_OK;
}

static clbb_status igemm_reshape(clbb_op *op) {
    if (op->family == CLBB_KERNEL_FAMILY_CPU) return cpu_reshape(op);
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels / d->groups;
    const long ncols = (long)o.n * o.h * o.w;
    int tuned[IG_NTILE], t[IG_NTILE];
    clbb__igemm_tuned(s, IG_NTILE, tuned);
    const int mma = clbb__igemm_mma(op, &a->pk, M);
    if (mma)
        CLBB_CHECK(clbb__igemm_fit_mma(op->ctx, tuned, M, &a->pk, ncols, d->groups, IG_SPLIT_SHORT,
                                       mma, t));
    else
        CLBB_CHECK(clbb__igemm_fit(op->ctx, tuned, M, &a->pk, ncols, d->groups, 1,
                                   d->kernel_h * d->kernel_w == 1, t));
    memcpy(a->t, t, sizeof t);
    char extra[64] = "";
    clbb__opt_int(extra, sizeof extra, "IG_MMA", mma);
    const int nopad = !d->pad_top && !d->pad_left && !d->pad_bottom && !d->pad_right;
    clbb__opt_int(extra, sizeof extra, "IG_NOPAD", nopad);
    clbb__opt_int(extra, sizeof extra, "IG_MODE", 0);
    CLBB_CHECK(clbb__igemm_conv_kernels(op, &a->pk, t, extra, clbb__igemm_mma_name("igemm", op, mma),
                                        &a->conv, &a->reduce, a->gws, a->lws));
    return CLBB_OK;
}

static clbb_status igemm_run(clbb_op *op) {
    if (op->family == CLBB_KERNEL_FAMILY_CPU) return cpu_run(op);
    conv_state *s = op->impl;
    igemm_state *a = s->as;
    const clbb_tensor *x = conv_x(op), *r = conv_or_x(op, conv_res(op)),
                      *g = conv_or_x(op, conv_gate(op)), *ad = conv_or_x(op, conv_add(op)),
                      *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    cl_int ncols = o.n * o.h * o.w, hwo = o.h * o.w;
    /* split-K partials live in the context's scratch */
    cl_mem ws = a->reduce ? clbb__scratch(op->ctx) : NULL, part = ws ? ws : y->mem;
    CLBB_CHECK(clbb__kernel_args(op->ctx, a->conv, "conv2d_igemm", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &a->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(ad),
                                 CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_mem), &part, sizeof(cl_int), &i.h, sizeof(cl_int),
                                 &i.w, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int),
                                 &ncols, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(op->ctx, a->conv, 3, a->gws[0], a->lws[0], "conv2d_igemm"));
    if (!a->reduce) return CLBB_OK;
    CLBB_CHECK(clbb__kernel_args(op->ctx, a->reduce, "conv2d_igemm_splitk_reduce", sizeof(cl_mem),
                                 &ws, sizeof(cl_mem), &s->shift, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(ad), CLBB_TENSOR_ARGS(y), sizeof(cl_int), &hwo,
                                 sizeof(cl_int), &ncols, CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, a->reduce, 2, a->gws[1], a->lws[1], "conv2d_igemm_splitk_reduce");
}

static void igemm_release_kernels(clbb_op *op) {
    igemm_state *a = ((conv_state *)op->impl)->as;
    clbb__kernel_release(&a->conv);
    clbb__kernel_release(&a->reduce);
    clbb__conv_pad_release(&a->pad);
}

static void igemm_destroy(clbb_op *op) {
    igemm_state *a = ((conv_state *)op->impl)->as;
    igemm_release_kernels(op);
    clbb__buffer_release(op->ctx, a->w);
}

const conv_algo_desc clbb__conv_igemm = {
    .id = CLBB_CONV_ALGO_IMPLICIT_GEMM,
    .name = "igemm",
    .takes = CONV_TAKES_OUTPUT_ADD, /* both families' epilogues (and split-K's reduce) */
    .unsupported = igemm_unsupported,
    .auto_score = igemm_score,
    .family = {[CLBB_KERNEL_FAMILY_GPU] = {1, clbb__ig_tile_keys, IG_NTILE, GPU_CANDIDATES},
               [CLBB_KERNEL_FAMILY_CPU] = {1, CPU_KEYS, CPU_NKEYS, CPU_CANDIDATES}},
    .defaults = clbb__ig_tile_defaults,
    .state_size = sizeof(igemm_state),
    .pack = igemm_pack,
    .reshape = igemm_reshape,
    .run = igemm_run,
    .release_kernels = igemm_release_kernels,
    .destroy = igemm_destroy,
};
