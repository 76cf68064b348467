/* mmcv GeneralizedAttention (generalized_attention.py; "An Empirical Study
 * of Spatial Attention Mechanisms in Deep Networks"): the 1x1 query / key /
 * value convs (no bias) as conv nodes, with mmcv's kv (and q) subsampling,
 * AvgPool2d(1, stride), as the convs' stride (a 1x1 window of stride s
 * reads the pixels the pool keeps; no pool pass over x), the attention core (energy, local
 * window, softmax, value sum) as one gen_attention node, then proj_conv
 * (with bias) scaled by gamma with the residual x fused in its epilogue;
 * with q_stride > 1 the scaled projection is upsampled bilinearly
 * (align_corners=False) before the residual is added. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "plugins.h"

static uint32_t type_bits(const clbb_plugin_config *pl) {
    uint32_t t = 0;
    for (int i = 0; i < 4; i++) t |= (uint32_t)(pl->attention_type[i] == '1') << i;
    return t;
}

static int feat_dim(const clbb_plugin_config *pl, int in_channels) {
    return pl->position_embedding_dim > 0 ? pl->position_embedding_dim : in_channels;
}

static clbb_status ga_validate(const clbb_plugin_config *pl, int k, int in_channels, char *err,
                               size_t n) {
    const char *at = pl->attention_type;
    int ok = strlen(at) == 4;
    for (int i = 0; ok && i < 4; i++) ok = at[i] == '0' || at[i] == '1';
    if (!ok)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.attention_type' = '%.8s': must be four "
                              "characters 0 or 1 such as '1111'",
                              k, at);
    if (pl->num_heads < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.num_heads' = %d: must be >= 1 (mmcv "
                              "divides in_channels by it)",
                              k, pl->num_heads);
    if (in_channels / pl->num_heads < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.num_heads' = %d: more heads than the "
                              "%d in_channels (qk_embed_dim = in_channels // num_heads = 0)",
                              k, pl->num_heads, in_channels);
    if (pl->kv_stride < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.kv_stride' = %d: must be >= 1", k,
                              pl->kv_stride);
    if (pl->q_stride < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.q_stride' = %d: must be >= 1", k,
                              pl->q_stride);
    const uint32_t t = type_bits(pl);
    const int fd = feat_dim(pl, in_channels);
    if (clbb__ga_has_position(t) && fd % 4)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins[%d].cfg.position_embedding_dim' = %d: the "
                              "embedding dimension %d%s must be a multiple of 4 (mmcv's "
                              "embedding has 2*ceil(%d/4) features, appr_geom_fc_x/y take %d)",
                              k, pl->position_embedding_dim, fd,
                              pl->position_embedding_dim > 0 ? "" : " (in_channels)", fd, fd / 2);
    if (clbb__ga_has_position(t) && fd > 16384)
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "argument 'plugins[%d].cfg.position_embedding_dim' = %d: beyond "
                              "clbb's limit of 16384",
                              k, fd);
    if (pl->position_magnitude < -(1 << 20) || pl->position_magnitude > (1 << 20))
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "argument 'plugins[%d].cfg.position_magnitude' = %d: beyond "
                              "clbb's limit of 2^20 in magnitude",
                              k, pl->position_magnitude);
    return CLBB_OK;
}

/* y = x + bilinear resize of z (a new value of x's shape). */
static int emit_upsample_add(builder *b, const char *name, tref z, int channels, tref x) {
    const int v = plugin_value(b, channels);
    if (v < 0) return -1;
    graph_node n;
    char nn[192];
    snprintf(nn, sizeof nn, "%s[upsample+x]", name);
    graph_node_init(&n, NODE_UPSAMPLE_ADD, nn);
    n.in[NODE_IN] = x;
    n.in[NODE_UP_Z] = z;
    n.out = tref_all(v);
    plugin_node(b, &n);
    return b->oom ? -1 : v;
}

