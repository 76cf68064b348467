/* Conformance cases of conv2d: tile edges, odd sizes, batch > 1, every
 * stride/dilation/group combination ResNet, ResNeXt and GhostNet use and
 * their real layer shapes (at small spatial sizes so the double reference
 * stays quick on a CPU), times every algorithm that applies and each of
 * its kernel families; the output_add epilogue (add_* cases) on the
 * algorithms that compute it and AUTO; then explicit tunings of the GEMM
 * kernels, each with the variant it must select. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cl/conv2d_registry.h"

typedef struct conv_params {
    clbb_conv2d_desc conv;
    int bias, scale, gate;
    int add; /* options.output_add: an N x Cout x 1 x 1 input after the gate */
    int huge; /* weights 1e5 times the usual: outputs beyond half's range */
} conv_params;
_Static_assert(sizeof(conv_params) <= CHECK_PARAMS_MAX, "conv_params fits a case");

typedef struct conv_geom {
    const char *name;
    int n, cin, h, w, cout, kh, kw, s, pt, pl, pb, pr, d, g;
    int quick;
} conv_geom;

/* name, N, Cin, H, W, Cout, KH, KW, stride, pads t/l/b/r, dilation, groups, quick */
static const conv_geom CONV_GEOMS[] = {
    /* tile edges in output channels (M), pixels (N) and reduction (K) */
    {"edge_m1", 1, 5, 9, 7, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {"edge_m15", 1, 8, 8, 8, 15, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m16", 1, 8, 8, 8, 16, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m17", 1, 8, 8, 8, 17, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m63", 1, 16, 6, 6, 63, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m64", 1, 16, 6, 6, 64, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"edge_m65", 1, 16, 6, 6, 65, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m127", 1, 8, 5, 5, 127, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_m129", 1, 8, 5, 5, 129, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_p63", 1, 16, 7, 9, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_p64", 1, 16, 8, 8, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_p65", 1, 16, 5, 13, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_p127", 1, 16, 1, 127, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_p129", 1, 16, 3, 43, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_k7", 1, 7, 6, 6, 24, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_k16", 1, 16, 6, 6, 24, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_k17", 1, 17, 6, 6, 24, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"edge_k33x9", 1, 33, 6, 6, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"odd_1x1_input", 2, 3, 1, 1, 13, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"odd_3x3_on_1x1", 1, 7, 1, 1, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"odd_13x33", 1, 3, 13, 33, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"batch3", 3, 13, 7, 5, 21, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {"asym_pad", 2, 6, 7, 8, 9, 3, 3, 2, 0, 1, 1, 0, 1, 1, 1},
    {"rect_1x5", 1, 8, 9, 11, 8, 1, 5, 1, 0, 2, 0, 2, 1, 1, 0},
    {"rect_5x1", 1, 8, 9, 11, 8, 5, 1, 1, 2, 0, 2, 0, 1, 1, 0},
    {"big_pad", 1, 4, 5, 5, 6, 3, 3, 1, 3, 3, 3, 3, 1, 1, 0},
    /* 3x3 stride-1 past a 128-row GEMM tile (Winograd's M edge) */
    {"edge_m129_3x3", 1, 16, 5, 7, 129, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    /* unpadded KxK: igemm gathers without window bounds tests here */
    {"valid_3x3", 1, 8, 8, 9, 16, 3, 3, 1, 0, 0, 0, 0, 1, 1, 0},
    {"valid_3x3_s2_d2", 2, 8, 11, 12, 12, 3, 3, 2, 0, 0, 0, 0, 2, 1, 1},
    /* igemm's CPU micro-kernel (MV vectors of output channels x RB rows x
     * NW columns per work-item): the last row block moved back over its
     * neighbour (7 rows in blocks of 2), the last column block moved back
     * (20 columns in blocks of 14) with a half-empty last M vector, a
     * strided 1x1 with asymmetric pads (padded copy of a 1x1's input), and
     * an input too large for one L2 super-block (partial last one) */
    {"cpu_rows_moved_back", 2, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"cpu_cols_moved_back", 1, 16, 5, 20, 40, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"cpu_k1s2_asym_pad", 1, 24, 9, 9, 48, 1, 1, 2, 0, 1, 1, 0, 1, 1, 0},
    {"cpu_superblocks", 1, 256, 40, 40, 32, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    /* ResNet: stem, bottleneck convs, downsample, both styles */
    {"r50_stem_k7s2", 1, 3, 33, 47, 64, 7, 7, 2, 3, 3, 3, 3, 1, 1, 1},
    {"r50_stem_k7s2_b2", 2, 3, 32, 32, 64, 7, 7, 2, 3, 3, 3, 3, 1, 1, 0},
    {"r50_l1_conv1", 1, 64, 14, 14, 64, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"r50_l1_conv2", 1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
    {"r50_l1_conv3", 1, 64, 14, 14, 256, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"r50_l2_conv2_s2", 2, 128, 15, 15, 128, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},
    {"r50_l2_ds_1x1s2", 1, 256, 15, 15, 512, 1, 1, 2, 0, 0, 0, 0, 1, 1, 1},
    {"r50_caffe_conv1_s2", 1, 256, 9, 9, 128, 1, 1, 2, 0, 0, 0, 0, 1, 1, 0},
    {"r50_l4_conv2", 1, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"r18_conv_s2", 1, 64, 9, 9, 128, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0},
    {"dilated_d2", 1, 64, 9, 9, 64, 3, 3, 1, 2, 2, 2, 2, 2, 1, 1},
    {"dilated_d4", 1, 32, 11, 11, 32, 3, 3, 1, 4, 4, 4, 4, 4, 1, 0},
    {"v1d_stem0", 2, 3, 31, 31, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},
    {"v1d_stem2", 1, 32, 16, 16, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    /* ResNeXt grouped 3x3 */
    {"x50_32x4d_l1", 1, 128, 10, 10, 128, 3, 3, 1, 1, 1, 1, 1, 1, 32, 1},
    {"x50_32x4d_l2_s2", 2, 256, 9, 9, 256, 3, 3, 2, 1, 1, 1, 1, 1, 32, 1},
    {"x101_64x4d_l1", 1, 256, 6, 6, 256, 3, 3, 1, 1, 1, 1, 1, 1, 64, 0},
    {"x_grouped_dilated", 1, 64, 9, 9, 64, 3, 3, 1, 2, 2, 2, 2, 2, 8, 0},
    {"grouped_odd", 1, 12, 7, 7, 18, 3, 3, 1, 1, 1, 1, 1, 1, 3, 0},
    /* GhostNet */
    {"ghost_stem", 1, 3, 32, 32, 16, 3, 3, 2, 1, 1, 1, 1, 1, 1, 0},
    {"ghost_primary", 2, 16, 14, 14, 8, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"ghost_cheap_dw3", 2, 8, 14, 14, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 1},
    {"ghost_cheap_odd", 1, 5, 9, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 5, 0},
    {"ghost_cheap_ratio3", 1, 6, 8, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 6, 0},
    {"ghost_dw_k5s2", 1, 72, 15, 15, 72, 5, 5, 2, 2, 2, 2, 2, 1, 72, 1},
    {"ghost_dw_k3s2", 2, 48, 14, 14, 48, 3, 3, 2, 1, 1, 1, 1, 1, 48, 0},
    {"ghost_dw_k5s1", 1, 120, 7, 7, 120, 5, 5, 1, 2, 2, 2, 2, 1, 120, 0},
    {"dw_dilated", 1, 16, 11, 11, 16, 3, 3, 1, 2, 2, 2, 2, 2, 16, 0},
    {"dw_k7_wide", 1, 4, 5, 37, 4, 7, 7, 1, 3, 3, 3, 3, 1, 4, 0},
    {"ghost_se_reduce", 2, 72, 1, 1, 20, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"ghost_se_expand", 2, 20, 1, 1, 72, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"ghost_head_1x1", 1, 160, 7, 7, 960, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"ghost_resnet_primary_k7", 1, 3, 17, 17, 32, 7, 7, 2, 3, 3, 3, 3, 1, 1, 0},
};

/* options.output_add (GCNet's channel_add term folded into the conv before
 * it): 1x1 and 3x3, batch 1 and 3, odd sizes, groups, a ResNet conv3 with
 * its GCNet add, and two split-K shapes (long K, few columns), each also
 * run with a tuned K split (ADD_SPLITS) since only GPUs split K unasked.
 * The quick subset (sanitizers, emulated tensor cores, oclgrind) keeps a
 * 1x1 with a batch, a strided 3x3 and a split-K 1x1: each new geometry is
 * a PoCL program build per family there. */
static const conv_geom ADD_GEOMS[] = {
    {"add_1x1", 1, 16, 7, 5, 24, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"add_1x1_b3_odd", 3, 13, 5, 7, 19, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"add_3x3_odd", 1, 7, 9, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"add_3x3_b3_s2", 3, 12, 11, 9, 33, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1},
    {"add_3x3_g4_b3", 3, 24, 7, 9, 20, 3, 3, 1, 1, 1, 1, 1, 1, 4, 0},
    {"add_gcnet_conv3", 2, 64, 7, 7, 256, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"add_splitk_3x3", 1, 256, 3, 3, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"add_splitk_1x1_b3", 3, 512, 2, 3, 24, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
};
#define ADD_SPLITK_FIRST 6 /* ADD_GEOMS from here on get a tuned split-K case */
static const char *const ADD_SPLITS[] = {"KS=4", "KS=3"};
_Static_assert(CLBB_ARRAY_SIZE(ADD_GEOMS) - ADD_SPLITK_FIRST == CLBB_ARRAY_SIZE(ADD_SPLITS),
               "one K split per split-K add geometry");

/* Explicit tunings: geometries whose shapes reach the kernel paths the
 * per-device defaults do not (fewer work-items than tile columns, 2- and
 * 1-wide local vectors, A and B slices smaller than the work-group, TM =
 * 4, split-K; for the CPU micro-kernel float4/float8 vectors, 4 and 1
 * vectors per item, several rows on an odd number of rows (the last block
 * moved back over its neighbour), columns a block does not divide, a
 * partial last super-block; for depthwise rows in steps of 4 vectors with
 * the last moved back, rows narrower than a vector, strides 2 and 3), all
 * with residual, SE gate and ReLU. */
static const conv_geom TUNED_GEOMS[] = {
    {"t3x3", 2, 19, 9, 11, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0},
    {"t3x3_g4_s2_asym", 1, 24, 10, 9, 20, 3, 3, 2, 0, 1, 1, 0, 1, 4, 0},
    {"t1x1", 2, 33, 7, 5, 70, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0},
    {"t3x3_g8", 1, 32, 7, 7, 24, 3, 3, 1, 1, 1, 1, 1, 1, 8, 0},
    {"tdw3", 2, 24, 13, 33, 24, 3, 3, 1, 1, 1, 1, 1, 1, 24, 0},
    {"tdw5_s2_wide", 1, 16, 15, 113, 16, 5, 5, 2, 2, 2, 2, 2, 1, 16, 0},
    {"tdw3_narrow", 1, 8, 9, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 0},
    {"tdw3_s3_asym", 1, 8, 12, 40, 8, 3, 3, 3, 0, 1, 1, 0, 1, 8, 0},
    {"tdw1", 1, 8, 6, 70, 8, 1, 1, 1, 0, 0, 0, 0, 1, 8, 0},
};

typedef struct tuned_case {
    clbb_conv_algo algo;
    clbb_kernel_family family;
    const char *tuning, *expect;
} tuned_case;

static const tuned_case TUNINGS[] = {
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=32,TK=8,WM=4,WN=4", "t32x32x8_w4x4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=128,TK=16,WM=8,WN=8", "t32x128x16_w8x8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=16,TN=16,TK=4,WM=2,WN=1", "t16x16x4_w2x1"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=128,TN=64,TK=16,WM=8,WN=4", "t128x64x16_w8x4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=4,TN=64,TK=32,WM=1,WN=2", "t4x64x32_w1x2"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=64,TN=8,TK=8,WM=16,WN=4", "t64x8x8_w16x4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TN=16,TK=4", "x16x4_"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=32,TK=8,WM=4,WN=4,KS=3", "t32x32x8_w4x4_ks3"},
    {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=32,TK=8,WM=4,WN=4", "t32x32x8_w4x4"},
    {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TM=32,TN=128,TK=16,WM=8,WN=8", "t32x128x16_w8x8"},
    {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TM=16,TN=16,TK=4,WM=2,WN=1", "t16x16x4_w2x1"},
    {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TM=4,TN=64,TK=32,WM=1,WN=2", "t4x64x32_w1x2"},
    {CLBB_CONV_ALGO_WINOGRAD, CLBB_KERNEL_FAMILY_GPU, "TN=16,TK=4", "x16x4_"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=4,MV=4,RB=1,NW=4", "igemm_cpu_v4x4_p1x4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=8,MV=1,RB=3,NW=3,SB=5", "igemm_cpu_v8x1_p3x3"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=16,MV=2,RB=2,NW=2,SB=1", "igemm_cpu_v16x2_p2x2"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_CPU, "VW=16,MV=1,RB=4,NW=1", "igemm_cpu_v16x1_p4x1"},
    {CLBB_CONV_ALGO_DEPTHWISE, CLBB_KERNEL_FAMILY_GPU, "OW_T=2", "depthwise_k"},
    {CLBB_CONV_ALGO_DEPTHWISE, CLBB_KERNEL_FAMILY_CPU, "VW=16", "depthwise_cpu_"},
};

static const clbb_conv_algo ALGOS[] = {
    CLBB_CONV_ALGO_DIRECT, CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_CONV_ALGO_DEPTHWISE,
    CLBB_CONV_ALGO_WINOGRAD, CLBB_CONV_ALGO_GEMM_CLBLAST};

static clbb_conv2d_desc geom_desc(const conv_geom *g) {
    return (clbb_conv2d_desc){g->cin, g->cout, g->g, g->kh, g->kw, g->s, g->s,
                              g->d, g->d, g->pt, g->pl, g->pb, g->pr};
}

extern const check_op clbb__check_conv2d;

static check_case *push_conv(case_list *l, clbb_dtype dtype, const conv_geom *g,
                             clbb_conv_algo algo, clbb_kernel_family fam) {
    check_case *c = check_push(l, &clbb__check_conv2d, dtype);
    if (!c) return NULL;
    conv_params *p = CHECK_PARAMS(c, conv_params);
    c->quick = g->quick;
    c->in = (clbb_shape){g->n, g->cin, g->h, g->w};
    c->family = fam;
    c->algo = algo;
    p->conv = geom_desc(g);
    return c;
}

/* The epilogue variants, rotated so that every combination is covered. */
static void epilogue_variant(check_case *c, int k) {
    conv_params *p = CHECK_PARAMS(c, conv_params);
    switch (k % 7) {
    case 0: p->scale = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 1: p->bias = 1; break;
    case 2: p->scale = 1; c->residual = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 3: p->bias = p->scale = 1; c->act = CLBB_ACTIVATION_RELU6; c->views = 1; break;
    case 4: p->gate = 1; p->bias = 1; c->act = CLBB_ACTIVATION_HARD_SIGMOID; break;
    case 5: p->bias = p->scale = 1; c->act = CLBB_ACTIVATION_SIGMOID; break;
    default: p->scale = c->residual = c->views = p->gate = 1; break;
    }
}

/* The epilogue variants of the add cases: any three in a row have one
 * with and one without residual. */
static void add_variant(check_case *c, int k) {
    conv_params *p = CHECK_PARAMS(c, conv_params);
    p->add = 1;
    switch (k % 4) {
    case 0: p->bias = p->scale = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 1: p->scale = 1; c->residual = 1; c->act = CLBB_ACTIVATION_RELU; break;
    case 2: p->bias = p->gate = c->residual = c->views = 1; break;
    default: p->bias = p->scale = c->views = 1; c->act = CLBB_ACTIVATION_SIGMOID; break;
    }
}

static void add_cases(case_list *l, int quick, clbb_dtype dtype) {
    int k = 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(ADD_GEOMS); i++) {
        const conv_geom *g = &ADD_GEOMS[i];
        if (quick && !g->quick) continue;
        const clbb_conv2d_desc d = geom_desc(g);
        /* every algorithm that computes output_add, in each of its
         * families, then AUTO (which must resolve to one of them) */
        for (size_t a = 0; a <= CLBB_ARRAY_SIZE(ALGOS); a++) {
            const clbb_conv_algo al = a < CLBB_ARRAY_SIZE(ALGOS) ? ALGOS[a] : CLBB_CONV_ALGO_AUTO;
            if (al != CLBB_CONV_ALGO_AUTO &&
                (!clbb__conv_takes_output_add(al) || clbb__conv_unsupported(al, &d, dtype)))
                continue;
            const unsigned fams = al == CLBB_CONV_ALGO_AUTO ? 0 : clbb__conv_families(al);
            for (int f = CLBB_KERNEL_FAMILY_AUTO; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
                if (fams ? !((fams >> f) & 1u) : f != CLBB_KERNEL_FAMILY_AUTO) continue;
                check_case *c = push_conv(l, dtype, g, al, (clbb_kernel_family)f);
                if (!c) return;
                add_variant(c, k++);
                if (al == CLBB_CONV_ALGO_AUTO) {
                    clbb__strlcpy(c->expect, "igemm", sizeof c->expect);
                    snprintf(c->name, sizeof c->name, "%s/auto", g->name);
                } else {
                    snprintf(c->name, sizeof c->name, "%s/%s/%s", g->name, clbb_conv_algo_name(al),
                             clbb_kernel_family_name((clbb_kernel_family)f));
                }
            }
        }
        if (i < ADD_SPLITK_FIRST) continue;
        check_case *c =
            push_conv(l, dtype, g, CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_KERNEL_FAMILY_GPU);
        if (!c) return;
        add_variant(c, k++);
        const char *ks = ADD_SPLITS[i - ADD_SPLITK_FIRST];
        clbb__strlcpy(c->tuning, ks, sizeof c->tuning);
        clbb__strlcpy(c->expect, "_ks", sizeof c->expect);
        snprintf(c->name, sizeof c->name, "%s/igemm/gpu[%s]", g->name, ks);
    }
}

static void conv_cases(case_list *l, int quick, clbb_dtype dtype) {
    add_cases(l, quick, dtype);
    int k = 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(CONV_GEOMS); i++) {
        const conv_geom *g = &CONV_GEOMS[i];
        if (quick && !g->quick) continue;
        const clbb_conv2d_desc d = geom_desc(g);
        for (size_t a = 0; a < CLBB_ARRAY_SIZE(ALGOS); a++) {
            if (clbb__conv_unsupported(ALGOS[a], &d, dtype)) continue;
            /* the baseline's grouped GEMMs are many tiny CLBlast calls: the
             * quick geometries are enough */
            if (ALGOS[a] == CLBB_CONV_ALGO_GEMM_CLBLAST && g->g > 1 && !g->quick) continue;
            const unsigned fams = clbb__conv_families(ALGOS[a]);
            const int both = fams == (1u << CLBB_KERNEL_FAMILY_GPU | 1u << CLBB_KERNEL_FAMILY_CPU);
            const int variant = k++;
            for (int f = both ? CLBB_KERNEL_FAMILY_GPU : CLBB_KERNEL_FAMILY_AUTO;
                 f <= (both ? CLBB_KERNEL_FAMILY_CPU : CLBB_KERNEL_FAMILY_AUTO); f++) {
                check_case *c = push_conv(l, dtype, g, ALGOS[a], (clbb_kernel_family)f);
                if (!c) return;
                epilogue_variant(c, variant);
                snprintf(c->name, sizeof c->name, "%s/%s%s%s", g->name, clbb_conv_algo_name(ALGOS[a]),
                         both ? "/" : "", both ? clbb_kernel_family_name((clbb_kernel_family)f) : "");
            }
        }
    }
    if (quick) return;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(TUNED_GEOMS); i++) {
        const conv_geom *g = &TUNED_GEOMS[i];
        const clbb_conv2d_desc d = geom_desc(g);
        for (size_t t = 0; t < CLBB_ARRAY_SIZE(TUNINGS); t++) {
            const tuned_case *tc = &TUNINGS[t];
            if (clbb__conv_unsupported(tc->algo, &d, dtype)) continue;
            check_case *c = push_conv(l, dtype, g, tc->algo, tc->family);
            if (!c) return;
            conv_params *p = CHECK_PARAMS(c, conv_params);
            p->bias = p->gate = 1;
            c->residual = 1;
            c->act = CLBB_ACTIVATION_RELU;
            clbb__strlcpy(c->tuning, tc->tuning, sizeof c->tuning);
            clbb__strlcpy(c->expect, tc->expect, sizeof c->expect);
            snprintf(c->name, sizeof c->name, "%s/%s/%s[%s]", g->name, clbb_conv_algo_name(tc->algo),
                     clbb_kernel_family_name(tc->family), tc->tuning);
        }
    }
}

static clbb_status conv_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    return clbb_conv2d_output_shape(&CHECK_PARAMS(c, conv_params)->conv, c->in, o, msg, ms);
}

enum { P_W, P_BIAS, P_SCALE, P_SHIFT };
enum { IN_X, IN_RES, IN_GATE };

/* The index of the add input: after x and the residual and gate present. */
static int add_input(const check_case *c) {
    const conv_params *p = CHECK_PARAMS(c, conv_params);
    return IN_RES + c->residual + p->gate;
}

static clbb_status conv_data(const check_case *c, uint64_t *rng, check_data *d) {
    const conv_params *p = CHECK_PARAMS(c, conv_params);
    const clbb_conv2d_desc *k = &p->conv;
    CLBB_CHECK(check_conv_inputs(c, rng, d, p->gate));
    if (p->add) {
        /* fresh values of the output's scale, bound as a channel view
         * (a_off, a_bs that are not 0, Cout) with the case's views */
        const int a = d->num_inputs++;
        d->shape[a] = (clbb_shape){c->in.n, k->out_channels, 1, 1};
        d->viewed[a] = c->views;
        if (!(d->in[a] = check_rand((size_t)c->in.n * k->out_channels, rng, -1, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    /* outputs of unit scale: weights of variance ~1/fan_in */
    const size_t fan_in = (size_t)(k->in_channels / k->groups) * k->kernel_h * k->kernel_w;
    clbb_status st = check_conv_params(rng, fan_in, k->out_channels, p->bias, p->scale, d->param);
    if (st == CLBB_OK && p->huge)
        for (size_t i = 0; i < fan_in * k->out_channels; i++) d->param[P_W][i] *= 1e5f;
    return st;
}

void check_conv2d_overflow_case(check_case *c, clbb_dtype dtype) {
    memset(c, 0, sizeof *c);
    c->op = &clbb__check_conv2d;
    c->dtype = dtype;
    c->in = (clbb_shape){1, 16, 6, 6};
    c->algo = CLBB_CONV_ALGO_AUTO;
    conv_params *p = CHECK_PARAMS(c, conv_params);
    p->conv = (clbb_conv2d_desc){16, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    p->bias = p->huge = 1;
    snprintf(c->name, sizeof c->name, "overflow_1x1_huge_weights");
}

static clbb_status conv_create(clbb_context *ctx, const check_case *c, const check_data *d,
                               clbb_op **op) {
    const conv_params *p = CHECK_PARAMS(c, conv_params);
    clbb_epilogue e = {d->param[P_SCALE], d->param[P_SHIFT], c->residual, c->act};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.dtype = c->dtype;
    o.family = c->family;
    o.algo = (clbb_conv_algo)c->algo;
    o.tuning = c->tuning[0] ? c->tuning : NULL;
    o.input_gate = p->gate;
    o.output_add = p->add;
    o.math = check_case_math(c);
    return clbb_conv2d_create(ctx, &p->conv, d->param[P_W], d->param[P_BIAS], &e, &o, op);
}

static void conv_reference(const check_case *c, check_data *d) {
    const conv_params *p = CHECK_PARAMS(c, conv_params);
    clbb_epilogue e = {d->param[P_SCALE], d->param[P_SHIFT], c->residual, c->act};
    const float *res = c->residual ? d->in[IN_RES] : NULL;
    const float *gate = p->gate ? d->in[IN_RES + c->residual] : NULL;
    const float *add = p->add ? d->in[add_input(c)] : NULL;
    const clbb_conv2d_desc *k = &p->conv;
    const size_t per_out = (size_t)(k->in_channels / k->groups) * k->kernel_h * k->kernel_w;
    /* F16 stores the folded weights in half: the reference uses the same
     * rounded weights (check_conv_stored_params), except for Winograd, which
     * rounds its transformed filter U = G g G^T instead (F16's tolerance
     * covers that: see below). On out of memory the unrounded weights
     * remain, which only loosens the comparison. */
    float *wq = NULL, *bq = NULL;
    if (c->algo != CLBB_CONV_ALGO_WINOGRAD &&
        check_conv_stored_params(c->dtype, k->out_channels, per_out, d->param[P_W],
                                 d->param[P_BIAS], d->param[P_SCALE], d->param[P_SHIFT], &wq,
                                 &bq) == CLBB_OK &&
        wq) {
        e.scale = e.shift = NULL;
        clbb_ref_conv2d_add(k, c->in, d->in[IN_X], wq, bq, &e, res, gate, add, d->ref);
    } else {
        clbb_ref_conv2d_add(k, c->in, d->in[IN_X], d->param[P_W], d->param[P_BIAS], &e, res,
                            gate, add, d->ref);
    }
    free(wq);
    free(bq);
}

static double conv_work(const check_case *c) {
    const clbb_conv2d_desc *k = &CHECK_PARAMS(c, conv_params)->conv;
    clbb_shape o;
    if (clbb_conv2d_output_shape(k, c->in, &o, NULL, 0) != CLBB_OK) return 0;
    return (double)clbb_shape_numel(o) * (k->in_channels / k->groups) * k->kernel_h * k->kernel_w;
}

/* Tolerances. F32: fp32 accumulation over up to 4608 terms of O(1/sqrt(K))
 * products (Winograd adds its transforms' roundings); measured worst on
 * PoCL and an H200: rel_l2 6.5e-7, per element 1e-5 absolute (the CPU
 * micro-kernel on a 4608-term layer), so atol 4e-5 keeps a 4x margin while
 * one element off by 1e-4 fails. F16: inputs,
 * residual, gate and output are stored in half; the reference reads the
 * same rounded inputs, so what remains is the output's rounding (2^-11
 * relative) and, on the CPU kernels, the rounding of the padded, gated
 * input copy (2^-11 of each product, up to ~1e-3 absolute on an O(1)
 * output); fp16 tensor-core products (CLBB_MATH_FP16) round the fp32
 * weights to half as well (2^-11 relative, ~3e-4 rms over the sum), inside
 * the same bound. TF32: 10 explicit mantissa bits, each operand rounded to
 * nearest at 2^-11 relative (rms 2^-11/sqrt(3) per operand, ~4e-4 per
 * product, and so ~4e-4 rel_l2 over a sum of random-sign terms; per element
 * ~4e-4 of the O(1) output, 5 sigma 2e-3): rel_l2 2e-3, atol 3e-3, rtol
 * 2e-3. TF32X3: hi*hi + hi*lo + lo*hi of 2^-11-split operands drops lo*lo
 * (~2^-22 of each product) and rounds lo to TF32 (another ~2^-22), on top
 * of fp32 accumulation (2^-24 per add, which the tensor cores may truncate
 * rather than round): a few times fp32's per-product error, still far
 * below fp32's bound over a 4608-term sum: rel_l2 1e-5 as fp32, atol 6e-5,
 * rtol 1.5e-5. */
const check_op clbb__check_conv2d = {
    .name = "conv2d",
    .cases = conv_cases,
    .out_shape = conv_out_shape,
    .make_data = conv_data,
    .create = conv_create,
    .reference = conv_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 4e-5, 1e-5},
            [CLBB_PRECISION_FP16] = {2e-3, 2e-3, 2e-3},
            [CLBB_PRECISION_TF32X3] = {1e-5, 6e-5, 1.5e-5},
            [CLBB_PRECISION_TF32] = {2e-3, 3e-3, 2e-3}},
    .math = 1,
    /* pre-activation outputs are of unit scale by construction (conv_data) */
    .rms_floor = 0.1,
    .work = conv_work,
};
