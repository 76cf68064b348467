/* Implicit-GEMM convolution (cl/conv2d_igemm.cl), and the tile choice of its
 * GEMM core, which conv2d_winograd.c shares for its 16 batched GEMMs.
 *
 * Per group g: Y_g[Cout_g x N*Ho*Wo] = W_g[Cout_g x Cin_g*KH*KW] * im2col(x)_g,
 * with im2col gathered inside the kernel. The weights are packed at create
 * time K-major and zero-padded to the tile (A[g][KP][MP]), which fixes TM and
 * TK then; TN, the register block, a smaller TM that divides the packed one
 * and the K split (KS) are picked at reshape, when the number of columns is
 * known. Tuning text "TM=..,TN=..,TK=..,WM=..,WN=..,KS=.." overrides any of
 * them (powers of two but KS); unknown names are refused at create.
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

static const char *const TILE_NAMES[IG_NTILE] = {"TM", "TN", "TK", "WM", "WN", "KS"};

/* Tuning names of the CPU micro-kernel (cl/conv2d_igemm_cpu.cl); parsed by
 * cpu_parse_tuning, skipped by clbb__igemm_parse_tuning. */
enum { CPU_ON, CPU_VW, CPU_MV, CPU_RB, CPU_NW, CPU_SB, CPU_NKEYS };
static const char *const CPU_NAMES[CPU_NKEYS] = {"CPU", "VW", "MV", "RB", "NW", "SB"};

static int is_pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

static long pow2_ceil(long v) {
    long p = 1;
    while (p < v) p <<= 1;
    return p;
}

/* Per-vendor starting tile {TM, TN, TK, WM, WN, KS}. Why these:
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
 * CPU (PoCL): 64 work-items of 8x8 on 64x64 tiles: a work-group is a loop
 *   over work-items there, so few fat items (whose 8x8 block PoCL keeps in
 *   vector registers) beat many thin ones; 16 KiB of tiles stay in L1.
 *   Measured on a 2-core AVX-512 PoCL: 2-4x faster than 32x32 / 4x4. */
static void vendor_defaults(const clbb_context *ctx, int t[IG_NTILE]) {
    static const int nvidia[] = {128, 64, 16, 8, 4, 1}, gpu[] = {64, 64, 16, 4, 4, 1},
                     mobile[] = {64, 64, 8, 4, 4, 1}, cpu[] = {64, 64, 16, 8, 8, 1};
    const int *d = gpu;
    switch (ctx->vendor) {
    case CLBB_VENDOR_NVIDIA: d = nvidia; break;
    case CLBB_VENDOR_ARM:
    case CLBB_VENDOR_QUALCOMM: d = mobile; break;
    case CLBB_VENDOR_CPU: d = cpu; break;
    default: d = ctx->info.is_cpu ? cpu : gpu; break;
    }
    memcpy(t, d, IG_NTILE * sizeof *t);
}

static clbb_status cpu_parse_tuning(clbb_context *ctx, const char *tuning, int cpu[CPU_NKEYS]);

clbb_status clbb__igemm_parse_tuning(clbb_context *ctx, const char *tuning, int tuned[IG_NTILE]) {
    memset(tuned, 0, IG_NTILE * sizeof *tuned);
    if (!tuning) return CLBB_OK;
    int cpu[CPU_NKEYS];
    CLBB_CHECK(cpu_parse_tuning(ctx, tuning, cpu));
    const char *p = tuning;
    while (*p) {
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        if (end && !end[1])
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning '%s' ends with a comma", tuning);
        if (!end) end = p + strlen(p);
        if (!eq || eq > end)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning '%s': expected NAME=VALUE at '%.*s'", tuning,
                              (int)(end - p), p);
        int which = -1, cpu_key = 0;
        for (int i = 0; i < CPU_NKEYS; i++)
            if ((size_t)(eq - p) == strlen(CPU_NAMES[i]) &&
                strncmp(p, CPU_NAMES[i], (size_t)(eq - p)) == 0)
                cpu_key = 1;
        if (cpu_key) { /* validated above by cpu_parse_tuning */
            p = *end ? end + 1 : end;
            continue;
        }
        for (int i = 0; i < IG_NTILE; i++)
            if ((size_t)(eq - p) == strlen(TILE_NAMES[i]) &&
                strncmp(p, TILE_NAMES[i], (size_t)(eq - p)) == 0)
                which = i;
        if (which < 0)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning '%s': unknown name '%.*s' (igemm/winograd take "
                              "TM, TN, TK, WM, WN, KS, and for the CPU kernel CPU, VW, MV, "
                              "RB, NW)",
                              tuning, (int)(eq - p), p);
        char *num_end;
        long v = strtol(eq + 1, &num_end, 10);
        static const long lo[] = {4, 4, 1, 1, 1, 1}, hi[] = {256, 512, 64, 16, 16, 64};
        if (num_end != end || num_end == eq + 1 || (which != IG_KS && !is_pow2(v)) ||
            v < lo[which] || v > hi[which])
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning %s = '%.*s': want %s in %ld..%ld",
                              TILE_NAMES[which], (int)(end - eq - 1), eq + 1,
                              which == IG_KS ? "an integer" : "a power of two", lo[which],
                              hi[which]);
        tuned[which] = (int)v;
        p = *end ? end + 1 : end;
    }
    return CLBB_OK;
}

