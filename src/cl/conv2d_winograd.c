/* Winograd F(2x2, 3x3) convolution: 3x3, stride 1, dilation 1, one group,
 * any padding. Three kernels per run:
 *   input transform  x -> V[16][KP][PP]          (cl/conv2d_winograd.cl)
 *   16 GEMMs         Mw[xi] = U[xi] * V[xi]      (cl/conv2d_igemm.cl, IG_MODE 1)
 *   output transform Mw -> y, with the epilogue  (cl/conv2d_winograd.cl)
 * U = G g G^T is computed on the host in double at create time and packed
 * like igemm's A ([16][KP][MP], K-major, zero-padded to the GEMM tile), so
 * the GEMM is exactly igemm's tiled core fed by a dense B. 2.25x fewer
 * multiplies than a direct 3x3 for 2x the workspace traffic: it pays off
 * when channels are wide; the transforms dominate for narrow ones. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_igemm_internal.h"

/* the GEMM tile keys but KS: the 16 GEMMs are not split */
#define WINO_KEYS IG_KS

typedef struct wino_state {
    cl_mem u; /* G g G^T, packed like igemm's A: [16][KP][MP], in conv_wdtype */
    ig_pack pk;
    cl_kernel in, gemm, out;
    size_t gws[3][3], lws[3][3];
    int pp, th, tw;
} wino_state;

static const char *const CANDIDATES[] = {
    "", "TM=128,WM=8", "TM=64,WM=4", "TM=32,WM=4", "TM=128,TN=128,TK=16,WM=8,WN=8", NULL};

static const char *wino_unsupported(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                    clbb_dtype dtype) {
    (void)ctx;
    (void)dtype;
    if (d->kernel_h != 3 || d->kernel_w != 3 || d->stride_h != 1 || d->stride_w != 1 ||
        d->dilation_h != 1 || d->dilation_w != 1)
        return "winograd F(2x2,3x3) needs a 3x3 kernel, stride 1, dilation 1";
    if (d->groups != 1) return "winograd needs groups == 1";
    return NULL;
}

/* Winograd only pays off once the 16 transformed GEMMs have enough
 * channels to amortize the input/output transforms: with fewer than 32
 * in or out channels implicit GEMM was faster on PoCL and on the H200. On
 * CPUs igemm's register-blocked micro-kernel runs ResNet-50's 3x3 layers
 * 2.5-3.5x faster than Winograd F(2x2) does through the GPU-shaped tile
 * GEMM (PoCL, AVX-512: 1.3-1.7 ms vs 3.2-5.3 ms per layer), more than the
 * 2.25x fewer multiplies give back. */
static int wino_score(const clbb_context *ctx, const clbb_conv2d_desc *d,
                      clbb_kernel_family f, int mma) {
    (void)ctx;
    if (f == CLBB_KERNEL_FAMILY_CPU || d->in_channels < 32) return 0;
    /* on tensor cores the GEMMs are cheap and the transforms' traffic is
     * what is left: igemm wins on 64 channels (ResNet-50's layer1 at batch
     * 32 on the H200, TF32: 0.125 vs 0.160 ms), Winograd from 128 (0.106 vs
     * 0.138 ms at 128, 0.079 vs 0.148 at 256) */
    if (mma && d->in_channels < 128) return 0;
    /* DCN's conv_offset (18 or 27 outputs): from 128 or 256 channels the
     * long K of the transformed GEMMs pays for the transforms, 20-25%
     * faster than igemm on the H200 (resnet50_dcn_c3c5 at 800 x 1344:
     * 0.048 vs 0.060 ms, 0.034 vs 0.046); from 512 channels on c5's small
     * maps igemm's split-K wins (0.029 vs 0.043) */
    const int outs = d->in_channels >= 128 && d->in_channels <= 256 ? 16 : 32;
    return d->out_channels >= outs ? 30 : 0;
}

