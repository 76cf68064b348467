/* clbb_conv2d_create and the conv op's lifecycle; the algorithms live in
 * conv2d_<algo>.c and are picked here per geometry and device. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_internal.h"

static const conv_algo_impl *const ALGOS[] = {
    [CLBB_CONV_ALGO_DIRECT] = &clbb__conv_direct,
    [CLBB_CONV_ALGO_IMPLICIT_GEMM] = &clbb__conv_igemm,
    [CLBB_CONV_ALGO_DEPTHWISE] = &clbb__conv_depthwise,
    [CLBB_CONV_ALGO_GEMM_CLBLAST] = &clbb__conv_gemm_clblast,
    [CLBB_CONV_ALGO_WINOGRAD] = &clbb__conv_winograd,
};

const char *clbb_conv_algo_name(clbb_conv_algo algo) {
    if (algo == CLBB_CONV_ALGO_AUTO) return "auto";
    if ((int)algo < 0 || (int)algo >= CLBB_CONV_ALGO_COUNT || !ALGOS[algo]) return NULL;
    return ALGOS[algo]->name;
}

void clbb_conv2d_options_init(clbb_conv2d_options *o) {
    if (o) memset(o, 0, sizeof *o);
}

void clbb__conv_options(const conv_state *s, char *buf, size_t size) {
    const clbb_conv2d_desc *d = &s->d;
    buf[0] = '\0';
    clbb__opt_int(buf, size, "KH", d->kernel_h);
    clbb__opt_int(buf, size, "KW", d->kernel_w);
    clbb__opt_int(buf, size, "SH", d->stride_h);
    clbb__opt_int(buf, size, "SW", d->stride_w);
    clbb__opt_int(buf, size, "DH", d->dilation_h);
    clbb__opt_int(buf, size, "DW", d->dilation_w);
    clbb__opt_int(buf, size, "PT", d->pad_top);
    clbb__opt_int(buf, size, "PL", d->pad_left);
    clbb__opt_int(buf, size, "CIN_G", d->in_channels / d->groups);
    clbb__opt_int(buf, size, "COUT_G", d->out_channels / d->groups);
    clbb__opt_int(buf, size, "HAS_RES", s->has_res);
    clbb__opt_int(buf, size, "HAS_GATE", s->has_gate);
    clbb__opt_int(buf, size, "ACT", s->act);
}

int clbb__tuning_int(const char *tuning, const char *name, int def) {
    if (!tuning || !tuning[0]) return def;
    size_t ln = strlen(name);
    const char *p = tuning;
    while (*p) {
        if (strncmp(p, name, ln) == 0 && p[ln] == '=') return atoi(p + ln + 1);
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    return def;
}

int clbb__conv_needs_pad(const conv_state *s) {
    const clbb_conv2d_desc *d = &s->d;
    return d->pad_top || d->pad_left || d->pad_bottom || d->pad_right || s->has_gate;
}

void clbb__conv_cpu_options(const conv_state *s, char *buf, size_t size) {
    const clbb_conv2d_desc *d = &s->d;
    const int v[] = {d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->dilation_h,
                     d->dilation_w, s->has_res, s->act};
    static const char *const names[] = {"KH", "KW", "SH", "SW", "DH", "DW", "HAS_RES", "ACT"};
    buf[0] = '\0';
    for (size_t m = 0; m < sizeof v / sizeof v[0]; m++) clbb__opt_int(buf, size, names[m], v[m]);
}

clbb_status clbb__conv_pad_prepare(clbb_op *op, int xh, int xw) {
    conv_state *s = op->impl;
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "pad2d", "", &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "pad2d_gate", &s->k[0]));
    s->ws_bytes = (size_t)op->in_shape.n * s->d.in_channels * xh * xw * sizeof(float);
    CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d padded input"));
    s->gws[0][0] = (size_t)xh;
    s->gws[0][1] = (size_t)s->d.in_channels;
    s->gws[0][2] = (size_t)op->in_shape.n;
    return CLBB_OK;
}

clbb_status clbb__conv_pad_run(clbb_op *op, int xh, int xw, cl_mem *xm, cl_int *xoff,
                               cl_int *xbs) {
    conv_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const conv_operands t = clbb__conv_operands(op);
    *xm = t.x->mem;
    *xoff = (cl_int)t.x->offset;
    *xbs = (cl_int)t.x->batch_stride;
    if (!s->k[0]) return CLBB_OK;
    cl_mem ws = clbb__scratch(ctx);
    cl_int h = op->in_shape.h, w = op->in_shape.w, pt = s->d.pad_top, pl = s->d.pad_left,
           has_gate = s->has_gate;
    CLBB_CHECK(clbb__kernel_args(ctx, s->k[0], "pad2d_gate", CLBB_TENSOR_ARGS(t.x),
                                 CLBB_TENSOR_ARGS(t.g), sizeof(cl_mem), &ws, sizeof(cl_int), &h,
                                 sizeof(cl_int), &w, sizeof(cl_int), &xh, sizeof(cl_int), &xw,
                                 sizeof(cl_int), &pt, sizeof(cl_int), &pl, sizeof(cl_int),
                                 &has_gate, CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, s->k[0], 3, s->gws[0], NULL, "pad2d_gate"));
    *xm = ws;
    *xoff = 0;
    *xbs = s->d.in_channels * xh * xw;
    return CLBB_OK;
}

void clbb__conv_release_kernels(clbb_op *op) {
    conv_state *s = op->impl;
    for (int i = 0; i < 3; i++) {
        if (s->k[i]) clReleaseKernel(s->k[i]);
        s->k[i] = NULL;
    }
    s->ws_bytes = 0;
}

static clbb_status conv_reshape(clbb_op *op, clbb_shape in) {
    conv_state *s = op->impl;
    char msg[256];
    clbb_status st = clbb_conv2d_output_shape(&s->d, in, &op->out_shape, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(op->ctx, st, "%s", msg);
    clbb__conv_release_kernels(op);
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    double macs = (double)o.n * o.c * o.h * o.w * (d->in_channels / d->groups) * d->kernel_h *
                  d->kernel_w;
    op->info.flops = 2.0 * macs;
    op->info.bytes = 4.0 * ((double)clbb_shape_numel(in) + (double)clbb_shape_numel(o) +
                            (double)d->out_channels * (d->in_channels / d->groups) * d->kernel_h *
                                d->kernel_w +
                            (s->has_res ? (double)clbb_shape_numel(o) : 0.0));
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s", ALGOS[s->algo]->name);
    CLBB_CHECK(ALGOS[s->algo]->reshape(op));
    op->info.workspace_bytes = s->ws_bytes;
    return CLBB_OK;
}

static clbb_status conv_setup(clbb_op *op) {
    conv_state *s = op->impl;
    int i = 1;
    if (s->has_res) CLBB_CHECK(clbb__op_expect_shape(op, i++, op->out_shape, "residual"));
    if (s->has_gate) {
        clbb_shape g = {op->in_shape.n, op->in_shape.c, 1, 1};
        CLBB_CHECK(clbb__op_expect_shape(op, i, g, "gate"));
    }
    return CLBB_OK;
}

static clbb_status conv_run(clbb_op *op) {
    conv_state *s = op->impl;
    return ALGOS[s->algo]->run(op);
}

static void conv_destroy(clbb_op *op) {
    conv_state *s = op->impl;
    if (!s) return;
    clbb__conv_release_kernels(op);
    clbb__buffer_release(op->ctx, s->w);
    clbb__buffer_release(op->ctx, s->shift);
}

static const clbb_op_vtable CONV_VT = {"conv2d", conv_reshape, conv_setup, conv_run, conv_destroy};

/* Default choice per geometry (a tuning file can override it per layer).
 * Winograd only pays off once the 16 transformed GEMMs have enough
 * channels to amortize the input/output transforms: with fewer than 32
 * in or out channels implicit GEMM was faster on PoCL and on the H200. */