void clbb__igemm_pack_tile(const clbb_context *ctx, const int tuned[IG_NTILE], int M, int K,
                           int *tm, int *tk) {
    int d[IG_NTILE];
    vendor_defaults(ctx, d);
    /* rows past M cost FMAs and a launch slot: no larger than M needs */
    long m = pow2_ceil(M < 4 ? 4 : M);
    *tm = tuned[IG_TM] ? tuned[IG_TM] : (int)(m < d[IG_TM] ? m : d[IG_TM]);
    long k = pow2_ceil(K);
    *tk = tuned[IG_TK] ? tuned[IG_TK] : (int)(k < d[IG_TK] ? k : d[IG_TK]);
}

static long num_groups(long M, int tm, long ncols, int tn, long batches) {
    return (M + tm - 1) / tm * ((ncols + tn - 1) / tn) * batches;
}

/* Splits of K (>= 1) that bring wgs work-groups up to target, each split
 * keeping at least 4 slices of TK so its prologue and epilogue stay small
 * next to its FMAs; then rounded so that no split is empty. */
static int pick_split(long wgs, long target, int nkt) {
    long ks = (target + wgs - 1) / wgs, most = nkt / 4 < 64 ? nkt / 4 : 64;
    if (ks > most) ks = most;
    if (ks < 2) return 1;
    long per = (nkt + ks - 1) / ks;
    return (int)((nkt + per - 1) / per);
}

clbb_status clbb__igemm_fit(clbb_context *ctx, const int tuned[IG_NTILE], int M, int tm_pack,
                            int tk_pack, int kp, long ncols, long batches, int split_k,
                            int cheap_b, int t[IG_NTILE]) {
    int d[IG_NTILE];
    vendor_defaults(ctx, d);
    const clbb_device_info *info = &ctx->info;
    const int nkt = kp / tk_pack;
    int tm = tm_pack, tk = tk_pack, ks = tuned[IG_KS] ? tuned[IG_KS] : 1;
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
            ks = split_k ? pick_split(wgs, target, nkt) : 1;
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
    if (ks > 1) {
        if (!split_k)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning KS=%d: this algorithm has no split-K", ks);
        if (ks > nkt) ks = nkt;
        const int per = (nkt + ks - 1) / ks;
        ks = (nkt + per - 1) / per; /* no empty split */
    }
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
    t[IG_TM] = tm;
    t[IG_TN] = tn;
    t[IG_TK] = tk;
    t[IG_WM] = wm;
    t[IG_WN] = wn;
    t[IG_KS] = ks;
    return CLBB_OK;
}

void clbb__igemm_options(const clbb_context *ctx, const int t[IG_NTILE], int kp, int mp,
                         char *buf, size_t size) {
    for (int i = 0; i < IG_KS; i++) clbb__opt_int(buf, size, TILE_NAMES[i], t[i]);
    clbb__opt_int(buf, size, "KP", kp);
    clbb__opt_int(buf, size, "MP", mp);
    /* see IG_UNROLL_K in the kernel */
    clbb__opt_int(buf, size, "IG_UNROLL_K", !(ctx->vendor == CLBB_VENDOR_CPU || ctx->info.is_cpu));
}

