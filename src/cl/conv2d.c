/* clbb_conv2d_create, clbb_conv2d_supports and the conv op's lifecycle; the
 * algorithms live in conv2d_<algo>.c behind their descriptors. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_internal.h"

void clbb_conv2d_options_init(clbb_conv2d_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->dtype = CLBB_DTYPE_F32;
    o->family = CLBB_KERNEL_FAMILY_AUTO;
    o->algo = CLBB_CONV_ALGO_AUTO;
    o->math = CLBB_MATH_FP32;
}

void clbb__conv_options(const clbb_op *op, char *buf, size_t size) {
    const conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    clbb__opt_dtype(buf, size, op->dtype);
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
    if (s->has_add) clbb__opt_int(buf, size, "HAS_ADD", 1);
    clbb__opt_int(buf, size, "ACT", s->act);
    clbb__opt_wdtype(op, buf, size);
}

void clbb__opt_wdtype(const clbb_op *op, char *buf, size_t size) {
    if (conv_wdtype(op) == CLBB_DTYPE_F16) clbb__opt_int(buf, size, "WDTYPE", 1);
}

clbb_status clbb__weights_upload(clbb_context *ctx, clbb_dtype wdtype, const float *w, size_t n,
                                 const char *what, cl_mem *out) {
    if (wdtype != CLBB_DTYPE_F16) return clbb__buffer_from_host(ctx, w, n * sizeof *w, what, out);
    uint16_t *h = malloc((n ? n : 1) * sizeof *h);
    if (!h) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", what);
    for (size_t i = 0; i < n; i++) h[i] = clbb__float_to_half(w[i]);
    clbb_status st = clbb__buffer_from_host(ctx, h, n * sizeof *h, what, out);
    free(h);
    return st;
}

void clbb__conv_cpu_options(const clbb_op *op, char *buf, size_t size) {
    const conv_state *s = op->impl;
    const clbb_conv2d_desc *d = &s->d;
    const int v[] = {d->kernel_h, d->kernel_w, d->stride_h, d->stride_w, d->dilation_h,
                     d->dilation_w, s->has_res, s->act};
    static const char *const names[] = {"KH", "KW", "SH", "SW", "DH", "DW", "HAS_RES", "ACT"};
    clbb__opt_dtype(buf, size, op->dtype);
    for (size_t m = 0; m < CLBB_ARRAY_SIZE(v); m++) clbb__opt_int(buf, size, names[m], v[m]);
    if (s->has_add) clbb__opt_int(buf, size, "HAS_ADD", 1);
    clbb__opt_wdtype(op, buf, size);
}

int clbb__conv_needs_pad(const conv_state *s) {
    const clbb_conv2d_desc *d = &s->d;
    return d->pad_top || d->pad_left || d->pad_bottom || d->pad_right || s->has_gate;
}

clbb_status clbb__conv_pad_prepare(clbb_op *op, conv_pad *p, int xh, int xw, int f32) {
    conv_state *s = op->impl;
    char opts[64];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    if (f32) clbb__opt_int(opts, sizeof opts, "PAD_F32", 1);
    const clbb_conv2d_desc *d = &s->d;
    p->plane = xh == op->in_shape.h && xw == op->in_shape.w && !d->pad_top && !d->pad_left;
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "pad2d", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, p->plane ? "pad2d_plane" : "pad2d_gate", &p->k));
    s->ws_bytes = (size_t)op->in_shape.n * s->d.in_channels * xh * xw *
                  (f32 ? sizeof(float) : clbb_dtype_size(op->dtype));
    CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->ws_bytes, "conv2d padded input"));
    p->xh = xh;
    p->xw = xw;
    /* one local size for every layer (rows past XH return at once): PoCL
     * generates code per kernel and local size, and the size it picks
     * from the global one differs per layer (GhostNet: 32 code
     * generations of this kernel on the first run, about 0.4 s each) */
    p->gws[0] = ((size_t)xh + CONV_PAD_LWS - 1) / CONV_PAD_LWS * CONV_PAD_LWS;
    p->gws[1] = (size_t)s->d.in_channels;
    p->gws[2] = (size_t)op->in_shape.n;
    if (p->plane) {
        p->gws[0] = (size_t)s->d.in_channels;
        p->gws[1] = (size_t)op->in_shape.n;
        p->gws[2] = 1;
    }
    return CLBB_OK;
}

