/* mmcv NonLocal2d (non_local.py), every mode: with inter = max(C //
 * reduction, 1) channels, theta (N x 1 x HW x inter, a permuted view of a
 * conv that reads x as N x C x HW x 1) times phi (N x 1 x inter x HW', a
 * reshape of its conv, after MaxPool2d(2) with sub_sample) gives the
 * pairwise weights S (N x 1 x HW x HW'): softmax (scaled by 1/sqrt(inter)
 * with use_scale in embedded_gaussian; gaussian uses x itself as theta and
 * phi, unscaled), or a mean over the keys (dot_product; concatenation's
 * relu(w1.theta_i + w2.phi_j) as a rank-2 product). Then y' = g . S^T is
 * already N x inter x H x W in memory, and conv_out adds x in its epilogue. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "plugins.h"

static const char *const MODES[] = {"gaussian", "embedded_gaussian", "dot_product",
                                    "concatenation"};
enum { M_GAUSSIAN, M_EMBEDDED, M_DOT, M_CONCAT };

static int mode_of(const clbb_plugin_config *pl) {
    char mode[sizeof pl->mode];
    clbb__strlcpy(mode, pl->mode, sizeof mode);
    for (int i = 0; i < 4; i++)
        if (strcmp(mode, MODES[i]) == 0) return i;
    return -1;
}

/* max(in_channels // reduction, 1) with Python's floor division */
static int inter_of(const clbb_plugin_config *pl, int c) {
    long long q = (long long)c / pl->reduction;
    if ((long long)q * pl->reduction != c && (c < 0) != (pl->reduction < 0)) q--;
    return q < 1 ? 1 : (int)q;
}

static clbb_status nl_validate(const clbb_plugin_config *pl, int k, int in_channels, char *err,
                               size_t n) {
    (void)in_channels;
    if (mode_of(pl) < 0) {
        char mode[sizeof pl->mode];
        clbb__strlcpy(mode, pl->mode, sizeof mode);
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.mode' = '%s': Mode should be in "
                              "'gaussian', 'concatenation', 'embedded_gaussian' or "
                              "'dot_product'",
                              k, mode);
    }
    if (pl->reduction == 0)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.reduction' = 0: in_channels // "
                              "reduction divides by zero",
                              k);
    const struct { const char *name; int v; } flags[] = {
        {"use_scale", pl->use_scale}, {"sub_sample", pl->sub_sample}, {"norm_cfg", pl->nl_norm_bn}};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(flags); i++)
        if (flags[i].v != 0 && flags[i].v != 1)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'plugins[%d].cfg.%s' = %d: must be 0 or 1", k,
                                  flags[i].name, flags[i].v);
    return CLBB_OK;
}

static int emit_matmul(builder *b, const char *name, tref a, tref bm, float alpha, int per_col,
                       clbb_activation act) {
    int v = plugin_value(b, 1);
    if (v < 0) return -1;
    graph_node n;
    graph_node_init(&n, NODE_MATMUL, name);
    n.in[NODE_IN] = a;
    n.in[NODE_MM_B] = bm;
    n.out = tref_all(v);
    n.alpha = alpha;
    n.alpha_per_col = per_col;
    n.act = act;
    plugin_node(b, &n);
    return v;
}