/* ------------------------------------------------------------------------ */
/* The CPU micro-kernel (cl/conv2d_igemm_cpu.cl). conv_state.params: P_CPU
 * says which kernel the weights were packed for; with it, P_VW and P_MPV
 * (pack) and, after reshape, the C_* values in params[0..8] (the GPU
 * kernel's tile and packed-tile slots, unused by this path). */
enum { P_CPU = P_KP + 1, P_VW, P_MPV };
enum { C_MV, C_RB, C_NW, C_XH, C_XW, C_PAD, C_NPB, C_NMB, C_SB };

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
static int cpu_native_width(const clbb_context *ctx) {
    cl_uint w = 16;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) !=
        CL_SUCCESS)
        w = 16;
    return w >= 16 ? 16 : w >= 8 ? 8 : 4;
}
/* Bytes of input a super-block of position blocks may touch (see
 * cpu_reshape): half of a 2 MiB L2, the rest for A panels and output */
#define CPU_B_BUDGET (1024.0 * 1024)

/* cpu[] = the CPU tuning values, -1 where absent. */
static clbb_status cpu_parse_tuning(clbb_context *ctx, const char *tuning, int cpu[CPU_NKEYS]) {
    static const int lo[CPU_NKEYS] = {0, 4, 1, 1, 1, 1}, hi[CPU_NKEYS] = {1, 16, 4, 16, 31, 1 << 20};
    for (int i = 0; i < CPU_NKEYS; i++) {
        cpu[i] = -1;
        if (!tuning) continue;
        size_t ln = strlen(CPU_NAMES[i]);
        for (const char *p = tuning; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
            if (strncmp(p, CPU_NAMES[i], ln) != 0 || p[ln] != '=') continue;
            char *num_end;
            long v = strtol(p + ln + 1, &num_end, 10);
            int ok = num_end != p + ln + 1 && (*num_end == ',' || !*num_end) && v >= lo[i] &&
                     v <= hi[i];
            if (ok && (i == CPU_VW || i == CPU_MV)) ok = is_pow2(v);
            if (!ok)
                return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                                  "conv2d: tuning %s = '%.*s': want %s in %d..%d", CPU_NAMES[i],
                                  (int)strcspn(p + ln + 1, ","), p + ln + 1,
                                  i == CPU_VW || i == CPU_MV ? "a power of two" : "an integer",
                                  lo[i], hi[i]);
            cpu[i] = (int)v;
        }
    }
    if (cpu[CPU_MV] > 0 && cpu[CPU_RB] > 0 && cpu[CPU_NW] > 0 &&
        CPU_REGS_USED(cpu[CPU_MV], cpu[CPU_RB] * cpu[CPU_NW]) > CPU_REGS)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tuning MV=%d RB=%d NW=%d needs %d vector registers; at most "
                          "%d",
                          cpu[CPU_MV], cpu[CPU_RB], cpu[CPU_NW],
                          CPU_REGS_USED(cpu[CPU_MV], cpu[CPU_RB] * cpu[CPU_NW]), CPU_REGS);
    return CLBB_OK;
}

/* Whether the weights go into the CPU micro-kernel's layout: on CPU devices
 * unless the tuning text asks for a GPU tile (or CPU=0); CPU=1 anywhere. */
static int cpu_wanted(const clbb_context *ctx, const int tuned[IG_NTILE],
                      const int cpu[CPU_NKEYS]) {
    if (cpu[CPU_ON] >= 0) return cpu[CPU_ON];
    for (int i = 0; i < IG_NTILE; i++)
        if (tuned[i]) return 0;
    return ctx->cpu_kernels;
}

