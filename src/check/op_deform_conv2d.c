/* Conformance cases of deform_conv2d (mmcv's DeformConv2d and
 * ModulatedDeformConv2d): offsets fractional, large (|o| up to 2x the
 * map), integer and half-integer (samples exactly on pixels and on the
 * h > -1 / h < H borders), mostly outside the image; masks spread over
 * [0, 1] and piled near 0 and 1; conv groups 1/2/32, deform groups
 * 1/2/4, stride 2, dilation 2, odd sizes, batch > 1, an input smaller
 * than the kernel, the real c3-c5 conv2 shapes of ResNet-50 (128/256/512
 * channels) at small maps; v1 and v2, both kernel families, the epilogue
 * variants of conv2d (BN folded + ReLU, bias, residual + ReLU, channel
 * views of x, offsets, mask and output), and explicit tunings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

typedef struct dcn_params {
    clbb_deform_conv2d_desc dc;
    int bias, scale;
    int off_kind;  /* 0 fractional in [-1.5, 1.5], 1 large, 2 integer/half, 3 mostly outside */
    int mask_kind; /* 0 uniform [0, 1], 1 near 0 and 1, 2 logits in [-6, 6] (mask_sigmoid) */
} dcn_params;
_Static_assert(sizeof(dcn_params) <= CHECK_PARAMS_MAX, "dcn_params fits a case");

typedef struct dcn_geom {
    const char *name;
    int n, cin, h, w, cout, kh, kw, s, p, d, g, dg, v2, off, mask;
    int quick;
} dcn_geom;

/* name, N, Cin, H, W, Cout, KH, KW, stride, pad, dilation, groups,
 * deform_groups, v2, offset kind, mask kind, quick */
