/* Case tables of the conformance harness: tile edges, odd sizes, batch > 1,
 * every stride/dilation/group combination ResNet, ResNeXt and GhostNet use,
 * and their real layer shapes (at small spatial sizes so the double
 * reference stays quick on a CPU). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

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

static const clbb_conv_algo ALGOS[] = {
    CLBB_CONV_ALGO_DIRECT, CLBB_CONV_ALGO_IMPLICIT_GEMM, CLBB_CONV_ALGO_DEPTHWISE,
    CLBB_CONV_ALGO_WINOGRAD, CLBB_CONV_ALGO_GEMM_CLBLAST};

static int applicable(clbb_conv_algo a, const conv_geom *g) {
    switch (a) {
    case CLBB_CONV_ALGO_DEPTHWISE: return g->g == g->cin && g->g == g->cout;
    case CLBB_CONV_ALGO_WINOGRAD:
        return g->kh == 3 && g->kw == 3 && g->s == 1 && g->d == 1 && g->g == 1;
    case CLBB_CONV_ALGO_GEMM_CLBLAST: return g->g == 1 || g->quick;
    default: return 1;
    }
}

typedef struct case_list {
    clbb_check_case *v;
    size_t n, cap;
} case_list;

static clbb_check_case *push(case_list *l) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        clbb_check_case *p = realloc(l->v, cap * sizeof *p);
        if (!p) return NULL;
        l->v = p;
        l->cap = cap;
    }
    clbb_check_case *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    return c;
}

static void conv_cases(case_list *l, int quick) {
    int k = 0;
    for (size_t i = 0; i < sizeof CONV_GEOMS / sizeof CONV_GEOMS[0]; i++) {
        const conv_geom *g = &CONV_GEOMS[i];
        if (quick && !g->quick) continue;
        for (size_t a = 0; a < sizeof ALGOS / sizeof ALGOS[0]; a++) {
            if (!applicable(ALGOS[a], g)) continue;
            clbb_check_case *c = push(l);
            if (!c) return;
            c->op = CLBB_CHECK_CONV2D;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->cin, g->h, g->w};
            c->conv = (clbb_conv2d_desc){g->cin, g->cout, g->g, g->kh, g->kw, g->s, g->s,
                                         g->d, g->d, g->pt, g->pl, g->pb, g->pr};
            c->algo = ALGOS[a];
            /* rotate the epilogue variants so every combination is covered */
            switch (k++ % 6) {
            case 0: c->scale = 1; c->act = CLBB_ACTIVATION_RELU; break;
            case 1: c->bias = 1; break;
            case 2: c->scale = 1; c->residual = 1; c->act = CLBB_ACTIVATION_RELU; break;
            case 3: c->bias = c->scale = 1; c->act = CLBB_ACTIVATION_RELU6; c->views = 1; break;
            case 4: c->gate = 1; c->bias = 1; c->act = CLBB_ACTIVATION_HARD_SIGMOID; break;
            default: c->scale = c->residual = c->views = c->gate = 1; break;
            }
            snprintf(c->name, sizeof c->name, "%s/%s", g->name, clbb_conv_algo_name(c->algo));
        }
    }
}

typedef struct pool_geom {
    const char *name;
    int n, c, h, w, k, s, p, ceil, count_pad, quick;
} pool_geom;