static clbb_status cpu_pack(clbb_op *op, const float *w, const int cpu[CPU_NKEYS]) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    const int G = d->groups, M = d->out_channels / G;
    const int K = (d->in_channels / G) * d->kernel_h * d->kernel_w;
    /* the narrowest vector of 4, 8 or 16 channels that holds M, else 16:
     * one FMA instruction whatever its width, so for wide M padding lanes
     * cost less than more instructions would, but narrow groups (ResNeXt's
     * M = 4 or 8) ran 1.6-1.8x faster in float4/float8 than in half-empty
     * float16 (less A traffic, no 512-bit clock penalty) */
    const int native = cpu_native_width(op->ctx);
    int vw = cpu[CPU_VW] > 0 ? cpu[CPU_VW] : M <= 4 ? 4 : M <= 8 ? 8 : 16;
    if (cpu[CPU_VW] <= 0 && vw > native) vw = native;
    const int nv = (M + vw - 1) / vw;
    /* a multiple of 4 vectors, so that MV in {1, 2, 4} tiles it */
    const int mpv = (nv + 3) / 4 * 4;
    size_t n = (size_t)G * mpv * K * vw;
    void *mapped;
    CLBB_CHECK(clbb__buffer_map_new(op->ctx, n * sizeof(float), "conv2d igemm cpu weights", &s->w,
                                    &mapped));
    /* OIHW [g*M + m][k] -> [g][m / VW][k][m % VW], written in order, zero
     * past M */
    float *a = mapped;
    for (int g = 0; g < G; g++)
        for (int v = 0; v < mpv; v++) {
            const int m0 = v * vw, live = M - m0 < 0 ? 0 : M - m0 < vw ? M - m0 : vw;
            const float *src = live ? w + ((size_t)g * M + m0) * K : w;
            for (int k = 0; k < K; k++, a += vw) {
                for (int l = 0; l < live; l++) a[l] = src[(size_t)l * K + k];
                for (int l = live; l < vw; l++) a[l] = 0.0f;
            }
        }
    clbb_status st = clbb__buffer_unmap(op->ctx, s->w, mapped);
    s->params[P_CPU] = 1;
    s->params[P_VW] = vw;
    s->params[P_MPV] = mpv;
    return st;
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
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape i = op->in_shape, o = op->out_shape;
    const int G = d->groups, M = d->out_channels / G, cin_g = d->in_channels / G;
    const long K = (long)cin_g * d->kernel_h * d->kernel_w;
    const int vw = s->params[P_VW], mpv = s->params[P_MPV], nv = (M + vw - 1) / vw;
    int cpu[CPU_NKEYS];
    CLBB_CHECK(cpu_parse_tuning(op->ctx, s->tuning, cpu));
    /* register budget in vectors of VW floats (a tile given whole in the
     * tuning text was checked against CPU_REGS by the parser) */
    const int native = cpu_native_width(op->ctx);
    int regs = native >= 16 ? CPU_REGS : 16;
    if (vw > native) regs = regs * native / vw;
    if (regs < 8) regs = 8;
    if (cpu[CPU_MV] > 0 && cpu[CPU_RB] > 0 && cpu[CPU_NW] > 0) regs = CPU_REGS;
    int best[3] = {0, 0, 0};
    double best_cost = 0;
    for (int mv = 4; mv >= 1; mv /= 2) {
        if (mpv % mv || (cpu[CPU_MV] > 0 && mv != cpu[CPU_MV])) continue;
        for (int rb = 1; rb <= o.h && rb <= 16; rb++) {
            if (cpu[CPU_RB] > 0 && rb != cpu[CPU_RB]) continue;
            for (int nw = 1; nw <= o.w && nw <= 31; nw++) {
                if (cpu[CPU_NW] > 0 && nw != cpu[CPU_NW]) continue;
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
    const int pad = clbb__conv_needs_pad(s);
    int xh = i.h, xw = i.w;
    if (pad) {
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
    clbb__conv_cpu_options(s, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "VW", vw);
    clbb__opt_int(opts, sizeof opts, "MV", mv);
    clbb__opt_int(opts, sizeof opts, "RB", rb);
    clbb__opt_int(opts, sizeof opts, "NRW", nw);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm_cpu", opts, &prog));
    if (pad) CLBB_CHECK(clbb__conv_pad_prepare(op, xh, xw));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm_cpu", &s->k[1]));
    /* super-blocks of position blocks whose input footprint stays in a
     * core's L2 while every M block's A panel passes over them once */
    const double bfoot = 4.0 * cin_g * ((rb - 1) * d->stride_h + (d->kernel_h - 1) * d->dilation_h + 1) *
                         ((nw - 1) * d->stride_w + (d->kernel_w - 1) * d->dilation_w + 1);
    double sbd = CPU_B_BUDGET / bfoot;
    const int sbk = cpu[CPU_SB] > 0 ? cpu[CPU_SB] : (sbd < 1 ? 1 : sbd > nblk ? (int)nblk : (int)sbd);
    const int nmb = (nv + mv - 1) / mv;
    s->gws[1][0] = (size_t)nblk * nmb;
    s->gws[1][1] = 1;
    s->gws[1][2] = (size_t)i.n * G;
    s->lws[1][0] = s->lws[1][1] = s->lws[1][2] = 1;
    s->params[C_MV] = mv;
    s->params[C_RB] = rb;
    s->params[C_NW] = nw;
    s->params[C_XH] = xh;
    s->params[C_XW] = xw;
    s->params[C_PAD] = pad;
    s->params[C_NPB] = (int)nblk;
    s->params[C_NMB] = nmb;
    s->params[C_SB] = sbk;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "igemm_cpu_v%dx%d_p%dx%d", vw, mv,
             rb, nw);
    return CLBB_OK;
}

static clbb_status cpu_run(clbb_op *op) {
    conv_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const conv_operands t = clbb__conv_operands(op);
    const clbb_tensor *r = t.r, *y = t.y;
    clbb_shape o = op->out_shape;
    cl_int xh = s->params[C_XH], xw = s->params[C_XW];
    cl_int groups = s->d.groups, cin_g = s->d.in_channels / groups,
           cout_g = s->d.out_channels / groups;
    cl_mem xm;
    cl_int xoff, xbs;
    CLBB_CHECK(clbb__conv_pad_run(op, xh, xw, &xm, &xoff, &xbs));
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[1], "conv2d_igemm_cpu", sizeof(cl_mem), &xm,
                                 sizeof(cl_int), &xoff, sizeof(cl_int), &xbs, sizeof(cl_int), &xh,
                                 sizeof(cl_int), &xw, sizeof(cl_mem), &s->w, sizeof(cl_mem),
                                 &s->shift, CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int),
                                 &s->params[C_NPB], sizeof(cl_int), &s->params[C_NMB],
                                 sizeof(cl_int), &s->params[C_SB], sizeof(cl_int), &cin_g,
                                 sizeof(cl_int), &cout_g, sizeof(cl_int), &s->params[P_MPV],
                                 sizeof(cl_int), &groups, CLBB_ARGS_END));
    return clbb__enqueue(ctx, s->k[1], 3, s->gws[1], s->lws[1], "conv2d_igemm_cpu");
}