static clbb_conv_algo pick_algo(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    if (clbb__conv_depthwise.applicable(ctx, d)) return CLBB_CONV_ALGO_DEPTHWISE;
    /* On CPUs igemm's register-blocked micro-kernel runs ResNet-50's 3x3
     * layers 2.5-3.5x faster than Winograd F(2x2) does through the GPU-shaped
     * tile GEMM (PoCL, AVX-512: 1.3-1.7 ms vs 3.2-5.3 ms per layer), more
     * than the 2.25x fewer multiplies give back. */
    const int cpu = ctx->cpu_kernels;
    if (!cpu && clbb__conv_winograd.applicable(ctx, d) && d->in_channels >= 32 &&
        d->out_channels >= 32)
        return CLBB_CONV_ALGO_WINOGRAD;
    if (clbb__conv_igemm.applicable(ctx, d)) return CLBB_CONV_ALGO_IMPLICIT_GEMM;
    return CLBB_CONV_ALGO_DIRECT;
}

static clbb_status check_finite(clbb_context *ctx, const float *a, size_t n, const char *what) {
    if (!a) return CLBB_OK;
    /* a branch-free scan first (vectorizes; ResNet-50 has 23.5M weights),
     * the element is located only when there is one */
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &a[i], sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    if (!bad) return CLBB_OK;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: %s[%zu] is not finite",
                              what, i);
    return CLBB_OK;
}