/* concatenation: [w1.theta, 1] (half 0) or [1, w2.phi] (half 1) */
static int emit_pair(builder *b, const char *name, int weight, int half, int inter, tref in) {
    int v = plugin_value(b, 2);
    if (v < 0) return -1;
    graph_node n;
    graph_node_init(&n, NODE_PAIR_PROJ, name);
    n.conv = (clbb_conv2d_desc){inter, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    n.weight = weight;
    n.oc_off = half;
    n.in[NODE_IN] = in;
    n.out = tref_all(v);
    plugin_node(b, &n);
    return v;
}

static int nl_build(builder *b, const char *name, const clbb_plugin_config *pl, int channels,
                    int x) {
    const int mode = mode_of(pl), inter = inter_of(pl, channels), sub = pl->sub_sample;
    const clbb_pool2d_desc mp2 = {2, 2, 2, 2, 0, 0, 0, 0}; /* MaxPool2d(kernel_size=(2, 2)) */
    char key[160], key2[160];
    /* parameters in PyTorch order: g, conv_out, theta, phi, concat_project
     * (sub_sample wraps g and phi in Sequential(conv, pool) in place) */
    snprintf(key, sizeof key, "%s.g%s.conv", name, sub ? ".0" : "");
    conv_spec gc = build_conv(b, key, channels, inter, 1, 1, 0, 1, 1, 1);
    snprintf(key, sizeof key, "%s.conv_out.conv", name);
    conv_spec oc = build_conv(b, key, inter, channels, 1, 1, 0, 1, 1, !pl->nl_norm_bn);
    graph_norm on = {NORM_NONE, -1, -1, -1, -1, 0.0f, 0};
    snprintf(key, sizeof key, "%s.conv_out.bn", name);
    if (pl->nl_norm_bn && graph_add_bn(b->g, key, channels, 1e-5f, &on)) b->oom = 1;
    conv_spec tc = {0}, pc = {0};
    if (mode != M_GAUSSIAN) {
        snprintf(key, sizeof key, "%s.theta.conv", name);
        tc = build_conv(b, key, channels, inter, 1, 1, 0, 1, 1, 1);
        snprintf(key, sizeof key, "%s.phi%s.conv", name, sub ? ".0" : "");
        pc = build_conv(b, key, channels, inter, 1, 1, 0, 1, 1, 1);
    }
    int proj = -1;
    if (mode == M_CONCAT) {
        snprintf(key, sizeof key, "%s.concat_project.conv", name);
        proj = plugin_param(b, key, "weight", ROLE_CONV_WEIGHT, 4, 1, 2 * inter, 1, 1);
    }
    if (b->oom) return -1;

    const tref none = tref_none(), xa = tref_all(x);
    const tref x_col = tref_reshape(xa, TREF_C, TREF_HW, 1); /* N x C x HW x 1 */
    int gv = emit_conv(b, &gc, NULL, xa, CLBB_ACTIVATION_NONE, none, none);
    if (gv >= 0 && sub) {
        snprintf(key, sizeof key, "%s.g.1", name);
        gv = emit_pool(b, key, NODE_MAX_POOL, tref_all(gv), inter, mp2);
    }
    if (gv < 0) return -1;
    int tv, pv;
    if (mode == M_GAUSSIAN) {
        /* theta is x itself, transposed: one dense copy as N x C x HW x 1 */
        tv = plugin_value(b, channels);
        if (tv < 0) return -1;
        graph_node n;
        snprintf(key, sizeof key, "%s.theta", name);
        graph_node_init(&n, NODE_COPY, key);
        n.in[NODE_IN] = x_col;
        n.out = tref_all(tv);
        plugin_node(b, &n);
        pv = x;
        snprintf(key, sizeof key, "%s.phi", name);
        if (sub) pv = emit_pool(b, key, NODE_MAX_POOL, xa, channels, mp2);
    } else {
        tv = emit_conv(b, &tc, NULL, x_col, CLBB_ACTIVATION_NONE, none, none);
        pv = emit_conv(b, &pc, NULL, xa, CLBB_ACTIVATION_NONE, none, none);
        snprintf(key, sizeof key, "%s.phi.1", name);
        if (pv >= 0 && sub) pv = emit_pool(b, key, NODE_MAX_POOL, tref_all(pv), inter, mp2);
    }
    if (tv < 0 || pv < 0) return -1;
    tref a = tref_permute(tref_all(tv), 0, 3, 2, 1);                /* N x 1 x HW x K */
    tref bm = tref_reshape(tref_all(pv), 1, TREF_C, TREF_HW);       /* N x 1 x K x HW' */
    if (mode == M_CONCAT) {
        snprintf(key, sizeof key, "%s.concat_project[theta]", name);
        snprintf(key2, sizeof key2, "%s.concat_project[phi]", name);
        int av = emit_pair(b, key, proj, 0, inter, tref_all(tv));
        int bv = emit_pair(b, key2, proj, 1, inter, tref_reshape(tref_all(pv), TREF_C, 1, TREF_HW));
        if (av < 0 || bv < 0) return -1;
        a = tref_permute(tref_all(av), 0, 3, 2, 1); /* N x 1 x HW x 2 */
        bm = tref_permute(tref_all(bv), 0, 2, 1, 3); /* N x 1 x 2 x HW' */
    }
    const int mean = mode == M_DOT || mode == M_CONCAT;
    snprintf(key, sizeof key, "%s.pairwise", name);
    int sv = emit_matmul(b, key, a, bm, 1.0f, mean,
                         mode == M_CONCAT ? CLBB_ACTIVATION_RELU : CLBB_ACTIVATION_NONE);
    if (sv < 0) return -1;
    if (!mean) {
        graph_node n;
        snprintf(key, sizeof key, "%s.softmax", name);
        graph_node_init(&n, NODE_SOFTMAX, key);
        n.in[NODE_IN] = n.out = tref_all(sv);
        n.alpha = mode == M_EMBEDDED && pl->use_scale ? (float)(1.0 / sqrt((double)inter)) : 1.0f;
        plugin_node(b, &n);
    }
    snprintf(key, sizeof key, "%s.y", name);
    int yv = emit_matmul(b, key, tref_reshape(tref_all(gv), 1, TREF_C, TREF_HW),
                         tref_permute(tref_all(sv), 0, 1, 3, 2), 1.0f, 0, CLBB_ACTIVATION_NONE);
    if (yv < 0) return -1;
    int out = emit_conv(b, &oc, pl->nl_norm_bn ? &on : NULL, tref_reshape_like(tref_all(yv), x),
                        CLBB_ACTIVATION_NONE, xa, none);
    return b->oom ? -1 : out;
}

const plugin_desc clbb__plugin_non_local = {"NonLocal2d", "nonlocal_block", nl_build,
                                            nl_validate};