/* ------------------------------------------------------------------------ */

static int igemm_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    return !(d->groups == d->in_channels && d->groups == d->out_channels && d->groups > 1);
}

static clbb_status igemm_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    int tuned[IG_NTILE], cpu[CPU_NKEYS];
    CLBB_CHECK(clbb__igemm_parse_tuning(op->ctx, s->tuning, tuned));
    CLBB_CHECK(cpu_parse_tuning(op->ctx, s->tuning, cpu));
    if (cpu_wanted(op->ctx, tuned, cpu)) return cpu_pack(op, w, cpu);
    s->params[P_CPU] = 0;
    const int G = d->groups, M = d->out_channels / G;
    const int K = (d->in_channels / G) * d->kernel_h * d->kernel_w;
    int tm, tk;
    clbb__igemm_pack_tile(op->ctx, tuned, M, K, &tm, &tk);
    const int mp = (M + tm - 1) / tm * tm, kp = (K + tk - 1) / tk * tk;
    size_t n = (size_t)G * kp * mp;
    float *a = calloc(n, sizeof *a);
    if (!a) return clbb__fail(op->ctx, CLBB_ERR_OUT_OF_MEMORY, "conv2d: out of host memory");
    /* OIHW [g*M + m][k] -> [g][k][m]: a K-slice of the tile is then one
     * contiguous run of MP floats per k */
    for (int g = 0; g < G; g++)
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++)
                a[((size_t)g * kp + k) * mp + m] = w[((size_t)g * M + m) * K + k];
    return clbb__igemm_upload_packed(op, a, n, "conv2d igemm weights", tm, tk, mp, kp);
}

clbb_status clbb__igemm_upload_packed(clbb_op *op, float *packed, size_t n, const char *what,
                                      int tm, int tk, int mp, int kp) {
    conv_state *s = op->impl;
    clbb_status st = clbb__buffer_from_host(op->ctx, packed, n * sizeof *packed, what, &s->w);
    free(packed);
    s->params[P_TM_PACK] = tm;
    s->params[P_TK_PACK] = tk;
    s->params[P_MP] = mp;
    s->params[P_KP] = kp;
    return st;
}