static clbb_status wino_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    wino_state *ws = s->as;
    const clbb_conv2d_desc *d = &s->d;
    int tuned[IG_NTILE];
    clbb__igemm_tuned(s, WINO_KEYS, tuned);
    const int M = d->out_channels, K = d->in_channels;
    clbb__igemm_pack_tile(op->ctx, tuned, M, K, &ws->pk);
    const int mp = ws->pk.mp, kp = ws->pk.kp;
    size_t n = (size_t)16 * kp * mp;
    float *u = calloc(n, sizeof *u);
    if (!u) return clbb__fail(op->ctx, CLBB_ERR_OUT_OF_MEMORY, "conv2d: out of host memory");
    /* G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1] */
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (int co = 0; co < M; co++)
        for (int ci = 0; ci < K; ci++) {
            const float *g = w + ((size_t)co * K + ci) * 9;
            double gg[4][3];
            for (int a = 0; a < 4; a++)
                for (int j = 0; j < 3; j++)
                    gg[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++) {
                    double v = gg[a][0] * G[b][0] + gg[a][1] * G[b][1] + gg[a][2] * G[b][2];
                    u[((size_t)(a * 4 + b) * kp + ci) * mp + co] = (float)v;
                }
        }
    return clbb__igemm_upload_packed(op, u, n, "conv2d winograd filter", &ws->u);
}

static clbb_status wino_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    wino_state *a = s->as;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels, kp = a->pk.kp;
    const int th = (o.h + 1) / 2, tw = (o.w + 1) / 2;
    const long P = (long)o.n * th * tw;
    int tuned[IG_NTILE], t[IG_NTILE];
    clbb__igemm_tuned(s, WINO_KEYS, tuned);
    const int mma = clbb__igemm_mma(op, &a->pk, M);
    if (mma)
        CLBB_CHECK(clbb__igemm_fit_mma(op->ctx, tuned, M, &a->pk, P, 16, IG_SPLIT_NONE, mma, t));
    else
        CLBB_CHECK(clbb__igemm_fit(op->ctx, tuned, M, &a->pk, P, 16, 0, 1, t));
    const long pp = (P + t[IG_TN] - 1) / t[IG_TN] * t[IG_TN];
    const double vfl = 16.0 * kp * pp, mfl = 16.0 * M * pp;
    if (vfl + mfl > (double)INT_MAX)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: winograd workspace of %.0f floats exceeds the kernels' int "
                          "indexing; use igemm for this shape",
                          vfl + mfl);

    char opts[768];
    clbb__conv_options(op, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "KP", kp);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_winograd", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "winograd_f2x2_3x3_input", &a->in));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "winograd_f2x2_3x3_output", &a->out));
    char gopts[256] = "";
    clbb__igemm_options(op->ctx, t, &a->pk, gopts, sizeof gopts);
    clbb__opt_int(gopts, sizeof gopts, "IG_MODE", 1);
    clbb__opt_int(gopts, sizeof gopts, "IG_MMA", mma);
    clbb__opt_int(gopts, sizeof gopts, "MROWS", M);
    clbb__opt_wdtype(op, gopts, sizeof gopts); /* U in the weights' storage */
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm", gopts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "gemm_kmajor_batched", &a->gemm));

    s->ws_bytes = (size_t)(vfl + mfl) * sizeof(float);
    CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d winograd workspace"));
    a->pp = (int)pp;
    a->th = th;
    a->tw = tw;

    a->lws[0][0] = 64;
    a->lws[0][1] = a->lws[0][2] = 1;
    a->gws[0][0] = clbb__round_up((size_t)pp, 64);
    a->gws[0][1] = (size_t)kp;
    a->gws[0][2] = 1;
    const size_t nt = (size_t)(t[IG_TM] / t[IG_WM]) * (t[IG_TN] / t[IG_WN]);
    a->lws[1][0] = nt;
    a->lws[1][1] = a->lws[1][2] = 1;
    a->gws[1][0] = (size_t)(pp / t[IG_TN]) * nt;
    a->gws[1][1] = (size_t)((M + t[IG_TM] - 1) / t[IG_TM]);
    a->gws[1][2] = 16;
    a->lws[2][0] = 64;
    a->lws[2][1] = a->lws[2][2] = 1;
    a->gws[2][0] = clbb__round_up((size_t)P, 64);
    a->gws[2][1] = (size_t)M;
    a->gws[2][2] = 1;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s_t%dx%dx%d_w%dx%d",
             clbb__igemm_mma_name("winograd", op, mma), t[IG_TM], t[IG_TN], t[IG_TK], t[IG_WM],
             t[IG_WN]);
    return CLBB_OK;
}

