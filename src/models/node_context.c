/* ContextBlock's node kinds. context_pool: attention pooling of NODE_IN
 * into N x C x 1 x 1 (weight: conv_mask.weight, bias: conv_mask.bias).
 * context_mlp: NODE_IN (N x C x 1 x 1) through the conv of weight / bias,
 * LayerNorm + ReLU of norm, the conv of weight2 / bias2, then act.
 * layer_norm: LayerNorm over (C, H, W) with the affine of norm.weight /
 * norm.bias and eps norm.eps, then act (in place allowed). channel_affine:
 * act(NODE_IN * NODE_AFF_MUL[n,c] + NODE_AFF_ADD[n,c] + NODE_RES), each
 * operand optional. */
#include "model_internal.h"

static clbb_status pool_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                              char *msg, size_t size) {
    (void)g;
    (void)n;
    (void)msg;
    (void)size;
    *out = in;
    out->h = out->w = 1;
    return CLBB_OK;
}

static void pool_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                           const float *const *in, float *y) {
    clbb_ref_context_pool(shapes[NODE_IN], in[NODE_IN], g->params[n->weight].data,
                          g->params[n->bias].data[0], y);
}

static clbb_status pool_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "context_pool", &po));
    CLBB_CHECK(clbb_context_pool_create(m->ctx, graph_tref_channels(g, n->in[NODE_IN]),
                                        g->params[n->weight].data, g->params[n->bias].data[0], &o,
                                        &po->op));
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

static void mlp_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                          const float *const *in, float *y) {
    const clbb_shape s = shapes[NODE_IN];
    clbb_ref_context_mlp(s.n, s.c, (int32_t)g->params[n->weight].shape[0], s.c, in[NODE_IN],
                         g->params[n->weight].data, g->params[n->bias].data,
                         graph_pchan(g, n->norm.weight, 0), graph_pchan(g, n->norm.bias, 0),
                         n->norm.eps, g->params[n->weight2].data, g->params[n->bias2].data, n->act,
                         y);
}

static clbb_status mlp_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "context_mlp", &po));
    CLBB_CHECK(clbb_context_mlp_create(
        m->ctx, graph_tref_channels(g, n->in[NODE_IN]), (int32_t)g->params[n->weight].shape[0],
        graph_tref_channels(g, n->in[NODE_IN]), g->params[n->weight].data, g->params[n->bias].data, graph_pchan(g, n->norm.weight, 0),
        graph_pchan(g, n->norm.bias, 0), n->norm.eps, g->params[n->weight2].data,
        g->params[n->bias2].data, n->act, &o, &po->op));
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

static void ln_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                         const float *const *in, float *y) {
    clbb_ref_layer_norm(shapes[NODE_IN], in[NODE_IN], graph_pchan(g, n->norm.weight, 0),
                        graph_pchan(g, n->norm.bias, 0), n->norm.eps, n->act, y);
}

static clbb_status ln_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "layer_norm", &po));
    CLBB_CHECK(clbb_layer_norm_create(m->ctx, graph_tref_channels(g, n->in[NODE_IN]),
                                      graph_pchan(g, n->norm.weight, 0),
                                      graph_pchan(g, n->norm.bias, 0), n->norm.eps, n->act, &o,
                                      &po->op));
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

static void affine_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                             const float *const *in, float *y) {
    (void)g;
    clbb_ref_channel_affine(shapes[NODE_IN], in[NODE_IN], in[NODE_AFF_MUL], in[NODE_AFF_ADD],
                            in[NODE_RES], n->act, y);
}

static clbb_status affine_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "channel_affine", &po));
    CLBB_CHECK(clbb_channel_affine_create(m->ctx, n->in[NODE_AFF_MUL].value >= 0,
                                          n->in[NODE_AFF_ADD].value >= 0,
                                          n->in[NODE_RES].value >= 0, n->act, &o, &po->op));
    /* the op's setup order: x, mul, add, residual (absent ones skipped) */
    const tref ins[4] = {n->in[NODE_IN], n->in[NODE_AFF_MUL], n->in[NODE_AFF_ADD], n->in[NODE_RES]};
    return clbb__plan_bind(m, po, ins, 4, n->out);
}

const node_kind_desc clbb__node_context_pool = {"context_pool", pool_infer, pool_reference,
                                                pool_plan};
const node_kind_desc clbb__node_context_mlp = {"context_mlp", graph_infer_same, mlp_reference,
                                               mlp_plan};
const node_kind_desc clbb__node_layer_norm = {"layer_norm", graph_infer_same, ln_reference,
                                              ln_plan};
const node_kind_desc clbb__node_channel_affine = {"channel_affine", graph_infer_same,
                                                  affine_reference, affine_plan};
