/* Norm nodes: a standalone BN or GN (or, with no norm, a plain add of the
 * residual), then the residual and activation. Inputs: NODE_IN, NODE_RES.
 * Also the unfused norm reference that conv nodes share. */
#include <string.h>

#include "model_internal.h"

void clbb__node_ref_norm(const graph *g, const graph_node *n, clbb_shape s, float *y,
                         const float *res) {
    const graph_norm *nm = &n->norm;
    const int o = n->oc_off;
    if (nm->kind == NORM_BN) {
        clbb_ref_batch_norm(s, y, graph_pchan(g, nm->mean, o), graph_pchan(g, nm->var, o),
                            graph_pchan(g, nm->weight, o), graph_pchan(g, nm->bias, o), nm->eps,
                            res, n->act, y);
    } else if (nm->kind == NORM_GN) {
        clbb_ref_group_norm(s, nm->groups, y, graph_pchan(g, nm->weight, o),
                            graph_pchan(g, nm->bias, o), nm->eps, res, n->act, y);
    } else {
        clbb_epilogue e = {NULL, NULL, res != NULL, n->act};
        clbb_ref_epilogue(s, &e, res, y);
    }
}

static void norm_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                           const float *const *in, float *y) {
    memcpy(y, in[NODE_IN], clbb_shape_numel(shapes[NODE_IN]) * sizeof(float));
    clbb__node_ref_norm(g, n, shapes[NODE_IN], y, in[NODE_RES]);
}

static clbb_status norm_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    const graph_norm *nm = &n->norm;
    const int c = graph_tref_channels(g, n->in[NODE_IN]), off = n->oc_off;
    const int res = n->in[NODE_RES].value >= 0;
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    if (nm->kind == NORM_BN) {
        CLBB_CHECK(clbb__plan_push(m, i, "batch_norm", &po));
        CLBB_CHECK(clbb_batch_norm_create(m->ctx, c, graph_pchan(g, nm->mean, off),
                                          graph_pchan(g, nm->var, off),
                                          graph_pchan(g, nm->weight, off),
                                          graph_pchan(g, nm->bias, off), nm->eps, res, n->act, &o,
                                          &po->op));
    } else if (nm->kind == NORM_GN) {
        CLBB_CHECK(clbb__plan_push(m, i, "group_norm", &po));
        CLBB_CHECK(clbb_group_norm_create(m->ctx, c, nm->groups, graph_pchan(g, nm->weight, off),
                                          graph_pchan(g, nm->bias, off), nm->eps, res, n->act, &o,
                                          &po->op));
    } else {
        CLBB_CHECK(clbb__plan_push(m, i, "add", &po));
        CLBB_CHECK(clbb_add_create(m->ctx, n->act, &o, &po->op));
    }
    const tref ins[2] = {n->in[NODE_IN], n->in[NODE_RES]};
    return clbb__plan_bind(m, po, ins, 2, n->out);
}

const node_kind_desc clbb__node_norm = {"norm", graph_infer_same, norm_reference, norm_plan};
