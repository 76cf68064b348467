/* Conv / Ghost-module / norm registration and node emission shared by the
 * backbone builders. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "core/internal.h"

static int param(builder *b, const char *key, param_role role, int ndim, int64_t d0, int64_t d1,
                 int64_t d2, int64_t d3) {
    int64_t shape[4] = {d0, d1, d2, d3};
    int p = graph_param_add(b->g, key, role, ndim, shape);
    if (p < 0) b->oom = 1;
    return p;
}

static clbb_conv2d_desc desc(int cin, int cout, int k, int s, int p, int d, int groups) {
    return (clbb_conv2d_desc){cin, cout, groups, k, k, s, s, d, d, p, p, p, p};
}

conv_spec build_conv(builder *b, const char *key, int cin, int cout, int k, int stride, int pad,
                     int dil, int groups, int bias) {
    conv_spec c;
    memset(&c, 0, sizeof c);
    clbb__strlcpy(c.name, key, sizeof c.name);
    c.d = desc(cin, cout, k, stride, pad, dil, groups);
    char pk[160];
    snprintf(pk, sizeof pk, "%s.weight", key);
    c.weight = param(b, pk, ROLE_CONV_WEIGHT, 4, cout, cin / groups, k, k);
    c.bias = -1;
    if (bias) {
        snprintf(pk, sizeof pk, "%s.bias", key);
        c.bias = param(b, pk, ROLE_CONV_BIAS, 1, cout, 0, 0, 0);
    }
    return c;
}

graph_norm build_norm(builder *b, const char *key, int channels) {
    graph_norm n;
    const clbb_model_config *cfg = b->cfg;
    int rc = cfg->norm_type == CLBB_NORM_GN
                 ? graph_add_gn(b->g, key, channels, cfg->norm_num_groups, cfg->norm_eps, &n)
                 : graph_add_bn(b->g, key, channels, cfg->norm_eps, &n);
    if (rc) b->oom = 1;
    return n;
}

conv_spec build_ghost(builder *b, const char *key, int cin, int cout, int k, int stride, int pad,
                      int dil, int groups, int ratio, int dw_size, int relu) {
    conv_spec c;
    memset(&c, 0, sizeof c);
    clbb__strlcpy(c.name, key, sizeof c.name);
    c.d = desc(cin, cout, k, stride, pad, dil, groups);
    c.ghost = 1;
    c.ratio = ratio;
    c.dw_size = dw_size;
    c.relu = relu;
    c.init = (cout + ratio - 1) / ratio;
    int newc = c.init * (ratio - 1);
    char pk[160];
    snprintf(pk, sizeof pk, "%s.primary_conv.0.weight", key);
    c.primary_w = param(b, pk, ROLE_CONV_WEIGHT, 4, c.init, cin / groups, k, k);
    snprintf(pk, sizeof pk, "%s.primary_conv.1", key);
    if (graph_add_bn(b->g, pk, c.init, 1e-5f, &c.primary_n)) b->oom = 1;
    snprintf(pk, sizeof pk, "%s.cheap_operation.0.weight", key);
    c.cheap_w = param(b, pk, ROLE_CONV_WEIGHT, 4, newc, 1, dw_size, dw_size);
    snprintf(pk, sizeof pk, "%s.cheap_operation.1", key);
    if (graph_add_bn(b->g, pk, newc, 1e-5f, &c.cheap_n)) b->oom = 1;
    c.weight = c.bias = -1;
    return c;
}

conv_spec build_conv_cfg(builder *b, const char *key, int cin, int cout, int k, int stride,
                         int pad, int dil, int groups) {
    const clbb_model_config *cfg = b->cfg;
    if (cfg->ghost_conv)
        return build_ghost(b, key, cin, cout, k, stride, pad, dil, groups, cfg->ghost_ratio,
                           cfg->ghost_dw_size, cfg->ghost_relu);
    return build_conv(b, key, cin, cout, k, stride, pad, dil, groups, 0);
}

void build_mark_zero_init(builder *b, const graph_norm *n) {
    if (n->weight >= 0) b->g->params[n->weight].zero_init = 1;
    if (n->bias >= 0) b->g->params[n->bias].zero_init = 1;
}

void clbb__build_outputs(graph *g, const clbb_model_config *cfg, const int *stage_out,
                         int num_stages) {
    g->num_outputs = 0;
    for (int s = 0; s < num_stages; s++)
        for (int i = 0; i < cfg->num_out_indices; i++)
            if (cfg->out_indices[i] == s) {
                g->outputs[g->num_outputs++] = stage_out[s];
                break;
            }
}

static int new_value(builder *b, int channels) {
    int v = graph_value_add(b->g, channels);
    if (v < 0) b->oom = 1;
    return v;
}

static void add_node(builder *b, const graph_node *n) {
    if (graph_node_add(b->g, n) < 0) b->oom = 1;
}

static graph_node conv_node(const char *name, clbb_conv2d_desc d, int weight, int bias,
                            const graph_norm *norm, tref in, tref out, clbb_activation act,
                            tref residual, tref gate) {
    graph_node n;
    graph_node_init(&n, NODE_CONV, name);
    n.conv = d;
    n.weight = weight;
    n.bias = bias;
    if (norm) n.norm = *norm;
    n.in[NODE_IN] = in;
    n.in[NODE_RES] = residual;
    n.in[NODE_GATE] = gate;
    n.out = out;
    n.act = act;
    return n;
}

static tref slice(tref r, int c0, int c) {
    if (r.value < 0) return r;
    return tref_slice(r.value, r.c0 + c0, c);
}

/* The Ghost module's cheap conv writes only the first (cout - init) of its
 * init*(ratio-1) outputs: whole groups in one node, a partial last group
 * (ratio > 2) in a second node reading its single input channel. */
