/* clbb_deform_conv2d_create: mmcv's DeformConv2d (v1) and
 * ModulatedDeformConv2d (v2) as an op of its own, on the implicit-GEMM
 * machinery of conv2d_igemm.c:
 *   GPU: conv2d_igemm.cl in IG_MODE 2, its tiled GEMM core with a B loader
 *     that makes the bilinear sample (tile fit, packing, split-K shared);
 *   CPU: cl/deform_conv2d_cpu.cl, each sample made once per work-item and
 *     used by every output channel (weights packed as conv2d_igemm_cpu's).
 * The epilogue (bias, folded scale/shift, residual, activation) is
 * conv2d's (clbb__conv_fold). No column buffer exists in either family.
 *
 * Tuning text: GPU, the igemm tile keys TM TN TK WM WN KS (conv2d_igemm.c);
 * CPU, MV (1 or 2 vectors of output channels per micro-kernel pass), NR
 * (positions per register block, MV*(NR+1)+1 within the vector
 * registers), NB (register blocks per work-item) and CK (input channels
 * sampled per chunk, a power of two dividing the group's channels). Others are refused (CLBB_ERR_INVALID_ARGUMENT). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_igemm_internal.h"
#include "deform_conv2d_registry.h"

typedef struct deform_state {
    conv_state c; /* first: the conv helpers read op->impl as a conv_state */
    int dg, modulated, mask_sigmoid;
    cl_mem w;
    ig_pack pk;                  /* GPU packing */
    int vw, mpv;                 /* CPU packing */
    int mv, nvl, nr, nb, ck;     /* CPU tile of the last reshape */
    cl_kernel k, reduce;
    size_t gws[2][3], lws[2][3];
} deform_state;

enum { DCPU_MV, DCPU_NR, DCPU_NB, DCPU_CK, DCPU_NKEYS };
static const clbb_param_key CPU_KEYS[DCPU_NKEYS] = {
    {"MV", 1, 2, 0}, {"NR", 1, 30, 0}, {"NB", 1, 16, 0}, {"CK", 1, 64, 1}};

/* What the tuner tries (clbb__deform_candidates). GPU: igemm's tile keys;
 * the B operand is a bilinear gather, which hides its latency behind more
 * work-groups, so deeper K splits than igemm's are in the list. Partial
 * texts leave the rest to the shape policy. */
static const char *const GPU_CANDIDATES[] = {
    "", "KS=1", "KS=2", "KS=4", "KS=8", "KS=16", "TM=64,WM=4", "TM=64,WM=8",
    "TM=128,TN=64,TK=16,WM=8,WN=4", "TM=64,TN=128,TK=16,WM=4,WN=8",
    "TM=128,TN=64,TK=16,WM=8,WN=4,KS=4", "TK=8", NULL};
static const char *const CPU_CANDIDATES[] = {"",      "MV=1", "MV=2",  "NB=1",  "NB=2",
                                             "NB=4",  "CK=4", "CK=16", "CK=32", NULL};

const char *const *clbb__deform_candidates(clbb_kernel_family family) {
    return family == CLBB_KERNEL_FAMILY_GPU   ? GPU_CANDIDATES
           : family == CLBB_KERNEL_FAMILY_CPU ? CPU_CANDIDATES
                                              : NULL;
}

static const clbb_tensor *in_offset(const clbb_op *op) { return &op->in[1]; }
static const clbb_tensor *in_mask(const clbb_op *op) {
    const deform_state *s = op->impl;
    return s->modulated ? &op->in[2] : &op->in[1];
}
static const clbb_tensor *in_res(const clbb_op *op) {
    const deform_state *s = op->impl;
    return s->c.has_res ? &op->in[2 + s->modulated] : &op->in[0];
}

static void release_kernels(deform_state *s) {
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->reduce);
}