static const dcn_geom GEOMS[] = {
    {"frac_v1", 1, 16, 9, 11, 24, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 1},
    {"frac_v2", 1, 16, 9, 11, 24, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1},
    {"large_off_v1", 1, 8, 7, 9, 16, 3, 3, 1, 1, 1, 1, 1, 0, 1, 0, 0},
    {"large_off_v2", 2, 8, 7, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 1},
    {"int_off_v1", 1, 12, 8, 8, 12, 3, 3, 1, 1, 1, 1, 1, 0, 2, 0, 1},
    {"int_off_v2", 1, 12, 8, 8, 12, 3, 3, 1, 1, 1, 1, 2, 1, 2, 1, 0},
    {"outside_v1", 1, 8, 6, 7, 8, 3, 3, 1, 1, 1, 1, 1, 0, 3, 0, 0},
    {"outside_v2", 1, 8, 6, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 3, 1, 0},
    {"mask_extremes", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1},
    /* the mask as logits, the op's sigmoid (how the model runs DCNv2) */
    {"mask_logits", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 0, 2, 1},
    {"mask_logits_dg2_odd", 2, 10, 7, 9, 12, 3, 3, 1, 1, 1, 1, 2, 1, 1, 2, 0},
    {"dg2_v2", 1, 16, 8, 8, 32, 3, 3, 1, 1, 1, 1, 2, 1, 0, 0, 1},
    {"dg4_v1", 1, 32, 7, 7, 32, 3, 3, 1, 1, 1, 1, 4, 0, 0, 0, 0},
    {"dg4_v2_large", 1, 32, 7, 7, 32, 3, 3, 1, 1, 1, 1, 4, 1, 1, 0, 0},
    {"g2_dg2", 1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 2, 2, 1, 0, 0, 1},
    {"g2_dg4", 2, 16, 6, 6, 24, 3, 3, 1, 1, 1, 2, 4, 0, 0, 0, 0},
    {"x_g32_l1", 1, 128, 6, 6, 128, 3, 3, 1, 1, 1, 32, 1, 1, 0, 0, 1},
    {"x_g32_s2", 1, 128, 9, 9, 128, 3, 3, 2, 1, 1, 32, 1, 0, 0, 0, 0},
    {"stride2_v1", 2, 32, 9, 9, 48, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 1},
    {"stride2_v2", 1, 32, 10, 11, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0, 0},
    {"dilation2_v1", 1, 16, 11, 11, 16, 3, 3, 1, 2, 2, 1, 1, 0, 0, 0, 1},
    {"dilation2_v2", 1, 16, 11, 9, 24, 3, 3, 1, 2, 2, 1, 2, 1, 0, 0, 0},
    {"odd_v1", 1, 5, 13, 7, 7, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"odd_v2", 1, 7, 5, 13, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"batch3_v2", 3, 12, 5, 6, 20, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1},
    {"tiny_1x1_input", 2, 8, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"tiny_2x2_v2", 1, 8, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"rect_k1x3", 1, 8, 7, 9, 8, 1, 3, 1, 0, 1, 1, 2, 1, 0, 0, 0},
    /* CPU tile: 35 positions in blocks of 14 (the last moved back) */
    {"cpu_blocks", 1, 16, 5, 7, 40, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    /* ResNet-50 DCN stages: conv2 of c3 (first block stride 2), c4, c5 */
    {"r50_c3_conv2_s2", 1, 128, 13, 13, 128, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 1},
    {"r50_c3_conv2", 1, 128, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"r50_c4_conv2", 1, 256, 6, 6, 256, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"r50_c4_conv2_v2", 1, 256, 5, 7, 256, 3, 3, 1, 1, 1, 1, 1, 1, 0, 2, 1},
    {"r50_c5_conv2", 1, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"r50_c5_conv2_s2", 1, 512, 7, 7, 512, 3, 3, 2, 1, 1, 1, 1, 0, 0, 0, 0},
};

/* Explicit tunings: GPU tiles narrower than the work-group's columns,
 * 1-wide vectors and split-K; CPU one vector per pass, a few positions and
 * small channel chunks. */
typedef struct dcn_tuning {
    clbb_kernel_family family;
    const char *tuning, *expect;
} dcn_tuning;
static const dcn_tuning TUNINGS[] = {
    {CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=32,TK=8,WM=4,WN=4", "t32x32x8_w4x4"},
    {CLBB_KERNEL_FAMILY_GPU, "TM=16,TN=16,TK=4,WM=2,WN=1", "t16x16x4_w2x1"},
    {CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=32,TK=8,WM=4,WN=4,KS=3", "_ks3"},
    {CLBB_KERNEL_FAMILY_CPU, "MV=1,NR=5,NB=1,CK=2", "x1_p5x1_c2"},
    {CLBB_KERNEL_FAMILY_CPU, "MV=2,NR=3,NB=3,CK=1", "x2_p3x3_c1"},
};
static const dcn_geom TUNED_GEOMS[] = {
    {"t_dg2_v2", 2, 16, 7, 9, 37, 3, 3, 1, 1, 1, 1, 2, 1, 0, 0, 0},
    {"t_g2_s2_v1", 1, 24, 10, 9, 20, 3, 3, 2, 1, 1, 2, 1, 0, 1, 0, 0},
};

extern const check_op clbb__check_deform_conv2d;

static check_case *push(case_list *l, clbb_dtype dtype, const dcn_geom *g,
                        clbb_kernel_family fam) {
    check_case *c = check_push(l, &clbb__check_deform_conv2d, dtype);
    if (!c) return NULL;
    dcn_params *p = CHECK_PARAMS(c, dcn_params);
    c->quick = g->quick;
    c->in = (clbb_shape){g->n, g->cin, g->h, g->w};
    c->family = fam;
    p->dc.conv = (clbb_conv2d_desc){g->cin, g->cout, g->g, g->kh, g->kw, g->s, g->s,
                                    g->d, g->d, g->p, g->p, g->p, g->p};
    /* a 1xK kernel pads only along w */
    if (g->kh == 1) p->dc.conv.pad_top = p->dc.conv.pad_bottom = 0;
    p->dc.deform_groups = g->dg;
    p->dc.modulated = g->v2;
    p->dc.mask_sigmoid = g->v2 && g->mask == 2;
    p->off_kind = g->off;
    p->mask_kind = g->mask;
    return c;
}

/* conv2d's epilogue variants (no gate), rotated */
static void epilogue_variant(check_case *c, int k) {
    dcn_params *p = CHECK_PARAMS(c, dcn_params);
    switch (k % 5) {
    case 0: p->scale = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 1: p->bias = 1; break;
    case 2: p->scale = 1; c->residual = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 3: p->bias = p->scale = 1; c->act = CLBB_ACTIVATION_RELU6; c->views = 1; break;
    default: p->scale = c->residual = c->views = 1; c->act = CLBB_ACTIVATION_SIGMOID; break;
    }
}

static void dcn_cases(case_list *l, int quick, clbb_dtype dtype) {
    int k = 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(GEOMS); i++) {
        const dcn_geom *g = &GEOMS[i];
        if (quick && !g->quick) continue;
        const int variant = k++;
        for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
            check_case *c = push(l, dtype, g, (clbb_kernel_family)f);
            if (!c) return;
            epilogue_variant(c, variant);
            snprintf(c->name, sizeof c->name, "%s/%s", g->name,
                     clbb_kernel_family_name((clbb_kernel_family)f));
        }
    }
    if (quick) return;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(TUNED_GEOMS); i++)
        for (size_t t = 0; t < CLBB_ARRAY_SIZE(TUNINGS); t++) {
            const dcn_tuning *tc = &TUNINGS[t];
            check_case *c = push(l, dtype, &TUNED_GEOMS[i], tc->family);
            if (!c) return;
            CHECK_PARAMS(c, dcn_params)->bias = 1;
            c->residual = 1;
            c->act = CLBB_ACTIVATION_RELU;
            clbb__strlcpy(c->tuning, tc->tuning, sizeof c->tuning);
            clbb__strlcpy(c->expect, tc->expect, sizeof c->expect);
            snprintf(c->name, sizeof c->name, "%s/%s[%s]", TUNED_GEOMS[i].name,
                     clbb_kernel_family_name(tc->family), tc->tuning);
        }
}