static void emit_cheap(builder *b, const conv_spec *c, int m, clbb_activation act,
                       tref residual) {
    int need = c->d.out_channels - c->init;
    if (need <= 0) return;
    int per = c->ratio - 1;
    int full = need / per, rest = need - full * per;
    int k = c->dw_size, p = k / 2;
    char name[128];
    snprintf(name, sizeof name, "%s.cheap_operation", c->name);
    if (full) {
        graph_node n = conv_node(name, desc(full, full * per, k, 1, p, 1, full), c->cheap_w, -1,
                                 &c->cheap_n, tref_slice(m, 0, full), tref_slice(m, c->init, full * per),
                                 act, slice(residual, c->init, full * per), tref_none());
        add_node(b, &n);
    }
    if (rest) {
        snprintf(name, sizeof name, "%s.cheap_operation[tail]", c->name);
        graph_node n = conv_node(name, desc(1, rest, k, 1, p, 1, 1), c->cheap_w, -1, &c->cheap_n,
                                 tref_slice(m, full, 1), tref_slice(m, c->init + full * per, rest), act,
                                 slice(residual, c->init + full * per, rest), tref_none());
        n.oc_off = full * per;
        add_node(b, &n);
    }
}

int emit_ghost_module(builder *b, const conv_spec *c, tref in, tref residual, tref gate) {
    int cout = c->d.out_channels;
    int m = new_value(b, cout);
    if (m < 0) return -1;
    clbb_activation act = c->relu ? CLBB_ACTIVATION_RELU : CLBB_ACTIVATION_NONE;
    clbb_conv2d_desc pd = c->d;
    pd.out_channels = c->init;
    char name[128];
    snprintf(name, sizeof name, "%s.primary_conv", c->name);
    /* the cheap conv reads the primary output, so the primary half takes
     * its residual in a separate in-place add after the cheap conv */
    graph_node n = conv_node(name, pd, c->primary_w, -1, &c->primary_n, in, tref_slice(m, 0, c->init),
                             act, tref_none(), gate);
    add_node(b, &n);
    emit_cheap(b, c, m, act, residual);
    if (residual.value >= 0) {
        graph_node a;
        char aname[160];
        snprintf(aname, sizeof aname, "%s.add[0:%d]", c->name, c->init);
        graph_node_init(&a, NODE_NORM, aname);
        a.in[NODE_IN] = a.out = tref_slice(m, 0, c->init);
        a.in[NODE_RES] = slice(residual, 0, c->init);
        a.act = CLBB_ACTIVATION_NONE;
        add_node(b, &a);
    }
    return m;
}

