/* mmcv ContextBlock (GCNet, context_block.py): context pooling (attention
 * through conv_mask and a softmax over H*W, or a global average), then per
 * fusion an MLP on the N x C x 1 x 1 context (1x1 conv C -> planes with
 * bias, LayerNorm([planes, 1, 1]) + ReLU, 1x1 conv planes -> C with bias;
 * channel_mul ends in a sigmoid; one context_mlp node), then out = x * mul + add in one
 * channel_affine node (the block may fuse its residual and ReLU there). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "plugins.h"

static int planes_of(const clbb_plugin_config *pl, int in_channels) {
    return (int)(in_channels * pl->ratio); /* Python's int(): toward zero */
}

static clbb_status cb_validate(const clbb_plugin_config *pl, int k, int in_channels, char *err,
                               size_t n) {
    if (isnan(pl->ratio))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.ratio' is required: "
                              "ContextBlock.__init__() missing 1 required positional argument: "
                              "'ratio'",
                              k);
    if (!isfinite(pl->ratio))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.ratio' = %g: must be a finite number", k,
                              pl->ratio);
    if (pl->pooling_att != 0 && pl->pooling_att != 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.pooling_type' = %d: must be 'att' (1) "
                              "or 'avg' (0)",
                              k, pl->pooling_att);
    if ((pl->fusion_add != 0 && pl->fusion_add != 1) || (pl->fusion_mul != 0 && pl->fusion_mul != 1))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.fusion_types': fusion_add and "
                              "fusion_mul must be 0 or 1",
                              k);
    if (!pl->fusion_add && !pl->fusion_mul)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.fusion_types' is empty: at least one "
                              "fusion should be used",
                              k);
    const double planes = trunc((double)in_channels * pl->ratio);
    if (planes > (1 << 20))
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "argument 'plugins[%d].cfg.ratio' = %g: planes = int(%d * %g) = "
                              "%.0f channels is beyond clbb's limit",
                              k, pl->ratio, in_channels, pl->ratio, planes);
    if (planes < 1)
        return clbb__fail_buf(err, n, planes < 0 ? CLBB_ERR_CONFIG : CLBB_ERR_UNSUPPORTED,
                              "argument 'plugins[%d].cfg.ratio' = %g: planes = int(%d * %g) = "
                              "%.0f channels; clbb needs at least 1",
                              k, pl->ratio, in_channels, pl->ratio, planes);
    return CLBB_OK;
}

typedef struct mlp {
    conv_spec c0, c3;
    graph_norm ln;
} mlp;

static mlp mlp_params(builder *b, const char *name, const char *branch, int c, int planes) {
    mlp m;
    char key[160];
    snprintf(key, sizeof key, "%s.%s.0", name, branch);
    m.c0 = build_conv(b, key, c, planes, 1, 1, 0, 1, 1, 1);
    snprintf(key, sizeof key, "%s.%s.1", name, branch);
    graph_norm ln = {NORM_NONE, -1, -1, -1, -1, 1e-5f, 0};
    ln.weight = plugin_param(b, key, "weight", ROLE_NORM_WEIGHT, 3, planes, 1, 1, 0);
    ln.bias = plugin_param(b, key, "bias", ROLE_NORM_BIAS, 3, planes, 1, 1, 0);
    m.ln = ln;
    snprintf(key, sizeof key, "%s.%s.3", name, branch);
    m.c3 = build_conv(b, key, planes, c, 1, 1, 0, 1, 1, 1);
    return m;
}

/* conv, LayerNorm + ReLU, conv [+ sigmoid] on the context: one node (the
 * context_mlp op, two kernels) */
static int mlp_emit(builder *b, const char *name, const char *branch, const mlp *m, int ctx,
                    int channels, clbb_activation last) {
    const int v = plugin_value(b, channels);
    if (v < 0) return -1;
    graph_node n;
    char nn[160];
    snprintf(nn, sizeof nn, "%s.%s", name, branch);
    graph_node_init(&n, NODE_CONTEXT_MLP, nn);
    n.weight = m->c0.weight;
    n.bias = m->c0.bias;
    n.norm = m->ln;
    n.weight2 = m->c3.weight;
    n.bias2 = m->c3.bias;
    n.in[NODE_IN] = tref_all(ctx);
    n.out = tref_all(v);
    n.act = last;
    plugin_node(b, &n);
    return b->oom ? -1 : v;
}

static int cb_build(builder *b, const char *name, const clbb_plugin_config *pl, int channels,
                    int x) {
    const int planes = planes_of(pl, channels);
    char key[160];
    /* parameters in PyTorch order: conv_mask, channel_add_conv, channel_mul_conv */
    conv_spec mask = {0};
    if (pl->pooling_att) {
        snprintf(key, sizeof key, "%s.conv_mask", name);
        mask = build_conv(b, key, channels, 1, 1, 1, 0, 1, 1, 1);
    }
    mlp add, mul;
    memset(&add, 0, sizeof add);
    memset(&mul, 0, sizeof mul);
    if (pl->fusion_add) add = mlp_params(b, name, "channel_add_conv", channels, planes);
    if (pl->fusion_mul) mul = mlp_params(b, name, "channel_mul_conv", channels, planes);
    if (b->oom) return -1;

    int ctx;
    if (pl->pooling_att) {
        ctx = plugin_value(b, channels);
        if (ctx < 0) return -1;
        graph_node n;
        snprintf(key, sizeof key, "%s.spatial_pool", name);
        graph_node_init(&n, NODE_CONTEXT_POOL, key);
        n.weight = mask.weight;
        n.bias = mask.bias;
        n.in[NODE_IN] = tref_all(x);
        n.out = tref_all(ctx);
        plugin_node(b, &n);
    } else {
        snprintf(key, sizeof key, "%s.avg_pool", name);
        clbb_pool2d_desc none = {0};
        ctx = emit_pool(b, key, NODE_GAP, tref_all(x), channels, none);
    }
    if (ctx < 0 || b->oom) return -1;
    int mv = -1, av = -1;
    if (pl->fusion_mul &&
        (mv = mlp_emit(b, name, "channel_mul_conv", &mul, ctx, channels,
                           CLBB_ACTIVATION_SIGMOID)) < 0)
        return -1;
    if (pl->fusion_add &&
        (av = mlp_emit(b, name, "channel_add_conv", &add, ctx, channels,
                           CLBB_ACTIVATION_NONE)) < 0)
        return -1;
    int out = plugin_value(b, channels);
    if (out < 0) return -1;
    graph_node n;
    snprintf(key, sizeof key, "%s.fusion", name);
    graph_node_init(&n, NODE_CHANNEL_AFFINE, key);
    n.in[NODE_IN] = tref_all(x);
    n.in[NODE_AFF_MUL] = mv >= 0 ? tref_all(mv) : tref_none();
    n.in[NODE_AFF_ADD] = av >= 0 ? tref_all(av) : tref_none();
    n.out = tref_all(out);
    n.act = CLBB_ACTIVATION_NONE;
    plugin_node(b, &n);
    return b->oom ? -1 : out;
}

const plugin_desc clbb__plugin_context_block = {"ContextBlock", "context_block", cb_build,
                                                cb_validate};