static clbb_status dcn_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    return clbb_deform_conv2d_output_shape(&CHECK_PARAMS(c, dcn_params)->dc, c->in, o, msg, ms);
}

enum { P_W, P_BIAS, P_SCALE, P_SHIFT };
enum { IN_X, IN_OFF };

static float *make_offsets(const dcn_params *p, size_t n, int h, int w, uint64_t *rng) {
    const float big = 2.0f * (float)(h > w ? h : w);
    switch (p->off_kind) {
    case 1: return check_rand(n, rng, -big, big);
    case 2: {
        /* integers and half-integers: samples exactly on pixels, on the
         * -1 and H borders and halfway between pixels */
        float *o = check_rand(n, rng, -4.0f, 4.0f);
        if (o)
            for (size_t i = 0; i < n; i++) o[i] = floorf(o[i] * 2.0f) / 2.0f;
        return o;
    }
    case 3:
        /* negative, from half the map to its size (and 2 more): most taps
         * sample above or left of the image, the rest near its far edge */
        return check_rand(n, rng, -big / 2 - 2.0f, -big / 4);
    default: return check_rand(n, rng, -1.5f, 1.5f);
    }
}

static clbb_status dcn_data(const check_case *c, uint64_t *rng, check_data *d) {
    const dcn_params *p = CHECK_PARAMS(c, dcn_params);
    const clbb_conv2d_desc *k = &p->dc.conv;
    const int kk = k->kernel_h * k->kernel_w, dg = p->dc.deform_groups;
    clbb_shape o = d->out;
    d->shape[IN_X] = c->in;
    d->shape[IN_OFF] = (clbb_shape){o.n, 2 * dg * kk, o.h, o.w};
    d->num_inputs = 2;
    if (!(d->in[IN_X] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)) ||
        !(d->in[IN_OFF] = make_offsets(p, clbb_shape_numel(d->shape[IN_OFF]), c->in.h,
                                       c->in.w, rng)))
        return CLBB_ERR_OUT_OF_MEMORY;
    /* the offsets and mask of DCNv2 are slices of one conv_offset output */
    d->viewed[IN_OFF] = c->views;
    if (p->dc.modulated) {
        const int m = d->num_inputs++;
        d->shape[m] = (clbb_shape){o.n, dg * kk, o.h, o.w};
        const size_t n = clbb_shape_numel(d->shape[m]);
        if (!(d->in[m] = check_rand(n, rng, p->mask_kind == 2 ? -6 : 0, p->mask_kind == 2 ? 6 : 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
        if (p->mask_kind == 1)
            for (size_t i = 0; i < n; i++)
                d->in[m][i] = d->in[m][i] < 0.5f ? d->in[m][i] * 0.02f
                                                 : 1.0f - (d->in[m][i] - 0.5f) * 0.02f;
        d->viewed[m] = c->views;
    }
    if (c->residual) {
        d->shape[d->num_inputs] = o;
        if (!(d->in[d->num_inputs++] = check_rand(clbb_shape_numel(o), rng, -1, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    /* outputs of about unit scale: weights of variance ~1/fan_in (bilinear
     * samples are averages, somewhat smaller than the inputs) */
    const size_t fan_in = (size_t)(k->in_channels / k->groups) * kk;
    return check_conv_params(rng, fan_in, k->out_channels, p->bias, p->scale, d->param);
}

static clbb_status dcn_create(clbb_context *ctx, const check_case *c, const check_data *d,
                              clbb_op **op) {
    const dcn_params *p = CHECK_PARAMS(c, dcn_params);
    clbb_epilogue e = {d->param[P_SCALE], d->param[P_SHIFT], c->residual, c->act};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.dtype = c->dtype;
    o.family = c->family;
    o.tuning = c->tuning[0] ? c->tuning : NULL;
    o.math = check_case_math(c);
    return clbb_deform_conv2d_create(ctx, &p->dc, d->param[P_W], d->param[P_BIAS], &e, &o, op);
}

static void dcn_reference(const check_case *c, check_data *d) {
    const dcn_params *p = CHECK_PARAMS(c, dcn_params);
    clbb_epilogue e = {d->param[P_SCALE], d->param[P_SHIFT], c->residual, c->act};
    const int m = p->dc.modulated;
    const float *mask = m ? d->in[IN_OFF + 1] : NULL;
    const float *res = c->residual ? d->in[IN_OFF + 1 + m] : NULL;
    clbb_ref_deform_conv2d(&p->dc, c->in, d->in[IN_X], d->in[IN_OFF], mask, d->param[P_W],
                           d->param[P_BIAS], &e, res, d->ref);
}

static double dcn_work(const check_case *c) {
    const clbb_conv2d_desc *k = &CHECK_PARAMS(c, dcn_params)->dc.conv;
    clbb_shape o;
    if (clbb_deform_conv2d_output_shape(&CHECK_PARAMS(c, dcn_params)->dc, c->in, &o, NULL, 0) !=
        CLBB_OK)
        return 0;
    /* the samples cost about as much as a GEMM column of 8 channels */
    return (double)o.n * o.h * o.w * (k->in_channels / k->groups) * k->kernel_h * k->kernel_w *
           (o.c + 8.0);
}

/* Tolerances. F32: conv2d's (fp32 accumulation over up to 4608 terms of
 * O(1/sqrt(K)) products: rel_l2 1e-5, atol 4e-5, rtol 1e-5), with atol
 * raised to 5e-5 for the bilinear sample: its four weights are two float
 * products each, the sample a 4-term float sum and the mask a further
 * product, so each term of the sum carries ~4 more roundings of 2^-24 than
 * a plain conv's, and the kernels compute h = base + offset in float where
 * the reference adds in double (a sample next to a pixel edge may then take
 * the other floor, which moves its value by a rounding only, bilinear
 * interpolation being continuous; mmcv's border rule is continuous too).
 * F16: x, offsets, mask, residual and output are stored in half; the
 * reference reads the same rounded values, so what remains is the output's
 * rounding (2^-11 relative), as conv2d. TF32 and TF32X3: conv2d's
 * reasoning (the bilinear samples are fp32 values rounded or split like
 * any other operand), with TF32X3's atol at deform's fp32 atol plus
 * conv2d's TF32X3 increment. */
const check_op clbb__check_deform_conv2d = {
    .name = "deform_conv2d",
    .cases = dcn_cases,
    .out_shape = dcn_out_shape,
    .make_data = dcn_data,
    .create = dcn_create,
    .reference = dcn_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 5e-5, 1e-5},
            [CLBB_PRECISION_FP16] = {2e-3, 2e-3, 2e-3},
            [CLBB_PRECISION_TF32X3] = {1e-5, 7e-5, 1.5e-5},
            [CLBB_PRECISION_TF32] = {2e-3, 3e-3, 2e-3}},
    .math = 1,
    .rms_floor = 0.1,
    .work = dcn_work,
};
