/* Fusions of the planner. GCNet's ContextBlock after conv3 (channel_add):
 * pooled through conv3's input, its term added in conv3's epilogue
 * (plan_fuse_context.c); on by default. Launch fusions: runs of graph nodes
 * that one op computes,
 * for small batches on GPU-family kernels, where each launch costs ~6 us
 * of host enqueue (an H200's driver) against a few microseconds of device
 * work. The graph and its reference stay unfused (the model checks compare
 * the fused plan against them); only the plan changes.
 *   Ghost module: primary 1x1 conv (+BN+act), cheap depthwise conv
 *     (+BN+act [+residual]) and the primary half's residual add (three
 *     nodes, GhostNet's ghost2) -> one ghost_module op.
 *   SE: global average pool, conv_reduce + ReLU, conv_expand + gate act
 *     -> one se_gate op.
 * Off unless CLBB_FUSE=1 (any batch and family; CLBB_FUSE=0 turns every
 * fusion off, and a forced conv algorithm plans the plain network): on the
 * H200 they halve
 * GhostNet's launches at batch 1 (145 -> 56) but the fused kernels' own
 * time more than eats the saving (1.66 ms against 0.90 unfused; 32x224:
 * 3.50 against 1.64), and on PoCL they are 5-10x slower (GPU-shaped
 * kernels). They stay as an opt-in until their kernels pay. */
#include <stdlib.h>
#include <string.h>

#include "plan_fuse.h"

/* 0: none, 1: the default ones, 2: every fusion */
static int fuse_level(const clbb_model *m) {
    const char *e = getenv("CLBB_FUSE");
    if (m->conv_algo != CLBB_CONV_ALGO_AUTO) return 0; /* a forced algorithm: the plain network */
    if (!e || !e[0]) return 1;
    return !strcmp(e, "1") ? 2 : !strcmp(e, "0") ? 0 : 1;
}

int clbb__fuse_same_ref(tref a, tref b) {
    return a.value == b.value && a.c0 == b.c0 && a.c == b.c && a.view == TREF_SLICE &&
           b.view == TREF_SLICE;
}

int clbb__fuse_read_outside(const graph *g, int v, int lo, int hi) {
    for (int o = 0; o < g->num_outputs; o++)
        if (g->outputs[o] == v) return 1;
    for (int i = 0; i < g->num_nodes; i++) {
        if (i >= lo && i <= hi) continue;
        for (int k = 0; k < NODE_MAX_INPUTS; k++)
            if (g->nodes[i].in[k].value == v) return 1;
    }
    return 0;
}

/* A plain conv node with the given geometry traits: no bias unless
 * want_bias, BN or no norm, no gamma, weights from channel 0. */
static int plain_conv(const graph_node *n, int k, int want_bias) {
    const clbb_conv2d_desc *d = &n->conv;
    return n->kind == NODE_CONV && d->kernel_h == k && d->kernel_w == k && d->stride_h == 1 &&
           d->stride_w == 1 && d->dilation_h == 1 && d->dilation_w == 1 &&
           d->pad_top == k / 2 && d->pad_left == k / 2 && d->pad_bottom == k / 2 &&
           d->pad_right == k / 2 && (n->bias >= 0) == want_bias && n->gamma < 0 &&
           n->oc_off == 0 && (n->norm.kind == NORM_NONE || n->norm.kind == NORM_BN) &&
           n->in[NODE_IN].view == TREF_SLICE;
}

/* Nodes i.. as a Ghost module; returns how many (0: not one). *res gets
 * the residual of the whole module output (value -1: none). */
static int match_ghost(const graph *g, int i, tref *res) {
    if (i + 1 >= g->num_nodes) return 0;
    const graph_node *a = &g->nodes[i], *b = &g->nodes[i + 1];
    if (!plain_conv(a, 1, 0) || a->conv.groups != 1 || a->in[NODE_RES].value >= 0) return 0;
    const int mv = a->out.value, init = a->conv.out_channels;
    if (a->out.c0 != 0 || graph_tref_channels(g, a->out) != init) return 0;
    const int full = b->conv.in_channels, k = b->conv.kernel_h;
    if (k % 2 == 0 || k > 7 || !plain_conv(b, k, 0) || b->conv.groups != full || full > init ||
        b->conv.out_channels % full || b->in[NODE_GATE].value >= 0 || b->act != a->act)
        return 0;
    if (!clbb__fuse_same_ref(b->in[NODE_IN], tref_slice(mv, 0, full))) return 0;
    const int q = b->conv.out_channels;
    if (!clbb__fuse_same_ref(b->out, tref_slice(mv, init, q)) ||
        g->values[mv].channels != init + q)
        return 0;
    *res = tref_none();
    if (b->in[NODE_RES].value < 0) return 2;
    /* the residual: in the cheap conv's epilogue, then an add over the
     * primary half; fused only where both orders agree (no activation) */
    if (i + 2 >= g->num_nodes || a->act != CLBB_ACTIVATION_NONE) return 0;
    const graph_node *c = &g->nodes[i + 2];
    const tref rb = b->in[NODE_RES], rc = c->in[NODE_RES];
    if (c->kind != NODE_NORM || c->norm.kind != NORM_NONE || c->act != CLBB_ACTIVATION_NONE ||
        !clbb__fuse_same_ref(c->in[NODE_IN], tref_slice(mv, 0, init)) ||
        !clbb__fuse_same_ref(c->out, c->in[NODE_IN]) ||
        rc.value < 0 || rc.view != TREF_SLICE || rb.view != TREF_SLICE || rb.value != rc.value ||
        graph_tref_channels(g, rc) != init || rb.c0 != rc.c0 + init)
        return 0;
    *res = tref_slice(rc.value, rc.c0, init + q);
    return 3;
}

