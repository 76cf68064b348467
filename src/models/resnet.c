/* MMDetection ResNet / ResNetV1d / ResNeXt (mmdet 3.3.0, SPEC A §1), with
 * conv_cfg Ghost turning every conv into a Ghost module (docs/config.md) and dcn
 * turning Bottleneck conv2 into a deformable conv (SPEC A §1.11). */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "core/internal.h"
#include "plugins.h"
#include "resnet_arch.h"

static const char *norm_abbr(const clbb_model_config *cfg) {
    return cfg->norm_type == CLBB_NORM_GN ? "gn" : "bn";
}

/* Stem: conv1/bn1/relu or the deep stem, then maxpool 3/2/1. */
static int stem(builder *b, tref x, int *channels) {
    const clbb_model_config *cfg = b->cfg;
    int sc = cfg->stem_channels ? cfg->stem_channels : cfg->base_channels;
    int v;
    char key[64];
    if (cfg->deep_stem) {
        int half = sc / 2;
        conv_spec c0 = build_conv_cfg(b, "stem.0", cfg->in_channels, half, 3, 2, 1, 1, 1);
        graph_norm n1 = build_norm(b, "stem.1", half);
        conv_spec c3 = build_conv_cfg(b, "stem.3", half, half, 3, 1, 1, 1, 1);
        graph_norm n4 = build_norm(b, "stem.4", half);
        conv_spec c6 = build_conv_cfg(b, "stem.6", half, sc, 3, 1, 1, 1, 1);
        graph_norm n7 = build_norm(b, "stem.7", sc);
        v = emit_conv(b, &c0, &n1, x, CLBB_ACTIVATION_RELU, tref_none(), tref_none());
        v = emit_conv(b, &c3, &n4, tref_all(v), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
        v = emit_conv(b, &c6, &n7, tref_all(v), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
    } else {
        conv_spec c1 = build_conv_cfg(b, "conv1", cfg->in_channels, sc, 7, 2, 3, 1, 1);
        snprintf(key, sizeof key, "%s1", norm_abbr(cfg));
        graph_norm n1 = build_norm(b, key, sc);
        v = emit_conv(b, &c1, &n1, x, CLBB_ACTIVATION_RELU, tref_none(), tref_none());
    }
    if (v < 0) return -1;
    *channels = sc;
    clbb_pool2d_desc mp = {3, 3, 2, 2, 1, 1, 0, 0};
    return emit_pool(b, "maxpool", NODE_MAX_POOL, tref_all(v), sc, mp);
}

typedef struct block_args {
    char prefix[48]; /* "layer1.0" */
    int inplanes, planes, stride, dilation, downsample;
    int stage;
    int deform; /* conv2 is a DCN (clbb__dcn_conv2) */
} block_args;

static int plugin_at(const clbb_plugin_config *pl, int stage, int pos) {
    return pl->position == pos && (pl->num_stages == 0 || pl->stages[stage]);
}

/* The plugins of one position (1..3) that this stage has, chained in list
 * order, each registering its parameters after the block's own (PyTorch's
 * order: the block's layers, downsample, then the plugins by position). */
static int emit_plugins(builder *b, const block_args *ba, int pos, int channels, int x) {
    const clbb_model_config *cfg = b->cfg;
    for (int k = 0; k < cfg->num_plugins && x >= 0; k++) {
        const clbb_plugin_config *pl = &cfg->plugins[k];
        if (!plugin_at(pl, ba->stage, pos)) continue;
        const plugin_desc *d = clbb__plugin_find(pl->type);
        if (!d) return -1; /* validation refused it */
        char name[160];
        snprintf(name, sizeof name, "%s.%s%s", ba->prefix, d->abbr, pl->postfix);
        x = d->build(b, name, pl, channels, x);
    }
    return x;
}

/* relu(out + identity) after the after_conv3 plugins: fused into the last
 * node when it is a channel_affine or conv that adds nothing yet, else an
 * in-place add. */
static int plugins_tail(builder *b, int v, tref identity) {
    graph *g = b->g;
    graph_node *last = g->num_nodes ? &g->nodes[g->num_nodes - 1] : NULL;
    if (last && last->out.value == v && last->out.c0 == 0 && last->out.c == 0 &&
        last->in[NODE_RES].value < 0 && last->act == CLBB_ACTIVATION_NONE &&
        (last->kind == NODE_CHANNEL_AFFINE ||
         (last->kind == NODE_CONV && last->norm.kind != NORM_GN))) {
        last->in[NODE_RES] = identity;
        last->act = CLBB_ACTIVATION_RELU;
        return v;
    }
    graph_node a;
    char name[192];
    snprintf(name, sizeof name, "%s[+identity]", last ? last->name : "plugins");
    graph_node_init(&a, NODE_NORM, name);
    a.in[NODE_IN] = a.out = tref_all(v);
    a.in[NODE_RES] = identity;
    a.act = CLBB_ACTIVATION_RELU;
    if (graph_node_add(g, &a) < 0) b->oom = 1;
    return b->oom ? -1 : v;
}

static int block(builder *b, const resnet_arch *a, const block_args *ba, int x) {
    const clbb_model_config *cfg = b->cfg;
    const char *nb = norm_abbr(cfg);
    char k[8][96];
    const char *p = ba->prefix;
    int exp = a->bottleneck ? 4 : 1, outc = ba->planes * exp;
    snprintf(k[0], 96, "%s.conv1", p);
    snprintf(k[1], 96, "%s.%s1", p, nb);
    snprintf(k[2], 96, "%s.conv2", p);
    snprintf(k[3], 96, "%s.%s2", p, nb);
    snprintf(k[4], 96, "%s.conv3", p);
    snprintf(k[5], 96, "%s.%s3", p, nb);
    conv_spec c1, c2, c3, dc, co;
    graph_norm n1, n2, n3, dn;
    /* parameters in PyTorch registration order: conv1, bn1, conv2, bn2,
     * conv3, bn3, downsample */
    if (!a->bottleneck) {
        c1 = build_conv_cfg(b, k[0], ba->inplanes, ba->planes, 3, ba->stride, ba->dilation,
                            ba->dilation, 1);
        n1 = build_norm(b, k[1], ba->planes);
        c2 = build_conv_cfg(b, k[2], ba->planes, ba->planes, 3, 1, 1, 1, 1);
        n2 = build_norm(b, k[3], ba->planes);
        build_mark_zero_init(b, &n2);
    } else {
        int groups = cfg->type == CLBB_MODEL_RESNEXT ? cfg->groups : 1;
        /* validation bounds every width by CHANNELS_MAX */
        int width = (int)clbb__resnext_width(ba->planes, cfg->base_width, cfg->base_channels,
                                             groups);
        int s1 = cfg->style_caffe ? ba->stride : 1, s2 = cfg->style_caffe ? 1 : ba->stride;
        c1 = build_conv_cfg(b, k[0], ba->inplanes, width, 1, s1, 0, 1, 1);
        n1 = build_norm(b, k[1], width);
        const int v2 = !strcmp(cfg->dcn_type, "DCNv2"), dg = cfg->dcn_deform_groups;
        if (ba->deform) {
            /* DeformConv2dPack registers its weight, then conv_offset */
            char ko[112];
            snprintf(ko, sizeof ko, "%s.conv_offset", k[2]);
            c2 = build_conv(b, k[2], width, width, 3, s2, ba->dilation, ba->dilation, groups, 0);
            co = build_conv(b, ko, width, dg * (v2 ? 3 : 2) * 9, 3, s2, ba->dilation,
                            ba->dilation, 1, 1);
        } else {
            c2 = build_conv_cfg(b, k[2], width, width, 3, s2, ba->dilation, ba->dilation, groups);
        }
        n2 = build_norm(b, k[3], width);
        c3 = build_conv_cfg(b, k[4], width, outc, 1, 1, 0, 1, 1);
        n3 = build_norm(b, k[5], outc);
        /* mmdet's quirk: zero_init_residual never reaches the ResNeXt block */
        if (cfg->type != CLBB_MODEL_RESNEXT) build_mark_zero_init(b, &n3);
    }
    tref identity = tref_all(x);
    if (ba->downsample) {
        int ci = cfg->avg_down ? 1 : 0;
        snprintf(k[6], 96, "%s.downsample.%d", p, ci);
        snprintf(k[7], 96, "%s.downsample.%d", p, ci + 1);
        dc = build_conv_cfg(b, k[6], ba->inplanes, outc, 1, cfg->avg_down ? 1 : ba->stride, 0, 1, 1);
        dn = build_norm(b, k[7], outc);
        tref din = tref_all(x);
        if (cfg->avg_down) {
            char pn[96];
            snprintf(pn, sizeof pn, "%s.downsample.0", p);
            clbb_pool2d_desc ap = {ba->stride, ba->stride, ba->stride, ba->stride, 0, 0, 1, 0};
            int pv = emit_pool(b, pn, NODE_AVG_POOL, din, ba->inplanes, ap);
            if (pv < 0) return -1;
            din = tref_all(pv);
        }
        int d = emit_conv(b, &dc, &dn, din, CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (d < 0) return -1;
        identity = tref_all(d);
    }
    int v = emit_conv(b, &c1, &n1, tref_all(x), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
    if (v < 0) return -1;
    if (!a->bottleneck)
        return emit_conv(b, &c2, &n2, tref_all(v), CLBB_ACTIVATION_RELU, identity, tref_none());
    const int width = c2.d.out_channels;
    if ((v = emit_plugins(b, ba, 1, width, v)) < 0) return -1;
    if (ba->deform)
        v = emit_deform_conv(b, &c2, &co, &n2, tref_all(v), CLBB_ACTIVATION_RELU,
                             cfg->dcn_deform_groups, !strcmp(cfg->dcn_type, "DCNv2"));
    else
        v = emit_conv(b, &c2, &n2, tref_all(v), CLBB_ACTIVATION_RELU, tref_none(), tref_none());
    if (v < 0 || (v = emit_plugins(b, ba, 2, width, v)) < 0) return -1;
    int after3 = 0;
    for (int i = 0; i < cfg->num_plugins; i++) after3 |= plugin_at(&cfg->plugins[i], ba->stage, 3);
    if (!after3) return emit_conv(b, &c3, &n3, tref_all(v), CLBB_ACTIVATION_RELU, identity, tref_none());
    /* the plugins read bn3's output: the residual and ReLU come after them */
    v = emit_conv(b, &c3, &n3, tref_all(v), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
    if (v < 0 || (v = emit_plugins(b, ba, 3, outc, v)) < 0) return -1;
    return plugins_tail(b, v, identity);
}

clbb_status build_resnet(const clbb_model_config *cfg, graph *g, char *eb, size_t es) {
    const resnet_arch *a = clbb__resnet_arch(cfg->type, cfg->depth);
    if (!a) return clbb__fail_buf(eb, es, CLBB_ERR_CONFIG, "invalid depth %d for resnet", cfg->depth);
    builder b = {g, cfg, 0};
    g->input = graph_value_add(g, cfg->in_channels);
    if (g->input < 0) return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    int inplanes = 0;
    int x = stem(&b, tref_all(g->input), &inplanes);
    int stage_out[4] = {-1, -1, -1, -1};
    for (int s = 0; s < cfg->num_stages && x >= 0 && !b.oom; s++) {
        int planes = cfg->base_channels << s;
        int exp = a->bottleneck ? 4 : 1;
        for (int j = 0; j < a->blocks[s] && x >= 0; j++) {
            block_args ba;
            snprintf(ba.prefix, sizeof ba.prefix, "layer%d.%d", s + 1, j);
            ba.inplanes = inplanes;
            ba.planes = planes;
            ba.stride = j == 0 ? cfg->strides[s] : 1;
            ba.dilation = cfg->dilations[s];
            ba.downsample = j == 0 && (cfg->strides[s] != 1 || inplanes != planes * exp);
            ba.stage = s;
            ba.deform = a->bottleneck && clbb__dcn_conv2(cfg, s, j);
            x = block(&b, a, &ba, x);
            inplanes = planes * exp;
        }
        stage_out[s] = x;
    }
    if (b.oom || x < 0) return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "out of host memory");
    clbb__build_outputs(g, cfg, stage_out, cfg->num_stages);
    return CLBB_OK;
}