clbb_status clbb_conv2d_create(clbb_context *ctx, const clbb_conv2d_desc *desc,
                               const float *weights, const float *bias,
                               const clbb_epilogue *epilogue, const clbb_conv2d_options *options,
                               clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    char msg[256];
    clbb_status st = clbb_conv2d_desc_validate(desc, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    if (!weights) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: weights is NULL");
    clbb_conv2d_options opt;
    clbb_conv2d_options_init(&opt);
    if (options) opt = *options;
    clbb_activation act = epilogue ? epilogue->activation : CLBB_ACTIVATION_NONE;
    if ((int)act < 0 || act > CLBB_ACTIVATION_HARD_SIGMOID)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: epilogue.activation = %d",
                          (int)act);
    if ((int)opt.algo < 0 || (int)opt.algo >= CLBB_CONV_ALGO_COUNT)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.algo = %d",
                          (int)opt.algo);
    if (opt.tuning && strlen(opt.tuning) >= 256)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.tuning is too long");
    const int O = desc->out_channels;
    const size_t per_out = (size_t)(desc->in_channels / desc->groups) * desc->kernel_h *
                           desc->kernel_w;
    CLBB_CHECK(check_finite(ctx, weights, per_out * O, "weights"));
    CLBB_CHECK(check_finite(ctx, bias, O, "bias"));
    if (epilogue) {
        CLBB_CHECK(check_finite(ctx, epilogue->scale, O, "epilogue.scale"));
        CLBB_CHECK(check_finite(ctx, epilogue->shift, O, "epilogue.shift"));
    }
    clbb_conv_algo algo = opt.algo;
    if (algo == CLBB_CONV_ALGO_AUTO) {
        algo = pick_algo(ctx, desc);
    } else if (!ALGOS[algo]->applicable(ctx, desc)) {
        return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                          "conv2d: algorithm '%s' does not apply to a %dx%d conv with stride %d, "
                          "dilation %d, groups %d",
                          ALGOS[algo]->name, desc->kernel_h, desc->kernel_w, desc->stride_h,
                          desc->dilation_h, desc->groups);
    }
    clbb_op *op;
    CLBB_CHECK(clbb__op_new(ctx, &CONV_VT, sizeof(conv_state),
                            1 + (epilogue && epilogue->residual) + (opt.input_gate != 0), &op));
    conv_state *s = op->impl;
    s->d = *desc;
    s->has_res = epilogue && epilogue->residual;
    s->has_gate = opt.input_gate != 0;
    s->act = act;
    s->algo = algo;
    if (opt.tuning) clbb__strlcpy(s->tuning, opt.tuning, sizeof s->tuning);
    /* Fold the epilogue scale into the weights and the bias into the shift,
     * so every kernel's epilogue is act(acc + shift[c] [+ res]). */
    float *wf = malloc(per_out * O * sizeof *wf);
    float *sh = malloc((size_t)O * sizeof *sh);
    if (!wf || !sh) {
        free(wf);
        free(sh);
        clbb_op_destroy(op);
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "conv2d: out of host memory");
    }
    for (int o = 0; o < O; o++) {
        double sc = epilogue && epilogue->scale ? epilogue->scale[o] : 1.0;
        double b = bias ? bias[o] : 0.0;
        double shf = epilogue && epilogue->shift ? epilogue->shift[o] : 0.0;
        sh[o] = (float)(sc * b + shf);
        /* in float: one rounding, like the multiply it replaces in the kernel */
        const float scf = (float)sc;
        const float *src = weights + (size_t)o * per_out;
        float *dst = wf + (size_t)o * per_out;
        for (size_t k = 0; k < per_out; k++) dst[k] = scf * src[k];
    }
    st = clbb__buffer_from_host(ctx, sh, (size_t)O * sizeof *sh, "conv2d shift", &s->shift);
    if (st == CLBB_OK) st = ALGOS[algo]->pack(op, wf);
    free(wf);
    free(sh);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return CLBB_OK;
}