int emit_conv(builder *b, const conv_spec *c, const graph_norm *norm, tref in,
              clbb_activation act, tref residual, tref gate) {
    if (!c->ghost) {
        int v = new_value(b, c->d.out_channels);
        if (v < 0) return -1;
        graph_node n = conv_node(c->name, c->d, c->weight, c->bias, norm, in, tref_all(v), act,
                                 residual, gate);
        add_node(b, &n);
        return v;
    }
    if (!norm || norm->kind == NORM_NONE) {
        /* GhostNet's own modules: the residual goes into the module */
        return emit_ghost_module(b, c, in, residual, gate);
    }
    /* Ghost-ResNet: module, then the block's norm, residual and act */
    int m = emit_ghost_module(b, c, in, tref_none(), gate);
    if (m < 0) return -1;
    int v = new_value(b, c->d.out_channels);
    if (v < 0) return -1;
    graph_node n;
    char nname[160];
    snprintf(nname, sizeof nname, "%s[norm]", c->name);
    graph_node_init(&n, NODE_NORM, nname);
    n.norm = *norm;
    n.in[NODE_IN] = tref_all(m);
    n.in[NODE_RES] = residual;
    n.out = tref_all(v);
    n.act = act;
    add_node(b, &n);
    return v;
}

int emit_deform_conv(builder *b, const conv_spec *c, const conv_spec *offset,
                     const graph_norm *norm, tref in, clbb_activation act, int deform_groups,
                     int modulated) {
    const int kk = c->d.kernel_h * c->d.kernel_w;
    const int no = 2 * deform_groups * kk, nm = modulated ? deform_groups * kk : 0;
    /* conv_offset is one conv writing one value: the offsets, then (DCNv2)
     * the mask logits, whose sigmoid the deform conv applies as it reads
     * them (one pass over the input instead of two) */
    int ov = new_value(b, no + nm);
    if (ov < 0) return -1;
    clbb_conv2d_desc od = offset->d;
    od.out_channels = no + nm;
    graph_node n = conv_node(offset->name, od, offset->weight, offset->bias, NULL, in,
                             tref_all(ov), CLBB_ACTIVATION_NONE, tref_none(), tref_none());
    add_node(b, &n);
    int v = new_value(b, c->d.out_channels);
    if (v < 0) return -1;
    graph_node_init(&n, NODE_DEFORM_CONV, c->name);
    n.conv = c->d;
    n.weight = c->weight;
    n.bias = c->bias;
    if (norm) n.norm = *norm;
    n.in[NODE_IN] = in;
    n.in[NODE_DCN_OFFSET] = tref_slice(ov, 0, no);
    if (modulated) n.in[NODE_DCN_MASK] = tref_slice(ov, no, nm);
    n.out = tref_all(v);
    n.act = act;
    n.deform_groups = deform_groups;
    n.modulated = modulated;
    add_node(b, &n);
    return v;
}

int emit_pool(builder *b, const char *name, node_kind kind, tref in, int channels,
              clbb_pool2d_desc pool) {
    int v = new_value(b, channels);
    if (v < 0) return -1;
    graph_node n;
    graph_node_init(&n, kind, name);
    n.in[NODE_IN] = in;
    n.out = tref_all(v);
    n.pool = pool;
    add_node(b, &n);
    return v;
}

int make_divisible(double v, int divisor) {
    int nv = (int)(v + divisor / 2.0) / divisor * divisor;
    if (nv < divisor) nv = divisor;
    if (nv < 0.9 * v) nv += divisor;
    return nv;
}
