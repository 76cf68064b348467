/* Conformance cases of gen_attention (GeneralizedAttention's core): every
 * attention_type on a square odd map, mmcv's own test shapes, the local
 * window, 1/8/9 heads, kv and q strides, batches, head dims on both sides
 * of the work-group kernel's limit, the attn1111 c4/c5 layers; both
 * kernel families. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

typedef struct ga_params {
    clbb_gen_attention_desc d;
} ga_params;

typedef struct ga_geom {
    const char *name;
    int n, c, h, w, heads;
    const char *type;
    int sr, kvs, qs, pe_dim, mag, quick;
} ga_geom;

static const ga_geom GEOMS[] = {
    /* mmcv's tests/test_cnn/test_generalized_attention.py */
    {"mmcv_1000", 2, 16, 20, 20, 9, "1000", -1, 2, 1, -1, 1, 1},
    {"mmcv_0100", 2, 16, 20, 20, 9, "0100", -1, 2, 1, -1, 1, 1},
    {"mmcv_0010", 2, 16, 20, 20, 9, "0010", -1, 2, 1, -1, 1, 1},
    {"mmcv_0001", 2, 16, 20, 20, 9, "0001", -1, 2, 1, -1, 1, 0},
    {"mmcv_sr10", 2, 256, 20, 20, 9, "1111", 10, 2, 1, -1, 1, 0},
    {"mmcv_q2", 2, 16, 20, 20, 9, "1111", -1, 2, 2, -1, 1, 1},
    {"mmcv_h8", 2, 16, 20, 20, 8, "1111", -1, 2, 1, -1, 1, 0},
    /* local windows: odd, non-square, kv 1 and 2, the masked shortcut */
    {"sr2_odd", 1, 32, 13, 17, 4, "1111", 2, 2, 1, -1, 1, 1},
    {"sr0_kv1", 1, 24, 9, 11, 3, "1000", 0, 1, 1, -1, 1, 0},
    {"sr3_0010", 2, 16, 11, 7, 2, "0010", 3, 2, 1, -1, 1, 0},
    {"sr1_q2", 1, 32, 15, 11, 8, "1101", 1, 1, 2, 16, 2, 0},
    /* heads, head dims (64 is the work-group kernel's limit; 96 falls back) */
    {"h9_d28", 1, 256, 11, 13, 9, "1111", -1, 2, 1, -1, 1, 0},
    {"h1_d96", 1, 96, 9, 10, 1, "1111", -1, 2, 1, -1, 1, 0},
    {"h8_d64_c5", 1, 512, 9, 14, 8, "1111", -1, 2, 1, -1, 1, 0},
    {"h8_d32_kv1", 3, 256, 7, 9, 8, "1111", -1, 1, 1, -1, 1, 0},
    {"pe16_mag3", 1, 32, 10, 10, 4, "0110", -1, 2, 1, 16, 3, 0},
    {"q2_kv1_0101", 2, 32, 15, 11, 4, "0101", -1, 1, 2, -1, 1, 0},
    /* MMDetection attn1111 on ResNet-50: c4 (layer3), c5, with their
     * channels and heads at a 208 x 336 input (the double reference of
     * 800 x 1344's 4200 x 1050 scores takes seconds; bench shows that size) */
    {"attn1111_c4", 1, 256, 13, 21, 8, "1111", -1, 2, 1, -1, 1, 0},
    {"attn1111_c5", 1, 512, 7, 11, 8, "1111", -1, 2, 1, -1, 1, 0},
    {"attn0010_c4", 1, 256, 13, 21, 8, "0010", -1, 2, 1, -1, 1, 0},
    /* key rows past 64 columns: the tensor-core kernel's tiles are chunks
     * of a row (with and without a local window) */
    {"w70_kv1", 1, 16, 3, 70, 2, "1111", -1, 1, 1, -1, 1, 0},
    {"w150_sr5", 1, 16, 2, 150, 1, "1011", 5, 1, 1, -1, 1, 0},
};

extern const check_op clbb__check_gen_attention;

static uint32_t type_bits(const char *s) {
    uint32_t t = 0;
    for (int i = 0; i < 4; i++) t |= (uint32_t)(s[i] == '1') << i;
    return t;
}

static void push(case_list *l, clbb_dtype dtype, const ga_geom *g, uint32_t type, int quick,
                 const char *name) {
    for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
        check_case *c = check_push(l, &clbb__check_gen_attention, dtype);
        if (!c) return;
        c->quick = quick;
        c->in = (clbb_shape){g->n, g->c, g->h, g->w};
        c->family = (clbb_kernel_family)f;
        c->views = (int)(l->n % 3 == 0);
        const int d = g->c / g->heads;
        CHECK_PARAMS(c, ga_params)->d = (clbb_gen_attention_desc){
            g->heads, d, d, type, g->sr, g->qs, g->kvs, g->pe_dim > 0 ? g->pe_dim : g->c, g->mag};
        snprintf(c->name, sizeof c->name, "%s/%s", name,
                 clbb_kernel_family_name((clbb_kernel_family)f));
    }
}