static clbb_status gpu_reshape(clbb_op *op) {
    deform_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->c.d;
    clbb_shape o = op->out_shape;
    const int M = d->out_channels / d->groups;
    const long ncols = (long)o.n * o.h * o.w;
    int tuned[IG_NTILE], t[IG_NTILE];
    clbb__igemm_tuned(&s->c, IG_NTILE, tuned);
    const int mma = clbb__igemm_mma(op, &s->pk, M);
    if (mma)
        CLBB_CHECK(
            clbb__igemm_fit_mma(op->ctx, tuned, M, &s->pk, ncols, d->groups, IG_SPLIT_GATHER, mma, t));
    else
        CLBB_CHECK(clbb__igemm_fit(op->ctx, tuned, M, &s->pk, ncols, d->groups, 1, 0, t));
    char extra[96] = "";
    clbb__opt_int(extra, sizeof extra, "IG_MMA", mma);
    clbb__opt_int(extra, sizeof extra, "IG_MODE", 2);
    clbb__opt_int(extra, sizeof extra, "IG_MASK", s->modulated);
    clbb__opt_int(extra, sizeof extra, "IG_MASK_SIG", s->mask_sigmoid);
    clbb__opt_int(extra, sizeof extra, "CPD", d->in_channels / s->dg);
    CLBB_CHECK(clbb__igemm_conv_kernels(op, &s->pk, t, extra, clbb__igemm_mma_name("deform", op, mma),
                                        &s->k, &s->reduce, s->gws, s->lws));
    return CLBB_OK;
}

static clbb_status cpu_reshape(clbb_op *op) {
    deform_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->c.d;
    clbb_shape o = op->out_shape;
    const int G = d->groups, M = d->out_channels / G, cin_g = d->in_channels / G;
    const int hwo = o.h * o.w, nv = (M + s->vw - 1) / s->vw;
    const int tmv = s->c.tuned[DCPU_MV], tnr = s->c.tuned[DCPU_NR], tnb = s->c.tuned[DCPU_NB],
              tck = s->c.tuned[DCPU_CK];
    /* MV vectors x NR positions of accumulators, MV vectors of A and one
     * broadcast in the vector registers (16 below AVX-512: AVX2 spilled
     * at 2 x 14, 3x slower); NB runs of NR positions per work-item share
     * its samples and each A panel's L1 residency */
    const int regs = clbb__cpu_native_width(op->ctx) >= 16 ? 32 : 16;
    const int mv = tmv > 0 ? tmv : nv >= 2 ? 2 : 1;
    int nr = tnr > 0 ? tnr : (regs - 1) / mv - 1;
    if (mv * (nr + 1) + 1 > regs)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: tuning MV=%d NR=%d needs %d vector registers; the "
                          "device has %d",
                          mv, nr, mv * (nr + 1) + 1, regs);
    if (nr > hwo) nr = hwo;
    int nb = tnb > 0 ? tnb : (28 + nr - 1) / nr;
    if (nb * nr > hwo) nb = hwo / nr;
    const int np = nr * nb;
    /* split the output vectors until there are 4 work-items per compute
     * unit (a 7x7 map has 2 blocks of 30 positions) */
    const int nvl = (nv + mv - 1) / mv * mv;
    const long items = (long)o.n * G * ((hwo + np - 1) / np);
    const long want = 4L * (op->ctx->info.compute_units ? op->ctx->info.compute_units : 1);
    int ms = 1;
    while (items * ms < want && (nvl / mv) % (ms * 2) == 0) ms *= 2;
    int ck = tck > 0 ? tck : 8;
    if (tck > 0 && cin_g % tck)
        return clbb__fail(op->ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: tuning CK=%d does not divide the %d input channels of "
                          "a group",
                          tck, cin_g);
    while (cin_g % ck) ck /= 2;
    if ((double)op->in_shape.n * d->in_channels * op->in_shape.h * op->in_shape.w > INT_MAX ||
        (double)clbb_shape_numel(o) > INT_MAX ||
        (double)o.n * 3 * s->dg * d->kernel_h * d->kernel_w * hwo > INT_MAX)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "deform_conv2d: this shape exceeds the CPU kernel's int indexing");
    s->mv = mv;
    s->nr = nr;
    s->nb = nb;
    s->ck = ck;
    s->nvl = nvl;
    char opts[512];
    clbb__conv_options(op, opts, sizeof opts);
    clbb__opt_int(opts, sizeof opts, "CPD", d->in_channels / s->dg);
    clbb__opt_int(opts, sizeof opts, "IG_MASK", s->modulated);
    clbb__opt_int(opts, sizeof opts, "IG_MASK_SIG", s->mask_sigmoid);
    clbb__opt_int(opts, sizeof opts, "VW", s->vw);
    clbb__opt_int(opts, sizeof opts, "MV", mv);
    clbb__opt_int(opts, sizeof opts, "MPV", s->mpv);
    clbb__opt_int(opts, sizeof opts, "NVL", s->nvl);
    clbb__opt_int(opts, sizeof opts, "VPS", s->nvl / ms);
    clbb__opt_int(opts, sizeof opts, "NR", nr);
    clbb__opt_int(opts, sizeof opts, "NP", np);
    clbb__opt_int(opts, sizeof opts, "CK", ck);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "deform_conv2d_cpu", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "deform_conv2d_cpu", &s->k));
    s->gws[0][0] = (size_t)((hwo + np - 1) / np);
    s->gws[0][1] = (size_t)ms;
    s->gws[0][2] = (size_t)o.n * G;
    s->lws[0][0] = s->lws[0][1] = s->lws[0][2] = 1;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "deform_cpu_v%dx%d_p%dx%d_c%d_s%d",
             s->vw, mv, nr, nb, ck, ms);
    return CLBB_OK;
}