clbb_status clbb__conv_pad_run(clbb_op *op, const conv_pad *p, cl_mem *xm, cl_int *xoff,
                               cl_int *xbs) {
    conv_state *s = op->impl;
    clbb_context *ctx = op->ctx;
    const clbb_tensor *x = conv_x(op), *g = conv_or_x(op, conv_gate(op));
    *xm = x->mem;
    *xoff = (cl_int)x->offset;
    *xbs = (cl_int)x->stride[0];
    if (!p->k) return CLBB_OK;
    cl_mem ws = clbb__scratch(ctx);
    cl_int h = op->in_shape.h, w = op->in_shape.w, pt = s->d.pad_top, pl = s->d.pad_left,
           has_gate = s->has_gate, xh = p->xh, xw = p->xw;
    if (p->plane) {
        cl_int hw = h * w;
        CLBB_CHECK(clbb__kernel_args(ctx, p->k, "pad2d_plane", CLBB_TENSOR_ARGS(x),
                                     CLBB_TENSOR_ARGS(g), sizeof(cl_mem), &ws, sizeof(cl_int), &hw,
                                     sizeof(cl_int), &has_gate, CLBB_ARGS_END));
        static const size_t one[3] = {1, 1, 1};
        CLBB_CHECK(clbb__enqueue(ctx, p->k, 2, p->gws, one, "pad2d_plane"));
    } else {
        CLBB_CHECK(clbb__kernel_args(ctx, p->k, "pad2d_gate", CLBB_TENSOR_ARGS(x),
                                     CLBB_TENSOR_ARGS(g), sizeof(cl_mem), &ws, sizeof(cl_int), &h,
                                     sizeof(cl_int), &w, sizeof(cl_int), &xh, sizeof(cl_int), &xw,
                                     sizeof(cl_int), &pt, sizeof(cl_int), &pl, sizeof(cl_int),
                                     &has_gate, CLBB_ARGS_END));
        static const size_t lws[3] = {CONV_PAD_LWS, 1, 1};
        CLBB_CHECK(clbb__enqueue(ctx, p->k, 3, p->gws, lws, "pad2d_gate"));
    }
    *xm = ws;
    *xoff = 0;
    *xbs = s->d.in_channels * xh * xw;
    return CLBB_OK;
}

void clbb__conv_pad_release(conv_pad *p) { clbb__kernel_release(&p->k); }

static clbb_status conv_reshape(clbb_op *op, clbb_shape in) {
    conv_state *s = op->impl;
    char msg[256];
    clbb_status st = clbb_conv2d_output_shape(&s->d, in, &op->out_shape, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(op->ctx, st, "%s", msg);
    s->algo->release_kernels(op);
    s->ws_bytes = 0;
    const clbb_conv2d_desc *d = &s->d;
    clbb_shape o = op->out_shape;
    const double per_out = (double)(d->in_channels / d->groups) * d->kernel_h * d->kernel_w;
    const double esz = (double)clbb_dtype_size(op->dtype);
    op->info.flops = 2.0 * (double)clbb_shape_numel(o) * per_out;
    op->info.bytes = esz * ((double)clbb_shape_numel(in) +
                            (double)clbb_shape_numel(o) * (1.0 + s->has_res) +
                            (double)o.n * o.c * s->has_add) +
                     (double)clbb_dtype_size(conv_wdtype(op)) * d->out_channels * per_out;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s", s->algo->name);
    CLBB_CHECK(s->algo->reshape(op));
    op->info.workspace_bytes = s->ws_bytes;
    return CLBB_OK;
}

static clbb_status conv_setup(clbb_op *op) {
    conv_state *s = op->impl;
    CLBB_CHECK(clbb__op_expect_res_gate(op, s->has_res, s->has_gate));
    if (s->has_add) {
        const clbb_shape a = {op->in_shape.n, s->d.out_channels, 1, 1};
        CLBB_CHECK(clbb__op_expect_shape(op, 1 + s->has_res + s->has_gate, a, "add"));
    }
    return CLBB_OK;
}

static clbb_status conv_run(clbb_op *op) {
    conv_state *s = op->impl;
    return s->algo->run(op);
}

static void conv_destroy(clbb_op *op) {
    conv_state *s = op->impl;
    if (!s) return;
    if (s->as) s->algo->destroy(op);
    free(s->as);
    clbb__buffer_release(op->ctx, s->shift);
}

static const clbb_op_vtable CONV_VT = {"conv2d", CLBB_FAMILIES_BOTH, conv_reshape, conv_setup,
                                       conv_run, conv_destroy};

static clbb_status check_finite(clbb_context *ctx, const char *type, const float *a, size_t n,
                                const char *what) {
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
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s: %s[%zu] is not finite", type,
                              what, i);
    return CLBB_OK;
}