static int ga_build(builder *b, const char *name, const clbb_plugin_config *pl, int C, int x) {
    const uint32_t t = type_bits(pl);
    const int M = pl->num_heads, D = C / M, od = M * D, fd = feat_dim(pl, C);
    char key[160];
    /* state_dict order: the module's own parameters (appr_bias, geom_bias,
     * gamma; local_constraint_map is derived, a file's copy is ignored),
     * then its children in __init__ order */
    int ab = -1, gb = -1;
    if (t & CLBB_GEN_ATTENTION_BIAS_APPR) {
        ab = plugin_param(b, name, "appr_bias", ROLE_UNIFORM, 1, od, 0, 0, 0);
        if (ab >= 0) b->g->params[ab].init_bound = 1.0 / sqrt(2.0 * D);
    }
    if (t & CLBB_GEN_ATTENTION_BIAS_POS) {
        gb = plugin_param(b, name, "geom_bias", ROLE_UNIFORM, 1, od, 0, 0, 0);
        if (gb >= 0) b->g->params[gb].init_bound = 1.0 / sqrt(2.0 * D);
    }
    const int gamma = plugin_param(b, name, "gamma", ROLE_GAMMA, 1, 1, 0, 0, 0);
    conv_spec qc, kc, vc, pc;
    if (clbb__ga_has_query(t)) {
        snprintf(key, sizeof key, "%s.query_conv", name);
        qc = build_conv(b, key, C, od, 1, pl->q_stride, 0, 1, 1, 0);
    }
    if (clbb__ga_has_key(t)) {
        snprintf(key, sizeof key, "%s.key_conv", name);
        kc = build_conv(b, key, C, od, 1, pl->kv_stride, 0, 1, 1, 0);
    }
    snprintf(key, sizeof key, "%s.value_conv", name);
    vc = build_conv(b, key, C, od, 1, pl->kv_stride, 0, 1, 1, 0); /* v_dim = C // num_heads too */
    int fx = -1, fy = -1;
    if (clbb__ga_has_position(t)) {
        fx = plugin_param(b, name, "appr_geom_fc_x.weight", ROLE_LINEAR_WEIGHT, 2, od, fd / 2, 0, 0);
        fy = plugin_param(b, name, "appr_geom_fc_y.weight", ROLE_LINEAR_WEIGHT, 2, od, fd / 2, 0, 0);
    }
    snprintf(key, sizeof key, "%s.proj_conv", name);
    pc = build_conv(b, key, od, C, 1, 1, 0, 1, 1, 1);
    if (b->oom) return -1;

    const int xq = x, xkv = x;
    graph_node a;
    graph_node_init(&a, NODE_GEN_ATTENTION, name);
    a.in[NODE_IN] = tref_all(x);
    if (clbb__ga_has_query(t)) {
        int q = emit_conv(b, &qc, NULL, tref_all(xq), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (q < 0) return -1;
        a.in[NODE_GA_Q] = tref_all(q);
    }
    if (clbb__ga_has_key(t)) {
        int kv = emit_conv(b, &kc, NULL, tref_all(xkv), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
        if (kv < 0) return -1;
        a.in[NODE_GA_K] = tref_all(kv);
    }
    int v = emit_conv(b, &vc, NULL, tref_all(xkv), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
    if (v < 0) return -1;
    a.in[NODE_GA_V] = tref_all(v);
    a.attn = (clbb_gen_attention_desc){M, D, D, t, pl->spatial_range, pl->q_stride,
                                       pl->kv_stride, fd, pl->position_magnitude};
    a.attn_params[GA_APPR_BIAS] = ab;
    a.attn_params[GA_GEOM_BIAS] = gb;
    a.attn_params[GA_FC_X] = fx;
    a.attn_params[GA_FC_Y] = fy;
    const int out = plugin_value(b, od);
    if (out < 0) return -1;
    a.out = tref_all(out);
    plugin_node(b, &a);
    if (b->oom) return -1;
    const int up = pl->q_stride > 1;
    const int y = emit_conv(b, &pc, NULL, tref_all(out), CLBB_ACTIVATION_NONE,
                            up ? tref_none() : tref_all(x), tref_none());
    if (y < 0) return -1;
    b->g->nodes[b->g->num_nodes - 1].gamma = gamma;
    if (!up) return y;
    return emit_upsample_add(b, name, tref_all(y), C, tref_all(x));
}

const plugin_desc clbb__plugin_gen_attention = {"GeneralizedAttention", "gen_attention_block",
                                                ga_build, ga_validate};