static clbb_status deform_reshape(clbb_op *op, clbb_shape in) {
    deform_state *s = op->impl;
    const clbb_deform_conv2d_desc dd = {s->c.d, s->dg, s->modulated, s->mask_sigmoid};
    char msg[256];
    clbb_status st = clbb_deform_conv2d_output_shape(&dd, in, &op->out_shape, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(op->ctx, st, "%s", msg);
    release_kernels(s);
    s->c.ws_bytes = 0;
    const clbb_conv2d_desc *d = &s->c.d;
    clbb_shape o = op->out_shape;
    const double kk = (double)d->kernel_h * d->kernel_w;
    const double per_out = (double)(d->in_channels / d->groups) * kk;
    const double esz = (double)clbb_dtype_size(op->dtype);
    const double ohw = (double)o.n * o.h * o.w;
    /* the GEMM, and per (input channel, tap, position) a bilinear sample
     * (3 multiply-adds, and the mask multiply of v2) */
    op->info.flops = 2.0 * (double)clbb_shape_numel(o) * per_out +
                     ohw * d->in_channels * kk * (7.0 + s->modulated);
    op->info.bytes = esz * ((double)clbb_shape_numel(in) +
                            (double)clbb_shape_numel(o) * (1.0 + s->c.has_res) +
                            ohw * s->dg * kk * (2.0 + s->modulated)) +
                     4.0 * d->out_channels * per_out;
    CLBB_CHECK(op->family == CLBB_KERNEL_FAMILY_CPU ? cpu_reshape(op) : gpu_reshape(op));
    op->info.workspace_bytes = s->c.ws_bytes;
    return CLBB_OK;
}

static clbb_status deform_setup(clbb_op *op) {
    deform_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->c.d;
    const int kk = d->kernel_h * d->kernel_w;
    clbb_shape o = op->out_shape;
    clbb_shape off = {o.n, 2 * s->dg * kk, o.h, o.w}, msk = {o.n, s->dg * kk, o.h, o.w};
    CLBB_CHECK(clbb__op_expect_shape(op, 1, off, "offset"));
    if (s->modulated) CLBB_CHECK(clbb__op_expect_shape(op, 2, msk, "mask"));
    if (s->c.has_res)
        CLBB_CHECK(clbb__op_expect_shape(op, 2 + s->modulated, op->out_shape, "residual"));
    return CLBB_OK;
}

static clbb_status deform_run(clbb_op *op) {
    deform_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const clbb_tensor *x = &op->in[0], *of = in_offset(op), *m = in_mask(op), *r = in_res(op),
                      *y = &op->out;
    clbb_shape i = op->in_shape, o = op->out_shape;
    if (op->family == CLBB_KERNEL_FAMILY_CPU) {
        cl_int groups = s->c.d.groups;
        CLBB_CHECK(clbb__kernel_args(ctx, s->k, "deform_conv2d_cpu", CLBB_TENSOR_ARGS(x),
                                     CLBB_TENSOR_ARGS(of), CLBB_TENSOR_ARGS(m), sizeof(cl_mem),
                                     &s->w, sizeof(cl_mem), &s->c.shift, CLBB_TENSOR_ARGS(r),
                                     CLBB_TENSOR_ARGS(y), sizeof(cl_int), &i.h, sizeof(cl_int),
                                     &i.w, sizeof(cl_int), &o.h, sizeof(cl_int), &o.w,
                                     sizeof(cl_int), &groups, CLBB_ARGS_END));
        return clbb__enqueue(ctx, s->k, 3, s->gws[0], s->lws[0], "deform_conv2d_cpu");
    }
    cl_int ncols = o.n * o.h * o.w, hwo = o.h * o.w;
    cl_mem ws = s->reduce ? clbb__scratch(ctx) : NULL, part = ws ? ws : y->mem;
    CLBB_CHECK(clbb__kernel_args(ctx, s->k, "conv2d_igemm (deformable)", CLBB_TENSOR_ARGS(x),
                                 sizeof(cl_mem), &s->w, sizeof(cl_mem), &s->c.shift,
                                 /* x stands for the gate and add it has not */
                                 CLBB_TENSOR_ARGS(r), CLBB_TENSOR_ARGS(x), CLBB_TENSOR_ARGS(x),
                                 CLBB_TENSOR_ARGS(of), CLBB_TENSOR_ARGS(m), CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_mem), &part,
                                 sizeof(cl_int), &i.h, sizeof(cl_int), &i.w, sizeof(cl_int),
                                 &o.h, sizeof(cl_int), &o.w, sizeof(cl_int), &ncols,
                                 CLBB_ARGS_END));
    CLBB_CHECK(clbb__enqueue(ctx, s->k, 3, s->gws[0], s->lws[0], "deform_conv2d"));
    if (!s->reduce) return CLBB_OK;
    CLBB_CHECK(clbb__kernel_args(ctx, s->reduce, "conv2d_igemm_splitk_reduce", sizeof(cl_mem),
                                 &ws, sizeof(cl_mem), &s->c.shift, CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(x), CLBB_TENSOR_ARGS(y), sizeof(cl_int), &hwo,
                                 sizeof(cl_int), &ncols, CLBB_ARGS_END));
    return clbb__enqueue(ctx, s->reduce, 2, s->gws[1], s->lws[1], "deform_conv2d split-K reduce");
}