static clbb_status wino_run(clbb_op *op) {
    conv_state *s = op->impl;
    wino_state *a = s->as;
    clbb_context *ctx = op->ctx;
    const clbb_tensor *x = conv_x(op), *r = conv_or_x(op, conv_res(op)),
                      *g = conv_or_x(op, conv_gate(op)), *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    cl_int th = a->th, tw = a->tw, pp = a->pp;
    cl_int P = o.n * th * tw, zero = 0, m_off = 16 * a->pk.kp * pp;
    cl_mem ws = clbb__scratch(ctx);
    CLBB_CHECK(clbb__kernel_args(ctx, a->in, "winograd_f2x2_3x3_input", CLBB_TENSOR_ARGS(x),
                                 CLBB_TENSOR_ARGS(g), sizeof(cl_mem), &ws, sizeof(cl_int), &i.h,
                                 sizeof(cl_int), &i.w, sizeof(cl_int), &th, sizeof(cl_int), &tw,
                                 sizeof(cl_int), &P, sizeof(cl_int), &pp, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, a->in, 2, a->gws[0], a->lws[0], "winograd_f2x2_3x3_input"));
    CLBB_CHECK(clbb__kernel_args(ctx, a->gemm, "gemm_kmajor_batched", sizeof(cl_mem), &a->u,
                                 sizeof(cl_mem), &ws, sizeof(cl_int), &zero, sizeof(cl_mem),
                                 &ws, sizeof(cl_int), &m_off, sizeof(cl_int), &pp,
                                 CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, a->gemm, 3, a->gws[1], a->lws[1], "gemm_kmajor_batched"));
    CLBB_CHECK(clbb__kernel_args(ctx, a->out, "winograd_f2x2_3x3_output", sizeof(cl_mem), &ws,
                                 sizeof(cl_int), &m_off, sizeof(cl_mem), &s->shift,
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(y), sizeof(cl_int), &o.h,
                                 sizeof(cl_int), &o.w, sizeof(cl_int), &th, sizeof(cl_int), &tw,
                                 sizeof(cl_int), &P, sizeof(cl_int), &pp, CLBB_ARGS_END));
    return clbb__enqueue(ctx, a->out, 2, a->gws[2], a->lws[2], "winograd_f2x2_3x3_output");
}

static void wino_release_kernels(clbb_op *op) {
    wino_state *a = ((conv_state *)op->impl)->as;
    clbb__kernel_release(&a->in);
    clbb__kernel_release(&a->gemm);
    clbb__kernel_release(&a->out);
}

static void wino_destroy(clbb_op *op) {
    wino_state *a = ((conv_state *)op->impl)->as;
    wino_release_kernels(op);
    clbb__buffer_release(op->ctx, a->u);
}

const conv_algo_desc clbb__conv_winograd = {
    .id = CLBB_CONV_ALGO_WINOGRAD,
    .name = "winograd",
    .unsupported = wino_unsupported,
    .auto_score = wino_score,
    .family = {[CLBB_KERNEL_FAMILY_GPU] = {1, clbb__ig_tile_keys, WINO_KEYS, CANDIDATES}},
    .defaults = clbb__ig_tile_defaults,
    .state_size = sizeof(wino_state),
    .pack = wino_pack,
    .reshape = wino_reshape,
    .run = wino_run,
    .release_kernels = wino_release_kernels,
    .destroy = wino_destroy,
};