static void ga_cases(case_list *l, int quick, clbb_dtype dtype) {
    /* every type on a square odd map (the transposed ones need it) */
    for (uint32_t t = 0; t < 16; t++) {
        static const int heads[] = {1, 3, 8};
        const int hd = heads[t % 3];
        const ga_geom g = {"", 1 + (t % 4 == 1), 24, 9, 9, hd, "", -1, 1 + (t % 2), 1, -1, 1, 0};
        char name[32];
        snprintf(name, sizeof name, "type%c%c%c%c_h%d", '0' + (t & 1), '0' + ((t >> 1) & 1),
                 '0' + ((t >> 2) & 1), '0' + ((t >> 3) & 1), hd);
        push(l, dtype, &g, t, t == 15 || t == 2, name);
    }
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(GEOMS); i++) {
        const ga_geom *g = &GEOMS[i];
        if (quick && !g->quick) continue;
        push(l, dtype, g, type_bits(g->type), g->quick, g->name);
    }
}

static const clbb_gen_attention_desc *desc_of(const check_case *c) {
    return &CHECK_PARAMS(c, ga_params)->d;
}

static clbb_status ga_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    const clbb_gen_attention_desc *d = desc_of(c);
    if (clbb__ga_desc_error(d, msg, ms)) return CLBB_ERR_INVALID_ARGUMENT;
    int hq, wq, hk, wk;
    clbb__ga_grids(d, c->in, &hq, &wq, &hk, &wk);
    *o = (clbb_shape){c->in.n, d->num_heads * d->v_dim, hq, wq};
    return CLBB_OK;
}

enum { P_AB, P_GB, P_FCX, P_FCY };

