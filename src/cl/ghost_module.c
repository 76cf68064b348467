/* ghost_module op (cl/ghost_module.cl): GhostNet's Ghost module, primary
 * 1x1 conv and cheap depthwise conv (BN folded, act, residual) in one
 * launch, for small batches where every launch costs host time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_internal.h"

#define GM_LWS 256
#define GM_CB 8     /* primary channels per work-group (register accumulators) */
#define GM_TILE 16  /* largest tile side: whole 14x14 and 7x7 maps, no halo recompute */

typedef struct gm_state {
    clbb_ghost_module_desc d;
    int32_t pp; /* P rounded up to GM_CB */
    clbb_activation act;
    int has_res, has_gate;
    int th, tw, tiles_w, tiles, ks;
    size_t local_bytes;
    cl_mem wp, sp, bp, wc, sc, bc;
    cl_kernel k;
} gm_state;

/* n tiles of at most GM_TILE covering len, as even as they come */
static int tile_side(int len) {
    int nt = (len + GM_TILE - 1) / GM_TILE;
    return (len + nt - 1) / nt;
}

static clbb_status gm_reshape(clbb_op *op, clbb_shape in) {
    gm_state *s = op->impl;
    const clbb_ghost_module_desc *d = &s->d;
    if (in.c != d->in_channels)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE, "ghost_module: input has %d channels, expected %d",
                          in.c, d->in_channels);
    op->out_shape = (clbb_shape){in.n, d->primary_channels + d->cheap_channels, in.h, in.w};
    s->th = tile_side(in.h);
    s->tw = tile_side(in.w);
    s->tiles_w = (in.w + s->tw - 1) / s->tw;
    s->tiles = s->tiles_w * ((in.h + s->th - 1) / s->th);
    const int r = d->cheap_kernel / 2;
    /* C split in ks parts where the clipped halo tile has few pixels */
    const int ch = s->th + 2 * r < in.h ? s->th + 2 * r : in.h;
    const int cw = s->tw + 2 * r < in.w ? s->tw + 2 * r : in.w;
    s->ks = GM_LWS / (ch * cw);
    if (s->ks > 8) s->ks = 8;
    if (s->ks > d->in_channels) s->ks = d->in_channels;
    if (s->ks < 1) s->ks = 1;
    s->local_bytes =
        (size_t)(1 + s->ks) * GM_CB * (s->th + 2 * r) * (s->tw + 2 * r) * sizeof(float);
    clbb_device_info info;
    CLBB_CHECK(clbb_context_device_info(op->ctx, &info));
    if (info.local_mem_bytes && s->local_bytes > info.local_mem_bytes)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "ghost_module: a %dx%d tile with a %d-pixel halo needs %zu bytes of local "
                          "memory, the device has %llu",
                          s->th, s->tw, r, s->local_bytes,
                          (unsigned long long)info.local_mem_bytes);
    const double plane = (double)in.h * in.w, n = in.n, kk = (double)d->cheap_kernel * d->cheap_kernel;
    const double halo = (double)(s->th + 2 * r) * (s->tw + 2 * r) / ((double)s->th * s->tw);
    op->info.flops = 2.0 * n * plane * ((double)d->primary_channels * d->in_channels * halo +
                                        (double)d->cheap_channels * kk);
    op->info.bytes = clbb_dtype_size(op->dtype) * n * plane *
                         ((double)in.c + (1.0 + s->has_res) * op->out_shape.c) +
                     4.0 * ((double)s->pp * d->in_channels + d->cheap_channels * kk);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "ghost_module_t%dx%d_cb%d_k%d", s->th,
             s->tw, GM_CB, s->ks);
    if (!s->k) {
        char opts[192];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "GM_LWS", GM_LWS);
        clbb__opt_int(opts, sizeof opts, "GM_CB", GM_CB);
        clbb__opt_int(opts, sizeof opts, "KS", d->cheap_kernel);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        clbb__opt_int(opts, sizeof opts, "HAS_GATE", s->has_gate);
        clbb__opt_int(opts, sizeof opts, "HAS_RES", s->has_res);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "ghost_module", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "ghost_module", &s->k));
    }
    return CLBB_OK;
}

