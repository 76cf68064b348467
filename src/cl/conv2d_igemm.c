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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_internal.h"

/* Tile ints, in this order, in conv_state.params[0..5] after reshape; the
 * packed TM, TK, MP, KP follow in params[6..9]. Shared with
 * conv2d_winograd.c, which repeats these prototypes (conv2d_internal.h is
 * not ours to extend). */
enum { IG_TM, IG_TN, IG_TK, IG_WM, IG_WN, IG_KS, IG_NTILE };
enum { P_TM_PACK = IG_NTILE, P_TK_PACK, P_MP, P_KP };

clbb_status clbb__igemm_parse_tuning(clbb_context *ctx, const char *tuning, int tuned[IG_NTILE]);
void clbb__igemm_pack_tile(const clbb_context *ctx, const int tuned[IG_NTILE], int M, int K,
                           int *tm, int *tk);
clbb_status clbb__igemm_fit(clbb_context *ctx, const int tuned[IG_NTILE], int M, int tm_pack,
                            int tk_pack, int kp, long ncols, long batches, int split_k,
                            int cheap_b, int t[IG_NTILE]);
void clbb__igemm_options(const clbb_context *ctx, const int t[IG_NTILE], int kp, int mp,
                         char *buf, size_t size);

static const char *const TILE_NAMES[IG_NTILE] = {"TM", "TN", "TK", "WM", "WN", "KS"};

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

clbb_status clbb__igemm_parse_tuning(clbb_context *ctx, const char *tuning, int tuned[IG_NTILE]) {
    memset(tuned, 0, IG_NTILE * sizeof *tuned);
    if (!tuning) return CLBB_OK;
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
        int which = -1;
        for (int i = 0; i < IG_NTILE; i++)
            if ((size_t)(eq - p) == strlen(TILE_NAMES[i]) &&
                strncmp(p, TILE_NAMES[i], (size_t)(eq - p)) == 0)
                which = i;
        if (which < 0)
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "conv2d: tuning '%s': unknown name '%.*s' (igemm/winograd take "
                              "TM, TN, TK, WM, WN, KS)",
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

static int igemm_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    return !(d->groups == d->in_channels && d->groups == d->out_channels && d->groups > 1);
}

static clbb_status igemm_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    int tuned[IG_NTILE];
    CLBB_CHECK(clbb__igemm_parse_tuning(op->ctx, s->tuning, tuned));
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
    clbb_status st = clbb__buffer_from_host(op->ctx, a, n * sizeof *a, "conv2d igemm weights", &s->w);
    free(a);
    s->params[P_TM_PACK] = tm;
    s->params[P_TK_PACK] = tk;
    s->params[P_MP] = mp;
    s->params[P_KP] = kp;
    return st;
}

static clbb_status igemm_reshape(clbb_op *op) {
    conv_state *s = op->impl;
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
        CLBB_CHECK(clbb__buffer_create(op->ctx, s->ws_bytes, CL_MEM_READ_WRITE, NULL,
                                       "conv2d igemm split-K partials", &s->ws));
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
    const clbb_tensor *x = &op->in[0];
    const clbb_tensor *r = s->has_res ? &op->in[1] : x;
    const clbb_tensor *g = s->has_gate ? &op->in[1 + s->has_res] : x;
    const clbb_tensor *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    cl_int ncols = o.n * o.h * o.w, hwo = o.h * o.w;
    cl_mem part = s->ws ? s->ws : y->mem;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[0], "conv2d_igemm", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->w, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(g), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_mem), &part, sizeof(cl_int), &i.h, sizeof(cl_int),
                                 &i.w, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w, sizeof(cl_int),
                                 &ncols, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k[0], 3, s->gws[0], s->lws[0], "conv2d_igemm"));
    if (!s->k[1]) return CLBB_OK;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k[1], "conv2d_igemm_splitk_reduce", sizeof(cl_mem),
                                 &s->ws, sizeof(cl_mem), &s->shift, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &hwo, sizeof(cl_int), &ncols,
                                 CLBB_ARGS_END));
    return clbb__enqueue(op->ctx, s->k[1], 2, s->gws[1], s->lws[1], "conv2d_igemm_splitk_reduce");
}

const conv_algo_impl clbb__conv_igemm = {CLBB_CONV_ALGO_IMPLICIT_GEMM, "igemm", igemm_applicable,
                                         igemm_pack, igemm_reshape, igemm_run};
