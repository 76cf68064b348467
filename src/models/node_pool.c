/* Pooling nodes: max and average pooling with a geometry, and the global
 * average pool of the SE block. Input: NODE_IN. */
#include "model_internal.h"

static clbb_status pool_infer(const graph *g, const graph_node *n, clbb_shape in,
                              clbb_shape *out, char *msg, size_t size) {
    (void)g;
    return clbb_pool2d_output_shape(&n->pool, in, out, msg, size);
}

static clbb_status gap_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                             char *msg, size_t size) {
    (void)g;
    (void)n;
    (void)msg;
    (void)size;
    *out = in;
    out->h = out->w = 1;
    return CLBB_OK;
}

static void max_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                          const float *const *in, float *y) {
    (void)g;
    clbb_ref_max_pool2d(&n->pool, shapes[NODE_IN], in[NODE_IN], y);
}

static void avg_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                          const float *const *in, float *y) {
    (void)g;
    clbb_ref_avg_pool2d(&n->pool, shapes[NODE_IN], in[NODE_IN], y);
}

static void gap_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                          const float *const *in, float *y) {
    (void)g;
    (void)n;
    clbb_ref_global_avg_pool(shapes[NODE_IN], in[NODE_IN], y);
}

static clbb_status pool_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    if (n->kind == NODE_MAX_POOL) {
        CLBB_CHECK(clbb__plan_push(m, i, "max_pool2d", &po));
        CLBB_CHECK(clbb_max_pool2d_create(m->ctx, &n->pool, &o, &po->op));
    } else if (n->kind == NODE_AVG_POOL) {
        CLBB_CHECK(clbb__plan_push(m, i, "avg_pool2d", &po));
        CLBB_CHECK(clbb_avg_pool2d_create(m->ctx, &n->pool, &o, &po->op));
    } else {
        CLBB_CHECK(clbb__plan_push(m, i, "global_avg_pool", &po));
        CLBB_CHECK(clbb_global_avg_pool_create(m->ctx, &o, &po->op));
    }
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

const node_kind_desc clbb__node_max_pool = {"max_pool", pool_infer, max_reference, pool_plan};
const node_kind_desc clbb__node_avg_pool = {"avg_pool", pool_infer, avg_reference, pool_plan};
const node_kind_desc clbb__node_gap = {"global_avg_pool", gap_infer, gap_reference, pool_plan};
