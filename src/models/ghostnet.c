/* GhostNet (huawei-noah ghostnet_pytorch / timm, SPEC A §3): stem, the ten
 * `blocks` stages of Ghost bottlenecks with optional SE, blocks.9 ConvBnAct.
 * The head (conv_head, classifier) is not part of the backbone. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "core/internal.h"

typedef struct ghost_row {
    int k, exp, c;
    double se;
    int s;
} ghost_row;

static const ghost_row STAGE_ROWS[9][5] = {
    {{3, 16, 16, 0, 1}},
    {{3, 48, 24, 0, 2}},
    {{3, 72, 24, 0, 1}},
    {{5, 72, 40, 0.25, 2}},
    {{5, 120, 40, 0.25, 1}},
    {{3, 240, 80, 0, 2}},
    {{3, 200, 80, 0, 1}, {3, 184, 80, 0, 1}, {3, 184, 80, 0, 1}, {3, 480, 112, 0.25, 1},
     {3, 672, 112, 0.25, 1}},
    {{5, 672, 160, 0.25, 2}},
    {{5, 960, 160, 0, 1}, {5, 960, 160, 0.25, 1}, {5, 960, 160, 0, 1}, {5, 960, 160, 0.25, 1}},
};

static int stage_len(int s) {
    int n = 0;
    while (n < 5 && STAGE_ROWS[s][n].k) n++;
    return n;
}

static int bottleneck(builder *b, const char *p, int x, int in, int mid, int out, int k, int s,
                      double se_ratio) {
    char key[128];
    snprintf(key, sizeof key, "%s.ghost1", p);
    conv_spec g1 = build_ghost(b, key, in, mid, 1, 1, 0, 1, 1, 2, 3, 1);
    conv_spec dw;
    graph_norm dwn;
    if (s > 1) {
        snprintf(key, sizeof key, "%s.conv_dw", p);
        dw = build_conv(b, key, mid, mid, k, s, (k - 1) / 2, 1, mid, 0);
        snprintf(key, sizeof key, "%s.bn_dw", p);
        graph_add_bn(b->g, key, mid, 1e-5f, &dwn);
    }
    conv_spec ser, see;
    if (se_ratio > 0) {
        int rd = make_divisible(mid * se_ratio, 4);
        snprintf(key, sizeof key, "%s.se.conv_reduce", p);
        ser = build_conv(b, key, mid, rd, 1, 1, 0, 1, 1, 1);
        snprintf(key, sizeof key, "%s.se.conv_expand", p);
        see = build_conv(b, key, rd, mid, 1, 1, 0, 1, 1, 1);
    }
    snprintf(key, sizeof key, "%s.ghost2", p);
    conv_spec g2 = build_ghost(b, key, mid, out, 1, 1, 0, 1, 1, 2, 3, 0);
    int identity = in == out && s == 1;
    conv_spec sc0, sc2;
    graph_norm sn1, sn3;
    if (!identity) {
        snprintf(key, sizeof key, "%s.shortcut.0", p);
        sc0 = build_conv(b, key, in, in, k, s, (k - 1) / 2, 1, in, 0);
        snprintf(key, sizeof key, "%s.shortcut.1", p);
        graph_add_bn(b->g, key, in, 1e-5f, &sn1);
        snprintf(key, sizeof key, "%s.shortcut.2", p);
        sc2 = build_conv(b, key, in, out, 1, 1, 0, 1, 1, 0);
        snprintf(key, sizeof key, "%s.shortcut.3", p);
        graph_add_bn(b->g, key, out, 1e-5f, &sn3);
    }
    int v = emit_conv(b, &g1, NULL, tref_all(x), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
    if (v < 0) return -1;
    if (s > 1) {
        v = emit_conv(b, &dw, &dwn, tref_all(v), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (v < 0) return -1;
    }
    tref gate = tref_none();
    if (se_ratio > 0) {
        clbb_pool2d_desc none = {0};
        char name[128];
        snprintf(name, sizeof name, "%s.se.avg_pool", p);
        int pooled = emit_pool(b, name, NODE_GAP, tref_all(v), mid, none);
        if (pooled < 0) return -1;
        int r = emit_conv(b, &ser, NULL, tref_all(pooled), CLBB_ACTIVATION_RELU, tref_none(),
                          tref_none());
        if (r < 0) return -1;
        int gv = emit_conv(b, &see, NULL, tref_all(r), CLBB_ACTIVATION_HARD_SIGMOID, tref_none(),
                           tref_none());
        if (gv < 0) return -1;
        gate = tref_all(gv); /* x * gate, fused into ghost2's primary conv */
    }
    tref res = tref_all(x);
    if (!identity) {
        int t = emit_conv(b, &sc0, &sn1, tref_all(x), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (t < 0) return -1;
        t = emit_conv(b, &sc2, &sn3, tref_all(t), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (t < 0) return -1;
        res = tref_all(t);
    }
    return emit_conv(b, &g2, NULL, tref_all(v), CLBB_ACTIVATION_NONE, res, gate);
}

clbb_status build_ghostnet(const clbb_model_config *cfg, graph *g, char *eb, size_t es) {
    builder b = {g, cfg, 0};
    double w = cfg->width;
    g->input = graph_value_add(g, cfg->in_channels);
    if (g->input < 0) return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    int c0 = make_divisible(16 * w, 4);
    conv_spec stem = build_conv(&b, "conv_stem", cfg->in_channels, c0, 3, 2, 1, 1, 1, 0);
    graph_norm bn1;
    graph_add_bn(g, "bn1", c0, 1e-5f, &bn1);
    int x = emit_conv(&b, &stem, &bn1, tref_all(g->input), CLBB_ACTIVATION_RELU, tref_none(),
                      tref_none());
    int in = c0;
    int stage_out[10];
    for (int s = 0; s < 9 && x >= 0; s++) {
        for (int j = 0; j < stage_len(s) && x >= 0; j++) {
            const ghost_row *r = &STAGE_ROWS[s][j];
            char p[48];
            snprintf(p, sizeof p, "blocks.%d.%d", s, j);
            int out = make_divisible(r->c * w, 4), mid = make_divisible(r->exp * w, 4);
            x = bottleneck(&b, p, x, in, mid, out, r->k, r->s, r->se);
            in = out;
        }
        stage_out[s] = x;
    }
    if (x >= 0) {
        int last = make_divisible(960 * w, 4);
        conv_spec c9 = build_conv(&b, "blocks.9.0.conv", in, last, 1, 1, 0, 1, 1, 0);
        graph_norm n9;
        graph_add_bn(g, "blocks.9.0.bn1", last, 1e-5f, &n9);
        x = emit_conv(&b, &c9, &n9, tref_all(x), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
        stage_out[9] = x;
    }
    if (b.oom || x < 0) return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    clbb__build_outputs(g, cfg, stage_out, (int)CLBB_ARRAY_SIZE(stage_out));
    return CLBB_OK;
}
