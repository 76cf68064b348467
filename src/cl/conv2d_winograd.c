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

enum { P_PP = P_KP + 1, P_TH, P_TW };

static int wino_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    return d->kernel_h == 3 && d->kernel_w == 3 && d->stride_h == 1 && d->stride_w == 1 &&
           d->dilation_h == 1 && d->dilation_w == 1 && d->groups == 1;
}

static clbb_status wino_pack(clbb_op *op, const float *w) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    int tuned[IG_NTILE];
    CLBB_CHECK(clbb__igemm_parse_tuning(op->ctx, s->tuning, tuned));
    if (tuned[IG_KS] > 1)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "conv2d: tuning KS=%d: winograd's GEMMs have no split-K",
                          tuned[IG_KS]);
    const int M = d->out_channels, K = d->in_channels;
    int tm, tk;
    clbb__igemm_pack_tile(op->ctx, tuned, M, K, &tm, &tk);
    const int mp = (M + tm - 1) / tm * tm, kp = (K + tk - 1) / tk * tk;
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
    return clbb__igemm_upload_packed(op, u, n, "conv2d winograd filter", tm, tk, mp, kp);
}

static clbb_status wino_reshape(clbb_op *op) {
    conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels, kp = s->params[P_KP], mp = s->params[P_MP];
    const int th = (o.h + 1) / 2, tw = (o.w + 1) / 2;
    const long P = (long)o.n * th * tw;
    int tuned[IG_NTILE], t[IG_NTILE];
    CLBB_CHECK(clbb__igemm_parse_tuning(op->ctx, s->tuning, tuned));
    CLBB_CHECK(clbb__igemm_fit(op->ctx, tuned, M, s->params[P_TM_PACK], s->params[P_TK_PACK], kp,
                               P, 16, 0, 1, t));
    const long pp = (P + t[IG_TN] - 1) / t[IG_TN] * t[IG_TN];
    const double vfl = 16.0 * kp * pp, mfl = 16.0 * M * pp;
    if (vfl + mfl > (double)INT_MAX)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: winograd workspace of %.0f floats exceeds the kernels' int "
                          "indexing; use igemm for this shape",
                          vfl + mfl);

    char opts[768];
    clbb__conv_options(s, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "KP", kp);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_winograd", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "winograd_f2x2_3x3_input", &s->k[0]));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "winograd_f2x2_3x3_output", &s->k[2]));
    char gopts[256] = "";
    clbb__igemm_options(op->ctx, t, kp, mp, gopts, sizeof gopts);
    clbb__opt_int(gopts, sizeof gopts, "IG_MODE", 1);
    clbb__opt_int(gopts, sizeof gopts, "MROWS", M);
    CLBB_CHECK(clbb__program_get(op->ctx, "conv2d_igemm", gopts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "gemm_kmajor_batched", &s->k[1]));

    s->ws_bytes = (size_t)(vfl + mfl) * sizeof(float);
    CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d winograd workspace"));
    memcpy(s->params, t, sizeof t);
    s->params[P_PP] = (int)pp;
    s->params[P_TH] = th;
    s->params[P_TW] = tw;

    s->lws[0][0] = 64;
    s->lws[0][1] = s->lws[0][2] = 1;
    s->gws[0][0] = clbb__round_up((size_t)pp, 64);
    s->gws[0][1] = (size_t)kp;
    s->gws[0][2] = 1;
    const size_t nt = (size_t)(t[IG_TM] / t[IG_WM]) * (t[IG_TN] / t[IG_WN]);
    s->lws[1][0] = nt;
    s->lws[1][1] = s->lws[1][2] = 1;
    s->gws[1][0] = (size_t)(pp / t[IG_TN]) * nt;
    s->gws[1][1] = (size_t)((M + t[IG_TM] - 1) / t[IG_TM]);
    s->gws[1][2] = 16;
    s->lws[2][0] = 64;
    s->lws[2][1] = s->lws[2][2] = 1;
    s->gws[2][0] = clbb__round_up((size_t)P, 64);
    s->gws[2][1] = (size_t)M;
    s->gws[2][2] = 1;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "winograd_f2x2_3x3_t%dx%dx%d_w%dx%d",
             t[IG_TM], t[IG_TN], t[IG_TK], t[IG_WM], t[IG_WN]);
    return CLBB_OK;
}

static clbb_status wino_run(clbb_op *op) {
    conv_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const conv_operands t = clbb__conv_operands(op);
    const clbb_tensor *x = t.x, *r = t.r, *g = t.g, *y = t.y;
    clbb_shape i = op->in_shape, o = op->out_shape;
    cl_int th = s->params[P_TH], tw = s->params[P_TW], pp = s->params[P_PP];
    cl_int P = o.n * th * tw, zero = 0, m_off = 16 * s->params[P_KP] * pp;
    cl_mem ws = clbb__scratch(ctx);
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[0], "winograd_f2x2_3x3_input", CLBB_TENSOR_ARGS(x),
                                 CLBB_TENSOR_ARGS(g), sizeof(cl_mem), &ws, sizeof(cl_int), &i.h,
                                 sizeof(cl_int), &i.w, sizeof(cl_int), &th, sizeof(cl_int), &tw,
                                 sizeof(cl_int), &P, sizeof(cl_int), &pp, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, s->k[0], 2, s->gws[0], s->lws[0], "winograd_f2x2_3x3_input"));
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[1], "gemm_kmajor_batched", sizeof(cl_mem), &s->w,
                                 sizeof(cl_mem), &ws, sizeof(cl_int), &zero, sizeof(cl_mem),
                                 &ws, sizeof(cl_int), &m_off, sizeof(cl_int), &pp,
                                 CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, s->k[1], 3, s->gws[1], s->lws[1], "gemm_kmajor_batched"));
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[2], "winograd_f2x2_3x3_output", sizeof(cl_mem), &ws,
                                 sizeof(cl_int), &m_off, sizeof(cl_mem), &s->shift, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(y), sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                 sizeof(cl_int), &th, sizeof(cl_int), &tw, sizeof(cl_int), &P,
                                 sizeof(cl_int), &pp, CLBB_ARGS_END));
    return clbb__enqueue(ctx, s->k[2], 2, s->gws[2], s->lws[2], "winograd_f2x2_3x3_output");
}

const conv_algo_impl clbb__conv_winograd = {CLBB_CONV_ALGO_WINOGRAD, "winograd", wino_applicable,
                                            wino_pack, wino_reshape, wino_run};