static void deform_destroy(clbb_op *op) {
    deform_state *s = op->impl;
    if (!s) return;
    release_kernels(s);
    clbb__buffer_release(op->ctx, s->w);
    clbb__buffer_release(op->ctx, s->c.shift);
}

static const clbb_op_vtable DEFORM_VT = {"deform_conv2d", CLBB_FAMILIES_BOTH, deform_reshape,
                                         deform_setup, deform_run, deform_destroy};

clbb_status clbb_deform_conv2d_create(clbb_context *ctx, const clbb_deform_conv2d_desc *desc,
                                      const float *weights, const float *bias,
                                      const clbb_epilogue *epilogue,
                                      const clbb_conv2d_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "deform_conv2d: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!desc) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "deform_conv2d: desc is NULL");
    char msg[512];
    clbb_status st = clbb_conv2d_desc_validate(&desc->conv, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "deform_%s", msg);
    const clbb_conv2d_desc *d = &desc->conv;
    if (desc->deform_groups < 1 || d->in_channels % desc->deform_groups)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: deform_groups = %d (must be >= 1 and divide "
                          "in_channels = %d)",
                          desc->deform_groups, d->in_channels);
    if (desc->mask_sigmoid && !desc->modulated)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: mask_sigmoid without modulated (v1 has no mask)");
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    if (options) o = *options;
    if (o.algo != CLBB_CONV_ALGO_AUTO)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: options.algo = %d (must be AUTO)", (int)o.algo);
    if (o.input_gate)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: options.input_gate must be 0");
    if (o.output_add)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: options.output_add must be 0");
    if (!clbb_math_name(o.math))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "deform_conv2d: options.math = %d",
                          (int)o.math);
    clbb_dtype dtype;
    clbb_kernel_family family;
    const clbb_op_options oo = {o.dtype, o.family};
    CLBB_CHECK(clbb__op_options(ctx, &oo, CLBB_FAMILIES_BOTH, "deform_conv2d", &dtype, &family));
    if (o.tuning && strlen(o.tuning) >= sizeof ((conv_state *)0)->tuning)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "deform_conv2d: options.tuning is too long");
    int tuned[CONV_MAX_KEYS];
    for (int k = 0; k < CONV_MAX_KEYS; k++) tuned[k] = -1;
    const int cpu = family == CLBB_KERNEL_FAMILY_CPU;
    st = clbb__params_parse(o.tuning, cpu ? CPU_KEYS : clbb__ig_tile_keys,
                            cpu ? DCPU_NKEYS : IG_NTILE, tuned,
                            cpu ? "deform_conv2d (cpu)" : "deform_conv2d (gpu)", msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    if (!weights)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "deform_conv2d: weights is NULL");
    clbb_activation act = epilogue ? epilogue->activation : CLBB_ACTIVATION_NONE;
    CLBB_CHECK(clbb__activation_check(ctx, act, "deform_conv2d: epilogue"));
    const int G = d->groups, O = d->out_channels, M = O / G;
    const int K = (d->in_channels / G) * d->kernel_h * d->kernel_w;
    CLBB_CHECK(clbb__conv_check_params(ctx, "deform_conv2d", O, (size_t)K, weights, bias,
                                       epilogue));
    const int has_res = epilogue && epilogue->residual;
    clbb_op *op;
    CLBB_CHECK(clbb__op_new(ctx, &DEFORM_VT, sizeof(deform_state),
                            2 + (desc->modulated != 0) + has_res, dtype, family, &op));
    deform_state *s = op->impl;
    s->c.d = *d;
    s->c.has_res = has_res;
    s->c.act = act;
    s->c.math = o.math;
    memcpy(s->c.tuned, tuned, sizeof tuned);
    if (o.tuning) clbb__strlcpy(s->c.tuning, o.tuning, sizeof s->c.tuning);
    s->dg = desc->deform_groups;
    s->modulated = desc->modulated != 0;
    s->mask_sigmoid = desc->mask_sigmoid != 0;
    float *wf = NULL;
    st = clbb__conv_fold(ctx, "deform_conv2d", O, (size_t)K, weights, bias, epilogue, &wf,
                         &s->c.shift);
    if (st == CLBB_OK && cpu) {
        s->vw = clbb__igemm_cpu_vw(ctx, 0, M);
        st = clbb__igemm_cpu_pack(op, wf, G, M, K, s->vw, &s->mpv, &s->w);
    } else if (st == CLBB_OK) {
        /* the GPU kernel runs K tap-major (k = tap * cin_g + ci): the
         * channels of one tap share a sampling point (conv2d_igemm.cl) */
        const int khw = d->kernel_h * d->kernel_w, cin_g = K / khw;
        float *wt = malloc((size_t)O * K * sizeof *wt);
        if (!wt) st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "deform_conv2d: out of host memory");
        for (int oi = 0; st == CLBB_OK && oi < O; oi++)
            for (int ci = 0; ci < cin_g; ci++)
                for (int tap = 0; tap < khw; tap++)
                    wt[(size_t)oi * K + tap * cin_g + ci] = wf[(size_t)oi * K + ci * khw + tap];
        int t[IG_NTILE];
        clbb__igemm_tuned(&s->c, IG_NTILE, t);
        if (st == CLBB_OK) st = clbb__igemm_gpu_pack(op, wt, G, M, K, t, &s->pk, &s->w);
        free(wt);
    }
    free(wf);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