static clbb_status ga_data(const check_case *c, uint64_t *rng, check_data *d) {
    const clbb_gen_attention_desc *g = desc_of(c);
    const uint32_t t = g->attention_type;
    int hq, wq, hk, wk;
    clbb__ga_grids(g, c->in, &hq, &wq, &hk, &wk);
    const int n = c->in.n, M = g->num_heads;
    int k = 0;
    d->shape[k++] = c->in;
    d->shape[k++] = (clbb_shape){n, M * g->v_dim, hk, wk};
    if (clbb__ga_has_key(t)) d->shape[k++] = (clbb_shape){n, M * g->qk_dim, hk, wk};
    if (clbb__ga_has_query(t)) d->shape[k++] = (clbb_shape){n, M * g->qk_dim, hq, wq};
    d->num_inputs = k;
    for (int i = 0; i < k; i++) {
        /* values of mean 0.5 (the output is their weighted mean: signs
         * mixed, no cancellation to zero); q, k of energies O(1..5) */
        const float lo = i == 1 ? -0.5f : -1.0f, hi = i == 1 ? 1.5f : 1.0f;
        if (!(d->in[i] = check_rand(clbb_shape_numel(d->shape[i]), rng, lo, hi)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    const size_t od = (size_t)M * g->qk_dim, half = (size_t)g->position_embedding_dim / 2;
    /* mmcv's kaiming_uniform(a=1) bound of the Linear layers: sqrt(3 / fan_in) */
    const float b = (float)sqrt(3.0 / (double)(half ? half : 1));
    if (!(d->param[P_AB] = check_rand(od, rng, -0.5f, 0.5f)) ||
        !(d->param[P_GB] = check_rand(od, rng, -0.5f, 0.5f)) ||
        !(d->param[P_FCX] = check_rand(od * (half ? half : 1), rng, -b, b)) ||
        !(d->param[P_FCY] = check_rand(od * (half ? half : 1), rng, -b, b)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status ga_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_gen_attention_create(ctx, desc_of(c), d->param[P_AB], d->param[P_GB],
                                     d->param[P_FCX], d->param[P_FCY], &o, op);
}

static void ga_reference(const check_case *c, check_data *d) {
    const uint32_t t = desc_of(c)->attention_type;
    int k = 2;
    const float *kk = clbb__ga_has_key(t) ? d->in[k++] : NULL;
    const float *qq = clbb__ga_has_query(t) ? d->in[k++] : NULL;
    clbb_ref_gen_attention(desc_of(c), c->in, d->in[1], kk, qq, d->param[P_AB], d->param[P_GB],
                           d->param[P_FCX], d->param[P_FCY], d->ref);
}

static double ga_work(const check_case *c) {
    const clbb_gen_attention_desc *g = desc_of(c);
    int hq, wq, hk, wk;
    clbb__ga_grids(g, c->in, &hq, &wq, &hk, &wk);
    return (double)c->in.n * g->num_heads * hq * wq * hk * wk * (g->qk_dim + g->v_dim);
}

/* F32: the energy sums D + 2 dot products of O(1) terms in fp32 (~1e-6
 * absolute, which softmax turns into a relative error of the weights) and
 * the device's exp() (<= 4 ulp); the output is a weighted mean of values
 * in [-0.5, 1.5]. F16: the inputs are rounded for both sides; the output's
 * rounding is 2^-11 relative, plus the accumulated scores/weights kept in
 * fp32; the tensor-core kernel also rounds qa (q + appr_bias) and the
 * weights to half (2^-11 each). TF32 (tensor cores): qa, k, the weights and
 * v rounded to TF32 (2^-11 relative each): the energy's D products err by
 * ~sqrt(D) 2^-11 |q||k| (~1e-3 absolute at D = 32), a relative error of
 * the weights, and the weighted mean adds v's and the weights' rounding.
 * TF32X3 runs the strict kernel (held to F32's bound, check.c). */
const check_op clbb__check_gen_attention = {
    .name = "gen_attention",
    .cases = ga_cases,
    .out_shape = ga_out_shape,
    .make_data = ga_data,
    .create = ga_create,
    .reference = ga_reference,
    .tol = {[CLBB_PRECISION_FP32] = {2e-5, 2e-5, 2e-5},
            [CLBB_PRECISION_TF32X3] = {2e-5, 2e-5, 2e-5},
            [CLBB_PRECISION_TF32] = {3e-3, 3e-3, 3e-3},
            [CLBB_PRECISION_FP16] = {2e-3, 1e-3, 2e-3}},
    .rms_floor = 0.1,
    .work = ga_work,
    .math = 1,
};

/* upsample_add: GeneralizedAttention's q_stride > 1 tail (z at the query
 * grid, x the module input), other ratios, the 1x1 broadcast, a z larger
 * than x. */
typedef struct up_params {
    int zh, zw;
} up_params;

extern const check_op clbb__check_upsample_add;

static void up_cases(case_list *l, int quick, clbb_dtype dtype) {
    static const struct {
        const char *name;
        int n, c, h, w, zh, zw, quick;
    } G[] = {
        {"q2_20x20", 2, 5, 20, 20, 10, 10, 1}, {"q2_odd", 1, 3, 15, 11, 8, 6, 1},
        {"q3_odd", 1, 4, 9, 13, 3, 5, 0},      {"from_1x1", 2, 3, 7, 5, 1, 1, 0},
        {"down", 1, 2, 5, 6, 9, 11, 0},        {"c4_q2", 1, 256, 50, 84, 25, 42, 0},
    };
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(G); i++) {
        if (quick && !G[i].quick) continue;
        check_case *c = check_push(l, &clbb__check_upsample_add, dtype);
        if (!c) return;
        c->quick = G[i].quick;
        c->in = (clbb_shape){G[i].n, G[i].c, G[i].h, G[i].w};
        c->views = (int)(i % 2);
        CHECK_PARAMS(c, up_params)->zh = G[i].zh;
        CHECK_PARAMS(c, up_params)->zw = G[i].zw;
        snprintf(c->name, sizeof c->name, "%s", G[i].name);
    }
}

static clbb_status up_data(const check_case *c, uint64_t *rng, check_data *d) {
    const up_params *p = CHECK_PARAMS(c, up_params);
    d->num_inputs = 2;
    d->shape[0] = c->in;
    d->shape[1] = (clbb_shape){c->in.n, c->in.c, p->zh, p->zw};
    for (int i = 0; i < 2; i++)
        if (!(d->in[i] = check_rand(clbb_shape_numel(d->shape[i]), rng, -1, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status up_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_upsample_add_create(ctx, &o, op);
}

static void up_reference(const check_case *c, check_data *d) {
    clbb_ref_upsample_add(c->in, d->in[0], d->shape[1], d->in[1], d->ref);
}

/* F32: the source coordinate in fp32 (PyTorch's own CPU kernel computes it
 * in fp32 too) and four products: a few ulps of O(1). F16: the output's
 * rounding. */
const check_op clbb__check_upsample_add = {
    .name = "upsample_add",
    .cases = up_cases,
    .out_shape = check_out_same_shape,
    .make_data = up_data,
    .create = up_create,
    .reference = up_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-6, 2e-6, 2e-6}, [CLBB_PRECISION_FP16] = {1e-3, 1e-3, 1e-3}},
};