clbb_status clbb__conv_check_params(clbb_context *ctx, const char *type, int O, size_t per_out,
                                    const float *weights, const float *bias,
                                    const clbb_epilogue *e) {
    CLBB_CHECK(check_finite(ctx, type, weights, per_out * O, "weights"));
    CLBB_CHECK(check_finite(ctx, type, bias, O, "bias"));
    if (e) {
        CLBB_CHECK(check_finite(ctx, type, e->scale, O, "epilogue.scale"));
        CLBB_CHECK(check_finite(ctx, type, e->shift, O, "epilogue.shift"));
    }
    return CLBB_OK;
}

clbb_status clbb__conv_fold(clbb_context *ctx, const char *type, int O, size_t per_out,
                            const float *weights, const float *bias, const clbb_epilogue *e,
                            float **wf_out, cl_mem *shift) {
    /* Fold the epilogue scale into the weights and the bias into the shift,
     * so every kernel's epilogue is act(acc + shift[c] [+ res]). */
    float *wf = malloc(per_out * O * sizeof *wf);
    float *sh = malloc((size_t)O * sizeof *sh);
    if (!wf || !sh) {
        free(wf);
        free(sh);
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", type);
    }
    for (int o = 0; o < O; o++) {
        double sc = e && e->scale ? e->scale[o] : 1.0;
        double b = bias ? bias[o] : 0.0;
        double shf = e && e->shift ? e->shift[o] : 0.0;
        sh[o] = (float)(sc * b + shf);
        /* in float: one rounding, like the multiply it replaces in the kernel */
        const float scf = (float)sc;
        const float *src = weights + (size_t)o * per_out;
        float *dst = wf + (size_t)o * per_out;
        for (size_t k = 0; k < per_out; k++) dst[k] = scf * src[k];
    }
    char what[64];
    snprintf(what, sizeof what, "%s shift", type);
    clbb_status st = clbb__buffer_from_host(ctx, sh, (size_t)O * sizeof *sh, what, shift);
    free(sh);
    if (st != CLBB_OK) {
        free(wf);
        return st;
    }
    *wf_out = wf;
    return CLBB_OK;
}

/* What create and supports share: the options checked, the algorithm and
 * family resolved. */
typedef struct conv_choice {
    clbb_conv2d_options o;
    const conv_algo_desc *algo;
    clbb_kernel_family family;
    int tuned[CONV_MAX_KEYS]; /* the tuning text against the family's keys */
} conv_choice;