static clbb_status plan_ghost(clbb_model *m, int i, tref res) {
    const graph *g = &m->g;
    const graph_node *a = &g->nodes[i], *b = &g->nodes[i + 1];
    float *ps = NULL, *pb = NULL, *cs = NULL, *cb = NULL;
    clbb_epilogue ea, eb;
    clbb_status st = clbb__node_epilogue(m, a, &ps, &pb, &ea);
    if (st == CLBB_OK) st = clbb__node_epilogue(m, b, &cs, &cb, &eb);
    const clbb_ghost_module_desc d = {a->conv.in_channels, a->conv.out_channels,
                                      b->conv.out_channels,
                                      b->conv.out_channels / b->conv.in_channels,
                                      b->conv.kernel_h};
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po = NULL;
    if (st == CLBB_OK) st = clbb__plan_push(m, i, "ghost_module", &po);
    if (st == CLBB_OK)
        st = clbb_ghost_module_create(m->ctx, &d, g->params[a->weight].data, ps, pb,
                                      g->params[b->weight].data, cs, cb, a->act, res.value >= 0,
                                      a->in[NODE_GATE].value >= 0, &o, &po->op);
    free(ps);
    free(pb);
    free(cs);
    free(cb);
    if (st != CLBB_OK) return st;
    const tref ins[3] = {a->in[NODE_IN], res, a->in[NODE_GATE]};
    return clbb__plan_bind(m, po, ins, 3, tref_all(a->out.value));
}

/* Nodes i, i+1, i+2 as GAP -> 1x1 conv + bias + ReLU -> 1x1 conv + bias. */
static int match_se(const graph *g, int i) {
    if (i + 2 >= g->num_nodes) return 0;
    const graph_node *p = &g->nodes[i], *r = &g->nodes[i + 1], *e = &g->nodes[i + 2];
    if (p->kind != NODE_GAP || p->in[NODE_IN].view != TREF_SLICE) return 0;
    const int c = graph_tref_channels(g, p->in[NODE_IN]);
    if (!plain_conv(r, 1, 1) || !plain_conv(e, 1, 1) || r->norm.kind != NORM_NONE ||
        e->norm.kind != NORM_NONE || r->conv.groups != 1 || e->conv.groups != 1 ||
        r->act != CLBB_ACTIVATION_RELU)
        return 0;
    for (int k = 0; k < 2; k++) {
        const graph_node *n = k ? e : r;
        if (n->in[NODE_RES].value >= 0 || n->in[NODE_GATE].value >= 0) return 0;
    }
    if (!clbb__fuse_same_ref(r->in[NODE_IN], tref_all(p->out.value)) ||
        !clbb__fuse_same_ref(e->in[NODE_IN], tref_all(r->out.value)) ||
        r->conv.in_channels != c ||
        e->conv.out_channels != c || e->conv.in_channels != r->conv.out_channels ||
        p->out.c0 || r->out.c0 || e->out.c0 || graph_tref_channels(g, p->out) != c)
        return 0;
    if (clbb__fuse_read_outside(g, p->out.value, i, i + 2) ||
        clbb__fuse_read_outside(g, r->out.value, i, i + 2))
        return 0;
    return 3;
}

static clbb_status plan_se(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *p = &g->nodes[i], *r = &g->nodes[i + 1], *e = &g->nodes[i + 2];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "se_gate", &po));
    CLBB_CHECK(clbb_se_gate_create(m->ctx, r->conv.in_channels, r->conv.out_channels,
                                   g->params[r->weight].data, g->params[r->bias].data,
                                   g->params[e->weight].data, g->params[e->bias].data, e->act, &o,
                                   &po->op));
    return clbb__plan_bind(m, po, &p->in[NODE_IN], 1, e->out);
}

int clbb__plan_fused_span(const clbb_model *m, int i) {
    const int level = fuse_level(m);
    if (!level) return 0;
    int n = clbb__match_context_block(&m->g, i);
    if (n || level < 2) return n;
    tref res;
    if ((n = match_ghost(&m->g, i, &res))) return n;
    return match_se(&m->g, i);
}

/* What a fused attempt's status means: planned (n nodes taken), refused by
 * its op (UNSUPPORTED: a conv3 no output_add kernel computes, a Ghost tile
 * beyond the device's local memory; the attempt's ops are dropped and the
 * nodes planned unfused), or a failure. */
static clbb_status settle(clbb_model *m, int start, clbb_status st, int n, int *used) {
    if (st == CLBB_OK) *used = n;
    if (st != CLBB_ERR_UNSUPPORTED) return st;
    clbb__plan_truncate(m, start);
    return CLBB_OK;
}

clbb_status clbb__plan_fused(clbb_model *m, int i, int *used) {
    *used = 0;
    const int level = fuse_level(m), start = m->p.num_ops;
    if (!level) return CLBB_OK;
    const graph *g = &m->g;
    int n = clbb__match_context_block(g, i);
    if (n) return settle(m, start, clbb__plan_context_block(m, i), n, used);
    if (level < 2) return CLBB_OK;
    tref res;
    if ((n = match_ghost(g, i, &res))) return settle(m, start, plan_ghost(m, i, res), n, used);
    if ((n = match_se(g, i))) return settle(m, start, plan_se(m, i), n, used);
    return CLBB_OK;
}