static clbb_status gm_setup(clbb_op *op) {
    gm_state *s = op->impl;
    return clbb__op_expect_res_gate(op, s->has_res, s->has_gate);
}

static clbb_status gm_run(clbb_op *op) {
    gm_state *s = op->impl;
    const clbb_shape i = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    const clbb_tensor *res = s->has_res ? &op->in[1] : x;
    const clbb_tensor *gate = s->has_gate ? &op->in[1 + s->has_res] : x;
    cl_int C = s->d.in_channels, P = s->d.primary_channels, Pp = s->pp, Q = s->d.cheap_channels,
           per = s->d.cheap_per_primary, H = i.h, W = i.w, TH = s->th, TW = s->tw,
           tw = s->tiles_w, ks = s->ks;
    CLBB_CHECK(clbb__kernel_args(
        op->ctx, s->k, "ghost_module", CLBB_TENSOR_ARGS(x), CLBB_TENSOR_ARGS(gate),
        CLBB_TENSOR_ARGS(res), CLBB_TENSOR_ARGS(&op->out), sizeof(cl_mem), &s->wp, sizeof(cl_mem),
        &s->sp, sizeof(cl_mem), &s->bp, sizeof(cl_mem), &s->wc, sizeof(cl_mem), &s->sc,
        sizeof(cl_mem), &s->bc, s->local_bytes, NULL, sizeof(cl_int), &ks, sizeof(cl_int), &C,
        sizeof(cl_int), &P,
        sizeof(cl_int), &Pp, sizeof(cl_int), &Q, sizeof(cl_int), &per, sizeof(cl_int), &H,
        sizeof(cl_int), &W, sizeof(cl_int), &TH, sizeof(cl_int), &TW, sizeof(cl_int), &tw,
        CLBB_ARGS_END));
    size_t lws[3] = {GM_LWS, 1, 1};
    size_t gws[3] = {(size_t)s->tiles * GM_LWS, (size_t)(Pp / GM_CB), (size_t)i.n};
    return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "ghost_module");
}

static void gm_destroy(clbb_op *op) {
    gm_state *s = op->impl;
    clbb__kernel_release(&s->k);
    cl_mem m[] = {s->wp, s->sp, s->bp, s->wc, s->sc, s->bc};
    for (size_t k = 0; k < sizeof m / sizeof *m; k++) clbb__buffer_release(op->ctx, m[k]);
}

static const clbb_op_vtable GM_VT = {"ghost_module", CLBB_FAMILIES_GPU, gm_reshape, gm_setup,
                                     gm_run, gm_destroy};

/* The first non-finite value of an optional array, named, or CLBB_OK. */
static clbb_status gm_finite(clbb_context *ctx, const char *what, const float *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        if (!isfinite(v[i]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "ghost_module: %s[%zu] is not finite", what, i);
    return CLBB_OK;
}

/* The device arrays: wp transposed to [C][Pp], everything per primary
 * channel padded to Pp (zero weights, scale 1). */
static clbb_status gm_upload(clbb_context *ctx, gm_state *s, const float *wp, const float *sp,
                             const float *bp, const float *wc, const float *sc, const float *bc) {
    const clbb_ghost_module_desc *d = &s->d;
    const size_t C = (size_t)d->in_channels, Pp = (size_t)s->pp, P = (size_t)d->primary_channels;
    const size_t Q = (size_t)d->cheap_channels, kk = (size_t)d->cheap_kernel * d->cheap_kernel;
    float *t = calloc(C * Pp + 2 * Pp + 2 * Q, sizeof *t);
    if (!t) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "ghost_module: out of host memory");
    float *psc = t + C * Pp, *psh = psc + Pp, *csc = psh + Pp, *csh = csc + Q;
    for (size_t j = 0; j < P; j++)
        for (size_t c = 0; c < C; c++) t[c * Pp + j] = wp[j * C + c];
    for (size_t j = 0; j < Pp; j++) {
        psc[j] = sp && j < P ? sp[j] : 1.0f;
        psh[j] = bp && j < P ? bp[j] : 0.0f;
    }
    for (size_t k = 0; k < Q; k++) {
        csc[k] = sc ? sc[k] : 1.0f;
        csh[k] = bc ? bc[k] : 0.0f;
    }
    clbb_status st = clbb__buffer_from_host(ctx, t, C * Pp * 4, "ghost_module wp", &s->wp);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, psc, Pp * 4, "ghost_module sp", &s->sp);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, psh, Pp * 4, "ghost_module bp", &s->bp);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, wc, Q * kk * 4, "ghost_module wc", &s->wc);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, csc, Q * 4, "ghost_module sc", &s->sc);
    if (st == CLBB_OK) st = clbb__buffer_from_host(ctx, csh, Q * 4, "ghost_module bc", &s->bc);
    free(t);
    return st;
}