static clbb_status igemm_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    if (s->params[P_CPU]) return cpu_reshape(op);
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels / d->groups, kp = s->params[P_KP];
    const long ncols = (long)o.n * o.h * o.w;
    int tuned[IG_NTILE], t[IG_NTILE];
    CLBB_CHECK(clbb__igemm_parse_tuning(op->ctx, s->tuning, tuned));
    CLBB_CHECK(clbb__igemm_fit(op->ctx, tuned, M, s->params[P_TM_PACK], s->params[P_TK_PACK], kp,
                               ncols, d->groups, 1, d->kernel_h * d->kernel_w == 1, t));
    const int ks = t[IG_KS], nkt = kp / t[IG_TK];
    char opts[768];
    clbb__conv_options(s, opts, sizeof opts);
    clbb__igemm_options(op->ctx, t, kp, s->params[P_MP], opts, sizeof opts);
    const int nopad = !d->pad_top && !d->pad_left && !d->pad_bottom && !d->pad_right;
    clbb__opt_int(opts, sizeof opts, "IG_NOPAD", nopad);
    clbb__opt_int(opts, sizeof opts, "IG_MODE", 0);
    clbb__opt_int(opts, sizeof opts, "IG_KSPLIT", ks);
    clbb__opt_int(opts, sizeof opts, "IG_KPER", (nkt + ks - 1) / ks);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm", &s->k[0]));
    if (ks > 1) {
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "conv2d_igemm_splitk_reduce", &s->k[1]));
        s->ws_bytes = (size_t)ks * d->out_channels * (size_t)ncols * sizeof(float);
        CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d igemm split-K partials"));
        s->lws[1][0] = 64;
        s->lws[1][1] = s->lws[1][2] = 1;
        s->gws[1][0] = clbb__round_up((size_t)ncols, 64);
        s->gws[1][1] = (size_t)d->out_channels;
        s->gws[1][2] = 1;
    }
    memcpy(s->params, t, sizeof t);
    const size_t nt = (size_t)(t[IG_TM] / t[IG_WM]) * (t[IG_TN] / t[IG_WN]);
    s->lws[0][0] = nt;
    s->lws[0][1] = s->lws[0][2] = 1;
    s->gws[0][0] = (size_t)((ncols + t[IG_TN] - 1) / t[IG_TN]) * nt;
    s->gws[0][1] = (size_t)((M + t[IG_TM] - 1) / t[IG_TM]);
    s->gws[0][2] = (size_t)d->groups * ks;
    int len = snprintf(op->info.algorithm, sizeof op->info.algorithm, "igemm_t%dx%dx%d_w%dx%d",
                       t[IG_TM], t[IG_TN], t[IG_TK], t[IG_WM], t[IG_WN]);
    if (ks > 1 && len > 0 && (size_t)len < sizeof op->info.algorithm)
        snprintf(op->info.algorithm + len, sizeof op->info.algorithm - len, "_ks%d", ks);
    return CLBB_OK;
}

static clbb_status igemm_run(clbb_op *op) {
    conv_state *s = op->impl;
    if (s->params[P_CPU]) return cpu_run(op);
    const conv_operands t = clbb__conv_operands(op);
    const clbb_tensor *x = t.x, *r = t.r, *g = t.g, *y = t.y;
    clbb_shape i = op->in_shape, o = op->out_shape;
    cl_int ncols = o.n * o.h * o.w, hwo = o.h * o.w;
    /* split-K partials live in the context's scratch */
    cl_mem ws = s->k[1] ? clbb__scratch(op->ctx) : NULL, part = ws ? ws : y->mem;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], "conv2d_igemm", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_mem), &part, sizeof(cl_int), &i.h, sizeof(cl_int),
                                 &i.w, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int),
                                 &ncols, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 3, s->gws[0], s->lws[0], "conv2d_igemm"));
    if (!s->k[1]) return CLBB_OK;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], "conv2d_igemm_splitk_reduce", sizeof(cl_mem),
                                 &ws, sizeof(cl_mem), &s->shift, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &hwo, sizeof(cl_int), &ncols,
                                 CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, s->k[1], 2, s->gws[1], s->lws[1], "conv2d_igemm_splitk_reduce");
}

const conv_algo_impl clbb__conv_igemm = {CLBB_CONV_ALGO_IMPLICIT_GEMM, "igemm", igemm_applicable,
                                         igemm_pack, igemm_reshape, igemm_run};