static const pool_geom POOLS[] = {
    {"r50_maxpool_k3s2p1", 2, 8, 16, 16, 3, 2, 1, 0, 1, 1},
    {"maxpool_odd", 1, 5, 33, 47, 3, 2, 1, 0, 1, 1},
    {"maxpool_ceil", 1, 3, 7, 9, 3, 2, 0, 1, 1, 0},
    {"maxpool_ceil_pad", 1, 3, 8, 10, 3, 2, 1, 1, 1, 0},
    {"maxpool_k2s2", 3, 4, 7, 5, 2, 2, 0, 0, 1, 0},
    {"avgdown_k2s2_ceil", 2, 6, 7, 9, 2, 2, 0, 1, 0, 1},
    {"avgdown_k1s1", 1, 6, 5, 5, 1, 1, 0, 1, 0, 0},
    {"avg_pad_count", 1, 4, 7, 7, 3, 2, 1, 0, 1, 1},
    {"avg_pad_nocount", 1, 4, 7, 7, 3, 2, 1, 0, 0, 0},
    {"avg_ceil_pad_count", 2, 3, 8, 6, 3, 2, 1, 1, 1, 0},
    {"avg_k3s1", 1, 5, 9, 11, 3, 1, 1, 0, 0, 0},
};

static void pool_cases(case_list *l, clbb_check_op op, int quick) {
    for (size_t i = 0; i < sizeof POOLS / sizeof POOLS[0]; i++) {
        const pool_geom *g = &POOLS[i];
        if (quick && !g->quick) continue;
        clbb_check_case *c = push(l);
        if (!c) return;
        c->op = op;
        c->quick = g->quick;
        c->views = (int)(i % 2);
        c->in = (clbb_shape){g->n, g->c, g->h, g->w};
        c->pool = (clbb_pool2d_desc){g->k, g->k, g->s, g->s, g->p, g->p, g->ceil, g->count_pad};
        snprintf(c->name, sizeof c->name, "%s", g->name);
    }
}

typedef struct elt_geom {
    const char *name;
    int n, c, h, w, quick;
} elt_geom;

static const elt_geom ELTS[] = {
    {"tiny", 1, 1, 1, 1, 1},      {"odd", 2, 3, 7, 13, 1},     {"vec_edge", 1, 5, 1, 3, 0},
    {"r50_l1", 1, 256, 14, 14, 0}, {"batch4", 4, 16, 9, 9, 0}, {"wide_plane", 1, 2, 33, 65, 0},
    {"ghost_se_7x7", 2, 480, 7, 7, 0},
};

static void elt_cases(case_list *l, clbb_check_op op, int quick) {
    static const clbb_activation acts[] = {CLBB_ACTIVATION_NONE, CLBB_ACTIVATION_RELU,
                                           CLBB_ACTIVATION_RELU6, CLBB_ACTIVATION_HARD_SIGMOID};
    int k = 0;
    for (size_t i = 0; i < sizeof ELTS / sizeof ELTS[0]; i++) {
        const elt_geom *g = &ELTS[i];
        if (quick && !g->quick) continue;
        for (int v = 0; v < 2; v++) {
            clbb_check_case *c = push(l);
            if (!c) return;
            c->op = op;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->views = v;
            c->act = (op == CLBB_CHECK_MUL || op == CLBB_CHECK_GLOBAL_AVG_POOL) ? 0 : acts[k % 4];
            c->residual = (op == CLBB_CHECK_BATCH_NORM || op == CLBB_CHECK_GROUP_NORM) && (k % 2);
            k++;
            if (op == CLBB_CHECK_GROUP_NORM) {
                static const int gs[] = {1, 2, 4, 8, 16, 32};
                int grp = 1;
                for (int j = 5; j >= 0; j--)
                    if (g->c % gs[j] == 0 && (k + j) % 2 == 0) { grp = gs[j]; break; }
                c->groups = grp;
            }
            snprintf(c->name, sizeof c->name, "%s%s", g->name, v ? "/view" : "");
        }
    }
}

size_t clbb_check_cases(clbb_check_op op, int quick, clbb_check_case **cases) {
    case_list l = {0};
    switch (op) {
    case CLBB_CHECK_CONV2D: conv_cases(&l, quick); break;
    case CLBB_CHECK_MAX_POOL2D:
    case CLBB_CHECK_AVG_POOL2D: pool_cases(&l, op, quick); break;
    default: elt_cases(&l, op, quick); break;
    }
    *cases = l.v;
    return l.n;
}