clbb_status clbb_ghost_module_create(clbb_context *ctx, const clbb_ghost_module_desc *desc,
                                     const float *primary_weight, const float *primary_scale,
                                     const float *primary_shift, const float *cheap_weight,
                                     const float *cheap_scale, const float *cheap_shift,
                                     clbb_activation act, int residual, int input_gate,
                                     const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "ghost_module: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!desc || !primary_weight || !cheap_weight)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "ghost_module: desc, primary_weight or cheap_weight is NULL");
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, GM_VT.families, "ghost_module", &dtype, &family));
    const clbb_ghost_module_desc d = *desc;
    if (d.in_channels < 1 || d.primary_channels < 1 || d.cheap_per_primary < 1 ||
        d.cheap_channels < 1 ||
        (int64_t)d.cheap_channels > (int64_t)d.primary_channels * d.cheap_per_primary ||
        d.cheap_kernel < 1 || d.cheap_kernel % 2 == 0 || d.cheap_kernel > 7 ||
        (int64_t)d.in_channels * d.primary_channels > (1 << 28) ||
        (int64_t)d.primary_channels + d.cheap_channels > (1 << 24))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "ghost_module: in_channels %d, primary_channels %d, cheap_channels %d, "
                          "cheap_per_primary %d, cheap_kernel %d (each >= 1, cheap_channels <= "
                          "primary * per, an odd kernel <= 7)",
                          d.in_channels, d.primary_channels, d.cheap_channels,
                          d.cheap_per_primary, d.cheap_kernel);
    CLBB_CHECK(clbb__activation_check(ctx, act, "ghost_module"));
    const size_t P = (size_t)d.primary_channels, Q = (size_t)d.cheap_channels;
    CLBB_CHECK(gm_finite(ctx, "primary_weight", primary_weight, P * d.in_channels));
    CLBB_CHECK(gm_finite(ctx, "primary_scale", primary_scale, P));
    CLBB_CHECK(gm_finite(ctx, "primary_shift", primary_shift, P));
    CLBB_CHECK(gm_finite(ctx, "cheap_weight", cheap_weight,
                         Q * d.cheap_kernel * d.cheap_kernel));
    CLBB_CHECK(gm_finite(ctx, "cheap_scale", cheap_scale, Q));
    CLBB_CHECK(gm_finite(ctx, "cheap_shift", cheap_shift, Q));
    const int has_res = residual != 0, has_gate = input_gate != 0;
    clbb_op *op = NULL;
    CLBB_CHECK(clbb__op_new(ctx, &GM_VT, sizeof(gm_state), 1 + has_res + has_gate, dtype, family,
                            &op));
    gm_state *s = op->impl;
    s->d = d;
    s->pp = (d.primary_channels + GM_CB - 1) / GM_CB * GM_CB;
    s->act = act;
    s->has_res = has_res;
    s->has_gate = has_gate;
    clbb_status st = gm_upload(ctx, s, primary_weight, primary_scale, primary_shift, cheap_weight,
                               cheap_scale, cheap_shift);
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