static clbb_status choose(clbb_context *ctx, const clbb_conv2d_desc *desc,
                          const clbb_conv2d_options *options, conv_choice *c) {
    char msg[512];
    clbb_status st = clbb_conv2d_desc_validate(desc, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    clbb_conv2d_options_init(&c->o);
    if (options) c->o = *options;
    const clbb_conv2d_options *o = &c->o;
    CLBB_CHECK(clbb__dtype_check(ctx, o->dtype, "conv2d"));
    if (!clbb_kernel_family_name(o->family))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.family = %d",
                          (int)o->family);
    if (!clbb_math_name(o->math))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.math = %d",
                          (int)o->math);
    if (o->algo != CLBB_CONV_ALGO_AUTO && !clbb__conv_algo(o->algo))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.algo = %d",
                          (int)o->algo);
    if (o->tuning && strlen(o->tuning) >= sizeof ((conv_state *)0)->tuning)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: options.tuning is too long");
    const clbb_kernel_family want =
        o->family == CLBB_KERNEL_FAMILY_AUTO ? clbb__default_family(ctx) : o->family;
    if (o->algo == CLBB_CONV_ALGO_AUTO) {
        const int mma = o->math != CLBB_MATH_FP32 && want == CLBB_KERNEL_FAMILY_GPU &&
                        clbb_context_has_math(ctx, o->math);
        c->algo = clbb__conv_pick(ctx, desc, o->dtype, want, mma, clbb__conv_needs(o));
        if (!c->algo)
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "conv2d: no algorithm computes a %dx%d conv with groups %d in %s%s",
                              desc->kernel_h, desc->kernel_w, desc->groups,
                              clbb_dtype_name(o->dtype), o->output_add ? " with output_add" : "");
    } else {
        c->algo = clbb__conv_algo(o->algo);
        const char *why = c->algo->unsupported(ctx, desc, o->dtype);
        if (why)
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "conv2d: algorithm '%s' does not apply to a %dx%d conv with stride "
                              "%d, dilation %d, groups %d in %s: %s",
                              c->algo->name, desc->kernel_h, desc->kernel_w, desc->stride_h,
                              desc->dilation_h, desc->groups, clbb_dtype_name(o->dtype), why);
        if (o->family != CLBB_KERNEL_FAMILY_AUTO && !c->algo->family[o->family].present)
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "conv2d: algorithm '%s' has no %s kernel family", c->algo->name,
                              clbb_kernel_family_name(o->family));
        const unsigned needs = clbb__conv_needs(o);
        if ((c->algo->takes & needs) != needs)
            return clbb__fail(ctx, CLBB_ERR_UNSUPPORTED,
                              "conv2d: algorithm '%s' does not compute options.output_add",
                              c->algo->name);
    }
    c->family = clbb__resolve_family(ctx, want, clbb__conv_algo_families(c->algo));
    const conv_family *fam = &c->algo->family[c->family];
    char what[64];
    snprintf(what, sizeof what, "conv2d %s (%s)", c->algo->name, clbb_kernel_family_name(c->family));
    st = clbb__params_parse(o->tuning, fam->keys, fam->num_keys, c->tuned, what, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    return CLBB_OK;
}

clbb_status clbb_conv2d_supports(clbb_context *ctx, const clbb_conv2d_desc *desc,
                                 const clbb_conv2d_options *options, clbb_conv_algo *chosen) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    conv_choice c;
    CLBB_CHECK(choose(ctx, desc, options, &c));
    if (chosen) *chosen = c.algo->id;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_conv2d_create(clbb_context *ctx, const clbb_conv2d_desc *desc,
                               const float *weights, const float *bias,
                               const clbb_epilogue *epilogue, const clbb_conv2d_options *options,
                               clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    conv_choice c;
    CLBB_CHECK(choose(ctx, desc, options, &c));
    if (!weights) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "conv2d: weights is NULL");
    clbb_activation act = epilogue ? epilogue->activation : CLBB_ACTIVATION_NONE;
    CLBB_CHECK(clbb__activation_check(ctx, act, "conv2d: epilogue"));
    const int O = desc->out_channels;
    const size_t per_out = (size_t)(desc->in_channels / desc->groups) * desc->kernel_h *
                           desc->kernel_w;
    CLBB_CHECK(clbb__conv_check_params(ctx, "conv2d", O, per_out, weights, bias, epilogue));
    const int has_res = epilogue && epilogue->residual, has_gate = c.o.input_gate != 0,
              has_add = c.o.output_add != 0;
    clbb_op *op;
    CLBB_CHECK(clbb__op_new(ctx, &CONV_VT, sizeof(conv_state), 1 + has_res + has_gate + has_add,
                            c.o.dtype, c.family, &op));
    conv_state *s = op->impl;
    s->d = *desc;
    s->has_res = has_res;
    s->has_gate = has_gate;
    s->has_add = has_add;
    s->act = act;
    s->math = c.o.math;
    s->algo = c.algo;
    memcpy(s->tuned, c.tuned, sizeof c.tuned);
    if (c.o.tuning) clbb__strlcpy(s->tuning, c.o.tuning, sizeof s->tuning);
    s->as = calloc(1, c.algo->state_size ? c.algo->state_size : 1);
    float *wf = NULL;
    clbb_status st = s->as ? CLBB_OK
                           : clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "conv2d: out of host memory");
    if (st == CLBB_OK)
        st = clbb__conv_fold(ctx, "conv2d", O, per_out, weights, bias, epilogue, &wf, &s->shift);
    if (st == CLBB_OK) st = c.algo->pack(op, wf);
    free(wf);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
